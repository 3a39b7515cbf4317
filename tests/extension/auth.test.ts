import { fakeBrowser } from 'wxt/testing/fake-browser';
import { describe, expect, it, vi } from 'vitest';
import type { AccountInfo, AuthenticationResult, Configuration } from '@azure/msal-browser';

// @wxt-dev/browser reads globalThis.browser once, when first imported: install the fake first.
Object.assign(globalThis, { browser: fakeBrowser, chrome: fakeBrowser });
const { BrowserCacheLocation, CacheLookupPolicy, InteractionRequiredAuthError, ServerError } = await import('@azure/msal-browser');
const { createAuthService, ID_TOKEN_MIN_REMAINING_MS, RENEW_BEFORE_S, responseHash } = await import('../../extension/lib/auth/auth-service.ts');
const { AuthError, toAuthError } = await import('../../extension/lib/auth/errors.ts');
const { msalConfiguration, SIGN_IN_SCOPES } = await import('../../extension/lib/auth/msal-config.ts');
const { bindAuth, createOffscreenAuth, ensureOffscreenDocument, tokenSource } = await import('../../extension/lib/auth/auth.ts');
const { MessageError } = await import('../../extension/lib/messages.ts');
const { isAuthorityUrl } = await import('../../extension/lib/auth/identity.ts');

const TENANT_ID = '2ed01029-4dd8-4be2-b13a-70a4449f51cb';
const CLIENT_ID = 'ce6dce45-cfa7-4c17-bf55-56234eb41b46';
const REDIRECT = 'https://enjganhiikhcohbgfkpldncaimpaging.chromiumapp.org/';
const tenant = { proxyUrl: 'https://p.contoso.com', tenantId: TENANT_ID, clientId: CLIENT_ID, authorityHost: 'https://login.microsoftonline.com', customAuthority: false };
const NOW = Date.UTC(2025, 0, 1, 12);

const account = (username = 'employee@contoso.com'): AccountInfo => ({
  homeAccountId: `oid-${username}.${TENANT_ID}`,
  environment: 'login.microsoftonline.com',
  tenantId: TENANT_ID,
  username,
  localAccountId: `oid-${username}`,
  name: 'Viktoria Pham',
});

const result = (options: { username?: string; exp?: number; token?: string } = {}): AuthenticationResult =>
  ({
    idToken: options.token ?? 'header.payload.signature',
    idTokenClaims: { exp: options.exp ?? NOW / 1000 + 3600 },
    account: account(options.username),
  }) as unknown as AuthenticationResult;

/**
 * A stand-in for PublicClientApplication that behaves like msal-browser where the service relies on it:
 * acquireTokenRedirect hands the authorize URL to the configured onRedirectNavigate and, as it returns
 * false, resolves without navigating; handleRedirectPromise answers what the test queued.
 */
function fakeMsal() {
  let config: Configuration | undefined;
  const accounts: AccountInfo[] = [];
  let active: AccountInfo | null = null;
  let state = 0;
  const redirectAnswers: ((hash: string) => AuthenticationResult | Promise<AuthenticationResult>)[] = [];
  const client = {
    acquireTokenRedirect: vi.fn(async (request: { prompt?: string; loginHint?: string }) => {
      state++;
      const url = new URL(`https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/authorize`);
      url.search = new URLSearchParams({ client_id: CLIENT_ID, state: `S${state}`, ...(request.prompt ? { prompt: request.prompt } : {}), ...(request.loginHint ? { login_hint: request.loginHint } : {}) }).toString();
      expect(config?.auth.onRedirectNavigate?.(url.toString())).toBe(false);
    }),
    handleRedirectPromise: vi.fn(async (options?: { hash?: string; navigateToLoginRequestUrl?: boolean }) => {
      const params = new URLSearchParams((options?.hash ?? '').slice(1));
      if (params.get('error')) throw new InteractionRequiredAuthError(params.get('error')!, '', params.get('error_description') ?? '');
      const answer = redirectAnswers.shift();
      if (!answer) throw new Error('unexpected handleRedirectPromise');
      const outcome = await answer(options?.hash ?? '');
      if (!accounts.some((known) => known.homeAccountId === outcome.account.homeAccountId)) accounts.push(outcome.account);
      return outcome;
    }),
    acquireTokenSilent: vi.fn(async (_request: { cacheLookupPolicy?: number; forceRefresh?: boolean; refreshTokenExpirationOffsetSeconds?: number; account?: AccountInfo }): Promise<AuthenticationResult> => result()),
    getAllAccounts: () => [...accounts],
    getActiveAccount: () => active,
    setActiveAccount: (next: AccountInfo | null) => {
      active = next;
    },
    clearCache: vi.fn(async () => {
      accounts.length = 0;
    }),
  };
  const createClient = vi.fn(async (next: Configuration) => {
    config = next;
    return client;
  });
  return { client, createClient, accounts, redirectAnswers, config: () => config };
}

