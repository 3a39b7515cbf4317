import { aadstsEntry, type AadstsDetails } from '../../../shared/aadsts.ts';

export { describeAadsts, parseAadstsCode, AADSTS_CODES, type AadstsDescription, type AadstsDetails } from '../../../shared/aadsts.ts';

/** An AADSTS failure raised while handling a request; rendered as JSON, a redirect or a page. */
export class AadstsError extends Error {
  readonly error: string;
  readonly status: 400 | 401;
  /** Entra's `suberror`, which MSAL reads to tell interaction-required failures apart (e.g. `consent_required`). */
  readonly suberror: string | undefined;
  constructor(
    readonly code: number,
    readonly details: AadstsDetails = {},
    options: { error?: string; status?: 400 | 401; suberror?: string } = {},
  ) {
    const entry = aadstsEntry(code);
    super(entry ? entry.message(details) : `AADSTS${code}`);
    this.name = 'AadstsError';
    this.error = options.error ?? entry?.error ?? 'invalid_request';
    this.status = options.status ?? entry?.status ?? 400;
    this.suberror = options.suberror;
  }
}

export const aadsts = (code: number, details?: AadstsDetails, options?: { error?: string; status?: 400 | 401; suberror?: string }): AadstsError =>
  new AadstsError(code, details, options);

/** Identifiers Entra attaches to every error (and logs under in its sign-in logs). */
export interface TraceContext {
  traceId: string;
  correlationId: string;
  /** Milliseconds since the epoch, from the emulator's clock. */
  now: number;
}

/** Entra's timestamp format in errors: `2016-01-09 02:02:12Z`. */
export const entraTimestamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** `AADSTSnnnn: message\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …`, as in the protocol pages' error examples. */
export function errorDescription(error: AadstsError, trace: TraceContext): string {
  return `AADSTS${error.code}: ${error.message}\r\nTrace ID: ${trace.traceId}\r\nCorrelation ID: ${trace.correlationId}\r\nTimestamp: ${entraTimestamp(trace.now)}`;
}

/** The token endpoint's error body (reference-error-codes, "Handling error codes in your application"). */
export function tokenErrorBody(error: AadstsError, trace: TraceContext, origin: string): Record<string, unknown> {
  return {
    error: error.error,
    error_description: errorDescription(error, trace),
    error_codes: [error.code],
    timestamp: entraTimestamp(trace.now),
    trace_id: trace.traceId,
    correlation_id: trace.correlationId,
    error_uri: `${origin}/error?code=${error.code}`,
    ...(error.suberror ? { suberror: error.suberror } : {}),
  };
}
