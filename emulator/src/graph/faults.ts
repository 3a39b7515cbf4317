import { mulberry32 } from '../directory/prng.ts';
import { GraphError } from './errors.ts';

/**
 * Injected failures: the transient errors a Graph client must survive. Statuses and codes follow
 * https://learn.microsoft.com/graph/errors (503 serviceNotAvailable "may have a Retry-After header";
 * 504 "may occur together with 503") and https://learn.microsoft.com/graph/throttling (429 with Retry-After).
 * The graph client's RetryHandler retries 429, 503 and 504 only, honouring Retry-After.
 */

export const FAULT_STATUSES = [429, 500, 502, 503, 504] as const;
export type FaultStatus = (typeof FAULT_STATUSES)[number];

export interface FaultSettings {
  /** Probability (0–1) that a Graph request fails. */
  rate: number;
  /** Statuses to choose from, uniformly. */
  statuses: FaultStatus[];
  /** Added to every Graph response, faulted or not. */
  latencyMs: number;
  /** Retry-After sent with injected 429 and 503. */
  retryAfterSeconds: number;
  /** Seed of the deterministic generator: the same seed gives the same sequence of faults. */
  seed: number;
}

export const DEFAULT_FAULTS: FaultSettings = { rate: 0, statuses: [...FAULT_STATUSES], latencyMs: 0, retryAfterSeconds: 1, seed: 1 };


export function faultError(status: FaultStatus, retryAfterSeconds: number): GraphError {
  const retryAfter = { 'Retry-After': String(retryAfterSeconds) };
  switch (status) {
    case 429:
      return new GraphError(429, 'TooManyRequests', 'Too many requests. Wait the number of seconds in Retry-After, then retry.', retryAfter);
    case 500:
      return new GraphError(500, 'UnknownError', 'An unexpected error occurred on the server.');
    case 502:
      return new GraphError(502, 'generalException', 'An unspecified error occurred while processing the request.');
    case 503:
      return new GraphError(503, 'serviceNotAvailable', 'The service is temporarily unavailable. Try again after the delay in Retry-After.', retryAfter);
    case 504:
      return new GraphError(504, 'gatewayTimeout', 'The gateway did not receive a timely response from the upstream service.');
  }
}

export interface FaultInjector {
  settings(): FaultSettings;
  /** Merges and validates new settings; a new `seed` (or any change to it) restarts the sequence. */
  configure(patch: Partial<FaultSettings>): FaultSettings;
  /** Draws the next decision: the error to answer, or undefined to serve the request. */
  next(): GraphError | undefined;
}

export function validateFaultSettings(settings: FaultSettings): void {
  if (!(settings.rate >= 0 && settings.rate <= 1)) throw new RangeError('rate must be a number from 0 to 1');
  if (settings.statuses.length === 0) throw new RangeError('statuses must list at least one of 429, 500, 502, 503, 504');
  for (const status of settings.statuses) {
    if (!FAULT_STATUSES.includes(status)) throw new RangeError(`status ${String(status)} is not one of 429, 500, 502, 503, 504`);
  }
  if (!(Number.isFinite(settings.latencyMs) && settings.latencyMs >= 0 && settings.latencyMs <= 60_000)) {
    throw new RangeError('latencyMs must be from 0 to 60000');
  }
  if (!(Number.isInteger(settings.retryAfterSeconds) && settings.retryAfterSeconds >= 0 && settings.retryAfterSeconds <= 180)) {
    throw new RangeError('retryAfterSeconds must be a whole number from 0 to 180');
  }
  if (!Number.isInteger(settings.seed)) throw new RangeError('seed must be a whole number');
}

export function createFaultInjector(initial: Partial<FaultSettings> = {}): FaultInjector {
  let current: FaultSettings = { ...DEFAULT_FAULTS, ...initial, statuses: [...(initial.statuses ?? DEFAULT_FAULTS.statuses)] };
  validateFaultSettings(current);
  let random = mulberry32(current.seed);

  return {
    settings: () => ({ ...current, statuses: [...current.statuses] }),
    configure(patch) {
      const next: FaultSettings = { ...current, ...patch, statuses: [...(patch.statuses ?? current.statuses)] };
      validateFaultSettings(next);
      current = next;
      random = mulberry32(current.seed);
      return { ...current, statuses: [...current.statuses] };
    },
    next() {
      if (current.rate <= 0) return undefined;
      // Two draws per request whatever the outcome, so a seed gives the same sequence for any rate.
      const hit = random() < current.rate;
      const pick = random();
      if (!hit) return undefined;
      const status = current.statuses[Math.floor(pick * current.statuses.length)] ?? current.statuses[0]!;
      return faultError(status, current.retryAfterSeconds);
    },
  };
}
