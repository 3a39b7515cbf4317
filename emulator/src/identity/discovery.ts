import { Hono, type Context } from 'hono';
import type { EmulatorState } from '../state.ts';
import { v2Issuer } from '../tokens.ts';
import { resolveTenantSegment, traceOf, type TenantTarget } from './context.ts';
import { AadstsError, aadsts, describeAadsts, tokenErrorBody } from './errors.ts';
import { errorLookupPage } from './pages.ts';

/**
 * Metadata endpoints: OpenID Connect discovery, the signing keys, and MSAL's instance discovery.
 * https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc ("Find your app's OpenID configuration document URI")
 */

/** Discovery documents and keys are public and read from browsers (MSAL.js), so they allow any origin. */
function publicJson(c: Context, body: unknown, status: 200 | 400 = 200) {
  c.header('Access-Control-Allow-Origin', '*');
  return c.json(body, status);
}

function target(state: EmulatorState, c: Context): TenantTarget {
  return resolveTenantSegment(state, c.req.param('tenant') ?? '');
}

export function openIdConfiguration(state: EmulatorState, where: TenantTarget): Record<string, unknown> {
  const { origin } = state;
  // A tenant-specific document names the tenant by ID even when asked by domain; the multi-tenant
  // documents keep `common`/`organizations` in the endpoints and leave `{tenantid}` in the issuer.
  const segment = where.kind === 'tenant' ? where.tenant.config.id : where.segment;
  const base = `${origin}/${segment}`;
  const host = new URL(origin).host;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: where.kind === 'tenant' ? v2Issuer(origin, where.tenant.config.id) : `${origin}/{tenantid}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    tenant_region_scope: where.kind === 'tenant' ? 'NA' : null,
    cloud_instance_name: host,
    cloud_graph_host_name: host,
    msgraph_host: host,
  };
}

export function discoveryRoutes(state: EmulatorState): Hono {
  const app = new Hono();

  const failure = (c: Context, error: unknown, errorName?: string) => {
    if (!(error instanceof AadstsError)) throw error;
    const body = tokenErrorBody(error, traceOf(c, state), state.origin);
    return publicJson(c, errorName ? { ...body, error: errorName } : body, 400);
  };

  app.get('/:tenant/v2.0/.well-known/openid-configuration', (c) => {
    try {
      return publicJson(c, openIdConfiguration(state, target(state, c)));
    } catch (error) {
      // Entra answers an unknown tenant's discovery document with `invalid_tenant` / AADSTS90002.
      return failure(c, error, 'invalid_tenant');
    }
  });

  // JWKS (signing-key-rollover): every published key, current and previous, so tokens signed before a
  // rollover keep verifying. The v1 path serves the same keys.
  const keys = (c: Context) => {
    try {
      target(state, c);
    } catch (error) {
      return failure(c, error, 'invalid_tenant');
    }
    return publicJson(c, { keys: state.keys.published().map((key) => ({ ...key.publicJwk, issuer: `${state.origin}/{tenantid}/v2.0` })) });
  };
  app.get('/:tenant/discovery/v2.0/keys', keys);
  app.get('/:tenant/discovery/keys', keys);

  // Instance discovery, which MSAL calls unless the authority host is in knownAuthorities or
  // cloudDiscoveryMetadata is configured (msal-common Authority: getCloudDiscoveryMetadataFromNetwork).
  // The emulator is its own cloud: one host that is its own preferred network and cache alias.
  app.get('/:tenant/discovery/instance', (c) => {
    const endpoint = c.req.query('authorization_endpoint') ?? '';
    const host = new URL(state.origin).host;
    let endpointHost: string | undefined;
    try {
      endpointHost = new URL(endpoint).host;
    } catch {
      endpointHost = undefined;
    }
    if (endpointHost !== host) {
      return failure(c, aadsts(50049, { reason: `The emulator only answers for ${host}.` }));
    }
    return publicJson(c, {
      tenant_discovery_endpoint: `${state.origin}/{tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  });

  // The OIDC UserInfo endpoint the discovery document names (userinfo). It takes a Graph token, as
  // Entra's does, and returns the standard claims.
  app.get('/oidc/userinfo', async (c) => {
    c.header('Access-Control-Allow-Origin', '*');
    const token = /^Bearer (.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    const claims = token ? await state.tokens.verifyGraphToken(token).catch(() => undefined) : undefined;
    const user = claims ? state.registry.get(claims.tid)?.directory.getById(claims.oid) : undefined;
    if (!claims || !user) {
      c.header('WWW-Authenticate', 'Bearer error="invalid_token"');
      return c.json({ error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty or invalid.' } }, 401);
    }
    return c.json({
      sub: claims.sub,
      name: user.displayName,
      family_name: user.surname ?? undefined,
      given_name: user.givenName ?? undefined,
      email: user.mail ?? undefined,
    });
  });

  // error_uri targets: https://login.microsoftonline.com/error?code=N
  app.get('/error', (c) => {
    const code = Number(c.req.query('code'));
    if (!Number.isInteger(code) || code <= 0) return c.text('Add ?code=<AADSTS number>.', 400);
    return c.html(errorLookupPage(describeAadsts(code)));
  });

  return app;
}
