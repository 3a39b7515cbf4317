import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

/**
 * Verifies the Bearer tokens extensions present: Microsoft-issued tokens whose audience is the tenant's
 * Peoplebook app — its ID token (aud = client ID) or an access token for an API the admin exposed
 * (`api://<client-id>/...`, whose v2 `aud` is the client ID too). Checked: RS256 signature by a key of the
 * tenant's JWKS, `iss` = `<authority host>/<tid>/v2.0`, `aud`, `tid` of an active tenant, `exp`/`nbf`.
 * Graph access tokens are never accepted: they are not meant for us and their signatures are not
 * verifiable by design (https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-tokens).
 */

export class AuthError extends Error {
  constructor(
    /** Stable code clients branch on. */
    readonly code: 'missing_token' | 'invalid_token' | 'token_expired' | 'unknown_tenant',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface Principal {
  tenantId: string;
  /** Object ID of the user in the tenant. */
  oid: string;
  name?: string;
  username?: string;
  /** Directory role template IDs (`wids`). */
  roles: string[];
}

export interface TenantAudience {
  /** The Peoplebook app's client ID in that tenant. */
  clientId: string;
  /** `https://login.microsoftonline.com`, or the tenant's cloud's / the emulator's host. */
  authorityHost: string;
}

export interface TokenVerifierOptions {
  /** The active tenant's app, or undefined: tokens of other tenants are refused before any key fetch. */
  activeTenant(tenantId: string): Promise<TenantAudience | undefined>;
  /** Clock skew allowed on exp/nbf/iat, in seconds (default 120). */
  clockToleranceSeconds?: number;
  /** Key set of a tenant; by default fetched from `<authority>/<tid>/discovery/v2.0/keys` and cached. */
  keySetFor?: (tenantId: string, authorityHost: string) => JWTVerifyGetKey;
  now?: () => Date;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createTokenVerifier(options: TokenVerifierOptions): (authorization: string | undefined) => Promise<Principal> {
  const keySets = new Map<string, JWTVerifyGetKey>();
  const keySetFor =
    options.keySetFor ??
    ((tenantId: string, host: string) => {
      let set = keySets.get(`${host}/${tenantId}`);
      if (!set) {
        // Refetch only for an unknown kid and at most every 30 s, so forged kids cannot make us hammer the JWKS.
        set = createRemoteJWKSet(new URL(`${host}/${tenantId}/discovery/v2.0/keys`), {
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
          timeoutDuration: 5_000,
        });
        keySets.set(`${host}/${tenantId}`, set);
      }
      return set;
    });

  return async (authorization) => {
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(authorization ?? '');
    if (!match) throw new AuthError('missing_token', 'send "Authorization: Bearer <token>" with a token from signing in to Peoplebook');
    const token = match[1]!;
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch {
      throw new AuthError('invalid_token', 'the token is not a JWT');
    }
    const tenantId = typeof unverified.tid === 'string' ? unverified.tid.toLowerCase() : '';
    if (!GUID.test(tenantId)) throw new AuthError('invalid_token', 'the token has no tenant ID (tid)');
    const app = await options.activeTenant(tenantId);
    if (!app) throw new AuthError('unknown_tenant', 'this tenant is not set up on this Peoplebook proxy: an administrator must connect it first');
    const host = app.authorityHost.replace(/\/+$/, '');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySetFor(tenantId, host), {
        algorithms: ['RS256'],
        issuer: `${host}/${tenantId}/v2.0`,
        audience: [app.clientId, `api://${app.clientId}`],
        clockTolerance: options.clockToleranceSeconds ?? 120,
        requiredClaims: ['exp', 'iat', 'tid', 'oid'],
        currentDate: options.now?.(),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthError('token_expired', 'the token has expired: sign in again');
      throw new AuthError('invalid_token', `the token was refused (${(error as { code?: string }).code ?? 'invalid'})`);
    }
    return {
      tenantId,
      oid: String(payload.oid),
      name: typeof payload.name === 'string' ? payload.name : undefined,
      username: typeof payload.preferred_username === 'string' ? payload.preferred_username : undefined,
      roles: Array.isArray(payload.wids) ? payload.wids.filter((w): w is string => typeof w === 'string') : [],
    };
  };
}