function setup(options: { launch?: (details: { url: string; interactive: boolean }) => Promise<string> } = {}) {
  const msal = fakeMsal();
  const hintStore: { value: { username: string; name: string | null; tenantId: string; homeAccountId: string } | null } = { value: null };
  const launch = vi.fn(options.launch ?? (async ({ url }: { url: string; interactive: boolean }) => `${REDIRECT}#code=c0de&state=${new URL(url).searchParams.get('state')}`));
  const sweep = vi.fn();
  const service = createAuthService({
    redirectUri: REDIRECT,
    launchWebAuthFlow: launch,
    createClient: msal.createClient as never,
    hints: { get: () => hintStore.value, set: (hint) => void (hintStore.value = hint) },
    sweep,
    now: () => NOW,
  });
  return { service, msal, launch, sweep, hintStore };
}

describe('msalConfiguration', () => {
  it('points MSAL at the tenant, with the extension redirect URI and the v5 onRedirectNavigate in the configuration', () => {
    const onRedirectNavigate = () => false;
    const config = msalConfiguration(tenant, { redirectUri: REDIRECT, onRedirectNavigate });
    expect(config.auth).toMatchObject({ clientId: CLIENT_ID, authority: `https://login.microsoftonline.com/${TENANT_ID}`, knownAuthorities: [], redirectUri: REDIRECT, onRedirectNavigate });
    expect(config.cache?.cacheLocation).toBe(BrowserCacheLocation.LocalStorage);
  });

  it('trusts a custom authority host (the emulator) through knownAuthorities', () => {
    const config = msalConfiguration({ ...tenant, authorityHost: 'https://localhost:8443', customAuthority: true }, { redirectUri: REDIRECT, onRedirectNavigate: () => false });
    expect(config.auth).toMatchObject({ authority: `https://localhost:8443/${TENANT_ID}`, knownAuthorities: ['localhost:8443'] });
  });

  it('asks for OpenID Connect scopes only: the proxy takes the ID token', () => {
    expect(SIGN_IN_SCOPES).toEqual(['openid', 'profile', 'email']);
  });
});

describe('toAuthError', () => {
  it.each([
    ['consent_required with AADSTS65001', new InteractionRequiredAuthError('consent_required', '', 'AADSTS65001: The user or administrator has not consented'), 'consent_missing', 65001],
    ['invalid_grant with AADSTS65001 from the token endpoint', new ServerError('invalid_grant', '', 'AADSTS65001: consent', 'consent_required'), 'consent_missing', 65001],
    ['admin approval needed (AADSTS90094)', new ServerError('access_denied', '', 'AADSTS90094: admin approval'), 'consent_missing', 90094],
    ['login_required (prompt=none without a session)', new InteractionRequiredAuthError('login_required', '', 'AADSTS50058: A silent sign-in request was sent but no user is signed in.'), 'interaction_required', 50058],
    ['a refused SPA refresh token (AADSTS700084)', new InteractionRequiredAuthError('invalid_grant', '', 'AADSTS700084: The refresh token was issued to a single page app'), 'interaction_required', 700084],
    ['MSAL refresh_token_expired', new InteractionRequiredAuthError('refresh_token_expired', ''), 'interaction_required', undefined],
    ['Chrome: "User interaction required."', new Error('User interaction required.'), 'interaction_required', undefined],
    ['Chrome: window closed', Object.assign(new Error('The user did not approve access.'), { errorCode: 'user_cancelled' }), 'sign_in_cancelled', undefined],
    ['an unknown AADSTS', new ServerError('invalid_request', '', 'AADSTS50011: The redirect URI does not match'), 'sign_in_failed', 50011],
    ['anything else', new Error('network down'), 'sign_in_failed', undefined],
  ])('maps %s', (_name, error, code, aadsts) => {
    const mapped = toAuthError(error);
    expect(mapped).toBeInstanceOf(AuthError);
    expect(mapped.code).toBe(code);
    expect(mapped.aadsts).toBe(aadsts);
  });

  it('gives an administrator the fix for an AADSTS code', () => {
    expect(toAuthError(new ServerError('invalid_request', '', 'AADSTS50011: mismatch')).fix).toContain('redirect URI');
  });
});

