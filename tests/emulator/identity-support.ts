import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import { DEFAULT_WEB_REDIRECT_URIS } from '../../emulator/src/seed.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { pkcePair, responseParams, signInThroughPages, type CookieJar } from '../helpers/sign-in.ts';

/** Raw-HTTP helpers shared by the identity tests (the msal-node test uses MSAL itself). */

export const WEB_REDIRECT = DEFAULT_WEB_REDIRECT_URIS[0]!;
/** Registered as a single-page-application redirect URI by the tests that start the emulator. */
export const SPA_REDIRECT = 'https://peoplebooktestextension.chromiumapp.org/';
export const SPA_ORIGIN = 'chrome-extension://peoplebooktestextension';

export interface TokenBody {
  error?: string;
  error_description?: string;
  error_codes?: number[];
  error_uri?: string;
  suberror?: string;
  timestamp?: string;
  trace_id?: string;
  correlation_id?: string;
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
  refresh_token_expires_in?: number;
  client_info?: string;
  scope?: string;
  token_type?: string;
  expires_in?: number;
}

export interface AuthorizeOptions {
  tenant?: string;
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  prompt?: string;
  /** null: send no PKCE challenge. */
  challenge?: string | null;
  responseMode?: string;
  state?: string;
  nonce?: string;
  loginHint?: string;
}

export function authorizeUrl(emulator: Emulator, options: AuthorizeOptions = {}): URL {
  const url = new URL(`${emulator.url}/${options.tenant ?? emulator.tenantId}/oauth2/v2.0/authorize`);
  const params: Record<string, string | undefined> = {
    client_id: options.clientId ?? emulator.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri ?? WEB_REDIRECT,
    scope: options.scope ?? 'openid profile offline_access User.Read',
    state: options.state ?? 'state-123',
    nonce: options.nonce,
    prompt: options.prompt,
    response_mode: options.responseMode,
    login_hint: options.loginHint,
    client_info: '1',
    ...(options.challenge === null ? {} : { code_challenge: options.challenge, code_challenge_method: options.challenge ? 'S256' : undefined }),
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

export interface SignedIn {
  code: string;
  verifier: string;
  params: URLSearchParams;
}

/** Signs a user in through the pages with PKCE and returns the authorization code. */
export async function signInForCode(
  emulator: Emulator,
  options: AuthorizeOptions & { username: string; password?: string; jar?: CookieJar; consentForOrganization?: boolean; consent?: 'accept' | 'decline' },
): Promise<SignedIn> {
  const pkce = pkcePair();
  const final = await signInThroughPages(authorizeUrl(emulator, { ...options, challenge: options.challenge === null ? null : pkce.challenge }), {
    username: options.username,
    password: options.password ?? emulator.password,
    jar: options.jar,
    consent: options.consent,
    consentForOrganization: options.consentForOrganization,
  });
  const params = responseParams(final);
  const code = params.get('code');
  if (!code) throw new Error(`no code: ${params.get('error_description') ?? final.toString()}`);
  return { code, verifier: pkce.verifier, params };
}

export async function tokenRequest(emulator: Emulator, tenant: string, form: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<{ status: number; body: TokenBody }> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value !== undefined) body.set(name, value);
  const response = await fetch(`${emulator.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  return { status: response.status, body: (await response.json()) as TokenBody };
}

/** Redeems a code as the proxy (Web redirect, secret) or, with `origin`, as the extension (SPA redirect, no secret). */
export function redeemCode(
  emulator: Emulator,
  signedIn: SignedIn,
  options: { redirectUri?: string; secret?: string | null; origin?: string; scope?: string; verifier?: string; tenant?: string } = {},
): Promise<{ status: number; body: TokenBody }> {
  return tokenRequest(
    emulator,
    options.tenant ?? emulator.tenantId,
    {
      grant_type: 'authorization_code',
      client_id: emulator.clientId,
      code: signedIn.code,
      redirect_uri: options.redirectUri ?? WEB_REDIRECT,
      code_verifier: options.verifier ?? signedIn.verifier,
      scope: options.scope ?? 'openid profile offline_access User.Read',
      client_secret: options.secret === null ? undefined : (options.secret ?? emulator.clientSecret),
      client_info: '1',
    },
    options.origin ? { origin: options.origin } : {},
  );
}

export function refresh(emulator: Emulator, refreshToken: string, options: { secret?: string | null; origin?: string; scope?: string } = {}) {
  return tokenRequest(
    emulator,
    emulator.tenantId,
    {
      grant_type: 'refresh_token',
      client_id: emulator.clientId,
      refresh_token: refreshToken,
      scope: options.scope,
      client_secret: options.secret === null ? undefined : (options.secret ?? emulator.clientSecret),
    },
    options.origin ? { origin: options.origin } : {},
  );
}

/** Enabled member accounts without directory roles, for tests that need several ordinary users. */
export function ordinaryUsers(emulator: Emulator, count: number): DirectoryUser[] {
  const users: DirectoryUser[] = [];
  for (const { user } of emulator.state.registry.get(emulator.tenantId)!.directory.iterate()) {
    if (user.accountEnabled && user.userType === 'Member' && user.roles.length === 0) users.push(user);
    if (users.length === count) break;
  }
  return users;
}

/** The AADSTS code of a token-endpoint answer, a page error, or an error redirect. */
export function codeOf(value: { body: TokenBody } | URL | { code?: number }): number | undefined {
  if (value instanceof URL) {
    const description = responseParams(value).get('error_description') ?? '';
    const match = /^AADSTS(\d+):/.exec(description);
    return match?.[1] ? Number(match[1]) : undefined;
  }
  if ('body' in value) return value.body.error_codes?.[0];
  return value.code;
}
