import { browser } from 'wxt/browser';
import { MessageError, OFFSCREEN_PATH, sendMessage, type AuthState, type IdTokenResult, type RequestInput, type ResponseMap } from '../messages.ts';
import type { TenantSettings } from '../settings.ts';
import type { AuthService, TokenOptions } from './auth-service.ts';

/**
 * What the background uses: sign-in for the tenant in the current settings. On Firefox it calls the
 * auth service directly (the event page has a DOM); on Chrome it asks the offscreen document, which
 * runs the same service, and relays its launchWebAuthFlow calls (see entrypoints/offscreen/).
 */
export interface Auth {
  state(): Promise<AuthState>;
  signIn(): Promise<AuthState>;
  getIdToken(options?: TokenOptions): Promise<IdTokenResult>;
  /** Clears tokens and account, then runs `onSignOut` (the cached directory is cleared there). */
  signOut(): Promise<AuthState>;
}

export interface AuthOptions {
  loadTenant: () => Promise<TenantSettings | undefined>;
  /** After the tokens are gone: clears the cached directory (background.ts passes lib/db.ts clearDirectory). */
  onSignOut?: () => Promise<void> | void;
}

/** The auth service bound to the tenant in the current settings (Firefox's event page). */
export function bindAuth(service: AuthService, options: AuthOptions): Auth {
  return {
    state: async () => service.state(await options.loadTenant()),
    signIn: async () => service.signIn(await options.loadTenant()),
    getIdToken: async (tokenOptions) => service.getIdToken(await options.loadTenant(), tokenOptions),
    signOut: async () => {
      const state = await service.signOut(await options.loadTenant());
      await options.onSignOut?.();
      return state;
    },
  };
}

/** Shown to the user in chrome://extensions and required by chrome.offscreen.createDocument. */
export const OFFSCREEN_JUSTIFICATION = 'Runs MSAL.js (Microsoft sign-in), which needs window and localStorage that the service worker lacks, to renew the sign-in for directory sync.';

type Offscreen = Pick<typeof browser.offscreen, 'createDocument'>;
type Runtime = Pick<typeof browser.runtime, 'getURL' | 'getContexts'>;

let creating: Promise<void> | undefined;

/**
 * Opens the offscreen document unless it is open. Reason LOCAL_STORAGE: MSAL keeps its token cache in
 * localStorage (and needs a document for crypto, sessionStorage and BroadcastChannel). Chrome keeps
 * the document until the browser closes or the extension reloads; one exists at a time.
 */
export async function ensureOffscreenDocument(offscreen: Offscreen = browser.offscreen, runtime: Runtime = browser.runtime): Promise<void> {
  const url = runtime.getURL(OFFSCREEN_PATH);
  const existing = await runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'], documentUrls: [url] });
  if (existing.length > 0) return;
  creating ??= offscreen
    .createDocument({ url: OFFSCREEN_PATH, reasons: ['LOCAL_STORAGE'], justification: OFFSCREEN_JUSTIFICATION })
    .catch((error: unknown) => {
      // Another call created it first ("Only a single offscreen document may be created").
      if (!/single offscreen/i.test(String((error as Error)?.message ?? error))) throw error;
    })
    .finally(() => {
      creating = undefined;
    });
  await creating;
}

/** The Auth of Chrome's service worker: every call goes to the offscreen document with the tenant. */
export function createOffscreenAuth(
  options: AuthOptions & {
    ensureDocument?: () => Promise<void>;
    send?: <R extends RequestInput>(request: R) => Promise<ResponseMap[R['type']]>;
  },
): Auth {
  const ensureDocument = options.ensureDocument ?? (() => ensureOffscreenDocument());
  const send = options.send ?? ((request) => sendMessage(request));
  const call = async <R extends RequestInput>(request: (tenant: TenantSettings | null) => R): Promise<ResponseMap[R['type']]> => {
    const tenant = (await options.loadTenant()) ?? null;
    await ensureDocument();
    // A just-created document may not have registered its listener yet: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(request(tenant));
      } catch (error) {
        if (!(error instanceof MessageError && error.code === 'no_receiver') || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  return {
    state: () => call((tenant) => ({ type: 'auth/state', target: 'offscreen', tenant })),
    signIn: () => call((tenant) => ({ type: 'auth/sign-in', target: 'offscreen', tenant })),
    getIdToken: (tokenOptions = {}) => call((tenant) => ({ type: 'auth/token', target: 'offscreen', tenant, interactive: tokenOptions.interactive ?? false, forceRefresh: tokenOptions.forceRefresh ?? false })),
    signOut: async () => {
      const state = await call((tenant) => ({ type: 'auth/sign-out', target: 'offscreen', tenant }));
      await options.onSignOut?.();
      return state;
    },
  };
}

/**
 * The proxy client's token source (lib/proxy-client.ts `TokenSource`): the ID token, null when nobody
 * is signed in; `forceRefresh` after the proxy refused the previous token.
 */
export function tokenSource(auth: Pick<Auth, 'getIdToken'>): (options: { forceRefresh: boolean }) => Promise<string | null> {
  return async ({ forceRefresh }) => {
    try {
      return (await auth.getIdToken({ forceRefresh })).idToken;
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'not_signed_in') return null;
      throw error;
    }
  };
}
