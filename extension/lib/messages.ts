import { z } from 'zod';
import { browser } from 'wxt/browser';
import { autofillConfigRequestSchema, autofillSearchRequestSchema, autofillValuesRequestSchema } from './autofill/messages.ts';
import type { AutofillConfig, Colleague, FillValues, OpenResult } from './autofill/protocol.ts';
import { settingSchemas } from './settings.ts';

/**
 * Typed messages between the extension's contexts, validated with zod on receipt together with their
 * sender. Each request names its `target`:
 *
 * - `background` (the default): what the popup, options page and (for `sync/status` and autofill's
 *   `autofill/search`, `autofill/values`, `autofill/config` only) content scripts ask the background
 *   for; plus the identity relay that Chrome's offscreen document uses.
 * - `offscreen` (Chrome only): the background forwards sign-in work to the offscreen document, which
 *   runs MSAL (a service worker can't). It has no `storage` API, so the request carries the tenant.
 *
 * Sender checks: only this extension (`sender.id === runtime.id`); privileged requests only from the
 * extension's own pages (a content script runs inside a web page and must never get a token, sign the
 * user out or start a sync); the identity relay only from the offscreen document; offscreen requests
 * only from the background service worker. Answers travel as `{ ok: true, value } | { ok: false,
 * error: { code, message } }` so a failure keeps its code across contexts; `sendMessage` throws it back
 * as a MessageError.
 *
 *   const state = await sendMessage({ type: 'auth/state' });
 *   onMessage('background', { 'auth/state': () => auth.state(), ... });
 */

export const TARGETS = ['background', 'offscreen'] as const;
export type Target = (typeof TARGETS)[number];

/** Path of the background service worker (Chrome) and of the offscreen document (built from entrypoints/offscreen/). */
export const BACKGROUND_SCRIPT_PATH = '/background.js';
export const OFFSCREEN_PATH = '/offscreen.html';

const toBackground = z.literal('background').default('background');
const tokenOptions = {
  /** May a sign-in window open if silent renewal fails? Background callers say no. */
  interactive: z.boolean().default(false),
  /** Skip the cached token (the proxy refused it): redeem the refresh token, or renew the session. */
  forceRefresh: z.boolean().default(false),
};

export const backgroundRequestSchema = z.discriminatedUnion('type', [
  /** Signed in? Which account? Is the tenant set up? */
  z.strictObject({ type: z.literal('auth/state'), target: toBackground }),
  /** Interactive sign-in through identity.launchWebAuthFlow. */
  z.strictObject({ type: z.literal('auth/sign-in'), target: toBackground }),
  /** Forget tokens and account, and clear the cached directory. */
  z.strictObject({ type: z.literal('auth/sign-out'), target: toBackground }),
  /** An ID token for the proxy (audience = the app's client ID). */
  z.strictObject({ type: z.literal('auth/token'), target: toBackground, ...tokenOptions }),
  /** The offscreen document (which has no identity API) asks the background to run launchWebAuthFlow. */
  z.strictObject({
    type: z.literal('identity/launch-web-auth-flow'),
    target: toBackground,
    url: z.url({ protocol: /^https$/ }).max(8192),
    interactive: z.boolean(),
  }),
  z.strictObject({ type: z.literal('sync/now'), target: toBackground }),
  z.strictObject({ type: z.literal('sync/status'), target: toBackground }),
  // Autofill (lib/autofill/protocol.ts): the content script's requests, in the shapes its handlers
  // check again (lib/autofill/messages.ts registerAutofillHandlers, which also require a sender tab).
  autofillSearchRequestSchema.extend({ target: toBackground }),
  autofillValuesRequestSchema.extend({ target: toBackground }),
  autofillConfigRequestSchema.extend({ target: toBackground }),
  /** The popup's "Fill into this page": inject the content script into the active tab and open its picker. */
  z.strictObject({ type: z.literal('autofill/fill-active-tab'), target: toBackground }),
]);

/** The tenant as the offscreen document needs it (settings.ts `TenantSettings`), re-validated. */
export const tenantSchema = z.strictObject({
  proxyUrl: settingSchemas.proxyUrl.unwrap(),
  tenantId: settingSchemas.tenantId.unwrap(),
  clientId: settingSchemas.clientId.unwrap(),
  authorityHost: settingSchemas.authorityHost.unwrap(),
  customAuthority: z.boolean(),
});

const toOffscreen = z.literal('offscreen');
const tenant = tenantSchema.nullable();

export const offscreenRequestSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('auth/state'), target: toOffscreen, tenant }),
  z.strictObject({ type: z.literal('auth/sign-in'), target: toOffscreen, tenant }),
  z.strictObject({ type: z.literal('auth/sign-out'), target: toOffscreen, tenant }),
  z.strictObject({ type: z.literal('auth/token'), target: toOffscreen, tenant, ...tokenOptions }),
]);

