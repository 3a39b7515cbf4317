import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { GRAPH_RESOURCE } from '../../emulator/src/tenants.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { signInThroughPages, SignInPageError, authorizeSilently, CookieJar } from '../helpers/sign-in.ts';
import {
  SPA_ORIGIN,
  SPA_REDIRECT,
  authorizeUrl,
  codeOf,
  ordinaryUsers,
  redeemCode,
  refresh,
  signInForCode,
  tokenRequest,
  type TokenBody,
} from './identity-support.ts';

/**
 * Every failure an admin or the proxy can meet yields Entra's AADSTS code, in Entra's shape
 * (reference-error-codes). Each case returns what the client saw; the table says which code it must be.
 */

let emulator: Emulator;
let other: Emulator['tenants'][number];

const pageCode = async (promise: Promise<unknown>): Promise<number | undefined> => {
  try {
    const result = await promise;
    return result instanceof URL ? codeOf(result) : undefined;
  } catch (error) {
    if (error instanceof SignInPageError) return error.code;
    throw error;
  }
};

const clientCredentials = (tenant: string, form: Record<string, string | undefined> = {}) =>
  tokenRequest(emulator, tenant, { grant_type: 'client_credentials', client_id: emulator.clientId, client_secret: emulator.clientSecret, scope: `${GRAPH_RESOURCE}/.default`, ...form });

beforeAll(async () => {
  emulator = await startTestEmulator({ spaRedirectUris: [SPA_REDIRECT] });
  other = emulator.tenants[1]!;
});
afterAll(() => emulator.close());

