import { z } from 'zod';
import { tenantStatusSchema, type TenantStatus } from '../../shared/tenant-status.ts';
import { contactSchema } from '../../shared/contact.ts';

/**
 * The extension's side of the proxy API (proxy/src/app.ts, README "The proxy"): the changes feed, the
 * signed-in colleague, tenant status and setup, photos and "sync now". Every answer is validated with
 * zod before anyone uses it — the network is not trusted, whatever the proxy is supposed to send.
 *
 * Every failure a person can act on is one `ProxyError` with a stable `code` (callers and tests branch on
 * the code, never the message) and a message that says what to do. `fetch`, the token source and the
 * timeout are parameters, so tests run it against a real proxy or a fake `fetch` alike.
 */

export type ProxyErrorCode =
  /** No token, or the proxy refused it (401) even after a fresh one: sign in. */
  | 'not_signed_in'
  /** The tenant's setup was started but an administrator has not consented (or a permission is missing). */
  | 'consent_missing'
  /** The token's tenant is not connected to this proxy (403 unknown_tenant, 404 tenant_not_found). */
  | 'tenant_not_set_up'
  /** Network error, timeout or 5xx: the proxy URL is wrong or the proxy is down. */
  | 'proxy_unreachable'
  /** 429: wait `retryAfter` seconds. */
  | 'rate_limited'
  /** The answer was not what a Peoplebook proxy sends (not JSON, wrong shape, unexpected status). */
  | 'bad_response'
  /** 403 forbidden: the signed-in colleague may not do this (e.g. start a sync without being an admin). */
  | 'forbidden'
  /** Another 4xx with the proxy's own explanation (e.g. setup with a malformed client ID, an AADSTS fix). */
  | 'request_refused';

export class ProxyError extends Error {
  override name = 'ProxyError';
  /** HTTP status, when the proxy answered. */
  readonly status: number | undefined;
  /** The proxy's own `error.code` (e.g. `invalid_token`, `AADSTS90002`), when it sent one. */
  readonly proxyCode: string | undefined;
  /** Seconds to wait before trying again (`rate_limited`). */
  readonly retryAfter: number | undefined;

