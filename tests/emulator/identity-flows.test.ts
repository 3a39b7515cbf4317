import { ConfidentialClientApplication } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { GRAPH_RESOURCE } from '../../emulator/src/tenants.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { authorizeSilently, CookieJar, responseParams, signInThroughPages } from '../helpers/sign-in.ts';
import { WEB_REDIRECT, authorizeUrl, codeOf, ordinaryUsers, redeemCode, signInForCode, tokenRequest } from './identity-support.ts';

/** Discovery, sessions and prompt=none, response modes, consent (user, organization, admin endpoint), sign-out. */

let emulator: Emulator;
const tenantOf = () => emulator.state.registry.get(emulator.tenantId)!;
const consentRecord = () => emulator.state.registry.consent(tenantOf(), emulator.clientId);

async function page(url: URL, jar: CookieJar): Promise<{ status: number; html: string; location: string | null }> {
  const cookie = jar.header(url);
  const response = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  jar.store(url, response);
  return { status: response.status, html: await response.text(), location: response.headers.get('location') };
}

beforeAll(async () => {
  emulator = await startTestEmulator();
});
afterAll(() => emulator.close());

describe('discovery', () => {
  it('serves the tenant\'s OpenID configuration by tenant ID or verified domain, naming the tenant by ID', async () => {
    const byId = (await (await fetch(`${emulator.url}/${emulator.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const byDomain = (await (await fetch(`${emulator.url}/lakeside.example/v2.0/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(byDomain).toEqual(byId);
    expect(byId).toMatchObject({
      issuer: `${emulator.url}/${emulator.tenantId}/v2.0`,
      authorization_endpoint: `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`,
      token_endpoint: `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${emulator.url}/${emulator.tenantId}/discovery/v2.0/keys`,
      end_session_endpoint: `${emulator.url}/${emulator.tenantId}/oauth2/v2.0/logout`,
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
      response_modes_supported: ['query', 'fragment', 'form_post'],
      id_token_signing_alg_values_supported: ['RS256'],
    });

    const unknown = await fetch(`${emulator.url}/nowhere.example/v2.0/.well-known/openid-configuration`);
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_tenant', error_codes: [90002] });
  });

  it('publishes every signing key, old and new, after a rollover', async () => {
    const before = state().keys.current().kid;
    const after = await state().keys.rotate();
    const jwks = (await (await fetch(`${emulator.url}/${emulator.tenantId}/discovery/v2.0/keys`)).json()) as { keys: { kid: string; kty: string; use: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([before, after]));
    expect(jwks.keys.every((key) => key.kty === 'RSA' && key.use === 'sig')).toBe(true);
  });

  it('answers MSAL\'s instance discovery for its own host only', async () => {
    const host = new URL(emulator.url).host;
    const ok = await fetch(`${emulator.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`)}`);
    expect(await ok.json()).toEqual({
      tenant_discovery_endpoint: `${emulator.url}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    const foreign = await fetch(`${emulator.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent('https://login.example.com/x/oauth2/v2.0/authorize')}`);
    expect(await foreign.json()).toMatchObject({ error: 'invalid_instance', error_codes: [50049] });
  });

  it('also works with msal-node given the metadata instead of knownAuthorities (no discovery calls)', async () => {
    const authority = `${emulator.url}/${emulator.tenantId}`;
    const cloudDiscoveryMetadata = await (await fetch(`${emulator.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${authority}/oauth2/v2.0/authorize`)}`)).text();
    const authorityMetadata = await (await fetch(`${authority}/v2.0/.well-known/openid-configuration`)).text();
    const cca = new ConfidentialClientApplication({ auth: { clientId: emulator.clientId, clientSecret: emulator.clientSecret, authority, cloudDiscoveryMetadata, authorityMetadata } });
    const result = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH_RESOURCE}/.default`] });
    expect(decodeJwt(result!.accessToken)).toMatchObject({ tid: emulator.tenantId, appid: emulator.clientId });
  });

  it('explains an AADSTS code at /error?code=', async () => {
    const html = await (await fetch(`${emulator.url}/error?code=50011`)).text();
    expect(html).toContain('InvalidReplyTo');
    expect(html).toContain('Authentication');
  });
});

const state = () => emulator.state;