const schemas = { background: backgroundRequestSchema, offscreen: offscreenRequestSchema } as const;

export type RequestFor<T extends Target> = z.output<(typeof schemas)[T]>;
export type RequestTypeFor<T extends Target> = RequestFor<T>['type'];
/** What callers write: defaults (target, interactive, forceRefresh) may be left out. */
export type RequestInput = z.input<typeof backgroundRequestSchema> | z.input<typeof offscreenRequestSchema>;
export type Request = RequestFor<Target>;
export type RequestType = Request['type'];

export interface AccountSummary {
  username: string;
  name: string | null;
  tenantId: string;
  homeAccountId: string;
}

export interface AuthState {
  /** Proxy URL, tenant and client ID are set (otherwise sign-in answers `tenant_not_set_up`). */
  configured: boolean;
  signedIn: boolean;
  account: AccountSummary | null;
}

export interface IdTokenResult {
  idToken: string;
  /** ms since the epoch, from the token's `exp`. */
  expiresOn: number;
  account: AccountSummary;
}

export interface SyncStatus {
  /** When the last sync finished (ms since the epoch), `null` before the first. */
  lastSyncAt: number | null;
  syncing: boolean;
  error: { code: string; message: string } | null;
  /** Contacts in the local copy. */
  count: number;
}

export interface ResponseMap {
  'auth/state': AuthState;
  'auth/sign-in': AuthState;
  'auth/sign-out': AuthState;
  'auth/token': IdTokenResult;
  'identity/launch-web-auth-flow': { responseUrl: string };
  'sync/now': SyncStatus;
  'sync/status': SyncStatus;
  'autofill/search': Colleague[];
  'autofill/values': FillValues;
  'autofill/config': AutofillConfig;
  'autofill/fill-active-tab': OpenResult;
}

/** Who may send each request. */
type Allowed = 'extension-page' | 'offscreen' | 'background-worker' | 'any';
const ALLOWED_FROM: { [T in Target]: Record<RequestTypeFor<T>, Allowed> } = {
  background: {
    'auth/state': 'extension-page',
    'auth/sign-in': 'extension-page',
    'auth/sign-out': 'extension-page',
    'auth/token': 'extension-page',
    'identity/launch-web-auth-flow': 'offscreen',
    'sync/now': 'extension-page',
    // Harmless to expose (no token, no directory data): a content script may say when the copy was synced.
    'sync/status': 'any',
    // The autofill content script's requests. Its handlers refuse a sender without a tab, rate-limit
    // searches per tab, send four fields per colleague and values only of colleagues shown that tab.
    'autofill/search': 'any',
    'autofill/values': 'any',
    'autofill/config': 'any',
    'autofill/fill-active-tab': 'extension-page',
  },
  offscreen: {
    'auth/state': 'background-worker',
    'auth/sign-in': 'background-worker',
    'auth/sign-out': 'background-worker',
    'auth/token': 'background-worker',
  },
};

export const MESSAGE_ERROR_CODES = ['forbidden', 'bad_request', 'unsupported', 'internal', 'no_receiver'] as const;

/** A failed request: `code` is an AuthError code, a proxy or sync error code, or one of MESSAGE_ERROR_CODES. */
export class MessageError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'MessageError';
  }
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

const envelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) }),
]);

/** The parts of `runtime.MessageSender` the checks read. */
export interface SenderInfo {
  id?: string;
  url?: string;
  tab?: { id?: number };
  frameId?: number;
}

export interface ReceiverIdentity {
  /** `browser.runtime.id` */
  runtimeId: string;
  /** `browser.runtime.getURL('/')`, e.g. `chrome-extension://<id>/`. */
  extensionOrigin: string;
}

export type Validation<T extends Target> = { ok: true; request: RequestFor<T> } | { ok: false; error: { code: 'forbidden' | 'bad_request'; message: string } };

const pathOf = (sender: SenderInfo, self: ReceiverIdentity): string | undefined =>
  typeof sender.url === 'string' && sender.url.startsWith(self.extensionOrigin) ? new URL(sender.url).pathname : undefined;

/**
 * Checks a message addressed to `target` and its sender (pure; the router and the tests call it). A
 * foreign extension, a malformed payload, a content script asking for a privileged request, or the
 * wrong context asking for an internal one is refused.
 */