describe('responseHash', () => {
  it('reads the response from the fragment (response_mode=fragment) or the query', () => {
    expect(responseHash(`${REDIRECT}#code=a&state=b`)).toBe('#code=a&state=b');
    expect(responseHash(`${REDIRECT}?code=a&state=b`)).toBe('#code=a&state=b');
    expect(responseHash(REDIRECT)).toBe('');
  });
});

describe('createAuthService', () => {
  it('signs in: MSAL builds the URL, launchWebAuthFlow opens it, handleRedirectPromise redeems the returned hash', async () => {
    const { service, msal, launch, hintStore } = setup();
    msal.redirectAnswers.push(() => result());
    const state = await service.signIn(tenant);
    expect(msal.client.acquireTokenRedirect).toHaveBeenCalledWith({ scopes: SIGN_IN_SCOPES, prompt: 'select_account' });
    expect(launch).toHaveBeenCalledWith({ url: expect.stringContaining('state=S1'), interactive: true });
    expect(msal.client.handleRedirectPromise).toHaveBeenCalledWith({ hash: '#code=c0de&state=S1', navigateToLoginRequestUrl: false });
    expect(state).toEqual({ configured: true, signedIn: true, account: { username: 'employee@contoso.com', name: 'Viktoria Pham', tenantId: TENANT_ID, homeAccountId: `oid-employee@contoso.com.${TENANT_ID}` } });
    expect(hintStore.value).toEqual(state.account);
    expect(msal.config()?.auth.redirectUri).toBe(REDIRECT);
  });

  it('ends MSAL\'s pending request with the state when the user closes the window, and reports sign_in_cancelled', async () => {
    const { service, msal, launch } = setup();
    launch.mockRejectedValueOnce(new Error('The user did not approve access.'));
    await expect(service.signIn(tenant)).rejects.toMatchObject({ code: 'sign_in_cancelled' });
    const [[options]] = msal.client.handleRedirectPromise.mock.calls as unknown as [[{ hash: string }]];
    expect(Object.fromEntries(new URLSearchParams(options.hash.slice(1)))).toMatchObject({ error: 'access_denied', state: 'S1' });
    // Trying again starts a new request.
    msal.redirectAnswers.push(() => result());
    await expect(service.signIn(tenant)).resolves.toMatchObject({ signedIn: true });
    expect(launch).toHaveBeenLastCalledWith({ url: expect.stringContaining('state=S2'), interactive: true });
  });

  it('reports a sign-in window that could not load its page as sign_in_failed, not as cancelled', async () => {
    const { service, launch } = setup();
    launch.mockRejectedValueOnce(new Error('Authorization page could not be loaded.'));
    await expect(service.signIn(tenant)).rejects.toMatchObject({ code: 'sign_in_failed', message: expect.stringContaining('could not be loaded') });
  });

  it('reports consent_missing with the AADSTS code when the platform refuses consent', async () => {
    const { service, launch } = setup();
    launch.mockResolvedValueOnce(`${REDIRECT}#error=consent_required&error_description=${encodeURIComponent('AADSTS65001: not consented')}&state=S1`);
    await expect(service.signIn(tenant)).rejects.toMatchObject({ code: 'consent_missing', aadsts: 65001 });
  });

  it('answers tenant_not_set_up without settings, and reports configured: false', async () => {
    const { service, msal } = setup();
    await expect(service.signIn(undefined)).rejects.toMatchObject({ code: 'tenant_not_set_up' });
    await expect(service.getIdToken(undefined)).rejects.toMatchObject({ code: 'tenant_not_set_up' });
    await expect(service.state(undefined)).resolves.toEqual({ configured: false, signedIn: false, account: null });
    expect(msal.createClient).not.toHaveBeenCalled();
  });

  it('answers not_signed_in when there is neither an account nor a remembered one, without opening a window', async () => {
    const { service, launch } = setup();
    await expect(service.getIdToken(tenant)).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(launch).not.toHaveBeenCalled();
  });

  it('returns the cached ID token silently, never letting MSAL fall back to its hidden iframe', async () => {
    const { service, msal } = setup();
    msal.accounts.push(account());
    const token = await service.getIdToken(tenant);
    expect(token).toEqual({ idToken: 'header.payload.signature', expiresOn: NOW + 3600_000, account: expect.objectContaining({ username: 'employee@contoso.com' }) });
    expect(msal.client.acquireTokenSilent).toHaveBeenCalledWith(expect.objectContaining({ scopes: SIGN_IN_SCOPES, cacheLookupPolicy: CacheLookupPolicy.AccessTokenAndRefreshToken, refreshTokenExpirationOffsetSeconds: RENEW_BEFORE_S }));
    await service.getIdToken(tenant, { forceRefresh: true });
    expect(msal.client.acquireTokenSilent).toHaveBeenLastCalledWith(expect.objectContaining({ cacheLookupPolicy: CacheLookupPolicy.RefreshToken }));
    expect(RENEW_BEFORE_S).toBeGreaterThanOrEqual(4 * 3600);
  });

  it('redeems the refresh token when the cached ID token is about to expire', async () => {
    const { service, msal } = setup();
    msal.accounts.push(account());
    msal.client.acquireTokenSilent.mockResolvedValueOnce(result({ exp: (NOW + ID_TOKEN_MIN_REMAINING_MS - 1000) / 1000, token: 'old' })).mockResolvedValueOnce(result({ token: 'new' }));
    expect((await service.getIdToken(tenant)).idToken).toBe('new');
    expect(msal.client.acquireTokenSilent.mock.calls.map(([request]) => request.cacheLookupPolicy)).toEqual([CacheLookupPolicy.AccessTokenAndRefreshToken, CacheLookupPolicy.RefreshToken]);
  });

  it('renews with a silent prompt=none authorize when the refresh token is near its end or refused', async () => {
    const { service, msal, launch } = setup();
    msal.accounts.push(account());
    msal.client.acquireTokenSilent.mockRejectedValueOnce(new InteractionRequiredAuthError('refresh_token_expired', ''));
    msal.redirectAnswers.push(() => result({ token: 'renewed' }));
    expect((await service.getIdToken(tenant)).idToken).toBe('renewed');
    expect(msal.client.acquireTokenRedirect).toHaveBeenCalledWith({ scopes: SIGN_IN_SCOPES, prompt: 'none', loginHint: 'employee@contoso.com' });
    expect(launch).toHaveBeenCalledWith({ url: expect.stringContaining('prompt=none'), interactive: false });
  });

  it('answers interaction_required when silent renewal fails, and opens a window only for an interactive caller', async () => {
    const { service, msal, launch } = setup({ launch: async ({ interactive, url }) => (interactive ? `${REDIRECT}#code=x&state=${new URL(url).searchParams.get('state')}` : Promise.reject(new Error('Requires user interaction'))) });
    msal.accounts.push(account());
    msal.client.acquireTokenSilent.mockRejectedValue(new InteractionRequiredAuthError('invalid_grant', '', 'AADSTS700084: expired'));
    await expect(service.getIdToken(tenant)).rejects.toMatchObject({ code: 'interaction_required' });
    expect(launch.mock.calls.map(([details]) => details.interactive)).toEqual([false]);

    msal.redirectAnswers.push(() => result({ token: 'interactive' }));
    expect((await service.getIdToken(tenant, { interactive: true })).idToken).toBe('interactive');
    expect(launch.mock.calls.map(([details]) => details.interactive)).toEqual([false, false, true]);
    expect(msal.client.acquireTokenRedirect).toHaveBeenLastCalledWith({ scopes: SIGN_IN_SCOPES, loginHint: 'employee@contoso.com' });
  });

  it('shows the remembered account and renews silently for it when MSAL\'s cache is gone (browser restart)', async () => {
    const { service, msal, launch, hintStore } = setup();
    const remembered = { username: 'employee@contoso.com', name: 'Viktoria Pham', tenantId: TENANT_ID, homeAccountId: `oid-employee@contoso.com.${TENANT_ID}` };
    hintStore.value = remembered;
    await expect(service.state(tenant)).resolves.toEqual({ configured: true, signedIn: true, account: remembered });
    // Another tenant's account is not this tenant's user.
    await expect(service.state({ ...tenant, tenantId: '00000000-0000-4000-8000-000000000002' })).resolves.toMatchObject({ signedIn: false });
    msal.redirectAnswers.push(() => result({ token: 'after-restart' }));
    expect((await service.getIdToken(tenant)).idToken).toBe('after-restart');
    expect(msal.client.acquireTokenRedirect).toHaveBeenCalledWith({ scopes: SIGN_IN_SCOPES, prompt: 'none', loginHint: 'employee@contoso.com' });
    expect(launch).toHaveBeenCalledWith(expect.objectContaining({ interactive: false }));
  });

  it('forgets the remembered account when its session ended too', async () => {
    const { service, launch, hintStore } = setup();
    hintStore.value = { username: 'employee@contoso.com', name: null, tenantId: TENANT_ID, homeAccountId: 'h' };
    launch.mockRejectedValueOnce(new Error('User interaction required.'));
    await expect(service.getIdToken(tenant)).rejects.toMatchObject({ code: 'interaction_required' });
    expect(hintStore.value).toBeNull();
    await expect(service.state(tenant)).resolves.toMatchObject({ signedIn: false, account: null });
  });

  it('signs out: clears MSAL\'s cache and storage, forgets the account, and starts a fresh client next time', async () => {
    const { service, msal, sweep, hintStore } = setup();
    msal.redirectAnswers.push(() => result());
    await service.signIn(tenant);
    expect(await service.signOut(tenant)).toEqual({ configured: true, signedIn: false, account: null });
    expect(msal.client.clearCache).toHaveBeenCalled();
    expect(sweep).toHaveBeenCalled();
    expect(hintStore.value).toBeNull();
    await expect(service.getIdToken(tenant)).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(msal.createClient).toHaveBeenCalledTimes(2);
  });

  it('sweeps stored tokens even when the tenant settings are gone', async () => {
    const { service, sweep, hintStore, msal } = setup();
    hintStore.value = { username: 'a@b.example', name: null, tenantId: TENANT_ID, homeAccountId: 'h' };
    await service.signOut(undefined);
    expect(sweep).toHaveBeenCalled();
    expect(hintStore.value).toBeNull();
    expect(msal.createClient).not.toHaveBeenCalled();
  });

  it('runs one operation at a time (one redirect interaction per MSAL client)', async () => {
    let release: () => void = () => undefined;
    const { service, msal } = setup({
      launch: ({ url }) => new Promise((resolve) => (release = () => resolve(`${REDIRECT}#code=c&state=${new URL(url).searchParams.get('state')}`))),
    });
    msal.redirectAnswers.push(() => result());
    const signIn = service.signIn(tenant);
    const token = service.getIdToken(tenant);
    await vi.waitFor(() => expect(msal.client.acquireTokenRedirect).toHaveBeenCalledTimes(1));
    expect(msal.client.acquireTokenSilent).not.toHaveBeenCalled();
    // The state answers at once, sign-in window or not.
    await expect(service.state(tenant)).resolves.toMatchObject({ signedIn: false });
    release();
    await signIn;
    await expect(token).resolves.toMatchObject({ idToken: 'header.payload.signature' });
  });

  it('keeps one client per tenant configuration', async () => {
    const { service, msal } = setup();
    await service.state(tenant);
    await service.state(tenant);
    expect(msal.createClient).toHaveBeenCalledTimes(1);
    await service.state({ ...tenant, clientId: '00000000-0000-4000-8000-000000000001' });
    expect(msal.createClient).toHaveBeenCalledTimes(2);
  });
});

