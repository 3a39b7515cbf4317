import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { DirectoryUser } from '../directory/types.ts';
import type { EmulatorState } from '../state.ts';
import { GRAPH_RESOURCE, type AppRegistration, type Tenant } from '../tenants.ts';
import { ACCESS_TOKEN_LIFETIME_S, TokenError } from '../tokens.ts';
import { clientInfo, issueSecond, isRevoked, resolveTenantSegment, traceOf, type TenantTarget } from './context.ts';
import { grantedFor, missingGrants } from './consent.ts';
import { AadstsError, aadsts, tokenErrorBody, type AadstsDetails } from './errors.ts';
import { CODE_LIFETIME_MS, type RefreshTokenRecord } from './runtime.ts';
import { delegatedKeys, isGraphKey, parseScopes, resourcesOf, type RequestedScope } from './scopes.ts';

/**
 * `POST /{tenant}/oauth2/v2.0/token`: the authorization code, refresh token, client credentials and
 * on-behalf-of grants.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow ("Redeem a code", "Refresh the access token")
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow
 * https://learn.microsoft.com/entra/identity-platform/refresh-tokens
 */

const DAY_MS = 86_400_000;
/** "The default lifetime for the refresh tokens is 24 hours for single page apps and 90 days for all other scenarios." */
export const SPA_REFRESH_LIFETIME_MS = DAY_MS;
export const REFRESH_INACTIVITY_MS = 90 * DAY_MS;
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** The order Entra lists OpenID Connect scopes in a token response's `scope` ("User.Read profile openid email"). */
const ECHOED_OIDC = ['profile', 'openid', 'email'];

interface Caller {
  tenantTarget: TenantTarget;
  client: AppRegistration;
  /** A valid, unexpired secret was presented. */
  authenticated: boolean;
  /** The browser's Origin header: present on cross-origin (SPA) requests. */
  origin?: string;
  clientInfo: boolean;
}

type Form = Record<string, string>;

const dateOf = (ms: number): string => new Date(ms).toISOString();

