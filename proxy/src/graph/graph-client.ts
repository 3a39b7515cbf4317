import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type AuthenticationProvider,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';

/**
 * A Microsoft Graph client for one tenant, on the configured cloud's Graph endpoint.
 *
 * The client only attaches the Authorization header for Graph's own hosts or `customHosts` (bare host
 * names) and only for https URLs (microsoft-graph-client GraphRequestUtil.isCustomHost), so a national
 * cloud or the emulator's host is passed as a custom host.
 * RetryHandler retries 429, 503 and 504, honouring Retry-After (seconds or HTTP date) and otherwise
 * backing off exponentially from `delay` seconds (https://learn.microsoft.com/graph/throttling#best-practices-to-handle-throttling).
 */
export interface GraphClientOptions {
  /** `https://graph.microsoft.com/v1.0` or the cloud's / emulator's equivalent. */
  graphUrl: string;
  getAccessToken: () => Promise<string>;
  /** Retries of a throttled or unavailable request before giving up (default 5, Graph client max 10). */
  maxRetries?: number;
  /** Base delay in seconds when Graph sends no Retry-After (default 3). */
  retryDelaySeconds?: number;
  /** Called when Graph refuses a token (401): the next getAccessToken() must not reuse a cached one. */
  onUnauthorized?: () => void;
}

/**
 * A token can be refused before its expiry (sessions revoked, or a clock disagreement): on a 401, drop
 * the cached token and try the request once more with a fresh one.
 */
class RetryWithFreshToken implements Middleware {
  #next: Middleware | undefined;
  constructor(private readonly invalidate: () => void) {}
  async execute(context: Context): Promise<void> {
    await this.#next!.execute(context);
    if (context.response?.status === 401) {
      this.invalidate();
      await this.#next!.execute(context);
    }
  }
  setNext(next: Middleware): void {
    this.#next = next;
  }
}

const GRAPH_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

export function createGraphClient(options: GraphClientOptions): Client {
  const url = new URL(options.graphUrl);
  if (url.protocol !== 'https:') throw new Error(`the Graph URL must be https (got ${options.graphUrl}): the Graph client sends tokens only over https`);
  const version = url.pathname.replace(/^\/+|\/+$/g, '') || 'v1.0';
  const authProvider: AuthenticationProvider = { getAccessToken: options.getAccessToken };
  const authentication = new AuthenticationHandler(authProvider);
  const retry = new RetryHandler(new RetryHandlerOptions(options.retryDelaySeconds ?? 3, options.maxRetries ?? 5));
  const redirect = new RedirectHandler();
  const telemetry = new TelemetryHandler();
  const http = new HTTPMessageHandler();
  const first: Middleware = options.onUnauthorized ? new RetryWithFreshToken(options.onUnauthorized) : authentication;
  if (first !== authentication) first.setNext!(authentication);
  authentication.setNext(retry);
  retry.setNext(redirect);
  redirect.setNext(telemetry);
  telemetry.setNext(http);
  return Client.initWithMiddleware({
    middleware: first,
    baseUrl: `${url.origin}/`,
    defaultVersion: version,
    customHosts: GRAPH_HOSTS.has(url.hostname) ? undefined : new Set([url.hostname]),
  });
}
