import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { epochSeconds, type Clock } from './clock.ts';
import type { KeyStore } from './keys.ts';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from './tenants.ts';
import { ROLE_DEFAULT_USER, type DirectoryUser } from './directory/types.ts';

/**
 * Signs the tokens the identity platform issues and verifies those Graph receives.
 * Claims follow the ID token and access token claims references:
 * https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */

/** Access and ID tokens live 60–90 minutes (randomised by Entra); the emulator uses a fixed 75. */
export const ACCESS_TOKEN_LIFETIME_S = 75 * 60;

export interface TokenSubject {
  tenantId: string;
  /** The signed-in user, or none for an app-only (client credentials) token. */
  user?: DirectoryUser;
}

export interface GraphTokenClaims extends JWTPayload {
  tid: string;
  oid: string;
  appid: string;
  idtyp: 'user' | 'app';
  scp?: string;
  roles?: string[];
  upn?: string;
  name?: string;
  wids?: string[];
}

export class TokenError extends Error {
  constructor(
    /** `invalid_token` (bad signature, shape or audience), `expired`, or `revoked`. */
    readonly code: 'invalid_token' | 'expired' | 'revoked',
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

/** v2 issuer: `https://login.microsoftonline.com/{tid}/v2.0`, with the emulator's origin as host. */
export const v2Issuer = (origin: string, tenantId: string): string => `${origin}/${tenantId}/v2.0`;
/** v1 issuer, which Graph's (v1.0) access tokens carry whatever the authority used. */
export const v1Issuer = (tenantId: string): string => `https://sts.windows.net/${tenantId}/`;

/** `sub` is pairwise: the same user has a different subject in each application. */
export const pairwiseSubject = (oid: string, clientId: string): string =>
  createHash('sha256').update(`${oid}:${clientId}`).digest('base64url').slice(0, 43);

export interface TokenService {
  idToken(input: { subject: Required<TokenSubject>; clientId: string; nonce?: string; scopes: string[]; authTime: number }): Promise<string>;
  /** Access token for Microsoft Graph, v1.0 shape as Graph's tokens are. */
  graphToken(input: { subject: TokenSubject; clientId: string; scopes?: string[]; roles?: string[] }): Promise<string>;
  /** v2 access token for an API the app exposes (`api://<clientId>/...`): `aud` is the API's client ID. */
  apiToken(input: { subject: Required<TokenSubject>; clientId: string; audienceClientId: string; scopes: string[] }): Promise<string>;
  /** Verifies a token presented to Graph: signature by a published key, audience Graph, time, revocation. */
  verifyGraphToken(token: string): Promise<GraphTokenClaims>;
  /** Verifies any token the emulator issued (any audience), for OBO assertions. */
  verifyIssued(token: string, expectedAudience: string): Promise<JWTPayload & { tid: string; oid?: string }>;
  /** Revokes all sessions of a user (Graph's revokeSignInSessions): earlier tokens and refresh tokens stop working. */
  revokeUser(tenantId: string, oid: string): void;
  /** Epoch second of the user's last revocation: tokens issued at or before it are refused. */
  revokedBefore(tenantId: string, oid: string): number | undefined;
}

export function createTokenService(options: { origin: string; keys: KeyStore; clock: Clock }): TokenService {
  const { origin, keys, clock } = options;
  const revocations = new Map<string, number>();

  async function sign(payload: JWTPayload): Promise<string> {
    const key = keys.current();
    // A token issued in the same second as a revocation must still count as issued after it.
    const revokedSecond = typeof payload.oid === 'string' ? revocations.get(`${String(payload.tid)}/${payload.oid}`) : undefined;
    const iat = Math.max(epochSeconds(clock), revokedSecond === undefined ? 0 : revokedSecond + 1);
    return new SignJWT({ ...payload, uti: randomUUID().replaceAll('-', '').slice(0, 22) })
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid })
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_LIFETIME_S)
      .sign(key.privateKey);
  }

  function userClaims(user: DirectoryUser): Record<string, unknown> {
    return {
      oid: user.id,
      name: user.displayName,
      preferred_username: user.userPrincipalName,
      wids: user.userType === 'Member' ? [...user.roles, ROLE_DEFAULT_USER] : [...user.roles],
    };
  }

  async function verify(token: string, audience: string, issuer?: (tid: string) => string) {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new TokenError('invalid_token', 'the token is not a JWT');
    }
    const key = kid ? keys.find(kid) : undefined;
    if (!key) throw new TokenError('invalid_token', 'the token is not signed by a published key');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key.publicJwk, {
        algorithms: ['RS256'],
        audience,
        currentDate: new Date(clock.now()),
        clockTolerance: 300,
      }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new TokenError('expired', 'the token has expired');
      throw new TokenError('invalid_token', `the token is invalid (${code ?? 'unknown'})`);
    }
    const tid = payload.tid;
    if (typeof tid !== 'string') throw new TokenError('invalid_token', 'the token has no tid');
    if (issuer && payload.iss !== issuer(tid)) throw new TokenError('invalid_token', 'the token has the wrong issuer');
    const oid = typeof payload.oid === 'string' ? payload.oid : undefined;
    const revokedAt = oid ? revocations.get(`${tid}/${oid}`) : undefined;
    if (revokedAt !== undefined && (payload.iat ?? 0) <= revokedAt) {
      throw new TokenError('revoked', 'the user revoked their sessions after this token was issued');
    }
    return payload as JWTPayload & { tid: string; oid?: string };
  }

  return {
    idToken: ({ subject, clientId, nonce, scopes, authTime }) =>
      sign({
        aud: clientId,
        iss: v2Issuer(origin, subject.tenantId),
        tid: subject.tenantId,
        sub: pairwiseSubject(subject.user.id, clientId),
        ver: '2.0',
        auth_time: authTime,
        ...(nonce ? { nonce } : {}),
        ...userClaims(subject.user),
        ...(scopes.includes('email') && subject.user.mail ? { email: subject.user.mail } : {}),
      }),
    graphToken: ({ subject, clientId, scopes, roles }) => {
      const base = { aud: GRAPH_RESOURCE, iss: v1Issuer(subject.tenantId), tid: subject.tenantId, appid: clientId, ver: '1.0' };
      if (!subject.user) {
        // App-only token: the service principal is the subject; permissions are in `roles`.
        const spId = createHash('sha256').update(`${subject.tenantId}:${clientId}`).digest('hex').slice(0, 32);
        return sign({ ...base, idtyp: 'app', oid: spId, sub: spId, roles: roles ?? [] });
      }
      const claims = userClaims(subject.user);
      return sign({
        ...base,
        idtyp: 'user',
        sub: pairwiseSubject(subject.user.id, GRAPH_APP_ID),
        scp: (scopes ?? []).join(' '),
        upn: subject.user.userPrincipalName,
        unique_name: subject.user.userPrincipalName,
        ...claims,
      });
    },
    apiToken: ({ subject, clientId, audienceClientId, scopes }) =>
      sign({
        aud: audienceClientId,
        iss: v2Issuer(origin, subject.tenantId),
        tid: subject.tenantId,
        azp: clientId,
        azpacr: '1',
        sub: pairwiseSubject(subject.user.id, audienceClientId),
        scp: scopes.join(' '),
        ver: '2.0',
        ...userClaims(subject.user),
      }),
    async verifyGraphToken(token) {
      const payload = await verify(token, GRAPH_RESOURCE, v1Issuer);
      return payload as GraphTokenClaims;
    },
    verifyIssued: (token, expectedAudience) => verify(token, expectedAudience),
    revokeUser(tenantId, oid) {
      revocations.set(`${tenantId}/${oid}`, epochSeconds(clock));
    },
    revokedBefore: (tenantId, oid) => revocations.get(`${tenantId}/${oid}`),
  };
}
