import { randomBytes } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { describeAadsts, parseAadstsCode, type AadstsDetails } from '../../../shared/aadsts.ts';
import { CLOUDS, type CloudName, type GraphAuth, type ProxyConfig } from '../config.ts';
import { decryptSecret, encryptSecret, secretAad } from '../crypto.ts';
import { acquireGraphToken, createMsalClient, delegatedScopes, graphResource, newPkce, storeCachePlugin } from '../auth/msal.ts';
import { createGraphClient } from '../graph/graph-client.ts';
import type { Logger } from '../logger.ts';
import type { Store, Tenant, TenantError } from '../store/types.ts';

/**
 * Tenants: onboarding (Save and Authorize → consent → /api/azure/callback), the environment tenant, and
 * the MSAL and Graph clients each active tenant syncs with. The client secret is decrypted only here,
 * only when a token is needed, and never leaves the process.
 */

export class OnboardingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly advice: { title: string; fix: string },
    readonly status: 400 | 404 | 502 = 400,
  ) {
    super(message);
    this.name = 'OnboardingError';
  }
}

export interface OnboardingInput {
  cloud: CloudName;
  /** Tenant GUID or verified domain. */
  tenant: string;
  clientId: string;
  clientSecret: string;
  graphAuth: GraphAuth;
}

export interface OnboardingStarted {
  tenantId: string;
  authorizeUrl: string;
  redirectUri: string;
  expiresAt: string;
}

export type OnboardingOutcome =
  | { ok: true; tenantId: string; adminUpn: string | null; graphAuth: GraphAuth; grantedScopes: string[] }
  | { ok: false; tenantId: string | null; code: string; title: string; fix: string; detail: string };

/** What the admin reads about an AADSTS code: Entra's own words, and the step that fixes it. */
function adviseAadsts(code: number, details: AadstsDetails = {}): { title: string; fix: string } {
  const described = describeAadsts(code, details);
  return { title: `AADSTS${code}: ${described.message}`, fix: described.fix };
}


const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PENDING_TTL_MS = 15 * 60_000;

export interface TenantServiceOptions {
  config: ProxyConfig;
  store: Store;
  key: Uint8Array;
  log: Logger;
  now?: () => Date;
}

export class TenantService {
  readonly #config: ProxyConfig;
  readonly #store: Store;
  readonly #key: Uint8Array;
  readonly #log: Logger;
  readonly #now: () => Date;
  /** MSAL clients by tenant, rebuilt when the tenant's sealed secret changes. */
  readonly #clients = new Map<string, { sealed: string; client: ConfidentialClientApplication }>();

  constructor(options: TenantServiceOptions) {
    this.#config = options.config;
    this.#store = options.store;
    this.#key = options.key;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
  }

  /** Hosts of a cloud the admin picked. `custom` is only the proxy's own configured custom cloud, never arbitrary hosts. */
  endpoints(cloud: CloudName): { authorityHost: string; graphUrl: string } {
    if (cloud === 'custom') {
      if (this.#config.cloud !== 'custom') {
        throw new OnboardingError('CLOUD_NOT_ALLOWED', 'this proxy is not configured for a custom cloud', {
          title: 'Custom cloud not configured',
          fix: 'Choose Global, US Government or China, or have the proxy operator set PEOPLEBOOK_CLOUD=custom with PEOPLEBOOK_AUTHORITY_HOST and PEOPLEBOOK_GRAPH_URL.',
        });
      }
      return { authorityHost: this.#config.authorityHost, graphUrl: this.#config.graphUrl };
    }
    return CLOUDS[cloud];
  }

  /**
   * The tenant GUID for a GUID or verified domain, read from the tenant's OpenID configuration (its
   * issuer names the tenant ID). An unknown tenant answers AADSTS90002.
   * https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
   */
  async resolveTenantId(authorityHost: string, tenant: string): Promise<string> {
    const url = `${authorityHost}/${encodeURIComponent(tenant)}/v2.0/.well-known/openid-configuration`;
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      throw new OnboardingError('AUTHORITY_UNREACHABLE', `cannot reach ${authorityHost}: ${(error as Error).message}`, {
        title: 'Cannot reach Microsoft sign-in',
        fix: `Check the proxy's network access to ${authorityHost} and the cloud you chose.`,
      }, 502);
    }
    const body = (await response.json().catch(() => ({}))) as { issuer?: string; error_description?: string; error_codes?: number[] };
    if (!response.ok || typeof body.issuer !== 'string') {
      const code = body.error_codes?.[0] ?? parseAadstsCode(body.error_description) ?? 90002;
      throw new OnboardingError(`AADSTS${code}`, body.error_description ?? `tenant ${tenant} was not found`, adviseAadsts(code, { tenant }));
    }
    const tid = /\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(body.issuer)?.[1];
    if (!tid) throw new OnboardingError('AUTHORITY_UNEXPECTED', `unexpected issuer ${body.issuer}`, { title: 'Unexpected answer from Microsoft sign-in', fix: 'Check the cloud you chose.' }, 502);
    return tid.toLowerCase();
  }