export function tokenRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  const { registry, identity, clock, tokens } = state;

  const details = (client: AppRegistration, tenant?: Tenant, extra: AadstsDetails = {}): AadstsDetails => ({
    clientId: client.clientId,
    appName: client.displayName,
    tenant: tenant?.config.id,
    tenantName: tenant?.config.displayName,
    ...extra,
  });

  /** RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64, so decode both halves. */
  const basicCredentials = (header: string | undefined): { id: string; secret: string } | undefined => {
    const encoded = /^Basic\s+(.+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) throw aadsts(90023, { reason: 'The Authorization header is not valid Basic credentials.' });
    const formDecode = (value: string) => {
      try {
        return decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        throw aadsts(90023, { reason: 'The Basic credentials are not form-urlencoded.' });
      }
    };
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  };

  /** Identifies the app and checks its secret if one was sent (client_secret_post or client_secret_basic). */
  const identify = (c: Context, form: Form, where: TenantTarget): Caller => {
    const basic = basicCredentials(c.req.header('authorization'));
    const clientId = (form.client_id ?? basic?.id)?.trim().toLowerCase();
    if (!clientId) throw aadsts(900144, { parameter: 'client_id' });
    if (basic && form.client_id && form.client_id.toLowerCase() !== basic.id.toLowerCase()) throw aadsts(90023, { reason: 'client_id differs from the Basic credentials.' });
    if (form.client_assertion) throw aadsts(90023, { reason: 'The emulator accepts client secrets only, not client assertions.' });
    const tenant = where.kind === 'tenant' ? where.tenant : undefined;
    const client = registry.app(clientId);
    if (!client || (tenant && !registry.appVisibleIn(client, tenant.config.id))) {
      throw aadsts(700016, { clientId, tenant: tenant?.config.id ?? where.segment, tenantName: tenant?.config.displayName });
    }
    if (!tenant && client.signInAudience === 'AzureADMyOrg') throw aadsts(50194, details(client));
    const secret = basic?.secret ?? form.client_secret;
    if (secret !== undefined) {
      const match = client.secrets.find((candidate) => candidate.value === secret);
      if (!match) {
        const sentId = client.secrets.some((candidate) => candidate.id === secret);
        throw aadsts(7000215, details(client, tenant, sentId ? { reason: 'The value sent is the Secret ID, not the secret Value.' } : {}));
      }
      if (Date.parse(match.expiresAt) <= clock.now()) throw aadsts(7000222, details(client, tenant, { expiredAt: match.expiresAt }));
    }
    return { tenantTarget: where, client, authenticated: secret !== undefined, origin: c.req.header('origin'), clientInfo: form.client_info === '1' };
  };

  /**
   * Client authentication by redirect URI type (v2-oauth2-auth-code-flow, "Redirect URIs for single-page
   * apps"): an SPA redemption must be cross-origin (Origin header) and carry no secret; everything else is
   * a confidential client that must send its secret and must not come from a browser.
   */
  const authenticate = (caller: Caller, kind: 'spa' | 'confidential', extra: AadstsDetails = {}) => {
    const info = details(caller.client, undefined, { ...extra, origin: caller.origin });
    if (kind === 'spa') {
      if (!caller.origin) throw aadsts(9002327, info);
      if (caller.authenticated) throw aadsts(700025, info);
      return;
    }
    if (caller.origin) throw aadsts(9002326, info);
    if (!caller.authenticated) throw aadsts(7000218, info);
  };

  const tenantOf = (where: TenantTarget, tenantId: string): Tenant => {
    const tenant = registry.get(tenantId);
    if (!tenant || (where.kind === 'tenant' && where.tenant.config.id !== tenantId)) throw aadsts(9002313, { reason: 'The grant was issued by another tenant.' });
    return tenant;
  };

  const activeUser = (tenant: Tenant, userId: string): DirectoryUser => {
    const user = tenant.directory.getById(userId);
    if (!user) throw aadsts(50034, { tenant: tenant.config.id, tenantName: tenant.config.displayName });
    if (!user.accountEnabled) throw aadsts(50057, { user: user.userPrincipalName });
    return user;
  };

  const scopesOf = (value: string | undefined, fallback: string[]): RequestedScope[] => parseScopes(value?.trim() ? value : fallback.join(' '), registry);

  /** Without a scope parameter, a grant covering several resources yields a token for the first one. */
  const firstResourceOnly = (scopes: RequestedScope[]): RequestedScope[] => {
    const first = resourcesOf(scopes)[0];
    return scopes.filter((scope) => scope.kind === 'oidc' || scope.resource === first);
  };

  const newRefreshToken = (input: Omit<RefreshTokenRecord, 'token' | 'issuedAt' | 'issuedAtSeconds'>): RefreshTokenRecord => {
    const record: RefreshTokenRecord = {
      ...input,
      token: identity.newHandle('1.A'),
      issuedAt: clock.now(),
      issuedAtSeconds: issueSecond(state, input.tenantId, input.userId),
    };
    identity.refreshTokens.set(record.token, record);
    return record;
  };

  /** Tokens for a signed-in user: access token for one resource, plus ID and refresh tokens as the scopes ask. */
  const issueUserTokens = async (input: {
    caller: Caller;
    tenant: Tenant;
    user: DirectoryUser;
    scopes: RequestedScope[];
    authTime: number;
    nonce?: string;
    spa: boolean;
    /** Fixed expiry of the SPA refresh token this grant came from. */
    spaExpiresAt?: number;
  }) => {
    const { caller, tenant, user, scopes } = input;
    const client = caller.client;
    const resources = resourcesOf(scopes);
    // "The scopes must all be from a single resource, along with OIDC scopes."
    if (resources.length > 1) throw aadsts(700022, { scope: scopes.map((scope) => scope.raw).join(' ') });
    const granted = grantedFor(registry, tenant, client.clientId, user.id);
    const missing = missingGrants(delegatedKeys(scopes, client, registry), granted);
    if (missing.length) {
      // On the token endpoint 65001 is invalid_grant with suberror consent_required, which MSAL turns into
      // an InteractionRequiredAuthError.
      throw aadsts(65001, details(client, tenant, { scope: missing.join(' ') }), { suberror: 'consent_required' });
    }
    const oidc = scopes.filter((scope) => scope.kind === 'oidc').map((scope) => scope.permission);
    const echoedOidc = ECHOED_OIDC.filter((name) => oidc.includes(name));
    const subject = { tenantId: tenant.config.id, user };
    const resource = resources[0] ?? GRAPH_RESOURCE;
    let accessToken: string;
    let scope: string;
    if (resource === GRAPH_RESOURCE) {
      // The token carries every Graph permission granted to the app for this user, whoever granted it;
      // Graph's scopes are echoed by name ("User.Read profile openid email", device code flow page).
      const graph = [...granted].filter(isGraphKey);
      accessToken = await tokens.graphToken({ subject, clientId: client.clientId, scopes: [...graph, ...echoedOidc] });
      scope = [...graph, ...echoedOidc].join(' ');
    } else {
      const api = scopes.find((candidate) => candidate.resource === resource);
      const names = [...granted].filter((key) => key.startsWith(`${resource}/`)).map((key) => key.slice(resource.length + 1));
      accessToken = await tokens.apiToken({ subject, clientId: client.clientId, audienceClientId: api?.resourceAppId ?? client.clientId, scopes: names });
      scope = [...names.map((name) => `${resource}/${name}`), ...echoedOidc].join(' ');
    }
    const response: Record<string, string | number> = {
      token_type: 'Bearer',
      scope,
      expires_in: ACCESS_TOKEN_LIFETIME_S,
      ext_expires_in: ACCESS_TOKEN_LIFETIME_S,
      access_token: accessToken,
    };
    // "refresh_token ... Only provided if offline_access scope was requested."
    if (oidc.includes('offline_access')) {
      // One reading of the clock: a new SPA token reports its full 24 hours, not a millisecond less.
      const issuedAt = clock.now();
      const expiresAt = input.spa ? (input.spaExpiresAt ?? issuedAt + SPA_REFRESH_LIFETIME_MS) : undefined;
      const record = newRefreshToken({
        tenantId: tenant.config.id,
        clientId: client.clientId,
        userId: user.id,
        spa: input.spa,
        scopes: scopes.map((entry) => entry.raw),
        authTime: input.authTime,
        expiresAt,
      });
      response.refresh_token = record.token;
      if (expiresAt !== undefined) response.refresh_token_expires_in = Math.max(0, Math.floor((expiresAt - issuedAt) / 1000));
    }
    // "id_token ... Only provided if openid scope was requested."
    if (oidc.includes('openid')) {
      response.id_token = await tokens.idToken({ subject, clientId: client.clientId, nonce: input.nonce, scopes: oidc, authTime: input.authTime });
    }
    if (caller.clientInfo) response.client_info = clientInfo(user.id, tenant.config.id);
    return response;
  };

  const authorizationCode = async (caller: Caller, form: Form) => {
    const code = form.code;
    if (!code) throw aadsts(900144, { parameter: 'code' });
    const record = identity.codes.get(code);
    if (!record) throw aadsts(9002313, { reason: 'The authorization code is not valid.' });
    const where = caller.tenantTarget;
    // "OAuth2 Authorization Code must be redeemed against same tenant it was acquired for."
    if (where.kind === 'tenant' && where.tenant.config.id !== record.tenantId) throw aadsts(700005);
    if (record.clientId !== caller.client.clientId) throw aadsts(9002313, { reason: 'The authorization code was issued to another application.' });
    authenticate(caller, record.redirectKind === 'spa' ? 'spa' : 'confidential', { redirectUri: record.redirectUri });
    if (record.redeemedAt !== undefined) throw aadsts(54005);
    // "Authorization codes are short lived. Typically, they expire after about 10 minutes."
    if (clock.now() - record.issuedAt > CODE_LIFETIME_MS) throw aadsts(70008);
    if (!form.redirect_uri) throw aadsts(900144, { parameter: 'redirect_uri' });
    // RFC 6749 §4.1.3: the redirect_uri must be identical to the authorization request's (Entra: AADSTS500112).
    if (form.redirect_uri !== record.redirectUri) throw aadsts(500112, { redirectUri: form.redirect_uri, registeredRedirectUri: record.redirectUri });
    if (record.codeChallenge) {
      const verifier = form.code_verifier ?? '';
      const derived = record.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || derived !== record.codeChallenge) throw aadsts(501481);
    }
    record.redeemedAt = clock.now();
    const tenant = tenantOf(where, record.tenantId);
    const user = activeUser(tenant, record.userId);
    const requested = form.scope?.trim() ? scopesOf(form.scope, []) : firstResourceOnly(scopesOf(undefined, record.scopes));
    return issueUserTokens({ caller, tenant, user, scopes: requested, authTime: record.authTime, nonce: record.nonce, spa: record.redirectKind === 'spa' });
  };

  const refreshToken = async (caller: Caller, form: Form) => {
    const token = form.refresh_token;
    if (!token) throw aadsts(900144, { parameter: 'refresh_token' });
    const record = identity.refreshTokens.get(token);
    if (!record) throw aadsts(9002313, { reason: 'The refresh token is not valid.' });
    if (record.clientId !== caller.client.clientId) throw aadsts(70000, { reason: 'The refresh token was issued to another application.' });
    const tenant = tenantOf(caller.tenantTarget, record.tenantId);
    authenticate(caller, record.spa ? 'spa' : 'confidential');
    const now = clock.now();
    if (isRevoked(state, record.tenantId, record.userId, record.issuedAtSeconds)) {
      const revokedAt = tokens.revokedBefore(record.tenantId, record.userId) ?? 0;
      throw aadsts(50173, { issuedAt: dateOf(record.issuedAtSeconds * 1000), revokedAt: dateOf(revokedAt * 1000) });
    }
    // SPA refresh tokens: fixed 24 hours, inherited by the tokens rotated from them (refresh-tokens, "Token lifetime").
    if (record.spa && record.expiresAt !== undefined && now >= record.expiresAt) throw aadsts(700084, { issuedAt: dateOf(record.expiresAt - SPA_REFRESH_LIFETIME_MS) });
    // Others expire after 90 days without use; each use returns a new token with a new window.
    if (!record.spa && now - record.issuedAt >= REFRESH_INACTIVITY_MS) throw aadsts(700082, { issuedAt: dateOf(record.issuedAt) });
    const user = activeUser(tenant, record.userId);
    // "Refresh tokens are valid for all permissions that your client has already received consent for."
    const requested = form.scope?.trim() ? scopesOf(form.scope, []) : firstResourceOnly(scopesOf(undefined, record.scopes));
    // The old token stays valid: "The Microsoft identity platform doesn't revoke old refresh tokens."
    return issueUserTokens({ caller, tenant, user, scopes: requested, authTime: record.authTime, spa: record.spa, spaExpiresAt: record.expiresAt });
  };

  const clientCredentials = async (caller: Caller, form: Form) => {
    const where = caller.tenantTarget;
    if (where.kind !== 'tenant') throw aadsts(9001023);
    authenticate(caller, 'confidential');
    if (!form.scope?.trim()) throw aadsts(900144, { parameter: 'scope' });
    const scopes = parseScopes(form.scope, registry).filter((scope) => scope.kind !== 'oidc');
    // "The value passed for the scope parameter in this request should be the resource identifier ...
    // affixed with the .default suffix. All scopes included must be for a single resource."
    if (resourcesOf(scopes).length > 1) throw aadsts(700022, { scope: form.scope });
    const only = scopes[0];
    if (scopes.length !== 1 || !only || only.permission !== '.default') {
      throw aadsts(70011, { scope: form.scope, reason: 'The client credentials flow needs a scope of the form <resource>/.default, e.g. https://graph.microsoft.com/.default.' });
    }
    if (only.kind !== 'graph') throw aadsts(70011, { scope: form.scope, reason: 'The emulator issues app-only tokens for Microsoft Graph only.' });
    // Roles are the application permissions an administrator granted. With none, Entra still issues a token
    // (without roles) and Graph answers 403: the client credentials page puts the grant before the token.
    const roles = [...registry.consent(where.tenant, caller.client.clientId).adminApplication];
    const accessToken = await tokens.graphToken({ subject: { tenantId: where.tenant.config.id }, clientId: caller.client.clientId, roles });
    return { token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_S, ext_expires_in: ACCESS_TOKEN_LIFETIME_S, access_token: accessToken };
  };

  const onBehalfOf = async (caller: Caller, form: Form) => {
    if (form.requested_token_use !== 'on_behalf_of') throw aadsts(900144, { parameter: 'requested_token_use' });
    if (!form.assertion) throw aadsts(900144, { parameter: 'assertion' });
    authenticate(caller, 'confidential');
    if (!form.scope?.trim()) throw aadsts(900144, { parameter: 'scope' });
    // "This token must have an audience (aud) claim of the app making this OBO request."
    let claims: Awaited<ReturnType<typeof tokens.verifyIssued>>;
    try {
      claims = await tokens.verifyIssued(form.assertion, caller.client.clientId);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      if (error.code === 'expired') throw aadsts(500133, { reason: error.message });
      if (error.code === 'revoked') throw aadsts(50173, { reason: error.message });
      throw aadsts(50013, { reason: `${error.message}; the assertion must be an access token whose audience is ${caller.client.clientId}.` });
    }
    const where = caller.tenantTarget;
    if (where.kind === 'tenant' && claims.tid !== where.tenant.config.id) {
      throw aadsts(50013, { reason: `The assertion was issued by tenant ${claims.tid}, not ${where.tenant.config.id}.` });
    }
    // An ID token also has the app as audience, but it is not a grant (AADSTS240002).
    if (typeof claims.scp !== 'string') throw aadsts(240002);
    if (!claims.oid) throw aadsts(90014, { parameter: 'oid' });
    const tenant = registry.get(claims.tid);
    if (!tenant) throw aadsts(90002, { tenant: claims.tid });
    if (!registry.appVisibleIn(caller.client, tenant.config.id)) throw aadsts(700016, details(caller.client, tenant));
    const user = activeUser(tenant, claims.oid);
    const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : (claims.iat ?? 0);
    return issueUserTokens({ caller, tenant, user, scopes: parseScopes(form.scope, registry), authTime, spa: false });
  };

  const cors = (c: Context) => {
    // MSAL.js redeems codes cross-origin from the SPA, so the token endpoint answers CORS requests.
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
  };

  const fail = (c: Context, error: unknown, trace: ReturnType<typeof traceOf>) => {
    if (!(error instanceof AadstsError)) throw error;
    return c.json(tokenErrorBody(error, trace, state.origin), error.status);
  };

  app.options('/:tenant/oauth2/v2.0/token', (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Access-Control-Allow-Methods', 'POST, OPTIONS');
    c.header('Access-Control-Allow-Headers', c.req.header('access-control-request-headers') ?? 'content-type');
    c.header('Access-Control-Max-Age', '86400');
    return c.body(null, 204);
  });

  app.get('/:tenant/oauth2/v2.0/token', (c) => {
    cors(c);
    return fail(c, aadsts(900561, { parameter: 'GET' }), traceOf(c, state));
  });

  app.post('/:tenant/oauth2/v2.0/token', async (c) => {
    cors(c);
    const trace = traceOf(c, state);
    // Entra returns its trace ID as x-ms-request-id; MSAL logs it as the server request ID.
    c.header('x-ms-request-id', trace.traceId);
    try {
      const parsed = await c.req.parseBody().catch(() => ({}));
      const form: Form = {};
      for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') form[name] = value;
      const where = resolveTenantSegment(state, c.req.param('tenant') ?? '');
      const grant = form.grant_type;
      if (!grant) throw aadsts(900144, { parameter: 'grant_type' });
      // App-only tokens need a tenant: "The grant type isn't supported over the /common or /consumers endpoints."
      if (grant === 'client_credentials' && where.kind !== 'tenant') throw aadsts(9001023);
      const caller = identify(c, form, where);
      switch (grant) {
        case 'authorization_code':
          return c.json(await authorizationCode(caller, form));
        case 'refresh_token':
          return c.json(await refreshToken(caller, form));
        case 'client_credentials':
          return c.json(await clientCredentials(caller, form));
        case JWT_BEARER:
          return c.json(await onBehalfOf(caller, form));
        default:
          throw aadsts(70003, { parameter: grant });
      }
    } catch (error) {
      return fail(c, error, trace);
    }
  });

  return app;
}
