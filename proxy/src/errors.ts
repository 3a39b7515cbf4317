import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * An API failure a client can act on: HTTP status, a stable `code` clients branch on, and a message that
 * says what to do. Rendered by the app's onError as `{"error":{"code","message"}}`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
