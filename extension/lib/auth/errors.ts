import { describeAadsts, parseAadstsCode } from '../../../shared/aadsts.ts';

/**
 * Sign-in failures a user can act on, each with a stable `code` (callers and tests branch on the code,
 * never the message) and a message that says what to do.
 */
export const AUTH_ERROR_CODES = [
  /** No account: the user signs in from the popup. */
  'not_signed_in',
  /** The app lacks consent for this user or tenant (AADSTS65001, 65004, 90094): an admin must consent. */
  'consent_missing',
  /** Proxy URL, tenant or client ID not set: the admin finishes setup in the options page. */
  'tenant_not_set_up',
  /** Silent renewal failed (session ended, MFA, password change): the user signs in again. */
  'interaction_required',
  /** The user closed the sign-in window. */
  'sign_in_cancelled',
  /** Anything else the identity platform or MSAL reported; `aadsts` and `fix` say more when known. */
  'sign_in_failed',
] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

const MESSAGES: Record<AuthErrorCode, string> = {
  not_signed_in: 'You are not signed in. Open Peoplebook and sign in with your work account.',
  consent_missing: 'Peoplebook is not yet approved for your organization. Ask your administrator to grant consent in the Peoplebook options page.',
  tenant_not_set_up: 'Peoplebook is not set up yet: the proxy address, tenant and client ID are missing. Ask your administrator, or complete the options page.',
  interaction_required: 'Your sign-in has expired. Open Peoplebook and sign in again.',
  sign_in_cancelled: 'Sign-in was cancelled.',
  sign_in_failed: 'Sign-in failed.',
};

export class AuthError extends Error {
  /** The AADSTS number Entra sent, if any. */
  readonly aadsts: number | undefined;
  /** What an administrator does about `aadsts` (shared/aadsts.ts). */
  readonly fix: string | undefined;

  constructor(
    readonly code: AuthErrorCode,
    options: { message?: string; aadsts?: number; cause?: unknown } = {},
  ) {
    const described = options.aadsts !== undefined ? describeAadsts(options.aadsts) : undefined;
    const detail = options.message ?? (code === 'sign_in_failed' && described ? `${MESSAGES[code]} AADSTS${described.code}: ${described.message}` : undefined);
    super(detail ?? MESSAGES[code], { cause: options.cause });
    this.name = 'AuthError';
    this.aadsts = options.aadsts;
    this.fix = described?.fix;
  }
}

/** The fields of an MSAL AuthError (and its subclasses) that decide the mapping. */
interface MsalLike {
  errorCode?: unknown;
  subError?: unknown;
  errorMessage?: unknown;
  message?: unknown;
}

/** AADSTS codes that mean consent is missing (reference-error-codes). */
const CONSENT_CODES = new Set([65001, 65004, 90094, 90008, 650056, 650057]);
/** MSAL error codes that mean "sign in again" (InteractionRequiredAuthErrorCodes, OAuth/OIDC errors). */
const INTERACTION_CODES = new Set([
  'interaction_required',
  'login_required',
  'consent_required',
  'invalid_grant',
  'no_tokens_found',
  'native_account_unavailable',
  'refresh_token_expired',
  'bad_token',
  'interrupted_user',
  'no_account_error',
  'no_account_in_silent_request',
]);

/** Maps what MSAL, the identity platform or launchWebAuthFlow threw to an AuthError. */
export function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const e = (error ?? {}) as MsalLike;
  const errorCode = typeof e.errorCode === 'string' ? e.errorCode : undefined;
  const subError = typeof e.subError === 'string' ? e.subError : undefined;
  // MSAL's errorMessage is the platform's error_description; `message` prefixes it with the code.
  const text = typeof e.errorMessage === 'string' && e.errorMessage ? e.errorMessage : typeof e.message === 'string' ? e.message : '';
  const aadsts = parseAadstsCode(text);
  if (aadsts !== undefined && CONSENT_CODES.has(aadsts)) return new AuthError('consent_missing', { aadsts, cause: error });
  if (errorCode === 'user_cancelled' || errorCode === 'access_denied' || /did not approve|user cancel/i.test(text)) {
    return new AuthError('sign_in_cancelled', { aadsts, cause: error });
  }
  if ((errorCode && INTERACTION_CODES.has(errorCode)) || (subError && INTERACTION_CODES.has(subError)) || /user interaction required/i.test(text)) {
    return new AuthError('interaction_required', { aadsts, cause: error });
  }
  if (errorCode === 'no_account') return new AuthError('not_signed_in', { cause: error });
  return new AuthError('sign_in_failed', { aadsts, message: aadsts === undefined && text ? `${MESSAGES.sign_in_failed} ${errorCode ? `${errorCode}: ` : ''}${text}` : undefined, cause: error });
}