describe('background adapters', () => {
  it('relays launchWebAuthFlow for the configured identity platform only', () => {
    expect(isAuthorityUrl(`https://login.microsoftonline.com/${TENANT_ID}/oauth2/v2.0/authorize?x=1`, 'https://login.microsoftonline.com')).toBe(true);
    expect(isAuthorityUrl('https://localhost:8443/t/oauth2/v2.0/authorize', 'https://localhost:8443')).toBe(true);
    expect(isAuthorityUrl('https://localhost:9443/t/oauth2/v2.0/authorize', 'https://localhost:8443')).toBe(false);
    expect(isAuthorityUrl('https://login.microsoftonline.com.evil.example/authorize', 'https://login.microsoftonline.com')).toBe(false);
    expect(isAuthorityUrl('not a url', 'https://login.microsoftonline.com')).toBe(false);
  });

  it('tokenSource gives the proxy client the ID token, null when nobody is signed in, and passes forceRefresh', async () => {
    const getIdToken = vi.fn(async (_options?: { forceRefresh?: boolean }) => ({ idToken: 'id', expiresOn: 0, account: { username: 'u', name: null, tenantId: TENANT_ID, homeAccountId: 'h' } }));
    const source = tokenSource({ getIdToken });
    await expect(source({ forceRefresh: true })).resolves.toBe('id');
    expect(getIdToken).toHaveBeenCalledWith({ forceRefresh: true });
    getIdToken.mockRejectedValueOnce(new AuthError('not_signed_in'));
    await expect(source({ forceRefresh: false })).resolves.toBeNull();
    getIdToken.mockRejectedValueOnce(new AuthError('consent_missing'));
    await expect(source({ forceRefresh: false })).rejects.toMatchObject({ code: 'consent_missing' });
  });

  it('bindAuth (Firefox) reads the tenant for each call and clears the directory after sign-out', async () => {
    const { service, msal } = setup();
    const onSignOut = vi.fn();
    const auth = bindAuth(service, { loadTenant: async () => tenant, onSignOut });
    msal.redirectAnswers.push(() => result());
    await auth.signIn();
    expect(onSignOut).not.toHaveBeenCalled();
    await auth.signOut();
    expect(onSignOut).toHaveBeenCalledOnce();
  });

  it('createOffscreenAuth (Chrome) sends the tenant to the offscreen document, waits for its listener, and clears the directory after sign-out', async () => {
    const send = vi.fn().mockRejectedValueOnce(new MessageError('no_receiver', 'Receiving end does not exist.')).mockResolvedValue({ configured: true, signedIn: true, account: null });
    const ensureDocument = vi.fn(async () => undefined);
    const onSignOut = vi.fn();
    const auth = createOffscreenAuth({ loadTenant: async () => tenant, send, ensureDocument, onSignOut });
    await expect(auth.state()).resolves.toMatchObject({ signedIn: true });
    expect(send).toHaveBeenCalledTimes(2);
    expect(send).toHaveBeenLastCalledWith({ type: 'auth/state', target: 'offscreen', tenant });
    await auth.getIdToken({ forceRefresh: true });
    expect(send).toHaveBeenLastCalledWith({ type: 'auth/token', target: 'offscreen', tenant, interactive: false, forceRefresh: true });
    await auth.signOut();
    expect(onSignOut).toHaveBeenCalledOnce();
    expect(ensureDocument).toHaveBeenCalledTimes(3);
    send.mockRejectedValueOnce(new MessageError('interaction_required', 'Sign in again.'));
    await expect(auth.getIdToken()).rejects.toMatchObject({ code: 'interaction_required' });
  });

  it('ensureOffscreenDocument creates the document once, with the LOCAL_STORAGE reason and a justification', async () => {
    const contexts: unknown[] = [];
    const createDocument = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      contexts.push({});
    });
    const runtime = { getURL: (path: string) => `chrome-extension://id${path}`, getContexts: vi.fn(async () => [...contexts]) };
    await Promise.all([ensureOffscreenDocument({ createDocument } as never, runtime as never), ensureOffscreenDocument({ createDocument } as never, runtime as never)]);
    await ensureOffscreenDocument({ createDocument } as never, runtime as never);
    expect(createDocument).toHaveBeenCalledOnce();
    expect(createDocument).toHaveBeenCalledWith({ url: '/offscreen.html', reasons: ['LOCAL_STORAGE'], justification: expect.stringContaining('MSAL') });
    expect(runtime.getContexts).toHaveBeenCalledWith({ contextTypes: ['OFFSCREEN_DOCUMENT'], documentUrls: ['chrome-extension://id/offscreen.html'] });
  });
});
