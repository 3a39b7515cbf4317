import { CacheLookupPolicy, PublicClientApplication, type AccountInfo, type AuthenticationResult, type Configuration, type IPublicClientApplication } from '@azure/msal-browser';
import type { AccountSummary, AuthState, IdTokenResult } from '../messages.ts';
import type { TenantSettings } from '../settings.ts';
import { AuthError, toAuthError } from './errors.ts';
import { msalConfiguration, SIGN_IN_SCOPES } from './msal-config.ts';

/**
 * Sign-in with msal-browser v5 and identity.launchWebAuthFlow, as Microsoft's ChromiumExtensionSample
 * does: MSAL builds the authorize request (PKCE, state, nonce) in acquireTokenRedirect, the configured
 * onRedirectNavigate captures the URL and returns false so nothing navigates, launchWebAuthFlow opens
 * it and returns the redirect URL, and handleRedirectPromise({ hash }) redeems the code.
 *
 * It runs where msal-browser can: Chrome's offscreen document (the service worker has no DOM or
 * localStorage) or Firefox's background event page. It takes the tenant with every call because the
 * offscreen document cannot read extension storage.
 *
 * Renewal: SPA refresh tokens live 24 hours from sign-in, not sliding (AADSTS700084 after that;
 * learn.microsoft.com/entra/identity-platform/refresh-tokens). acquireTokenSilent refuses a refresh
 * token with less than RENEW_BEFORE_S left (refresh_token_expired), or the platform refuses it; either
 * way a `prompt=none` authorize runs through launchWebAuthFlow({ interactive: false }), which the
 * identity platform answers from its session cookie with a new code and so a new 24-hour refresh token.
 * MSAL's own fallback (a hidden iframe) can't reach a chromiumapp.org redirect, so the lookup policies
 * below never let it try.
 */

export interface AuthService {
  state(tenant: TenantSettings | undefined): Promise<AuthState>;
  signIn(tenant: TenantSettings | undefined): Promise<AuthState>;
  getIdToken(tenant: TenantSettings | undefined, options?: TokenOptions): Promise<IdTokenResult>;
  signOut(tenant: TenantSettings | undefined): Promise<AuthState>;
}

export interface TokenOptions {
  /** May a sign-in window open when silent renewal fails? (default false) */
  interactive?: boolean;
  /** Ignore the cached tokens (e.g. the proxy refused the ID token). */
  forceRefresh?: boolean;
}

/**
 * The signed-in account, remembered across browser restarts (MSAL's encrypted cache is not): the
 * popup still shows who is signed in, and renewal names the account (login_hint).
 */
export type AccountHint = AccountSummary;

export interface HintStore {
  get(): AccountHint | null;
  set(hint: AccountHint | null): void;
}

type Client = Pick<IPublicClientApplication, 'acquireTokenRedirect' | 'handleRedirectPromise' | 'acquireTokenSilent' | 'getAllAccounts' | 'getActiveAccount' | 'setActiveAccount' | 'clearCache'>;

export interface AuthServiceDeps {
  /** `identity.getRedirectURL()`: `https://<extension-id>.chromiumapp.org/` in Chrome. */
  redirectUri: string;
  /** `identity.launchWebAuthFlow`, directly (Firefox) or relayed through the background (Chrome offscreen). Resolves to the redirect URL. */
  launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string>;
  hints?: HintStore;
  /** Creates and initializes MSAL (tests pass a fake). */
  createClient?: (config: Configuration) => Promise<Client>;
  /** Removes what MSAL left in storage after clearCache (default: localStorage keys starting with `msal.`). */
  sweep?: () => void;
  now?: () => number;
  log?: (level: 'error' | 'warning' | 'info', message: string) => void;
}

/** Renew the ID token when less than this is left (the proxy checks `exp`, with little clock tolerance). */
export const ID_TOKEN_MIN_REMAINING_MS = 5 * 60_000;
/** Renew the 24-hour SPA refresh token when less than this is left: well before AADSTS700084. */
export const RENEW_BEFORE_S = 6 * 3600;

const HINT_KEY = 'peoplebook.auth.accountHint';

/** The account hint in the auth host's localStorage (shared by the offscreen document and extension pages). */
export const localStorageHints = (store: Storage = globalThis.localStorage): HintStore => ({
  get() {
    try {
      const parsed = JSON.parse(store.getItem(HINT_KEY) ?? 'null') as Partial<AccountHint> | null;
      if (!parsed || typeof parsed.username !== 'string' || typeof parsed.tenantId !== 'string' || typeof parsed.homeAccountId !== 'string') return null;
      return { username: parsed.username, name: typeof parsed.name === 'string' ? parsed.name : null, tenantId: parsed.tenantId, homeAccountId: parsed.homeAccountId };
    } catch {
      return null;
    }
  },
  set(hint) {
    if (hint) store.setItem(HINT_KEY, JSON.stringify(hint));
    else store.removeItem(HINT_KEY);
  },
});

