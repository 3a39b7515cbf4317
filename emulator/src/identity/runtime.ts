import { randomBytes } from 'node:crypto';

/**
 * What the identity platform remembers between requests: sign-in requests waiting for the user, sign-in
 * sessions (the browser cookie that makes `prompt=none` work), authorization codes and refresh tokens.
 * All in memory: the emulator forgets them when it stops, as a real tenant's sessions would end.
 */

/** The platform a redirect URI is registered under; it decides client authentication and refresh-token lifetime. */
export type RedirectKind = 'web' | 'spa';

/** response_mode values the authorize endpoint accepts (v2-oauth2-auth-code-flow, "Request an authorization code"). */
export type ResponseMode = 'query' | 'fragment' | 'form_post';

/** A sign-in or admin-consent request between the first GET and the final redirect back to the app. */
export interface PendingAuthorization {
  id: string;
  kind: 'authorize' | 'adminconsent';
  /** `/{tenant}/adminconsent` (1) or `/{tenant}/v2.0/adminconsent` (2). */
  adminConsentVersion?: 1 | 2;
  createdAt: number;
  /** The `{tenant}` path segment as sent: GUID, domain, `common` or `organizations`. */
  tenantSegment: string;
  /** Fixed by a tenant-specific segment, otherwise by the account that signs in. */
  tenantId?: string;
  clientId: string;
  redirectUri: string;
  redirectKind: RedirectKind;
  responseMode: ResponseMode;
  /** Requested scopes exactly as sent (space-separated in the request). */
  scopes: string[];
  state?: string;
  nonce?: string;
  prompt?: 'none' | 'login' | 'consent' | 'select_account';
  loginHint?: string;
  domainHint?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  /** `client_info=1` was sent (MSAL always sends it): the response carries client_info. */
  clientInfo: boolean;
  correlationId: string;
  /** Set once the user has signed in (or a session was reused). */
  userId?: string;
  sessionId?: string;
}

/** A sign-in session: what Entra's ESTSAUTH cookie stands for. */
export interface SignInSession {
  id: string;
  tenantId: string;
  userId: string;
  /** Epoch seconds of the credential entry (the ID token's `auth_time`). */
  authTime: number;
}

export interface AuthorizationCode {
  code: string;
  tenantId: string;
  /** Segment of the authorize URL; a code from a tenant-specific request is redeemed at that tenant. */
  tenantSegment: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  redirectKind: RedirectKind;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  authTime: number;
  sessionId: string;
  /** Clock milliseconds. */
  issuedAt: number;
  /** Set on the first redemption; a second one answers AADSTS54005. */
  redeemedAt?: number;
}

export interface RefreshTokenRecord {
  token: string;
  tenantId: string;
  clientId: string;
  userId: string;
  /** Issued to a `spa` redirect URI: a fixed 24-hour lifetime that rotated tokens inherit. */
  spa: boolean;
  /** Scopes of the original grant, used when a refresh request names none. */
  scopes: string[];
  authTime: number;
  /** Clock milliseconds; the 90-day inactivity window starts here. */
  issuedAt: number;
  /** Epoch seconds compared with the user's revocation time (AADSTS50173). */
  issuedAtSeconds: number;
  /** Clock milliseconds at which an SPA refresh token dies, carried over to every token rotated from it. */
  expiresAt?: number;
}

export interface IdentityRuntime {
  readonly pending: Map<string, PendingAuthorization>;
  readonly sessions: Map<string, SignInSession>;
  readonly codes: Map<string, AuthorizationCode>;
  readonly refreshTokens: Map<string, RefreshTokenRecord>;
  /** An unguessable handle for a code, refresh token, session or pending request. */
  newHandle(prefix?: string): string;
  /** Forgets pending requests and codes too old to be used; called as new ones are made. */
  sweep(now: number): void;
}

/** Entra's flow token (the sign-in page's context) lasts about an hour; codes about 10 minutes. */
export const PENDING_LIFETIME_MS = 60 * 60_000;
export const CODE_LIFETIME_MS = 10 * 60_000;

export function createIdentityRuntime(): IdentityRuntime {
  const pending = new Map<string, PendingAuthorization>();
  const codes = new Map<string, AuthorizationCode>();
  return {
    pending,
    sessions: new Map(),
    codes,
    refreshTokens: new Map(),
    newHandle: (prefix = '') => `${prefix}${randomBytes(32).toString('base64url')}`,
    sweep(now) {
      for (const [id, request] of pending) if (now - request.createdAt > PENDING_LIFETIME_MS) pending.delete(id);
      // Redeemed and expired codes are kept a while longer so a late reuse still answers 54005 or 70008.
      for (const [code, record] of codes) if (now - record.issuedAt > 6 * CODE_LIFETIME_MS) codes.delete(code);
    },
  };
}