  constructor(
    readonly code: ProxyErrorCode,
    message: string,
    details: { status?: number; proxyCode?: string; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.proxyCode = details.proxyCode;
    this.retryAfter = details.retryAfter;
  }
}

// ---- Response shapes (mirroring proxy/src/app.ts; unknown keys are dropped) ----

// Opaque to the extension: `<seq>`, or `<seq>.<start>` while a first download is under way.
const cursorSchema = z.string().regex(/^\d{1,15}(?:\.\d{1,15})?$/, 'a cursor from the proxy');

export const changesPageSchema = z.union([
  z.object({ resync: z.literal(true) }),
  z.object({ cursor: cursorSchema, more: z.boolean(), upserts: z.array(contactSchema), deletions: z.array(z.string().min(1)) }),
]);
export type ChangesPage = z.infer<typeof changesPageSchema>;

export { tenantStatusSchema, type TenantStatus };

export const meSchema = z.object({
  tenantId: z.string(),
  oid: z.string(),
  name: z.string().nullable(),
  username: z.string().nullable(),
  isAdmin: z.boolean(),
  contact: contactSchema.nullable(),
  tenant: tenantStatusSchema.extend({ adminUpn: z.string().nullable() }),
});
export type Me = z.infer<typeof meSchema>;

export const setupStartedSchema = z.object({ tenantId: z.string(), authorizeUrl: z.url(), redirectUri: z.string(), expiresAt: z.string() });
export type SetupStarted = z.infer<typeof setupStartedSchema>;

const syncStartedSchema = z.object({ started: z.boolean() });
const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface SetupInput {
  cloud: 'global' | 'usgov' | 'china' | 'custom';
  /** Tenant GUID or verified domain. */
  tenant: string;
  clientId: string;
  /** Sent once to the proxy over HTTPS; never stored by the extension. */
  clientSecret: string;
  graphAuth: 'delegated' | 'application';
}

/** Photo sizes Graph serves (https://learn.microsoft.com/graph/api/profilephoto-get). */
export type PhotoSize = '48x48' | '64x64' | '96x96' | '120x120' | '240x240' | '360x360' | '432x432' | '504x504' | '648x648';

export type PhotoResult =
  | { status: 'ok'; bytes: Uint8Array; contentType: string; etag: string | null }
  /** The ETag sent still matches: keep the cached copy. */
  | { status: 'not_modified' }
  /** The colleague has no photo (or is not in the directory). */
  | { status: 'missing' };

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface ProxyClient {
  readonly baseUrl: string;
  /** One page of the changes feed after `since` ('0' = everything). */
  changes(since: string, options?: RequestOptions & { limit?: number }): Promise<ChangesPage>;
  me(options?: RequestOptions): Promise<Me>;
  /** A tenant's setup and sync status (no sign-in needed). */
  status(tenantId: string, options?: RequestOptions): Promise<TenantStatus>;
  /** Save and Authorize: stores a pending tenant configuration, returns where to send the admin. */
  setup(input: SetupInput, options?: RequestOptions): Promise<SetupStarted>;
  photo(id: string, options?: RequestOptions & { size?: PhotoSize; etag?: string | null }): Promise<PhotoResult>;
  /** Starts a directory sync on the proxy now (Global Administrators). */
  syncNow(tenantId: string, options?: RequestOptions): Promise<{ started: boolean }>;
}

/**
 * Where the token comes from (the auth module). Returns null/undefined when nobody is signed in.
 * `forceRefresh` is set after the proxy refused the previous token (expired, or revoked keys).
 */
export type TokenSource = (options: { forceRefresh: boolean }) => Promise<string | null | undefined>;

export interface ProxyClientOptions {
  /** The proxy's base URL, e.g. `https://peoplebook.contoso.com` (a path prefix is kept). */
  baseUrl: string;
  getToken: TokenSource;
  fetch?: typeof fetch;
  /** Per request, including reading the body (default 30 s; a 2,000-contact page is ~700 KB). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const CHECK_URL = 'Check the proxy URL in Peoplebook\u2019s options and that the proxy is running.';

/** Creates a client; throws `ProxyError('proxy_unreachable')` at once when `baseUrl` is not an http(s) URL. */
export function createProxyClient(options: ProxyClientOptions): ProxyClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  // An unbound `fetch` kept in an object throws "Illegal invocation" in extension service workers.
  const fetcher: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  interface Call {
    method?: 'GET' | 'POST';
    path: string;
    auth: boolean;
    body?: unknown;
    headers?: Record<string, string>;
    signal?: AbortSignal | undefined;
  }

  /** One HTTP exchange: the response with its body read (so the timeout covers the body too). */
  async function exchange(call: Call, token: string | null): Promise<{ response: Response; body: Uint8Array }> {
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    call.signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? anySignal([call.signal, timeout]) : timeout;
    try {
      const response = await fetcher(`${baseUrl}${call.path}`, {
        method: call.method ?? 'GET',
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal,
        // Extension pages send no cookies to the proxy: it authenticates by token only.
        credentials: 'omit',
      });
      const body = new Uint8Array(await response.arrayBuffer());
      return { response, body };
    } catch (error) {
      // The caller gave up: that is not the proxy's fault, pass their reason on.
      if (call.signal?.aborted) throw call.signal.reason ?? error;
      if (timeout.aborted) {
        throw new ProxyError('proxy_unreachable', `The proxy at ${baseUrl} did not answer within ${Math.round(timeoutMs / 1000)} s. ${CHECK_URL}`, { cause: error });
      }
      throw new ProxyError('proxy_unreachable', `Cannot reach the proxy at ${baseUrl} (${(error as Error).message || 'network error'}). ${CHECK_URL}`, { cause: error });
    }
  }

  /** Sends a call with a token when it needs one; on 401 asks for a fresh token and tries once more. */
  async function send(call: Call): Promise<{ response: Response; body: Uint8Array }> {
    if (!call.auth) return exchange(call, null);
    let token = await tokenOf(false);
    let result = await exchange(call, token);
    if (result.response.status === 401) {
      // Expired, or signed with a key the proxy no longer accepts: a fresh token may do.
      token = await tokenOf(true);
      result = await exchange(call, token);
    }
    return result;
  }