/** Deletes every MSAL entry (tokens, accounts, metadata, the cache's key list) from localStorage. */
export const sweepMsalStorage = (store: Storage = globalThis.localStorage): void => {
  for (const key of Object.keys(store)) if (key.startsWith('msal.')) store.removeItem(key);
};

async function createMsalClient(config: Configuration): Promise<Client> {
  const client = new PublicClientApplication(config);
  await client.initialize();
  return client;
}

export const summarize = (account: AccountInfo): AccountSummary => ({
  username: account.username,
  name: account.name ?? null,
  tenantId: account.tenantId,
  homeAccountId: account.homeAccountId,
});

/** The redirect's response fields as handleRedirectPromise wants them: `#code=...&state=...`. */
export function responseHash(responseUrl: string): string {
  const url = new URL(responseUrl);
  if (url.hash.length > 1) return url.hash;
  if (url.search.length > 1) return `#${url.search.slice(1)}`;
  return '';
}

export function createAuthService(deps: AuthServiceDeps): AuthService {
  const hints = deps.hints ?? localStorageHints();
  const createClient = deps.createClient ?? createMsalClient;
  const sweep = deps.sweep ?? (() => sweepMsalStorage());
  const now = deps.now ?? Date.now;

  /** The authorize URL MSAL wanted to navigate to, captured by onRedirectNavigate. */
  let captureNavigation: ((url: string) => void) | undefined;
  let current: { key: string; client: Promise<Client> } | undefined;

  const clientFor = (tenant: TenantSettings): Promise<Client> => {
    const key = [tenant.authorityHost, tenant.tenantId, tenant.clientId, tenant.customAuthority, deps.redirectUri].join('|');
    if (current?.key !== key) {
      const config = msalConfiguration(tenant, {
        redirectUri: deps.redirectUri,
        onRedirectNavigate: (url) => {
          captureNavigation?.(url);
          return false;
        },
        log: deps.log,
      });
      const client = createClient(config);
      // A failed initialization is not cached: the next call tries again.
      client.catch(() => {
        if (current?.client === client) current = undefined;
      });
      current = { key, client };
    }
    return current.client;
  };

  /** One operation at a time: MSAL allows one redirect interaction per client, and renewals must not race. */
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = queue.then(operation, operation);
    queue = run.catch(() => undefined);
    return run;
  };

  const requireTenant = (tenant: TenantSettings | undefined): TenantSettings => {
    if (!tenant) throw new AuthError('tenant_not_set_up');
    return tenant;
  };

  /** A tenant named by GUID must match the account's; a domain can't be compared, so any account goes. */
  const inTenant = (account: { tenantId: string }, tenant: TenantSettings): boolean => account.tenantId.toLowerCase() === tenant.tenantId || !/^[0-9a-f-]{36}$/.test(tenant.tenantId);

  const accountOf = (client: Client, tenant: TenantSettings): AccountInfo | null => {
    const accounts = client.getAllAccounts();
    const active = client.getActiveAccount();
    if (active && accounts.some((account) => account.homeAccountId === active.homeAccountId)) return active;
    return accounts.find((account) => inTenant(account, tenant)) ?? null;
  };

  /** The account MSAL's cache lost (browser restart) but the user never signed out of. */
  const rememberedAccount = (tenant: TenantSettings): AccountHint | null => {
    const hint = hints.get();
    return hint && inTenant(hint, tenant) ? hint : null;
  };

  const rememberAccount = (client: Client, result: AuthenticationResult): void => {
    client.setActiveAccount(result.account);
    hints.set(summarize(result.account));
  };

  const toResult = (result: AuthenticationResult): IdTokenResult => {
    const exp = (result.idTokenClaims as { exp?: unknown }).exp;
    if (!result.idToken || typeof exp !== 'number') throw new AuthError('sign_in_failed', { message: 'The identity platform returned no ID token. Check that the app registration allows the openid scope.' });
    return { idToken: result.idToken, expiresOn: exp * 1000, account: summarize(result.account) };
  };

  /**
   * One authorization-code round trip: MSAL prepares the request, launchWebAuthFlow shows (or, with
   * interactive false, silently follows) the authorize page, MSAL redeems the returned code.
   */
  const authorize = async (client: Client, request: { prompt?: 'none' | 'select_account' | 'login'; loginHint?: string }, interactive: boolean): Promise<AuthenticationResult> => {
    let url: string | undefined;
    captureNavigation = (captured) => {
      url = captured;
    };
    try {
      await client.acquireTokenRedirect({ scopes: SIGN_IN_SCOPES, ...request });
    } catch (error) {
      throw toAuthError(error);
    } finally {
      captureNavigation = undefined;
    }
    if (!url) throw new AuthError('sign_in_failed', { message: 'MSAL did not produce an authorize URL.' });

    let responseUrl: string;
    try {
      responseUrl = await deps.launchWebAuthFlow({ url, interactive });
    } catch (error) {
      // A silent flow that did not come back needs the user (Chrome: "User interaction required.",
      // Firefox: "Requires user interaction"); an interactive one was closed ("The user did not approve
      // access.") or could not load its page.
      const failure = interactive ? toAuthError(error) : new AuthError('interaction_required', { cause: error });
      // End MSAL's pending interaction the way the platform would, with an error response carrying the
      // request's state: otherwise the next acquireTokenRedirect answers interaction_in_progress.
      const state = new URL(url).searchParams.get('state') ?? '';
      const oauthError = failure.code === 'sign_in_cancelled' ? 'access_denied' : failure.code === 'interaction_required' ? 'interaction_required' : 'server_error';
      const hash = `#${new URLSearchParams({ error: oauthError, error_description: failure.message, state })}`;
      await client.handleRedirectPromise({ hash, navigateToLoginRequestUrl: false }).catch(() => undefined);
      throw failure;
    }

    let result: AuthenticationResult | null;
    try {
      result = await client.handleRedirectPromise({ hash: responseHash(responseUrl), navigateToLoginRequestUrl: false });
    } catch (error) {
      throw toAuthError(error);
    }
    if (!result) throw new AuthError('sign_in_failed', { message: 'The sign-in response could not be read.' });
    rememberAccount(client, result);
    return result;
  };

  /** Renews the session without a window (prompt=none); with `interactive`, falls back to the sign-in page. */
  const renew = async (client: Client, loginHint: string, interactive: boolean): Promise<AuthenticationResult> => {
    try {
      return await authorize(client, { prompt: 'none', loginHint }, false);
    } catch (error) {
      const failure = toAuthError(error);
      if (failure.code !== 'interaction_required' || !interactive) throw failure;
      return authorize(client, { loginHint }, true);
    }
  };

  const silent = (client: Client, account: AccountInfo, forceRefresh: boolean) =>
    client.acquireTokenSilent({
      scopes: SIGN_IN_SCOPES,
      account,
      // Cached tokens, then the refresh token; never MSAL's hidden-iframe fallback (see above).
      cacheLookupPolicy: forceRefresh ? CacheLookupPolicy.RefreshToken : CacheLookupPolicy.AccessTokenAndRefreshToken,
      refreshTokenExpirationOffsetSeconds: RENEW_BEFORE_S,
    });

  const stateOf = (tenant: TenantSettings | undefined, account: AccountSummary | null): AuthState => ({ configured: tenant !== undefined, signedIn: account !== null, account });

  return {
    // Not queued: reading the accounts is immediate, and the popup must not wait for a sign-in window.
    state: async (tenant) => {
      if (!tenant) return stateOf(undefined, null);
      const account = accountOf(await clientFor(tenant), tenant);
      return stateOf(tenant, account ? summarize(account) : rememberedAccount(tenant));
    },

    signIn: (maybeTenant) =>
      exclusive(async () => {
        const tenant = requireTenant(maybeTenant);
        const client = await clientFor(tenant);
        // select_account lets the user pick or add an account instead of silently reusing a session.
        const result = await authorize(client, { prompt: 'select_account' }, true);
        return stateOf(tenant, summarize(result.account));
      }),

    getIdToken: (maybeTenant, options = {}) =>
      exclusive(async () => {
        const tenant = requireTenant(maybeTenant);
        const client = await clientFor(tenant);
        const interactive = options.interactive ?? false;
        const account = accountOf(client, tenant);
        if (!account) {
          // MSAL's cache is gone (its key was a session cookie and the browser restarted) but the user
          // never signed out: renew the session silently for the remembered account.
          const hint = rememberedAccount(tenant);
          if (!hint) {
            if (!interactive) throw new AuthError('not_signed_in');
            return toResult(await authorize(client, { prompt: 'select_account' }, true));
          }
          try {
            return toResult(await renew(client, hint.username, interactive));
          } catch (error) {
            // The session ended meanwhile: nobody is signed in any more (state() stops showing the account).
            if ((error as AuthError).code === 'interaction_required') hints.set(null);
            throw error;
          }
        }
        try {
          let result = await silent(client, account, options.forceRefresh ?? false);
          const exp = (result.idTokenClaims as { exp?: unknown }).exp;
          // MSAL caches by the access token's lifetime; the proxy checks the ID token's.
          if (typeof exp === 'number' && exp * 1000 - now() < ID_TOKEN_MIN_REMAINING_MS) result = await silent(client, account, true);
          return toResult(result);
        } catch (error) {
          const failure = toAuthError(error);
          if (failure.code !== 'interaction_required') throw failure;
          return toResult(await renew(client, account.username, interactive));
        }
      }),

    signOut: (tenant) =>
      exclusive(async () => {
        if (tenant) {
          const client = await clientFor(tenant).catch(() => undefined);
          if (client) {
            await client.clearCache().catch((error: unknown) => deps.log?.('warning', `clearCache failed: ${String(error)}`));
            client.setActiveAccount(null);
          }
        }
        // Tokens must not outlive sign-out, whichever tenant wrote them; the next call starts a fresh
        // client from the emptied storage.
        sweep();
        current = undefined;
        hints.set(null);
        return stateOf(tenant, null);
      }),
  };
}
