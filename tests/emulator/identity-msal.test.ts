import { ConfidentialClientApplication, CryptoProvider, type AuthenticationResult, type Configuration } from '@azure/msal-node';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { GRAPH_RESOURCE } from '../../emulator/src/tenants.ts';
import { DEFAULT_WEB_REDIRECT_URIS } from '../../emulator/src/seed.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { responseParams, signInThroughPages } from '../helpers/sign-in.ts';

/**
 * Conformance: the real @azure/msal-node runs the documented flows against the emulator over HTTPS.
 *
 * How msal-node is pointed at the emulator (msal-common Authority.ts):
 * - `authority: <emulator url>/<tenant>`: MSAL refuses non-https authorities, hence the emulator's TLS
 *   (trusted through NODE_EXTRA_CA_CERTS, set by tests/global-setup.ts before the workers start).
 * - `knownAuthorities: ['localhost:<port>']`: the host *with its port* (MSAL compares the authority's
 *   host-and-port, lower-cased). Without it MSAL asks https://login.microsoftonline.com/common/discovery/instance
 *   about the host, i.e. goes to the internet. With it, MSAL builds the cloud metadata from the host and
 *   only fetches `<authority>/v2.0/.well-known/openid-configuration` from the emulator.
 * - Alternatively `cloudDiscoveryMetadata` (the JSON of the emulator's `/common/discovery/instance`) and
 *   `authorityMetadata` (the JSON of its openid-configuration) skip both network calls.
 * - The issuer the discovery document returns must have the authority's scheme, host and port (MSAL's
 *   validateIssuer, rule 1); the emulator's `https://localhost:<port>/<tid>/v2.0` does.
 */

const REDIRECT_URI = DEFAULT_WEB_REDIRECT_URIS[0]!;
const GRAPH_USER_READ_ALL = `${GRAPH_RESOURCE}/User.Read.All`;

let emulator: Emulator;
let primary: Emulator['tenants'][number];

function msalConfig(tenant: { tenantId: string; clientId: string; clientSecret: string }, authority = tenant.tenantId): Configuration {
  return {
    auth: {
      clientId: tenant.clientId,
      clientSecret: tenant.clientSecret,
      authority: `${emulator.url}/${authority}`,
      knownAuthorities: [new URL(emulator.url).host],
    },
  };
}

async function signInWithMsal(
  cca: ConfidentialClientApplication,
  input: { username: string; scopes: string[]; tokenScopes?: string[]; consentForOrganization?: boolean },
): Promise<AuthenticationResult> {
  const pkce = await new CryptoProvider().generatePkceCodes();
  const state = `state-${Math.random()}`;
  const nonce = `nonce-${Math.random()}`;
  const url = await cca.getAuthCodeUrl({ scopes: input.scopes, redirectUri: REDIRECT_URI, codeChallenge: pkce.challenge, codeChallengeMethod: 'S256', state, nonce });
  const final = await signInThroughPages(url, { username: input.username, password: emulator.password, consentForOrganization: input.consentForOrganization });
  const params = responseParams(final);
  expect(params.get('error_description')).toBeNull();
  const code = params.get('code')!;
  return cca.acquireTokenByCode(
    { code, scopes: input.tokenScopes ?? input.scopes, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, state, nonce },
    { code, state: params.get('state') ?? undefined },
  );
}

beforeAll(async () => {
  emulator = await startTestEmulator();
  primary = emulator.tenants[0]!;
});
afterAll(() => emulator.close());