  /** "Save and Authorize": stores the config as pending and returns where to send the admin. */
  async startOnboarding(input: OnboardingInput): Promise<OnboardingStarted> {
    const { authorityHost, graphUrl } = this.endpoints(input.cloud);
    const tenantId = await this.resolveTenantId(authorityHost, input.tenant);
    const state = randomBytes(32).toString('base64url');
    const pkce = await newPkce();
    const pendingScope = `pending:${state}`;
    await this.#store.createPending(
      {
        state,
        tenant: tenantId,
        cloud: input.cloud,
        authorityHost,
        graphUrl,
        clientId: input.clientId,
        graphAuth: input.graphAuth,
        clientSecret: encryptSecret(this.#key, input.clientSecret, secretAad(pendingScope, 'clientSecret')),
        codeVerifier: encryptSecret(this.#key, pkce.verifier, secretAad(pendingScope, 'codeVerifier')),
        redirectUri: this.#config.callbackUrl,
        extra: { typedTenant: input.tenant },
      },
      PENDING_TTL_MS,
    );
    // A tenant seen for the first time is listed as pending, so its status can be polled; an existing
    // tenant keeps its configuration until a consent succeeds.
    const existing = await this.#store.getTenant(tenantId);
    if (!existing) {
      await this.#store.upsertTenant({
        id: tenantId,
        state: 'pending',
        cloud: input.cloud,
        authorityHost,
        graphUrl,
        clientId: input.clientId,
        graphAuth: input.graphAuth,
        source: 'onboarding',
        clientSecret: null,
        adminUpn: null,
        adminOid: null,
        grantedScopes: [],
        secretExpiresAt: null,
      });
    }
    let authorizeUrl: string;
    if (input.graphAuth === 'application') {
      // Application permissions are granted through the admin consent endpoint.
      // https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
      const url = new URL(`${authorityHost}/${tenantId}/v2.0/adminconsent`);
      url.search = new URLSearchParams({ client_id: input.clientId, scope: `${graphResource(graphUrl)}/.default`, redirect_uri: this.#config.callbackUrl, state }).toString();
      authorizeUrl = url.toString();
    } else {
      const client = createMsalClient({ tenantId, clientId: input.clientId, clientSecret: input.clientSecret, authorityHost, graphUrl });
      authorizeUrl = await client.getAuthCodeUrl({
        scopes: delegatedScopes(graphUrl),
        redirectUri: this.#config.callbackUrl,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: 'S256',
        state,
        // The consent page with "Consent on behalf of your organization" is what activates the tenant.
        prompt: 'consent',
        responseMode: 'query',
      });
    }
    return { tenantId, authorizeUrl, redirectUri: this.#config.callbackUrl, expiresAt: new Date(this.#now().getTime() + PENDING_TTL_MS).toISOString() };
  }

  /** `/api/azure/callback`: redeems the code with the secret, checks tenant and scopes, activates. */
  async completeOnboarding(query: Record<string, string | undefined>): Promise<OnboardingOutcome> {
    const pending = query.state ? await this.#store.consumePending(query.state) : null;
    if (!pending) {
      return this.#fail(null, 'STATE_UNKNOWN', 'This sign-in link has expired or was already used', 'Go back to the Peoplebook options page and choose Save and Authorize again (links last 15 minutes and work once).', 'unknown or used state');
    }
    const tenantId = pending.tenant;
    const context = { redirectUri: pending.redirectUri, clientId: pending.clientId, tenant: pending.extra.typedTenant ?? tenantId };
    if (query.error) {
      const code = parseAadstsCode(query.error_description) ?? (query.error === 'access_denied' ? 65004 : undefined);
      const advice = code ? adviseAadsts(code, context) : { title: `Sign-in failed (${query.error})`, fix: 'Choose Save and Authorize again.' };
      return this.#fail(tenantId, code ? `AADSTS${code}` : query.error, advice.title, advice.fix, query.error_description ?? query.error);
    }
    const scope = `pending:${pending.state}`;
    const clientSecret = decryptSecret(this.#key, pending.clientSecret, secretAad(scope, 'clientSecret'));
    const credentials = { tenantId, clientId: pending.clientId, clientSecret, authorityHost: pending.authorityHost, graphUrl: pending.graphUrl };

    if (pending.graphAuth === 'application') {
      if (query.admin_consent?.toLowerCase() !== 'true' || (query.tenant && query.tenant.toLowerCase() !== tenantId)) {
        return this.#fail(tenantId, 'CONSENT_MISSING', 'Admin consent was not granted', adviseAadsts(65001, context).fix, `admin_consent=${query.admin_consent ?? ''} tenant=${query.tenant ?? ''}`);
      }
      const client = createMsalClient(credentials);
      try {
        const result = await acquireGraphToken(client, 'application', pending.graphUrl);
        const roles = rolesOf(result.accessToken);
        if (!roles.some((r) => /^(User\.Read\.All|User\.ReadWrite\.All|Directory\.Read\.All|Directory\.ReadWrite\.All)$/i.test(r))) {
          return this.#fail(tenantId, 'PERMISSION_MISSING', 'The app has no User.Read.All application permission', 'In the app registration, API permissions > Add a permission > Microsoft Graph > Application permissions > User.Read.All, then Grant admin consent.', `roles: ${roles.join(' ') || 'none'}`);
        }
        await this.#activate(pending, clientSecret, null, { adminUpn: null, adminOid: null, scopes: roles });
        return { ok: true, tenantId, adminUpn: null, graphAuth: 'application', grantedScopes: roles };
      } catch (error) {
        return this.#failFromMsal(tenantId, error, context);
      }
    }

    if (!query.code) return this.#fail(tenantId, 'CODE_MISSING', 'Microsoft sent no authorization code', 'Choose Save and Authorize again.', 'no code');
    const codeVerifier = decryptSecret(this.#key, pending.codeVerifier, secretAad(scope, 'codeVerifier'));
    const client = createMsalClient(credentials);
    try {
      const result = await client.acquireTokenByCode({ code: query.code, scopes: delegatedScopes(pending.graphUrl), redirectUri: pending.redirectUri, codeVerifier });
      const claims = (result.idTokenClaims ?? {}) as { tid?: string; oid?: string; preferred_username?: string };
      if (claims.tid?.toLowerCase() !== tenantId) {
        return this.#fail(
          tenantId,
          'TENANT_MISMATCH',
          'You signed in with an account of another tenant',
          `Sign in with an administrator of the tenant you entered (${pending.extra.typedTenant ?? tenantId}); the account used belongs to tenant ${claims.tid ?? 'unknown'}.`,
          `id token tid ${claims.tid ?? 'none'}`,
        );
      }
      const granted = result.scopes.map((s) => s.replace(/^https?:\/\/[^/]+\//, ''));
      if (!granted.some((s) => /^User\.Read\.All$/i.test(s))) {
        return this.#fail(tenantId, 'PERMISSION_MISSING', 'User.Read.All was not granted', adviseAadsts(650056, { ...context, scope: 'User.Read.All' }).fix, `granted: ${granted.join(' ')}`);
      }
      const cache = client.getTokenCache().serialize();
      await this.#activate(pending, clientSecret, cache, { adminUpn: claims.preferred_username ?? null, adminOid: claims.oid ?? null, scopes: granted });
      return { ok: true, tenantId, adminUpn: claims.preferred_username ?? null, graphAuth: 'delegated', grantedScopes: granted };
    } catch (error) {
      return this.#failFromMsal(tenantId, error, context);
    }
  }

  async #activate(
    pending: { tenant: string; cloud: CloudName; authorityHost: string; graphUrl: string; clientId: string; graphAuth: GraphAuth },
    clientSecret: string,
    tokenCache: string | null,
    who: { adminUpn: string | null; adminOid: string | null; scopes: string[] },
  ): Promise<void> {
    const id = pending.tenant;
    await this.#store.upsertTenant({
      id,
      state: 'active',
      cloud: pending.cloud,
      authorityHost: pending.authorityHost,
      graphUrl: pending.graphUrl,
      clientId: pending.clientId,
      graphAuth: pending.graphAuth,
      source: 'onboarding',
      clientSecret: encryptSecret(this.#key, clientSecret, secretAad(id, 'clientSecret')),
      adminUpn: who.adminUpn,
      adminOid: who.adminOid,
      grantedScopes: who.scopes,
      secretExpiresAt: null,
      lastError: null,
      tokenCache: tokenCache === null ? null : encryptSecret(this.#key, tokenCache, secretAad(id, 'tokenCache')),
    });
    // A new consent may come with another app or secret: start the mirror over from a full sync.
    await this.#store.resetSyncCursor(id);
    this.#clients.delete(id);
    this.#log.info({ tenantId: id, graphAuth: pending.graphAuth, adminUpn: who.adminUpn }, 'tenant activated');
  }

  async #failFromMsal(tenantId: string, error: unknown, context: { redirectUri: string; clientId: string; tenant: string }): Promise<OnboardingOutcome> {
    const e = error as { errorCode?: string; errorMessage?: string; message?: string; subError?: string };
    const description = e.errorMessage ?? e.message ?? String(error);
    const code = parseAadstsCode(description);
    if (code) {
      const advice = adviseAadsts(code, context);
      return this.#fail(tenantId, `AADSTS${code}`, advice.title, advice.fix, description);
    }
    return this.#fail(tenantId, e.errorCode ?? 'TOKEN_FAILED', 'Redeeming the sign-in failed', 'Choose Save and Authorize again; if it fails again, check the proxy logs.', description);
  }

  async #fail(tenantId: string | null, code: string, title: string, fix: string, detail: string): Promise<OnboardingOutcome> {
    this.#log.warn({ tenantId, code, detail }, 'onboarding failed');
    if (tenantId) {
      const tenant = await this.#store.getTenant(tenantId);
      // A failed attempt never disturbs an active tenant; a new one shows the error in its status.
      if (tenant && tenant.state !== 'active') await this.#store.setTenantState(tenantId, 'error', { code, message: title, fix, at: this.#now() });
    }
    return { ok: false, tenantId, code, title, fix, detail };
  }

  /** The environment tenant (PEOPLEBOOK_TENANT_ID…): registered at start; application mode activates at once. */
  async ensureEnvTenant(): Promise<Tenant | null> {
    const env = this.#config.envTenant;
    if (!env) return null;
    const tenantId = GUID.test(env.tenant) ? env.tenant.toLowerCase() : await this.resolveTenantId(this.#config.authorityHost, env.tenant);
    const existing = await this.#store.getTenant(tenantId);
    const sealed = encryptSecret(this.#key, env.clientSecret, secretAad(tenantId, 'clientSecret'));
    const keepDelegated = existing?.state === 'active' && existing.graphAuth === 'delegated' && env.graphAuth === 'delegated' && existing.clientId === env.clientId;
    const tenant = await this.#store.upsertTenant({
      id: tenantId,
      state: env.graphAuth === 'application' || keepDelegated ? 'active' : 'pending',
      cloud: this.#config.cloud,
      authorityHost: this.#config.authorityHost,
      graphUrl: this.#config.graphUrl,
      clientId: env.clientId,
      graphAuth: env.graphAuth,
      source: 'env',
      clientSecret: sealed,
      adminUpn: existing?.adminUpn ?? null,
      adminOid: existing?.adminOid ?? null,
      grantedScopes: existing?.grantedScopes ?? [],
      secretExpiresAt: existing?.secretExpiresAt ?? null,
    });
    this.#clients.delete(tenantId);
    return tenant;
  }

  #client(tenant: Tenant): ConfidentialClientApplication {
    if (!tenant.clientSecret) throw new Error(`tenant ${tenant.id} has no client secret`);
    const cached = this.#clients.get(tenant.id);
    if (cached && cached.sealed === tenant.clientSecret) return cached.client;
    const client = createMsalClient({
      tenantId: tenant.id,
      clientId: tenant.clientId,
      clientSecret: decryptSecret(this.#key, tenant.clientSecret, secretAad(tenant.id, 'clientSecret')),
      authorityHost: tenant.authorityHost,
      graphUrl: tenant.graphUrl,
      cachePlugin: storeCachePlugin(this.#store, tenant.id, this.#key),
      log: (level, message) => this.#log[level]({ tenantId: tenant.id, msal: message.slice(0, 500) }, 'msal'),
    });
    this.#clients.set(tenant.id, { sealed: tenant.clientSecret, client });
    return client;
  }

  /** A Graph client whose tokens come from the tenant's MSAL client (renewed silently). */
  graphFor(tenant: Tenant): Client {
    const client = this.#client(tenant);
    let first = true;
    let refused = false;
    return createGraphClient({
      graphUrl: tenant.graphUrl,
      getAccessToken: async () => {
        // Roles and scopes are fixed in a token when it is issued: after Graph refused the last round's
        // token (the admin has since granted consent or a permission), ask for a new one, not the cached one.
        const fresh = refused || (first && /^GRAPH_(FORBIDDEN|UNAUTHORIZED)$/.test((await this.#store.getSyncState(tenant.id))?.lastError?.code ?? ''));
        first = false;
        try {
          return (await acquireGraphToken(client, tenant.graphAuth, tenant.graphUrl, { fresh })).accessToken;
        } catch (error) {
          throw await this.#tokenFailure(tenant, error);
        } finally {
          refused = false;
        }
      },
      // Graph refused a token mid-round (revoked, or rejected before its expiry): the retry gets a new one.
      onUnauthorized: () => {
        refused = true;
      },
    });
  }

  async #tokenFailure(tenant: Tenant, error: unknown): Promise<Error> {
    const e = error as { errorCode?: string; errorMessage?: string; message?: string };
    const description = e.errorMessage ?? e.message ?? String(error);
    const code = parseAadstsCode(description);
    if (!code && e.errorCode !== 'no_account') {
      // No answer from the sign-in service (network, DNS, timeout): nothing for the admin to fix, so the
      // tenant stays active and the round is retried; the sync status shows the failure meanwhile.
      return new Error(`cannot get a token from the sign-in service ${tenant.authorityHost}: ${description}`);
    }
    const advice = code
      ? adviseAadsts(code, { clientId: tenant.clientId, tenant: tenant.id })
      : e.errorCode === 'no_account'
        ? { title: 'No administrator has authorized Peoplebook yet', fix: 'An administrator must choose Save and Authorize in the options page.' }
        : { title: 'Getting a Graph token failed', fix: 'Check the proxy logs and the app registration.' };
    if (tenant.source === 'env' && (code === 7000215 || code === 7000218 || code === 7000222)) {
      // The secret of a tenant configured from the environment is changed there, not in the options page.
      advice.fix = "In the app registration's Certificates & secrets, choose New client secret, paste its Value into PEOPLEBOOK_CLIENT_SECRET and restart the proxy.";
    }
    const tenantError: TenantError = { code: code ? `AADSTS${code}` : (e.errorCode ?? 'TOKEN_FAILED'), message: advice.title, fix: advice.fix, at: this.#now() };
    if (code === 7000222) await this.#store.upsertTenant({ ...tenant, secretExpiresAt: tenant.secretExpiresAt ?? this.#now() });
    await this.#store.setTenantState(tenant.id, 'error', tenantError);
    const failure = new Error(`${tenantError.code}: ${advice.title}`) as Error & { statusCode: number; code: string };
    failure.statusCode = 401;
    failure.code = tenantError.code;
    return failure;
  }
}

/** Application roles of an app-only access token (its payload is read only for this check, not trusted for auth). */
function rolesOf(accessToken: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}
