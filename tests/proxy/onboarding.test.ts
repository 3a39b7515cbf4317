import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import {
  adminUpnOf,
  expectedMirrorSize,
  onboard,
  openCallback,
  pageText,
  postSetup,
  setupFor,
  startSetup,
  synced,
  tenantStatus,
  waitForStatus,
  type SetupBody,
} from '../helpers/onboarding.ts';
import { loadConfig } from '../../proxy/src/config.ts';
import { createLogger } from '../../proxy/src/logger.ts';
import { startProxy } from '../../proxy/src/server.ts';
import { emulatorEnv, envTenant, freePort, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { SignInPageError, signInThroughPages, type SignInOptions } from '../helpers/sign-in.ts';

/**
 * Tenant onboarding ("Save and Authorize" → sign-in and consent → /api/azure/callback) against the tenant
 * emulator's real sign-in and consent pages, with the real msal-node inside the proxy.
 */

describe('onboarding end to end', () => {
  let emulator: Emulator;
  let proxy: TestProxy;

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 300 });
    proxy = await startTestProxy(emulator);
  });
  afterAll(async () => {
    await proxy?.close();
    await emulator?.close();
  });

  it('connects a tenant typed as its verified domain in delegated mode: the admin consents for the organization, the page says connected, and the first sync mirrors the directory', async () => {
    const started = await startSetup(proxy.url, { tenant: emulator.tenantDomain, clientId: emulator.clientId, clientSecret: emulator.clientSecret, graphAuth: 'delegated' });
    expect(started.tenantId).toBe(emulator.tenantId);
    expect(started.redirectUri).toBe(proxy.config.callbackUrl);
    const authorize = new URL(started.authorizeUrl);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('prompt')).toBe('consent');
    expect(authorize.searchParams.get('redirect_uri')).toBe(proxy.config.callbackUrl);
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{32,}$/);
    expect(authorize.searchParams.get('scope')?.split(' ')).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'https://graph.microsoft.com/User.Read', 'https://graph.microsoft.com/User.Read.All']));
    // The client secret never travels to the browser.
    expect(started.authorizeUrl).not.toContain(emulator.clientSecret);
    expect((await tenantStatus(proxy.url, started.tenantId)).state).toBe('pending');

    const redirect = await signInThroughPages(started.authorizeUrl, { username: emulator.adminUpn, password: emulator.password, consentForOrganization: true });
    expect(`${redirect.origin}${redirect.pathname}`).toBe(proxy.config.callbackUrl);
    expect(redirect.searchParams.get('code')).toBeTruthy();
    const callback = await openCallback(redirect);
    expect(callback.status).toBe(200);
    expect(callback.headers.get('content-type')).toMatch(/^text\/html/);
    const text = pageText(callback.html);
    expect(text).toContain('Peoplebook is connected');
    expect(text).toContain(emulator.adminUpn);
    expect(text).toContain('delegated permission');

    expect((await tenantStatus(proxy.url, started.tenantId)).state).toBe('active');
    const status = await waitForStatus(proxy.url, started.tenantId, synced);
    expect(status).toMatchObject({ state: 'active', graphAuth: 'delegated', lastError: null, missingPermissions: [] });
    expect(status.usersMirrored).toBe(expectedMirrorSize(emulator));
    expect(status.nextSync).not.toBeNull();
  });

  it('connects a tenant typed as its GUID in application mode through the v2 admin consent endpoint, then mirrors it', async () => {
    const second = emulator.tenants[1]!;
    const started = await startSetup(proxy.url, setupFor(emulator, 1, { graphAuth: 'application' }));
    const authorize = new URL(started.authorizeUrl);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/${second.tenantId}/v2.0/adminconsent`);
    expect(authorize.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(authorize.searchParams.get('client_id')).toBe(second.clientId);

    const redirect = await signInThroughPages(started.authorizeUrl, { username: adminUpnOf(emulator, 1), password: emulator.password });
    expect(redirect.searchParams.get('admin_consent')).toBe('True');
    const callback = await openCallback(redirect);
    expect(callback.status).toBe(200);
    expect(pageText(callback.html)).toContain('Peoplebook is connected');
    expect(pageText(callback.html)).toContain('application permission');

    const status = await waitForStatus(proxy.url, second.tenantId, synced);
    expect(status.graphAuth).toBe('application');
    expect(status.usersMirrored).toBe(expectedMirrorSize(emulator, 1));
    // The other tenant, connected earlier, is untouched.
    expect((await tenantStatus(proxy.url, emulator.tenantId)).state).toBe('active');
  });
});

describe('each misstep of the admin is rendered with its AADSTS code and the step that fixes it', () => {
  let emulator: Emulator;
  let proxy: TestProxy;

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 300 });
  });
  afterAll(async () => {
    await emulator?.close();
  });
  // A proxy per test (the setup route allows 10 attempts a minute per address), and no consent left over
  // from an earlier test: each misstep starts from an app nobody consented to yet.
  beforeEach(async () => {
    for (const tenant of emulator.tenants) await control(emulator, 'DELETE', `/tenants/${tenant.tenantId}/consent/${tenant.clientId}`);
    proxy = await startTestProxy(emulator);
  });
  afterEach(async () => {
    await proxy?.close();
  });

  interface CallbackCase {
    name: string;
    code: string;
    /** What the page must tell the admin to do. */
    fix: RegExp;
    setup?: (emulator: Emulator) => Partial<SetupBody> | Promise<Partial<SetupBody>>;
    sign?: (emulator: Emulator) => Partial<SignInOptions>;
    index?: number;
  }
  const callbackCases: CallbackCase[] = [
    { name: 'a wrong client secret', code: 'AADSTS7000215', setup: () => ({ clientSecret: 'not-the-secret~value-0123456789abcdefghij' }), fix: /Certificates & secrets > Client secrets > New client secret, then paste the Value/ },
    {
      name: "pasting the secret's ID instead of its Value",
      code: 'AADSTS7000215',
      setup: async (e) => ({ clientSecret: (await control<{ secrets: { id: string }[] }>(e, 'GET', `/apps/${e.clientId}`)).secrets[0]!.id }),
      fix: /New client secret, then paste the Value column \(not the Secret ID\)/,
    },
    { name: 'an expired client secret', code: 'AADSTS7000222', setup: (e) => ({ clientSecret: e.tenants[0]!.expiredClientSecret }), fix: /New client secret.*paste its Value in Peoplebook/ },
    {
      name: 'a wrong client secret in application mode',
      code: 'AADSTS7000215',
      index: 1,
      setup: () => ({ clientSecret: 'not-the-secret~value-0123456789abcdefghij', graphAuth: 'application' }),
      fix: /New client secret, then paste the Value/,
    },
    { name: 'declining the permissions prompt', code: 'AADSTS65004', sign: () => ({ consent: 'decline' }), fix: /Sign in again and select Accept/ },
    {
      name: 'an employee who is not an administrator signing in',
      code: 'AADSTS90094',
      sign: (e) => ({ username: e.employeeUpn, consentForOrganization: false }),
      fix: /Global Administrator signs in and ticks "Consent on behalf of your organization"/,
    },
  ];

  it.each(callbackCases)('$name: the callback page names $code and how to fix it; the status shows the same', async ({ code, fix, setup, sign, index = 0 }) => {
    const body = setupFor(emulator, index, await setup?.(emulator));
    const { started, callback } = await onboard(emulator, proxy.url, { index, setup: body, sign: sign?.(emulator) });
    expect(callback.status).toBe(400);
    const text = pageText(callback.html);
    expect(text).toContain('Peoplebook could not be connected');
    expect(text).toContain(code);
    expect(text).toMatch(fix);
    expect(text).toContain('Save and Authorize');
    // The page never shows the secret the admin typed.
    expect(callback.html).not.toContain(body.clientSecret);

    const status = await tenantStatus(proxy.url, started.tenantId);
    expect(status.state).toBe('error');
    expect(status.lastError?.code).toBe(code);
    expect(status.lastError?.fix).toMatch(fix);
  });

  it('an app registration without the User.Read.All application permission is refused in application mode with the step that adds it', async () => {
    await control(emulator, 'PATCH', `/apps/${emulator.clientId}`, { applicationPermissions: [] });
    try {
      const { started, callback } = await onboard(emulator, proxy.url, { setup: { graphAuth: 'application' } });
      expect(callback.status).toBe(400);
      const text = pageText(callback.html);
      expect(text).toContain('PERMISSION_MISSING');
      expect(text).toMatch(/Application permissions > User\.Read\.All, then Grant admin consent/);
      expect(await tenantStatus(proxy.url, started.tenantId)).toMatchObject({ state: 'error', lastError: { code: 'PERMISSION_MISSING' } });
    } finally {
      await control(emulator, 'PATCH', `/apps/${emulator.clientId}`, { applicationPermissions: ['User.Read.All'] });
    }
  });

  it('a redirect URI missing from the app registration stops at the sign-in service with AADSTS50011 naming the URI to add, and the proxy shows nothing broken', async () => {
    const app = await control<{ webRedirectUris: string[] }>(emulator, 'GET', `/apps/${emulator.clientId}`);
    await control(emulator, 'PATCH', `/apps/${emulator.clientId}`, { webRedirectUris: app.webRedirectUris.filter((uri) => uri !== proxy.config.callbackUrl) });
    try {
      const started = await startSetup(proxy.url, setupFor(emulator));
      const page = await fetch(started.authorizeUrl);
      expect(page.status).toBe(400);
      const text = pageText(await page.text());
      expect(text).toContain('AADSTS50011');
      expect(text).toContain(proxy.config.callbackUrl);
      await expect(signInThroughPages(started.authorizeUrl, { username: emulator.adminUpn, password: emulator.password })).rejects.toMatchObject({ code: 50011, step: 'error' });
      expect(await tenantStatus(proxy.url, started.tenantId)).toMatchObject({ state: 'pending', lastError: null, usersMirrored: 0 });
    } finally {
      await control(emulator, 'PATCH', `/apps/${emulator.clientId}`, { webRedirectUris: app.webRedirectUris });
    }
  });

  it('an unknown client ID stops at the sign-in service with AADSTS700016, and the proxy shows nothing broken', async () => {
    const started = await startSetup(proxy.url, setupFor(emulator, 0, { clientId: randomUUID() }));
    const error = await signInThroughPages(started.authorizeUrl, { username: emulator.adminUpn, password: emulator.password }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignInPageError);
    expect(error).toMatchObject({ code: 700016 });
    expect(await tenantStatus(proxy.url, started.tenantId)).toMatchObject({ state: 'pending', lastError: null });
  });

  it.each([
    { name: 'an unknown tenant domain', tenant: 'no-such-tenant.example', code: 'AADSTS90002', fix: /Directory \(tenant\) ID/ },
    { name: 'an unknown tenant GUID', tenant: '0f0f0f0f-1111-4222-8333-444444444444', code: 'AADSTS90002', fix: /Directory \(tenant\) ID/ },
    { name: 'a tenant that is not a domain or GUID', tenant: 'lakeside works', code: 'invalid_request', fix: /tenant/ },
  ])('setup with $name answers 400 with $code and a fix', async ({ tenant, code, fix }) => {
    const response = await postSetup(proxy.url, { ...setupFor(emulator), tenant });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(fix);
  });

  it('signing in with the administrator of another tenant never connects this one: the sign-in page does not know the account', async () => {
    const started = await startSetup(proxy.url, setupFor(emulator));
    const error = await signInThroughPages(started.authorizeUrl, { username: adminUpnOf(emulator, 1), password: emulator.password, consentForOrganization: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 50034, step: 'signin' });
    expect(await tenantStatus(proxy.url, emulator.tenantId)).toMatchObject({ state: 'pending', lastError: null });
  });

  it("a code from another tenant's sign-in, delivered with this tenant's state, is refused; both sign-ins' own callbacks still behave", async () => {
    const first = await startSetup(proxy.url, setupFor(emulator, 0));
    const second = await startSetup(proxy.url, setupFor(emulator, 1));
    const secondRedirect = await signInThroughPages(second.authorizeUrl, { username: adminUpnOf(emulator, 1), password: emulator.password, consentForOrganization: true });
    const forged = new URL(secondRedirect);
    forged.searchParams.set('state', new URL(first.authorizeUrl).searchParams.get('state')!);
    const refused = await openCallback(forged);
    expect(refused.status).toBe(400);
    expect(pageText(refused.html)).toMatch(/Peoplebook could not be connected.*AADSTS\d+/);
    expect((await tenantStatus(proxy.url, emulator.tenantId)).state).not.toBe('active');

    const genuine = await openCallback(secondRedirect);
    expect(genuine.status).toBe(200);
    expect((await tenantStatus(proxy.url, emulator.tenants[1]!.tenantId)).state).toBe('active');
  });

  it('a callback URL opened twice (reload, back button, replay) is refused the second time as expired or already used, and the tenant stays connected', async () => {
    const { started, callback } = await onboard(emulator, proxy.url);
    expect(callback.status).toBe(200);
    const replay = await openCallback(callback.url);
    expect(replay.status).toBe(400);
    expect(pageText(replay.html)).toContain('This sign-in link has expired or was already used');
    expect(pageText(replay.html)).toContain('Save and Authorize again');
    const status = await tenantStatus(proxy.url, started.tenantId);
    expect(status).toMatchObject({ state: 'active', lastError: null });
  });

  it('a callback without a state, or with a made-up one, is refused', async () => {
    for (const query of ['', '?code=abc', '?state=made-up&code=abc', '?error=access_denied&error_description=AADSTS65004']) {
      const page = await openCallback(`${proxy.config.callbackUrl}${query}`);
      expect(page.status, query).toBe(400);
      expect(pageText(page.html), query).toContain('expired or was already used');
    }
  });

  it("an active tenant's configuration survives failed later attempts and is replaced by a later successful consent", async () => {
    const first = await onboard(emulator, proxy.url);
    expect(first.callback.status).toBe(200);
    await waitForStatus(proxy.url, emulator.tenantId, synced);
    const before = (await proxy.proxy.store.getTenant(emulator.tenantId))!;

    // A wrong secret and a declined consent, each a complete failed attempt.
    const wrongSecret = await onboard(emulator, proxy.url, { setup: { clientSecret: 'not-the-secret~value-0123456789abcdefghij' } });
    expect(pageText(wrongSecret.callback.html)).toContain('AADSTS7000215');
    const declined = await onboard(emulator, proxy.url, { setup: { graphAuth: 'application' }, sign: { consent: 'decline' } });
    expect(pageText(declined.callback.html)).toContain('AADSTS65004');

    const after = (await proxy.proxy.store.getTenant(emulator.tenantId))!;
    expect(after).toMatchObject({ state: 'active', graphAuth: 'delegated', clientId: before.clientId, clientSecret: before.clientSecret, adminUpn: emulator.adminUpn, lastError: null });
    expect(await tenantStatus(proxy.url, emulator.tenantId)).toMatchObject({ state: 'active', lastError: null });
    const round = await proxy.proxy.scheduler.runNow(emulator.tenantId);
    expect(round.outcome).toBe('ok');

    // A successful consent (now in application mode) replaces it.
    const replaced = await onboard(emulator, proxy.url, { setup: { graphAuth: 'application' } });
    expect(replaced.callback.status).toBe(200);
    const current = (await proxy.proxy.store.getTenant(emulator.tenantId))!;
    expect(current).toMatchObject({ state: 'active', graphAuth: 'application', adminUpn: null });
    expect(current.clientSecret).not.toBe(before.clientSecret);
    const status = await waitForStatus(proxy.url, emulator.tenantId, (s) => synced(s) && s.graphAuth === 'application' && s.lastSync.start !== null && Date.parse(s.lastSync.start) >= Date.parse(current.updatedAt.toISOString()));
    expect(status.usersMirrored).toBe(expectedMirrorSize(emulator));
  });
});

describe('a tenant configured from the environment', () => {
  it('in application mode without admin consent, shows in its status that Graph refused and the permission step that fixes it', async () => {
    const emulator = await startTestEmulator({ users: 50 });
    const proxy = await startTestProxy(emulator, envTenant(emulator));
    try {
      const status = await waitForStatus(proxy.url, emulator.tenantId, (s) => s.lastSync.outcome === 'error');
      expect(status.state).toBe('active');
      expect(status.lastError).toMatchObject({ code: 'GRAPH_FORBIDDEN' });
      expect(status.lastError?.fix).toMatch(/User\.Read\.All.*Grant admin consent/);

      // The admin grants consent in the portal: the next round succeeds and clears the error.
      await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
      const healed = await waitForStatus(proxy.url, emulator.tenantId, synced);
      expect(healed.lastError).toBeNull();
      expect(healed.usersMirrored).toBe(expectedMirrorSize(emulator));
    } finally {
      await proxy.close();
      await emulator.close();
    }
  });

  it('shows a client secret that expired after the tenant was connected as AADSTS7000222 with "create a new one and paste it", and its expiry', async () => {
    const emulator = await startTestEmulator({ users: 50 });
    await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
    const proxy = await startTestProxy(emulator, envTenant(emulator));
    try {
      await waitForStatus(proxy.url, emulator.tenantId, synced);
      // A year and a day later the secret (valid 365 days) has expired, and so has the cached Graph token.
      await control(emulator, 'POST', '/clock/advance', { seconds: 366 * 86_400 });
      const scheduler = proxy.proxy.scheduler;
      const first = await scheduler.runNow(emulator.tenantId);
      expect(first.outcome).toBe('error');
      // The next round asks the sign-in service for a new token instead of reusing the refused one.
      await scheduler.runNow(emulator.tenantId).catch(() => undefined);
      const status = await waitForStatus(proxy.url, emulator.tenantId, (s) => s.lastError?.code === 'AADSTS7000222', 2_000);
      expect(status.state).toBe('error');
      expect(status.lastError?.fix).toMatch(/New client secret.*paste its Value/);
      expect(status.secretExpiresAt).not.toBeNull();
    } finally {
      await proxy.close();
      await emulator.close();
    }
  });

  it('stays active while the sign-in service is unreachable, and syncs as soon as it is back', async () => {
    let emulator = await startTestEmulator({ users: 50 });
    const port = Number(new URL(emulator.url).port);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-outage-'));
    await emulator.close();
    const config = loadConfig({ ...emulatorEnv(emulator, dir, await freePort()), ...envTenant(emulator) });
    const running = await startProxy(config, { log: createLogger('silent'), tickMs: 100, backoffMs: 20, retryMs: 200 });
    try {
      const down = await waitForStatus(running.url, emulator.tenantId, (s) => s.lastSync.outcome === 'error');
      // A network failure is no reason to ask the admin to reconnect: the tenant stays active.
      expect(down.state).toBe('active');
      expect(down.lastError?.code).toBe('GRAPH_UNREACHABLE');
      expect(down.lastError?.message).toContain('sign-in service');
      expect(down.lastError?.fix).toMatch(/reach .*the sign-in service/);

      emulator = await startTestEmulator({ users: 50, port });
      await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
      const status = await waitForStatus(running.url, emulator.tenantId, synced);
      expect(status).toMatchObject({ state: 'active', lastError: null, usersMirrored: expectedMirrorSize(emulator) });
    } finally {
      await running.close();
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