describe('msal-node against the emulator', () => {
  it('runs the auth code flow with PKCE: ID token claims, nonce, and the account from client_info', async () => {
    const cca = new ConfidentialClientApplication(msalConfig(primary));
    const result = await signInWithMsal(cca, { username: emulator.adminUpn, scopes: [GRAPH_USER_READ_ALL], consentForOrganization: true });
    const admin = emulator.state.registry.get(primary.tenantId)!.directory.getByUpn(emulator.adminUpn)!;

    expect(result.idTokenClaims).toMatchObject({
      iss: `${emulator.url}/${primary.tenantId}/v2.0`,
      aud: primary.clientId,
      tid: primary.tenantId,
      oid: admin.id,
      preferred_username: emulator.adminUpn,
      ver: '2.0',
    });
    expect((result.idTokenClaims as { nonce?: string }).nonce).toMatch(/^nonce-/);
    // MSAL builds `<uid>.<utid>` only from client_info; without it it falls back to `sub`.
    expect(result.account?.homeAccountId).toBe(`${admin.id}.${primary.tenantId}`);
    expect(result.account?.environment).toBe(new URL(emulator.url).host);
    expect(result.tenantId).toBe(primary.tenantId);

    const access = await emulator.state.tokens.verifyGraphToken(result.accessToken);
    expect(access.scp?.split(' ')).toEqual(expect.arrayContaining(['User.Read.All', 'openid', 'profile']));
    expect(access.oid).toBe(admin.id);
    expect(result.scopes).toContain('User.Read.All');
    // "Consent on behalf of your organization" was ticked: the grant is the tenant's.
    expect([...emulator.state.registry.consent(emulator.state.registry.get(primary.tenantId)!, primary.clientId).adminDelegated]).toContain('User.Read.All');
  });

  it('refreshes through the refresh token (acquireTokenSilent with forceRefresh) and by a domain authority', async () => {
    const cca = new ConfidentialClientApplication(msalConfig(primary, 'lakeside.example'));
    const first = await signInWithMsal(cca, { username: emulator.employeeUpn, scopes: ['User.Read'] });
    const refreshed = await cca.acquireTokenSilent({ account: first.account!, scopes: ['User.Read'], forceRefresh: true });
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.fromCache).toBe(false);
    expect(refreshed.account?.homeAccountId).toBe(first.account?.homeAccountId);
    const claims = decodeJwt(refreshed.accessToken);
    expect(claims.upn).toBe(emulator.employeeUpn);
    // Both tokens for the tenant, asked by domain: iss is still the tenant ID.
    expect(refreshed.idTokenClaims).toMatchObject({ iss: `${emulator.url}/${primary.tenantId}/v2.0` });

    const cache = JSON.parse(cca.getTokenCache().serialize()) as { RefreshToken: Record<string, { secret: string }> };
    const refreshToken = Object.values(cache.RefreshToken)[0]!.secret;
    const byToken = await cca.acquireTokenByRefreshToken({ refreshToken, scopes: ['User.Read'] });
    expect(byToken?.account?.username).toBe(emulator.employeeUpn);
  });

  it('gets an app-only Graph token with the admin-granted application permissions as roles', async () => {
    const tenant = emulator.state.registry.get(primary.tenantId)!;
    const cca = new ConfidentialClientApplication(msalConfig(primary));

    emulator.state.registry.consent(tenant, primary.clientId).adminApplication.clear();
    const ungranted = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH_RESOURCE}/.default`], skipCache: true });
    // No grant yet: Entra still issues a token, without roles, and Graph refuses it.
    expect(decodeJwt(ungranted!.accessToken).roles ?? []).toEqual([]);

    emulator.state.registry.consent(tenant, primary.clientId).adminApplication.add('User.Read.All');
    const granted = await cca.acquireTokenByClientCredential({ scopes: [`${GRAPH_RESOURCE}/.default`], skipCache: true });
    const claims = await emulator.state.tokens.verifyGraphToken(granted!.accessToken);
    expect(claims).toMatchObject({ idtyp: 'app', roles: ['User.Read.All'], appid: primary.clientId, tid: primary.tenantId });
    expect(claims.scp).toBeUndefined();
  });

  it('exchanges an access token for the app\'s API for a Graph token on behalf of the user', async () => {
    const cca = new ConfidentialClientApplication(msalConfig(primary));
    const apiScope = `api://${primary.clientId}/access_as_user`;
    // The user consents to both the API and Graph's User.Read in one prompt; the code is redeemed for the API.
    const signedIn = await signInWithMsal(cca, { username: emulator.employeeUpn, scopes: [apiScope, `${GRAPH_RESOURCE}/User.Read`], tokenScopes: [apiScope] });
    const apiToken = decodeJwt(signedIn.accessToken);
    expect(apiToken).toMatchObject({ aud: primary.clientId, scp: 'access_as_user', ver: '2.0', iss: `${emulator.url}/${primary.tenantId}/v2.0` });
    expect(signedIn.scopes).toContain(apiScope);

    const middleTier = new ConfidentialClientApplication(msalConfig(primary));
    const obo = await middleTier.acquireTokenOnBehalfOf({ oboAssertion: signedIn.accessToken, scopes: [`${GRAPH_RESOURCE}/User.Read`] });
    const graph = await emulator.state.tokens.verifyGraphToken(obo!.accessToken);
    expect(graph).toMatchObject({ upn: emulator.employeeUpn, appid: primary.clientId, idtyp: 'user', tid: primary.tenantId });
    expect(graph.scp?.split(' ')).toContain('User.Read');
  });

  it('surfaces AADSTS codes as msal ServerError.errorNo', async () => {
    const wrongSecret = new ConfidentialClientApplication(msalConfig({ ...primary, clientSecret: 'not-the-secret' }));
    await expect(wrongSecret.acquireTokenByClientCredential({ scopes: [`${GRAPH_RESOURCE}/.default`] })).rejects.toMatchObject({ errorCode: 'invalid_client', errorNo: 7000215 });
    const expired = new ConfidentialClientApplication(msalConfig({ ...primary, clientSecret: primary.expiredClientSecret }));
    await expect(expired.acquireTokenByClientCredential({ scopes: [`${GRAPH_RESOURCE}/.default`] })).rejects.toMatchObject({ errorNo: 7000222 });
  });

  it('discovers the endpoints through /common without the internet (instance metadata from knownAuthorities)', async () => {
    const response = await fetch(`${emulator.url}/common/v2.0/.well-known/openid-configuration`);
    const body = (await response.json()) as Record<string, string>;
    expect(body.issuer).toBe(`${emulator.url}/{tenantid}/v2.0`);
    expect(body.authorization_endpoint).toBe(`${emulator.url}/common/oauth2/v2.0/authorize`);
    // MSAL accepts /common with knownAuthorities; the single-tenant Peoplebook app can't use it (AADSTS50194).
    const cca = new ConfidentialClientApplication(msalConfig(primary, 'common'));
    const url = await cca.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri: REDIRECT_URI });
    expect(url.startsWith(`${emulator.url}/common/oauth2/v2.0/authorize?`)).toBe(true);
    await expect(signInThroughPages(url, { username: emulator.adminUpn, password: emulator.password })).rejects.toMatchObject({ code: 50194, step: 'error' });
  });
});
