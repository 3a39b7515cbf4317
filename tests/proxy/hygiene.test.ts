import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { createApp } from '../../proxy/src/app.ts';
import { loadConfig, type ProxyConfig } from '../../proxy/src/config.ts';
import { decryptSecret, loadOrCreateKey, secretAad } from '../../proxy/src/crypto.ts';
import { createLogger } from '../../proxy/src/logger.ts';
import { createMetrics } from '../../proxy/src/metrics.ts';
import { startProxy, type RunningProxy } from '../../proxy/src/server.ts';
import { openStore } from '../../proxy/src/store/index.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { expectedMirrorSize, onboard, openCallback, pageText, postSetup, setupFor, startSetup, synced, waitForStatus } from '../helpers/onboarding.ts';
import { emulatorEnv, envTenant, freePort, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';

/**
 * What keeps the proxy safe to expose and easy to operate: CORS, body and rate limits, JSON errors,
 * security headers, health and metrics endpoints, an API description that matches what is served, logs
 * and a database with no secret in them, and a shutdown that never leaves a half-committed sync.
 */

const ALLOWED_ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const OTHER_EXTENSION = 'chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('an exposed proxy', () => {
  let emulator: Emulator;
  let dir: string;
  let config: ProxyConfig;
  let running: RunningProxy;
  let url: string;
  /** Everything the proxy logged, one JSON line per entry. */
  const logLines: string[] = [];
  /** Credentials seen during the run that must never reach a log line or the database in plain text. */
  const credentials = new Map<string, string>();
  let employeeToken: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 300 });
    dir = await mkdtemp(path.join(os.tmpdir(), 'pb-hygiene-'));
    config = loadConfig({ ...emulatorEnv(emulator, dir, await freePort()), LOG_LEVEL: 'info', PEOPLEBOOK_ALLOWED_ORIGINS: ALLOWED_ORIGIN });
    for (const tenant of emulator.tenants) await control(emulator, 'PATCH', `/apps/${tenant.clientId}`, { addWebRedirectUris: [config.callbackUrl] });
    running = await startProxy(config, { log: createLogger('info', { write: (line: string) => void logLines.push(line) }), tickMs: 100, backoffMs: 20 });
    url = running.url;

    // A failed attempt (a mistyped secret), then a successful delegated onboarding, then API calls.
    const mistyped = 'Mis8Q~typed-secret-value-0123456789abcdef';
    credentials.set('mistyped client secret', mistyped);
    const failed = await onboard(emulator, url, { setup: { clientSecret: mistyped } });
    expect(failed.callback.status).toBe(400);
    credentials.set('failed attempt code', failed.callback.url.searchParams.get('code')!);
    credentials.set('failed attempt state', failed.callback.url.searchParams.get('state')!);

    const { callback } = await onboard(emulator, url);
    expect(callback.status).toBe(200);
    credentials.set('client secret', emulator.clientSecret);
    credentials.set('authorization code', callback.url.searchParams.get('code')!);
    credentials.set('state', callback.url.searchParams.get('state')!);
    await waitForStatus(url, emulator.tenantId, synced);

    employeeToken = await idTokenFor(emulator, emulator.employeeUpn);
    credentials.set('bearer ID token', employeeToken);
    for (const route of ['/api/v1/me', '/api/v1/directory/changes?since=0&limit=10', '/api/v1/directory/changes?since=0&limit=3000']) {
      expect((await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${employeeToken}` } })).status).toBe(200);
    }
    // A refused token is logged as refused, never as itself.
    const refused = `${employeeToken.slice(0, -8)}AAAAAAAA`;
    credentials.set('refused token', refused);
    expect((await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${refused}` } })).status).toBe(401);

    // The admin's tokens as MSAL keeps them (sealed in the store): access, ID and refresh tokens.
    const { key } = await loadOrCreateKey({ secretKey: config.secretKey, keyFile: config.keyFile });
    const sealed = await running.store.loadTokenCache(emulator.tenantId);
    const cache = JSON.parse(decryptSecret(key, sealed!, secretAad(emulator.tenantId, 'tokenCache'))) as Record<string, Record<string, { secret?: string }>>;
    for (const section of ['AccessToken', 'IdToken', 'RefreshToken']) {
      for (const [name, entry] of Object.entries(cache[section] ?? {})) if (entry.secret) credentials.set(`MSAL ${section} ${name.slice(0, 20)}`, entry.secret);
    }
    expect([...credentials.keys()].some((name) => name.startsWith('MSAL RefreshToken'))).toBe(true);
    // And the refresh tokens the identity platform issued (it remembers each one).
    for (const record of emulator.state.identity.refreshTokens.values()) credentials.set(`issued refresh token ${record.token.slice(0, 8)}`, record.token);
  });

  afterAll(async () => {
    await running?.close();
    await emulator?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const api = (route: string, init: RequestInit = {}) => fetch(`${url}${route}`, init);
  const bearer = () => ({ authorization: `Bearer ${employeeToken}` });

  describe('CORS', () => {
    it('answers a preflight from the configured extension origin with that origin, the Authorization header and no credentials mode', async () => {
      const response = await api('/api/v1/directory/changes', {
        method: 'OPTIONS',
        headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      expect(response.headers.get('vary')).toMatch(/origin/i);
    });

    it.each([OTHER_EXTENSION, 'https://evil.example', 'null', `${ALLOWED_ORIGIN}.evil.example`, 'chrome-extension://ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP'])('gives no Access-Control-Allow-Origin to %s, on the preflight or the request', async (origin) => {
      const preflight = await api('/api/v1/directory/changes', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      const request = await api('/api/v1/directory/changes?since=0&limit=1', { headers: { origin, ...bearer() } });
      expect(request.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets the configured extension read the answer and its ETag, Retry-After and X-Request-Id headers', async () => {
      const response = await api('/api/v1/directory/changes?since=0&limit=1', { headers: { origin: ALLOWED_ORIGIN, ...bearer() } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(response.headers.get('access-control-expose-headers')?.split(/\s*,\s*/)).toEqual(expect.arrayContaining(['ETag', 'Retry-After', 'X-Request-Id']));
    });
  });

  describe('request bodies', () => {
    it('refuses a body over 16 KB with 413 and a JSON error', async () => {
      const body = JSON.stringify({ ...setupFor(emulator), clientSecret: 'x'.repeat(17 * 1024) });
      const response = await postSetup(url, body);
      expect(response.status).toBe(413);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await response.json()) as ErrorBody).error.code).toBe('body_too_large');
    });

    it('refuses a streamed body over 16 KB that announces no length', async () => {
      const chunk = new TextEncoder().encode('x'.repeat(4096));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 8) controller.enqueue(chunk);
          else controller.close();
        },
      });
      const response = await fetch(`${url}/api/azure/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
      expect(response.status).toBe(413);
      expect(((await response.json()) as ErrorBody).error.code).toBe('body_too_large');
    });
  });

  describe('errors', () => {
    it.each([
      { name: 'an unknown route', request: () => api('/api/v1/nothing-here'), status: 404, code: 'not_found' },
      { name: 'a wrong method', request: () => api('/api/v1/directory/changes', { method: 'DELETE', headers: bearer() }), status: 404, code: 'not_found' },
      { name: 'malformed JSON', request: () => postSetup(url, '{"tenant":'), status: 400, code: 'invalid_request' },
      { name: 'a setup body that is not JSON', request: () => api('/api/azure/setup', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'tenant=x' }), status: 415, code: 'unsupported_media_type' },
      { name: 'a setup without a body', request: () => api('/api/azure/setup', { method: 'POST', headers: { 'content-type': 'application/json' } }), status: 400, code: 'invalid_request' },
      { name: 'a client ID that is not a GUID', request: () => postSetup(url, { ...setupFor(emulator), clientId: 'my-app' }), status: 400, code: 'invalid_request' },
      { name: 'a cursor that is not a number', request: () => api('/api/v1/directory/changes?since=abc', { headers: bearer() }), status: 400, code: 'invalid_request' },
      { name: 'a limit out of range', request: () => api('/api/v1/directory/changes?limit=0', { headers: bearer() }), status: 400, code: 'invalid_request' },
      { name: 'an unknown tenant status', request: () => api('/api/v1/tenants/0f0f0f0f-1111-4222-8333-444444444444/status'), status: 404, code: 'tenant_not_found' },
      { name: 'a photo size Graph does not serve', request: () => api(`/api/v1/directory/users/${emulator.tenantId}/photo?size=1x1`, { headers: bearer() }), status: 400, code: 'invalid_request' },
    ])('answers $name with $status and a JSON error with a stable code', async ({ request, status, code }) => {
      const response = await request();
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe(code);
      expect(typeof body.error.message).toBe('string');
      expect(response.headers.get('x-request-id')).toBeTruthy();
    });
  });

  describe('security headers', () => {
    it('marks API answers nosniff and no-store', async () => {
      for (const route of ['/api/v1/directory/changes?since=0&limit=1', '/api/v1/me', `/api/v1/tenants/${emulator.tenantId}/status`]) {
        const response = await api(route, { headers: bearer() });
        expect(response.status, route).toBe(200);
        expect(response.headers.get('x-content-type-options'), route).toBe('nosniff');
        expect(response.headers.get('cache-control'), route).toBe('no-store');
      }
    });

    it('serves the callback page with a CSP that allows no script, no framing, and no script in the page', async () => {
      const page = await openCallback(`${config.callbackUrl}?state=unknown`);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toMatch(/script-src/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-frame-options')).toBe('DENY');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.html).not.toMatch(/<script/i);
    });

    it('shows what Microsoft sent back on the callback page as text, never as markup', async () => {
      const started = await startSetup(url, setupFor(emulator, 1));
      const state = new URL(started.authorizeUrl).searchParams.get('state')!;
      const page = await openCallback(`${config.callbackUrl}?state=${state}&error=access_denied&error_description=${encodeURIComponent('AADSTS65004: <script>alert(1)</script><img src=x onerror=alert(2)>')}`);
      expect(page.status).toBe(400);
      expect(page.html).not.toMatch(/<script|<img/i);
      expect(page.html).toContain('&lt;script&gt;');
      expect(pageText(page.html)).toContain('AADSTS65004');
    });
  });

  describe('operations endpoints', () => {
    it('answers /healthz and /readyz', async () => {
      const health = await api('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const ready = await api('/readyz');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready' });
    });

    it('serves Prometheus metrics with request counts by route and status, and sync counters', async () => {
      await api('/api/v1/directory/changes?since=0&limit=1');
      const response = await api('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('# TYPE peoplebook_http_requests_total counter');
      expect(text).toMatch(/peoplebook_http_requests_total\{route="\/api\/v1\/directory\/changes",method="GET",status="200"\} \d+/);
      expect(text).toMatch(/peoplebook_http_requests_total\{route="\/api\/v1\/directory\/changes",method="GET",status="401"\} \d+/);
      expect(text).toMatch(/peoplebook_sync_runs_total\{outcome="ok"\} [1-9]/);
      expect(text).toMatch(/peoplebook_sync_pages_total [1-9]/);
      expect(text).toContain('peoplebook_http_request_duration_seconds_bucket');
      // Unknown paths are counted under one label, so a scanner cannot blow up the series count.
      await api('/wp-admin/install.php');
      const after = await (await api('/metrics')).text();
      expect(after).not.toContain('wp-admin');
    });

    it('describes in /openapi.json exactly the routes the app serves', async () => {
      const response = await api('/openapi.json');
      expect(response.status).toBe(200);
      const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
      expect(doc.openapi).toMatch(/^3\./);
      const described = Object.entries(doc.paths).flatMap(([route, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${route}`)).sort();

      // The routes of an app built the way startProxy builds it (middleware entries are method ALL).
      const app = createApp({ config, store: running.store, tenants: running.tenants, scheduler: running.scheduler, log: running.log, metrics: createMetrics({ defaultMetrics: false }) });
      const served = [...new Set(app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
      expect(described).toEqual(served);
      // …which are the routes these tests exercise.
      expect(served).toEqual(
        [
          'GET /api/azure/callback',
          'GET /api/v1/directory/changes',
          'GET /api/v1/directory/users/{id}/photo',
          'GET /api/v1/me',
          'GET /api/v1/tenants/{tenantId}/status',
          'GET /healthz',
          'GET /metrics',
          'GET /openapi.json',
          'GET /readyz',
          'POST /api/azure/setup',
          'POST /api/v1/tenants/{tenantId}/sync',
        ].sort(),
      );
      // Authenticated operations say so.
      expect(doc.paths['/api/v1/directory/changes']?.get).toMatchObject({ security: [{ bearer: [] }] });
    });
  });

  describe('secrets at rest and in logs', () => {
    it('logs one JSON line per request, with the callback URL scrubbed of its code and state', () => {
      expect(logLines.length).toBeGreaterThan(10);
      const entries = logLines.map((line) => JSON.parse(line) as { msg: string; url?: string; level: number });
      expect(entries.some((entry) => entry.msg === 'tenant activated')).toBe(true);
      const callbacks = entries.filter((entry) => entry.msg === 'request' && entry.url?.startsWith('/api/azure/callback'));
      expect(callbacks.length).toBeGreaterThanOrEqual(2);
      expect(callbacks.some((entry) => /code=\[redacted\].*state=\[redacted\]/.test(entry.url!))).toBe(true);
      for (const entry of callbacks) expect(entry.url).not.toMatch(/[?&](code|state)=(?!\[redacted\])/);
    });

    it('never logs a client secret, token, authorization code or state', () => {
      const text = logLines.join('');
      expect(credentials.size).toBeGreaterThanOrEqual(8);
      for (const [name, value] of credentials) {
        expect(value.length, name).toBeGreaterThan(15);
        expect(text.includes(value), `the log contains the ${name}`).toBe(false);
        // Nor a URL-encoded copy.
        expect(text.includes(encodeURIComponent(value)), `the log contains the ${name}, URL-encoded`).toBe(false);
      }
    });

    it('keeps no client secret or token in plain text in the SQLite database or its WAL', async () => {
      const file = config.databaseUrl.replace(/^file:/, '');
      const files = [file, `${file}-wal`, `${file}-shm`].filter((candidate) => existsSync(candidate));
      const bytes = Buffer.concat(await Promise.all(files.map((candidate) => readFile(candidate))));
      // The right files: they hold the tenant and the mirror.
      expect(bytes.includes(Buffer.from(emulator.tenantId))).toBe(true);
      expect(bytes.includes(Buffer.from(emulator.adminUpn))).toBe(true);
      for (const [name, value] of credentials) {
        if (/code|state|refused/.test(name)) continue;
        expect(bytes.includes(Buffer.from(value)), `the database holds the ${name} in plain text`).toBe(false);
      }
    });
  });
});