  async function tokenOf(forceRefresh: boolean): Promise<string> {
    let token: string | null | undefined;
    try {
      token = await options.getToken({ forceRefresh });
    } catch (error) {
      if (error instanceof ProxyError) throw error;
      throw new ProxyError('not_signed_in', `Signing in did not work (${(error as Error).message}). Open Peoplebook and sign in again.`, { cause: error });
    }
    if (!token) throw new ProxyError('not_signed_in', 'You are not signed in. Open Peoplebook and sign in with your work account.');
    return token;
  }

  /** Decodes a JSON answer with `schema`; turns every error answer into a `ProxyError`. */
  async function json<T>(call: Call, schema: z.ZodType<T>, ok: readonly number[] = [200]): Promise<T> {
    const { response, body } = await send(call);
    if (!ok.includes(response.status)) throw await failure(response, body, call);
    return decode(response, body, schema);
  }

  function decode<T>(response: Response, body: Uint8Array, schema: z.ZodType<T>): T {
    let data: unknown;
    try {
      data = JSON.parse(new TextDecoder().decode(body));
    } catch (error) {
      throw badResponse(`${response.status} with a body that is not JSON`, error);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw badResponse(`${issue?.path.join('.') || 'answer'}: ${issue?.message ?? 'unexpected shape'}`, parsed.error);
    }
    return parsed.data;
  }

  function badResponse(what: string, cause?: unknown): ProxyError {
    return new ProxyError('bad_response', `The server at ${baseUrl} did not answer like a Peoplebook proxy (${what}). Check the proxy URL in the options; if it is right, the proxy may need updating.`, { cause });
  }

  /** The `ProxyError` for an answer that is not a success. */
  async function failure(response: Response, body: Uint8Array, call: Call): Promise<ProxyError> {
    const status = response.status;
    let proxyCode: string | undefined;
    let proxyMessage: string | undefined;
    try {
      const parsed = errorBodySchema.safeParse(JSON.parse(new TextDecoder().decode(body)));
      if (parsed.success) ({ code: proxyCode, message: proxyMessage } = parsed.data.error);
    } catch {
      // Not JSON: a reverse proxy's error page, or not a Peoplebook proxy at all.
    }
    const details = { status, ...(proxyCode !== undefined && { proxyCode }) };
    if (status === 401) {
      return new ProxyError('not_signed_in', `The proxy did not accept your sign-in (${proxyCode ?? 'refused'}). Sign in to Peoplebook again.`, details);
    }
    if (status === 403 && proxyCode === 'unknown_tenant') return tenantProblem(call, details);
    if (status === 404 && proxyCode === 'tenant_not_found') {
      return new ProxyError('tenant_not_set_up', 'Your organization is not set up on this Peoplebook proxy yet: an administrator connects it in Peoplebook\u2019s options (Save and Authorize).', details);
    }
    if (status === 403) return new ProxyError('forbidden', proxyMessage ?? 'The proxy refused this request for your account.', details);
    if (status === 429) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      return new ProxyError('rate_limited', `The proxy is receiving too many requests from you: try again in ${retryAfter} s.`, { ...details, retryAfter });
    }
    if (status >= 500) {
      const detail = proxyMessage ? ` (${proxyMessage})` : '';
      return new ProxyError('proxy_unreachable', `The proxy at ${baseUrl} answered ${status}${detail}. Try again in a few minutes. ${CHECK_URL}`, details);
    }
    // No Peoplebook error body, or "no such route": another server, or an older proxy.
    if (proxyCode === undefined || proxyCode === 'not_found') return badResponse(`HTTP ${status}`);
    if (status >= 400) return new ProxyError('request_refused', proxyMessage ?? `The proxy refused the request (${proxyCode}).`, details);
    return badResponse(`unexpected HTTP ${status}`);
  }