describe('AADSTS codes', () => {
  const cases: [string, number, () => Promise<number | undefined>][] = [
    ['unknown tenant at the token endpoint', 90002, async () => codeOf(await clientCredentials('nowhere.example'))],
    ['unknown tenant at the sign-in page', 90002, () => pageCode(signInThroughPages(authorizeUrl(emulator, { tenant: 'nowhere.example' }), { username: emulator.adminUpn, password: emulator.password }))],
    ['unknown app', 700016, async () => codeOf(await clientCredentials(emulator.tenantId, { client_id: '11111111-2222-4333-8444-555555555555' }))],
    ['app registered in another tenant', 700016, async () => codeOf(await clientCredentials(other.tenantId))],
    ['unknown app at the sign-in page', 700016, () => pageCode(signInThroughPages(authorizeUrl(emulator, { clientId: other.clientId }), { username: emulator.adminUpn, password: emulator.password }))],
    ['wrong client secret', 7000215, async () => codeOf(await clientCredentials(emulator.tenantId, { client_secret: 'wrong' }))],
    ['expired client secret', 7000222, async () => codeOf(await clientCredentials(emulator.tenantId, { client_secret: emulator.tenants[0]!.expiredClientSecret }))],
    [
      'Web redirect code redeemed without a secret',
      7000218,
      async () => codeOf(await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }), { secret: null })),
    ],
    ['unregistered redirect URI (an error page, never a redirect)', 50011, () => pageCode(signInThroughPages(authorizeUrl(emulator, { redirectUri: 'https://evil.example/callback' }), { username: emulator.adminUpn, password: emulator.password }))],
    ['unknown user', 50034, () => pageCode(signInForCode(emulator, { username: 'nobody@lakeside.example' }))],
    ['user of another tenant', 50034, () => pageCode(signInForCode(emulator, { username: `admin@${other.domains[1]}` }))],
    ['wrong password', 50126, () => pageCode(signInForCode(emulator, { username: emulator.employeeUpn, password: 'not-it' }))],
    ['user declines consent', 65004, () => pageCode(signInThroughPages(authorizeUrl(emulator, { scope: 'openid Mail.Read', challenge: 'x'.repeat(43) }), { username: ordinaryUsers(emulator, 6)[5]!.userPrincipalName, password: emulator.password, consent: 'decline' }))],
    [
      'non-admin asks for an admin-only permission',
      90094,
      () => pageCode(signInThroughPages(authorizeUrl(emulator, { scope: `openid ${GRAPH_RESOURCE}/User.Read.All`, challenge: 'x'.repeat(43) }), { username: emulator.employeeUpn, password: emulator.password })),
    ],
    [
      'consent not granted (refresh for a permission never consented)',
      65001,
      async () => {
        const token = await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }));
        return codeOf(await refresh(emulator, token.body.refresh_token!, { scope: `${GRAPH_RESOURCE}/Mail.Read offline_access` }));
      },
    ],
    [
      'authorization code redeemed twice',
      54005,
      async () => {
        const signedIn = await signInForCode(emulator, { username: emulator.employeeUpn });
        expect((await redeemCode(emulator, signedIn)).status).toBe(200);
        return codeOf(await redeemCode(emulator, signedIn));
      },
    ],
    ['PKCE verifier that does not match the challenge', 501481, async () => codeOf(await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }), { verifier: 'y'.repeat(43) }))],
    [
      'redirect URI at redemption differs from the sign-in request',
      500112,
      async () => codeOf(await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }), { redirectUri: 'https://localhost:8787/api/azure/callback' })),
    ],
    ['SPA redirect without a PKCE challenge', 9002325, () => pageCode(signInThroughPages(authorizeUrl(emulator, { redirectUri: SPA_REDIRECT, challenge: null }), { username: emulator.employeeUpn, password: emulator.password }))],
    [
      'SPA code redeemed without an Origin header',
      9002327,
      async () => codeOf(await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn, redirectUri: SPA_REDIRECT }), { redirectUri: SPA_REDIRECT, secret: null })),
    ],
    [
      'Web code redeemed from a browser (Origin header)',
      9002326,
      async () => codeOf(await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }), { origin: SPA_ORIGIN })),
    ],
    ['silent sign-in without a session', 50058, async () => codeOf(await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'x'.repeat(43) }), new CookieJar()))],
    ['client credentials without /.default', 70011, async () => codeOf(await clientCredentials(emulator.tenantId, { scope: `${GRAPH_RESOURCE}/User.Read.All` }))],
    ['scopes of two resources in one token request', 700022, async () => codeOf(await clientCredentials(emulator.tenantId, { scope: `${GRAPH_RESOURCE}/.default api://${emulator.clientId}/.default` }))],
    ['client credentials through /common', 9001023, async () => codeOf(await tokenRequest(emulator, 'common', { grant_type: 'client_credentials', client_id: emulator.clientId, client_secret: emulator.clientSecret, scope: `${GRAPH_RESOURCE}/.default` }))],
    ['missing grant_type', 900144, async () => codeOf(await tokenRequest(emulator, emulator.tenantId, { client_id: emulator.clientId }))],
    ['unknown grant type', 70003, async () => codeOf(await tokenRequest(emulator, emulator.tenantId, { grant_type: 'password', client_id: emulator.clientId, client_secret: emulator.clientSecret }))],
    [
      'GET on the token endpoint',
      900561,
      async () => ((await (await fetch(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`)).json()) as TokenBody).error_codes?.[0],
    ],
  ];

  it.each(cases)('%s → AADSTS%i', async (_name, expected, run) => {
    expect(await run()).toBe(expected);
  });

  it('disabled accounts cannot sign in (AADSTS50057) and their refresh tokens stop working', async () => {
    const [user] = ordinaryUsers(emulator, 1);
    const token = await redeemCode(emulator, await signInForCode(emulator, { username: user!.userPrincipalName }));
    expect(token.status).toBe(200);
    await control(emulator, 'POST', `/tenants/${emulator.tenantId}/users/${user!.id}/disable`);
    expect(codeOf(await refresh(emulator, token.body.refresh_token!))).toBe(50057);
    await expect(signInForCode(emulator, { username: user!.userPrincipalName })).rejects.toMatchObject({ code: 50057, step: 'signin' });
    await control(emulator, 'PATCH', `/tenants/${emulator.tenantId}/users/${user!.id}`, { accountEnabled: true });
  });

  it('answers in Entra\'s error shape, with 401 for client authentication failures', async () => {
    const response = await clientCredentials(emulator.tenantId, { client_secret: 'wrong' });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215], error_uri: `${emulator.url}/error?code=7000215` });
    expect(response.body.error_description).toMatch(
      /^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s,
    );
    expect(response.body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(response.body.error_description).toContain(`Trace ID: ${response.body.trace_id}`);

    // MSAL's client-request-id comes back as the correlation ID.
    const correlation = '0b7e2f1a-3c4d-4e5f-8a9b-0c1d2e3f4a5b';
    const echoed = await tokenRequest(emulator, 'nowhere.example', { grant_type: 'client_credentials' }, { 'client-request-id': correlation });
    expect(echoed).toMatchObject({ status: 400, body: { error: 'invalid_request', error_codes: [90002], correlation_id: correlation } });

    // 65001 on the token endpoint carries suberror consent_required, which MSAL reads as interaction required.
    const token = await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }));
    const consent = await refresh(emulator, token.body.refresh_token!, { scope: `${GRAPH_RESOURCE}/Calendars.Read` });
    expect(consent.body).toMatchObject({ error: 'invalid_grant', suberror: 'consent_required', error_codes: [65001] });
  });

  it('error redirects carry error, error_description, error_uri and state', async () => {
    const url = await signInThroughPages(authorizeUrl(emulator, { scope: `openid ${GRAPH_RESOURCE}/User.Read.All`, challenge: 'x'.repeat(43), state: 'keep-me' }), {
      username: emulator.employeeUpn,
      password: emulator.password,
    });
    expect(url.origin + url.pathname).toBe('http://localhost:8787/api/azure/callback');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ error: 'access_denied', error_uri: `${emulator.url}/error?code=90094`, state: 'keep-me' });
    expect(url.searchParams.get('error_description')).toMatch(/^AADSTS90094: The grant requires admin permission\.\r\nTrace ID: /);
  });

  it('refuses a token of one tenant as an on-behalf-of assertion in another (AADSTS50013)', async () => {
    const state = emulator.state;
    const northfield = state.registry.get(other.tenantId)!;
    const outsider = [...northfield.directory.iterate()].find(({ user }) => user.accountEnabled)!.user;
    // A genuine Northfield token for Peoplebook's Northfield app, presented by Lakeside's Peoplebook.
    const foreignApp = await state.tokens.apiToken({ subject: { tenantId: other.tenantId, user: outsider }, clientId: other.clientId, audienceClientId: other.clientId, scopes: ['access_as_user'] });
    // A Northfield token naming Lakeside's app as audience: only the tenant check stops it.
    const foreignTenant = await state.tokens.apiToken({ subject: { tenantId: other.tenantId, user: outsider }, clientId: emulator.clientId, audienceClientId: emulator.clientId, scopes: ['access_as_user'] });
    for (const assertion of [foreignApp, foreignTenant]) {
      const response = await tokenRequest(emulator, emulator.tenantId, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        client_id: emulator.clientId,
        client_secret: emulator.clientSecret,
        assertion,
        scope: `${GRAPH_RESOURCE}/User.Read`,
      });
      expect(response.body).toMatchObject({ error: 'invalid_grant', error_codes: [50013] });
    }
    // An ID token has the app as audience but is no grant.
    const employee = state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
    const idToken = await state.tokens.idToken({ subject: { tenantId: emulator.tenantId, user: employee }, clientId: emulator.clientId, scopes: ['openid'], authTime: 0 });
    const response = await tokenRequest(emulator, emulator.tenantId, {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: emulator.clientId,
      client_secret: emulator.clientSecret,
      assertion: idToken,
      scope: `${GRAPH_RESOURCE}/User.Read`,
    });
    expect(response.body.error_codes).toEqual([240002]);
  });
});