describe('rate limits', () => {
  let emulator: Emulator;
  let proxy: TestProxy;

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 50 });
    await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
    proxy = await startTestProxy(emulator, envTenant(emulator));
  });
  afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
  });

  it('allows 10 setup attempts a minute from one address; the 11th gets 429 with Retry-After', async () => {
    for (let i = 1; i <= 10; i++) expect((await postSetup(proxy.url, '{}')).status, `attempt ${i}`).toBe(400);
    const limited = await postSetup(proxy.url, '{}');
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('rate_limited');
  });

  it('limits each signed-in user on their own: 600 requests a minute, then 429 with Retry-After, while a colleague carries on', async () => {
    const heavy = { authorization: `Bearer ${await idTokenFor(emulator, emulator.employeeUpn)}` };
    const colleague = { authorization: `Bearer ${await idTokenFor(emulator, emulator.adminUpn)}` };
    const feed = (headers: Record<string, string>) => fetch(`${proxy.url}/api/v1/directory/changes?since=0&limit=1`, { headers });
    const statuses: number[] = [];
    for (let batch = 0; batch < 30; batch++) statuses.push(...(await Promise.all(Array.from({ length: 20 }, async () => (await feed(heavy)).status))));
    expect(statuses.filter((status) => status === 200)).toHaveLength(600);
    const limited = await feed(heavy);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('rate_limited');
    expect((await feed(colleague)).status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  let emulator: Emulator;

  beforeAll(async () => {
    // 300 users in pages of 20 behind 200 ms of Graph latency: a first sync of more than three seconds.
    emulator = await startTestEmulator({ users: 300, graph: { deltaPageSize: 20 } });
    await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('close() during a sync finishes the Graph page in flight, commits it, leaves a resumable cursor, and a restarted proxy completes the sync', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-shutdown-'));
    try {
      await control(emulator, 'PUT', '/graph/faults', { latencyMs: 200 });
      const first = await startTestProxy(emulator, envTenant(emulator), { dir });
      const store = first.proxy.store;
      // Wait until a few pages are committed and the round is still going.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const state = await store.getSyncState(emulator.tenantId);
        if (state?.cursor.nextLink && state.usersMirrored >= 40) break;
        if (Date.now() > deadline) throw new Error(`the sync did not get going: ${JSON.stringify(state)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const started = performance.now();
      await first.close();
      const elapsed = performance.now() - started;
      const stats = await control<{ requests: number; responsesByStatus: Record<string, number> }>(emulator, 'GET', '/graph/stats');
      // Nothing was left in flight at Graph when close() returned: the page being fetched was waited for.
      const answered = Object.values(stats.responsesByStatus).reduce((sum, count) => sum + count, 0);
      expect(answered).toBe(stats.requests);
      // …and close() did not wait for the rest of the round (about 3 s more).
      expect(elapsed).toBeLessThan(1_500);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await control<{ requests: number }>(emulator, 'GET', '/graph/stats')).requests).toBe(stats.requests);

      // What the stopped proxy left: an idle round with a nextLink to resume from, and a mirror that
      // matches its own count.
      const reopened = await openStore(first.config.databaseUrl);
      try {
        const state = (await reopened.getSyncState(emulator.tenantId))!;
        expect(state.phase).toBe('idle');
        expect(state.cursor.nextLink).toMatch(new RegExp(`^${emulator.graphUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/users/delta\\?`));
        expect(state.cursor.deltaLink).toBeUndefined();
        expect(state.lastOutcome).not.toBe('error');
        const feed = await reopened.changesSince(emulator.tenantId, 0, 5000);
        expect(feed.resync).toBeFalsy();
        if (!feed.resync) expect(feed.upserts).toHaveLength(state.usersMirrored);
        expect(state.usersMirrored).toBeLessThan(expectedMirrorSize(emulator));
      } finally {
        await reopened.close();
      }

      await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
      const second = await startTestProxy(emulator, envTenant(emulator), { dir });
      try {
        const status = await waitForStatus(second.url, emulator.tenantId, (s) => synced(s) && s.lastSync.end !== null && Date.parse(s.lastSync.end) > Date.now() - 60_000 && s.usersMirrored === expectedMirrorSize(emulator));
        expect(status.lastError).toBeNull();
        const state = (await second.proxy.store.getSyncState(emulator.tenantId))!;
        expect(state.cursor.deltaLink).toBeTruthy();
        const feed = await second.proxy.store.changesSince(emulator.tenantId, 0, 5000);
        if (feed.resync) throw new Error('unexpected resync');
        const ids = feed.upserts.map((contact) => contact.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(expectedMirrorSize(emulator));
      } finally {
        await second.close();
      }
    } finally {
      await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