  /**
   * 403 unknown_tenant: the token is genuine but its tenant is not active here. The tenant's status (no
   * sign-in needed) tells "an admin started setup but has not consented" from "nobody set it up".
   */
  async function tenantProblem(call: Call, details: { status: number; proxyCode?: string }): Promise<ProxyError> {
    const notSetUp = new ProxyError('tenant_not_set_up', 'Your organization is not connected to this Peoplebook proxy yet: ask your administrator to set it up in Peoplebook\u2019s options (Save and Authorize).', details);
    const tenantId = tenantOfToken(await tokenOf(false).catch(() => null));
    if (!tenantId) return notSetUp;
    let status: TenantStatus;
    try {
      status = await client.status(tenantId, { signal: call.signal });
    } catch {
      return notSetUp;
    }
    const consentCodes = /^(CONSENT_MISSING|PERMISSION_MISSING|AADSTS65001|AADSTS65004|AADSTS650056|AADSTS90094|AADSTS90095)$/;
    if (status.state === 'pending' || (status.lastError !== null && consentCodes.test(status.lastError.code))) {
      const fix = status.lastError?.fix ?? 'An administrator must finish Save and Authorize in Peoplebook\u2019s options and grant consent for the organization.';
      return new ProxyError('consent_missing', `Peoplebook is set up for your organization but an administrator has not granted consent yet. ${fix}`, details);
    }
    if (status.lastError) {
      return new ProxyError('tenant_not_set_up', `Connecting your organization to Peoplebook failed: ${status.lastError.message}. ${status.lastError.fix}`, details);
    }
    return notSetUp;
  }

  const client: ProxyClient = {
    baseUrl,
    async changes(since, { limit, signal } = {}) {
      if (!/^\d{1,15}(?:\.\d{1,15})?$/.test(since)) throw new TypeError(`changes: "${since}" is not a cursor the proxy gave`);
      const query = new URLSearchParams({ since, ...(limit !== undefined && { limit: String(limit) }) });
      return json({ path: `/api/v1/directory/changes?${query}`, auth: true, signal }, changesPageSchema);
    },
    async me({ signal } = {}) {
      return json({ path: '/api/v1/me', auth: true, signal }, meSchema);
    },
    async status(tenantId, { signal } = {}) {
      return json({ path: `/api/v1/tenants/${encodeURIComponent(tenantId)}/status`, auth: false, signal }, tenantStatusSchema);
    },
    async setup(input, { signal } = {}) {
      return json({ method: 'POST', path: '/api/azure/setup', auth: false, body: input, signal }, setupStartedSchema, [201]);
    },
    async syncNow(tenantId, { signal } = {}) {
      return json({ method: 'POST', path: `/api/v1/tenants/${encodeURIComponent(tenantId)}/sync`, auth: true, signal }, syncStartedSchema, [202]);
    },
    async photo(id, { size = '96x96', etag, signal } = {}) {
      const call: Call = {
        path: `/api/v1/directory/users/${encodeURIComponent(id)}/photo?size=${size}`,
        auth: true,
        signal,
        headers: { accept: 'image/*', ...(etag ? { 'if-none-match': etag } : {}) },
      };
      const { response, body } = await send(call);
      if (response.status === 304) return { status: 'not_modified' };
      if (response.status === 404) {
        const error = await failure(response, body, call);
        if (error.proxyCode === 'photo_not_found' || error.proxyCode === 'user_not_found') return { status: 'missing' };
        throw error;
      }
      if (response.status !== 200) throw await failure(response, body, call);
      const contentType = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
      // Only an image is ever handed to an <img>: anything else is not what the proxy serves.
      if (!/^image\/[a-z0-9.+-]+$/.test(contentType) || contentType === 'image/svg+xml') throw badResponse(`photo with Content-Type "${contentType}"`);
      return { status: 'ok', bytes: body, contentType, etag: response.headers.get('etag') };
    },
  };
  return client;
}

function normalizeBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new ProxyError('proxy_unreachable', `"${input}" is not a URL. Enter the proxy URL your administrator gave you (https://…) in Peoplebook\u2019s options.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ProxyError('proxy_unreachable', `The proxy URL must start with https:// (got ${url.protocol}). Fix it in Peoplebook\u2019s options.`);
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); 60 when absent or unreadable. */
function parseRetryAfter(value: string | null): number {
  if (value === null) return 60;
  if (/^\d+$/.test(value.trim())) return Math.max(1, Number(value.trim()));
  const at = Date.parse(value);
  return Number.isNaN(at) ? 60 : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

/** The `tid` claim of a JWT, unverified: only used to choose which status to ask the proxy for. */
export function tenantOfToken(token: string | null): string | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const tid = (JSON.parse(json) as { tid?: unknown }).tid;
    return typeof tid === 'string' && /^[0-9a-f-]{36}$/i.test(tid) ? tid.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** `AbortSignal.any` (Chrome 116, Firefox 124, Node 20.3), with a fallback for older engines. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