describe('sessions and prompt', () => {
  it('signs in again silently with the session cookie (prompt=none): no page, a code', async () => {
    const jar = new CookieJar();
    await signInForCode(emulator, { username: emulator.employeeUpn, jar });
    expect(jar.names(new URL(emulator.url))).toContain(`ESTSAUTH-${emulator.tenantId}`);
    const silent = await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'a'.repeat(43), state: 'silent' }), jar);
    const params = responseParams(silent);
    expect(params.get('code')).toBeTruthy();
    expect(params.get('state')).toBe('silent');
    expect(JSON.parse(Buffer.from(params.get('client_info')!, 'base64url').toString())).toEqual({ uid: expect.any(String), utid: emulator.tenantId });
  });

  it('answers prompt=none with consent_required (AADSTS65001) for a permission never granted, and login_required for another account', async () => {
    const jar = new CookieJar();
    await signInForCode(emulator, { username: emulator.employeeUpn, jar });
    const consent = responseParams(await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'a'.repeat(43), scope: 'openid Contacts.Read' }), jar));
    expect(consent.get('error')).toBe('consent_required');
    expect(consent.get('error_description')).toMatch(/^AADSTS65001: /);
    const other = ordinaryUsers(emulator, 2)[1]!.userPrincipalName;
    const hinted = responseParams(await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'a'.repeat(43), loginHint: other }), jar));
    expect(hinted.get('error')).toBe('login_required');
  });

  it('shows the sign-in page with seeded accounts, and prompt=login asks again despite a session', async () => {
    const jar = new CookieJar();
    const first = await page(authorizeUrl(emulator, { challenge: 'a'.repeat(43), loginHint: emulator.employeeUpn }), jar);
    expect(first.html).toContain('data-step="signin"');
    expect(first.html).toContain(emulator.adminUpn);
    expect(first.html).toContain('Global Administrator');
    expect(first.html).toContain(`value="${emulator.employeeUpn}"`);
    await signInForCode(emulator, { username: emulator.employeeUpn, jar });
    expect((await page(authorizeUrl(emulator, { challenge: 'a'.repeat(43), prompt: 'login' }), jar)).html).toContain('data-step="signin"');
    expect((await page(authorizeUrl(emulator, { challenge: 'a'.repeat(43) }), jar)).status).toBe(302);
  });

  it('prompt=consent shows the permissions prompt even when everything is granted', async () => {
    const jar = new CookieJar();
    await signInForCode(emulator, { username: emulator.employeeUpn, jar });
    const shown = await page(authorizeUrl(emulator, { challenge: 'a'.repeat(43), prompt: 'consent' }), jar);
    expect(shown.html).toContain('data-step="consent"');
    expect(shown.html).toContain('Sign you in and read your profile');
    expect(shown.html).not.toContain('consent_for_org');
  });

  it('signs out: the session ends and post_logout_redirect_uri is honoured when registered', async () => {
    const jar = new CookieJar();
    await signInForCode(emulator, { username: emulator.employeeUpn, jar });
    const logout = new URL(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/logout`);
    logout.searchParams.set('post_logout_redirect_uri', WEB_REDIRECT);
    logout.searchParams.set('client_id', emulator.clientId);
    const answer = await page(logout, jar);
    expect(answer.location).toBe(WEB_REDIRECT);
    expect(jar.names(new URL(emulator.url))).not.toContain(`ESTSAUTH-${emulator.tenantId}`);
    expect(codeOf(await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'a'.repeat(43) }), jar))).toBe(50058);
  });
});

describe('response modes and client authentication', () => {
  it('posts the response with response_mode=form_post', async () => {
    const signedIn = await signInForCode(emulator, { username: emulator.employeeUpn, responseMode: 'form_post' });
    expect((await redeemCode(emulator, signedIn)).status).toBe(200);
  });

  it('accepts client_secret_basic with form-urlencoded credentials (RFC 6749 §2.3.1)', async () => {
    const registration = state().registry.app(emulator.clientId)!;
    const secret = 'a+b/c=d~e f%';
    registration.secrets.push({ id: 'basic-test', value: secret, expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    const basic = Buffer.from(`${form(emulator.clientId)}:${form(secret)}`).toString('base64');
    const response = await tokenRequest(emulator, emulator.tenantId, { grant_type: 'client_credentials', scope: `${GRAPH_RESOURCE}/.default` }, { authorization: `Basic ${basic}` });
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('Bearer');
  });
});

describe('consent', () => {
  it('records a user\'s own consent, which does not reach colleagues', async () => {
    const [first, second] = ordinaryUsers(emulator, 3).slice(1);
    const token = await redeemCode(emulator, await signInForCode(emulator, { username: first!.userPrincipalName, scope: 'openid offline_access People.Read' }), { scope: 'openid offline_access People.Read' });
    expect(token.body.scope).toBe('People.Read openid');
    expect(consentRecord().users.get(first!.id)).toContain('People.Read');
    // The colleague is asked (declining proves the prompt appeared).
    const colleague = await signInThroughPages(authorizeUrl(emulator, { challenge: 'a'.repeat(43), scope: 'openid People.Read' }), {
      username: second!.userPrincipalName,
      password: emulator.password,
      consent: 'decline',
    });
    expect(codeOf(colleague)).toBe(65004);
    expect(responseParams(colleague).get('error')).toBe('access_denied');
  });

  it('lets an administrator consent for the organization, after which employees get the permission without a prompt', async () => {
    await signInForCode(emulator, { username: emulator.adminUpn, scope: `openid ${GRAPH_RESOURCE}/User.Read.All`, consentForOrganization: true });
    expect(consentRecord().adminDelegated).toContain('User.Read.All');
    const employee = ordinaryUsers(emulator, 5)[4]!;
    const jar = new CookieJar();
    // Signed in once (sign-in page), the employee's next request for User.Read.All is answered silently.
    await signInForCode(emulator, { username: employee.userPrincipalName, scope: 'openid', jar });
    const silent = await signInForCode(emulator, { username: employee.userPrincipalName, scope: `openid offline_access ${GRAPH_RESOURCE}/User.Read.All`, prompt: 'none', jar });
    const token = await redeemCode(emulator, silent, { scope: `openid offline_access ${GRAPH_RESOURCE}/User.Read.All` });
    expect(decodeJwt(token.body.access_token!).scp).toContain('User.Read.All');
  });

  it('grants application and delegated permissions through the v1 admin consent endpoint', async () => {
    consentRecord().adminApplication.clear();
    const url = new URL(`${emulator.url}/${emulator.tenantId}/adminconsent`);
    url.searchParams.set('client_id', emulator.clientId);
    url.searchParams.set('redirect_uri', WEB_REDIRECT);
    url.searchParams.set('state', 'connect');
    const employee = await signInThroughPages(url, { username: emulator.employeeUpn, password: emulator.password });
    expect(codeOf(employee)).toBe(90094);

    const final = await signInThroughPages(url, { username: emulator.adminUpn, password: emulator.password });
    expect(Object.fromEntries(final.searchParams)).toEqual({ admin_consent: 'True', tenant: emulator.tenantId, state: 'connect' });
    expect([...consentRecord().adminApplication]).toEqual(['User.Read.All']);
    expect(consentRecord().adminDelegated).toContain('User.Read');
  });

  it('answers the v2 admin consent endpoint with the granted scope, or admin_consent=True with an error on cancel', async () => {
    const url = new URL(`${emulator.url}/lakeside.example/v2.0/adminconsent`);
    url.searchParams.set('client_id', emulator.clientId);
    url.searchParams.set('redirect_uri', WEB_REDIRECT);
    url.searchParams.set('scope', `${GRAPH_RESOURCE}/.default`);
    url.searchParams.set('state', 'v2');
    const granted = await signInThroughPages(url, { username: emulator.adminUpn, password: emulator.password });
    expect(Object.fromEntries(granted.searchParams)).toEqual({ admin_consent: 'True', tenant: emulator.tenantId, scope: `${GRAPH_RESOURCE}/.default`, state: 'v2' });
    const cancelled = await signInThroughPages(url, { username: emulator.adminUpn, password: emulator.password, consent: 'decline' });
    expect(cancelled.searchParams.get('admin_consent')).toBe('True');
    expect(cancelled.searchParams.get('error')).toBe('consent_required');
    expect(codeOf(cancelled)).toBe(65004);
  });
});
