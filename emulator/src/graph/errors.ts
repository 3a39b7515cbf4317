/**
 * Microsoft Graph's error shape and the errors the users API answers.
 * https://learn.microsoft.com/graph/errors
 *
 * Every error body is `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`;
 * callers branch on `code`, never on `message` (the doc says messages change at any time).
 */

export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra response headers (Retry-After, Location, WWW-Authenticate...). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/** Graph's `innerError.date`: ISO 8601 without fractional seconds. */
export const graphDate = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');

export interface ErrorContext {
  requestId: string;
  clientRequestId: string;
  now: number;
}

export function errorBody(error: GraphError, context: ErrorContext): string {
  return JSON.stringify({
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: graphDate(context.now),
        'request-id': context.requestId,
        'client-request-id': context.clientRequestId,
      },
    },
  });
}

// --- The errors the emulator answers, with the wording Graph uses where the docs show it. ---

/** 404 for a user ID or UPN that does not exist (user-get). */
export const resourceNotFound = (id: string): GraphError =>
  new GraphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);

/** 403 when the token lacks the permission or the permission is not consented in the tenant. */
export const insufficientPrivileges = (): GraphError =>
  new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

/** 400 from the OData layer for malformed queries. */
export const badRequest = (message: string): GraphError => new GraphError(400, 'BadRequest', message);

/** 400 the directory answers for query options it does not support (aad-advanced-queries "Error handling"). */
export const unsupportedQuery = (message: string): GraphError => new GraphError(400, 'Request_UnsupportedQuery', message);

/** 400 the directory answers for bad requests it understands (e.g. `/users/$count` without ConsistencyLevel). */
export const directoryBadRequest = (message: string): GraphError => new GraphError(400, 'Request_BadRequest', message);

/** Missing profile photo (profilephoto-get: "If no photo exists, the operation returns 404 Not Found"). */
export const imageNotFound = (): GraphError =>
  new GraphError(404, 'ImageNotFound', "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.");

/** Unknown path under /v1.0, as Graph's OData router words it. */
export const segmentNotFound = (segment: string): GraphError =>
  new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment}'.`);
