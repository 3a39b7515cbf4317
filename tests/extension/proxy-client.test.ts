/**
 * The extension's proxy client (extension/lib/proxy-client.ts) against a real proxy mirroring the
 * emulator: every endpoint it calls, and each ProxyError code produced by the real failing situation
 * where one exists (no token, a refused token, another tenant, setup without consent, a stopped proxy,
 * a server that is not a proxy, a real 429), with a fake fetch only for what a healthy proxy never does
 * (broken JSON, wrong shapes, hangs, 503).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { createProxyClient, ProxyError, tenantOfToken, type ProxyClient, type ProxyClientOptions } from '../../extension/lib/proxy-client.ts';
import { adminUpnOf, setupFor } from '../helpers/onboarding.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { directoryOf } from '../proxy/mirror-helpers.ts';

let emulator: Emulator;
let proxy: TestProxy;
let token: string;

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 120, adminConsent: true });
  proxy = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
  expect(await proxy.proxy.scheduler.runNow(emulator.tenantId)).toMatchObject({ outcome: 'ok' });
  token = await idTokenFor(emulator, emulator.employeeUpn);
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

const clientWith = (options: Partial<ProxyClientOptions> = {}): ProxyClient => createProxyClient({ baseUrl: proxy.url, getToken: async () => token, ...options });

/** Runs `call` and returns the ProxyError it rejects with (fails if it resolves or throws something else). */
async function proxyError(call: () => Promise<unknown>): Promise<ProxyError> {
  const error = await call().then(
    () => new Error('expected a ProxyError, but the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProxyError);
  return error as ProxyError;
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('successful calls', () => {
  it('changes: pages validated contacts with a cursor', async () => {
    const client = clientWith();
    const page = await client.changes('0', { limit: 50 });
    if ('resync' in page) throw new Error('unexpected resync');
    expect(page.upserts).toHaveLength(50);
    expect(page.more).toBe(true);
    // Mid first download the cursor carries where the download began: `<seq>.<start>`.
    expect(page.cursor).toMatch(/^\d+\.\d+$/);
    expect(page.deletions).toEqual([]);
  });

  it('me: the signed-in colleague, their contact and tenant status', async () => {
    const me = await clientWith().me();
    const employee = directoryOf(emulator).getByUpn(emulator.employeeUpn)!;
    expect(me).toMatchObject({ tenantId: emulator.tenantId, oid: employee.id, isAdmin: false, contact: { id: employee.id, displayName: employee.displayName }, tenant: { state: 'active', adminUpn: null } });
  });

  it('status: no sign-in needed', async () => {
    const getToken = vi.fn(async () => null);
    const status = await clientWith({ getToken }).status(emulator.tenantId);
    expect(status).toMatchObject({ tenantId: emulator.tenantId, state: 'active', usersMirrored: expect.any(Number) });
    expect(getToken).not.toHaveBeenCalled();
  });

  it('photo: bytes with an ETag, 304 for the same ETag, missing for a colleague without one', async () => {
    const client = clientWith();
    const employee = directoryOf(emulator).getByUpn(emulator.employeeUpn)!;
    const photo = await client.photo(employee.id, { size: '48x48' });
    if (photo.status !== 'ok') throw new Error(`expected a photo, got ${photo.status}`);
    expect(photo.contentType).toMatch(/^image\//);
    expect(photo.bytes.byteLength).toBeGreaterThan(0);
    expect(photo.etag).toBeTruthy();
    expect(await client.photo(employee.id, { size: '48x48', etag: photo.etag })).toEqual({ status: 'not_modified' });
    const without = [...directoryOf(emulator).iterate()].map((e) => e.user).find((u) => !u.hasPhoto && u.userType === 'Member' && u.accountEnabled)!;
    expect(await client.photo(without.id)).toEqual({ status: 'missing' });
  });

  it('syncNow: started for a Global Administrator, forbidden for an employee', async () => {
    const admin = await idTokenFor(emulator, emulator.adminUpn);
    expect(await clientWith({ getToken: async () => admin }).syncNow(emulator.tenantId)).toEqual({ started: true });
    const error = await proxyError(() => clientWith().syncNow(emulator.tenantId));
    expect(error).toMatchObject({ code: 'forbidden', status: 403, proxyCode: 'forbidden' });
    expect(error.message).toMatch(/Global Administrator/);
  });
});

describe('not_signed_in', () => {
  it('no token: fails before any request', async () => {
    const fetch = vi.fn(globalThis.fetch);
    const error = await proxyError(() => clientWith({ getToken: async () => null, fetch }).changes('0'));
    expect(error.code).toBe('not_signed_in');
    expect(error.message).toMatch(/sign in/i);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('the token source throws', async () => {
    const error = await proxyError(() => clientWith({ getToken: () => Promise.reject(new Error('no account')) }).me());
    expect(error.code).toBe('not_signed_in');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('a refused token: asks once for a fresh one, then gives up with the proxy code', async () => {
    const getToken = vi.fn(async (_options: { forceRefresh: boolean }) => 'not.a-real.token');
    const error = await proxyError(() => clientWith({ getToken }).changes('0'));
    expect(error).toMatchObject({ code: 'not_signed_in', status: 401, proxyCode: 'invalid_token' });
    expect(getToken.mock.calls.map(([options]) => options)).toEqual([{ forceRefresh: false }, { forceRefresh: true }]);
  });

  it('a refused token followed by a good fresh one succeeds', async () => {
    const getToken = vi.fn(async ({ forceRefresh }: { forceRefresh: boolean }) => (forceRefresh ? token : 'stale.token.value'));
    expect((await clientWith({ getToken }).me()).tenantId).toBe(emulator.tenantId);
    expect(getToken).toHaveBeenCalledTimes(2);
  });
});

describe('tenant_not_set_up and consent_missing', () => {
  it("a genuine token of another tenant, which nobody set up here → tenant_not_set_up", async () => {
    const other = await idTokenFor(emulator, adminUpnOf(emulator, 1), 1);
    const error = await proxyError(() => clientWith({ getToken: async () => other }).changes('0'));
    expect(error).toMatchObject({ code: 'tenant_not_set_up', status: 403, proxyCode: 'unknown_tenant' });
    expect(error.message).toMatch(/administrator/);
  });

  it('status of a tenant the proxy does not know → tenant_not_set_up', async () => {
    const error = await proxyError(() => clientWith().status(emulator.tenants[1]!.tenantId));
    expect(error).toMatchObject({ code: 'tenant_not_set_up', status: 404, proxyCode: 'tenant_not_found' });
  });

  it('setup refused with the proxy\'s explanation → request_refused', async () => {
    const error = await proxyError(() => clientWith().setup({ ...setupFor(emulator, 1), cloud: 'custom', graphAuth: 'delegated', clientId: 'not-a-guid' }));
    expect(error).toMatchObject({ code: 'request_refused', status: 400, proxyCode: 'invalid_request' });
    expect(error.message).toMatch(/client\) ID/);
  });

  it('setup started but no admin consent yet → consent_missing for that tenant\'s colleagues', async () => {
    const started = await clientWith().setup({ ...setupFor(emulator, 1), cloud: 'custom', graphAuth: 'delegated' });
    expect(started.tenantId).toBe(emulator.tenants[1]!.tenantId);
    expect(new URL(started.authorizeUrl).origin).toBe(new URL(emulator.url).origin);
    const other = await idTokenFor(emulator, adminUpnOf(emulator, 1), 1);
    const error = await proxyError(() => clientWith({ getToken: async () => other }).me());
    expect(error).toMatchObject({ code: 'consent_missing', status: 403, proxyCode: 'unknown_tenant' });
    expect(error.message).toMatch(/consent/);
  });
});

describe('proxy_unreachable', () => {
  it('the proxy was stopped', async () => {
    const stopped = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
    const url = stopped.url;
    await stopped.close();
    const error = await proxyError(() => createProxyClient({ baseUrl: url, getToken: async () => token }).changes('0'));
    expect(error.code).toBe('proxy_unreachable');
    expect(error.message).toMatch(/proxy URL/);
    expect(error.message).toContain(url);
  });

  it('no answer within the timeout', async () => {
    const hang: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const error = await proxyError(() => clientWith({ fetch: hang, timeoutMs: 50 }).changes('0'));
    expect(error.code).toBe('proxy_unreachable');
    expect(error.message).toMatch(/did not answer within/);
  });

  it.each([500, 502, 503])('HTTP %i', async (status) => {
    const error = await proxyError(() => clientWith({ fetch: async () => json({ error: { code: 'internal', message: 'database down' } }, status) }).me());
    expect(error).toMatchObject({ code: 'proxy_unreachable', status });
    expect(error.message).toContain('database down');
  });

  it('a proxy URL that is not a URL is refused when the client is made', () => {
    expect(() => createProxyClient({ baseUrl: 'peoplebook', getToken: async () => token })).toThrow(expect.objectContaining({ code: 'proxy_unreachable' }));
    expect(() => createProxyClient({ baseUrl: 'ftp://proxy.example', getToken: async () => token })).toThrow(/https:\/\//);
  });
});

describe('rate_limited', () => {
  it('a real 429 from a proxy with a low limit carries Retry-After', async () => {
    const limited = await startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_RATE_LIMIT: '2' }, { tickMs: 3_600_000 });
    try {
      const client = createProxyClient({ baseUrl: limited.url, getToken: async () => token });
      await client.me();
      await client.me();
      const error = await proxyError(() => client.me());
      expect(error).toMatchObject({ code: 'rate_limited', status: 429, proxyCode: 'rate_limited' });
      expect(error.retryAfter).toBeGreaterThan(0);
      expect(error.message).toMatch(/try again in \d+ s/);
    } finally {
      await limited.close();
    }
  });

  it('Retry-After as an HTTP date', async () => {
    const date = new Date(Date.now() + 120_000).toUTCString();
    const error = await proxyError(() => clientWith({ fetch: async () => json({ error: { code: 'rate_limited', message: 'slow down' } }, 429, { 'retry-after': date }) }).me());
    expect(error.retryAfter).toBeGreaterThanOrEqual(110);
    expect(error.retryAfter).toBeLessThanOrEqual(121);
  });
});

describe('bad_response: nothing from the network is trusted', () => {
  it('a server that is not a Peoplebook proxy (the emulator\'s identity host)', async () => {
    const error = await proxyError(() => createProxyClient({ baseUrl: emulator.url, getToken: async () => token }).changes('0'));
    expect(error.code).toBe('bad_response');
    expect(error.message).toMatch(/did not answer like a Peoplebook proxy/);
  });

  it.each<[string, () => Response]>([
    ['invalid JSON', () => new Response('{"cursor": "1", "more": fal', { status: 200 })],
    ['an HTML page', () => new Response('<html><body>Captive portal</body></html>', { status: 200, headers: { 'content-type': 'text/html' } })],
    ['a contact without an id', () => json({ cursor: '5', more: false, upserts: [{ displayName: 'X' }], deletions: [] })],
    ['a contact with a number as name', () => json({ cursor: '5', more: false, upserts: [{ id: 'a', displayName: 5 }], deletions: [] })],
    ['a cursor that is not a number', () => json({ cursor: 'drop table', more: false, upserts: [], deletions: [] })],
    ['resync: "yes"', () => json({ resync: 'yes' })],
    ['a 404 without a Peoplebook error body', () => new Response('Not Found', { status: 404 })],
    ['an unexpected 204', () => new Response(null, { status: 204 })],
  ])('%s', async (_name, response) => {
    const error = await proxyError(() => clientWith({ fetch: async () => response() }).changes('0'));
    expect(error.code).toBe('bad_response');
  });

  it('a photo that is not an image', async () => {
    const fetch = async () => new Response('<script>alert(1)</script>', { status: 200, headers: { 'content-type': 'text/html' } });
    const error = await proxyError(() => clientWith({ fetch }).photo('00000000-0000-0000-0000-000000000001'));
    expect(error.code).toBe('bad_response');
    const svg = async () => new Response('<svg/>', { status: 200, headers: { 'content-type': 'image/svg+xml' } });
    expect((await proxyError(() => clientWith({ fetch: svg }).photo('00000000-0000-0000-0000-000000000001'))).code).toBe('bad_response');
  });
});

describe('caller control', () => {
  it("an abort by the caller rejects with the caller's reason, not a ProxyError", async () => {
    const controller = new AbortController();
    const hang: typeof fetch = (_input, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason)));
    const pending = clientWith({ fetch: hang }).changes('0', { signal: controller.signal });
    controller.abort(new DOMException('popup closed', 'AbortError'));
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'popup closed' });
  });

  it('a cursor that is not a number is a programming error', async () => {
    await expect(clientWith().changes('abc')).rejects.toThrow(TypeError);
  });

  it('sends the token as a Bearer header, no cookies, to the base URL with its path prefix', async () => {
    const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => json({ cursor: '0', more: false, upserts: [], deletions: [] }));
    await createProxyClient({ baseUrl: 'https://proxy.example/peoplebook/', getToken: async () => 'tok', fetch }).changes('7', { limit: 10 });
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('https://proxy.example/peoplebook/api/v1/directory/changes?since=7&limit=10');
    expect(init).toMatchObject({ method: 'GET', credentials: 'omit', headers: { authorization: 'Bearer tok' } });
  });
});

describe('tenantOfToken', () => {
  const jwt = (payload: unknown) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  it.each([
    ['a tid claim', jwt({ tid: '72F988BF-86F1-41AF-91AB-2D7CD011DB47' }), '72f988bf-86f1-41af-91ab-2d7cd011db47'],
    ['no tid', jwt({ oid: 'x' }), null],
    ['a tid that is not a GUID', jwt({ tid: '../../etc' }), null],
    ['not a JWT', 'garbage', null],
    ['null', null, null],
  ])('%s', (_name, input, expected) => {
    expect(tenantOfToken(input)).toBe(expected);
  });
});