export function validateMessage<T extends Target>(target: T, raw: unknown, sender: SenderInfo, self: ReceiverIdentity): Validation<T> {
  if (!self.runtimeId || sender.id !== self.runtimeId) return { ok: false, error: { code: 'forbidden', message: 'Messages are accepted from this extension only.' } };
  const parsed = schemas[target].safeParse(raw);
  if (!parsed.success) return { ok: false, error: { code: 'bad_request', message: z.prettifyError(parsed.error) } };
  const request = parsed.data as RequestFor<T>;
  const allowed = (ALLOWED_FROM[target] as Record<string, Allowed>)[request.type];
  const path = pathOf(sender, self);
  const refuse = (who: string): Validation<T> => ({ ok: false, error: { code: 'forbidden', message: `${request.type} is accepted from ${who} only.` } });
  if (allowed === 'extension-page' && path === undefined) return refuse("the extension's own pages");
  if (allowed === 'offscreen' && path !== OFFSCREEN_PATH) return refuse('the offscreen document');
  if (allowed === 'background-worker' && path !== BACKGROUND_SCRIPT_PATH) return refuse('the background service worker');
  return { ok: true, request };
}

/** The target a raw message names, without validating the rest (each context's router ignores others'). */
export function targetOf(raw: unknown): Target | undefined {
  if (typeof raw !== 'object' || raw === null || !('type' in raw)) return undefined;
  const target = (raw as { target?: unknown }).target ?? 'background';
  return (TARGETS as readonly unknown[]).includes(target) ? (target as Target) : undefined;
}

export type Handlers<T extends Target> = {
  [K in RequestTypeFor<T>]?: (request: Extract<RequestFor<T>, { type: K }>, sender: SenderInfo) => ResponseMap[K] | Promise<ResponseMap[K]>;
};

/** Turns any thrown value into the error half of an envelope, keeping a string `code` if it has one. */
export function errorEnvelope(error: unknown): Envelope<never> {
  const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'internal';
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { code, message } };
}

type Runtime = Pick<typeof browser.runtime, 'id' | 'getURL' | 'onMessage'>;

/**
 * Answers the requests addressed to `target` with `handlers`. Messages for another target are left to
 * their own listener (popup, options page and offscreen document all hear each other's messages).
 * Answers with `sendResponse` and `return true`, which Chrome and Firefox both honour asynchronously.
 */
export function onMessage<T extends Target>(target: T, handlers: Handlers<T>, runtime: Runtime = browser.runtime): () => void {
  const self: ReceiverIdentity = { runtimeId: runtime.id, extensionOrigin: runtime.getURL('/') };
  const known = new Set<string>(schemas[target].options.map((option) => option.shape.type.value));
  const listener = (raw: unknown, sender: SenderInfo, sendResponse: (response: Envelope<unknown>) => void): boolean => {
    // Another target's message, or a type this router doesn't know (another listener of this context
    // may), is left alone. A known type is answered, refused or not.
    if (targetOf(raw) !== target || !known.has(String((raw as { type?: unknown }).type))) return false;
    const checked = validateMessage(target, raw, sender, self);
    if (!checked.ok) {
      sendResponse({ ok: false, error: checked.error });
      return false;
    }
    const handler = (handlers as Record<string, ((request: unknown, sender: SenderInfo) => unknown) | undefined>)[checked.request.type];
    if (!handler) {
      sendResponse({ ok: false, error: { code: 'unsupported', message: `${checked.request.type} is not handled by the ${target}.` } });
      return false;
    }
    Promise.resolve()
      .then(() => handler(checked.request, sender))
      .then(
        (value) => sendResponse({ ok: true, value }),
        (error: unknown) => sendResponse(errorEnvelope(error)),
      );
    return true;
  };
  type Listener = Parameters<Runtime['onMessage']['addListener']>[0];
  runtime.onMessage.addListener(listener as unknown as Listener);
  return () => runtime.onMessage.removeListener(listener as unknown as Listener);
}

/** Reads an answer: the value, or a thrown MessageError with the answering side's code. */
export function unwrapResponse<T>(response: unknown, type: string): T {
  if (response === undefined) throw new MessageError('no_receiver', `Nothing answered ${type}.`);
  const parsed = envelopeSchema.safeParse(response);
  if (!parsed.success) throw new MessageError('bad_request', `The answer to ${type} is malformed.`);
  if (!parsed.data.ok) throw new MessageError(parsed.data.error.code, parsed.data.error.message);
  return parsed.data.value as T;
}

/** Sends a request (to the background unless it names the offscreen document) and returns its typed answer. */
export async function sendMessage<R extends RequestInput>(request: R, runtime: Pick<typeof browser.runtime, 'sendMessage'> = browser.runtime): Promise<ResponseMap[R['type']]> {
  let response: unknown;
  try {
    response = await runtime.sendMessage(request);
  } catch (error) {
    // "Could not establish connection. Receiving end does not exist." (no listener in that context yet)
    throw new MessageError('no_receiver', error instanceof Error ? error.message : String(error));
  }
  return unwrapResponse<ResponseMap[R['type']]>(response, request.type);
}
