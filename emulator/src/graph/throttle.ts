import { GraphError } from './errors.ts';

/**
 * Identity and access service limits, https://learn.microsoft.com/graph/throttling-limits
 * ("Identity and access service limits"): a token bucket per application+tenant pair holding
 * 3,500 (S: under 50 users), 5,000 (M: 50–500) or 8,000 (L: over 500) resource units per 10 seconds.
 * Each request costs its base cost (GET users 2, any other identity path 1), minus 1 with `$select`,
 * plus 1 with `$expand`, minus 1 with `$top` under 20, never below 1. Throttled requests get 429 with
 * Retry-After and `x-ms-throttle-scope`; served ones carry `x-ms-resource-unit`, and
 * `x-ms-throttle-limit-percentage` once more than 0.8 of the limit is used.
 */

export const WINDOW_MS = 10_000;

export function tenantBudget(userCount: number): number {
  if (userCount < 50) return 3_500;
  if (userCount <= 500) return 5_000;
  return 8_000;
}

/**
 * Resource units of a GET, from the path below `/v1.0/` (e.g. `users`, `users/delta`, `me/photo/$value`)
 * and the query options present.
 */
export function requestCost(path: string, query: URLSearchParams): number {
  const segments = path.split('/').filter(Boolean);
  // "GET users: 2"; every identity path not in the table costs 1 (users/{id}, users/delta, me, ...).
  let cost = segments.length === 1 && segments[0]!.toLowerCase() === 'users' ? 2 : 1;
  const names = new Map<string, string>();
  for (const [key, value] of query) names.set(key.toLowerCase(), value);
  if (names.has('$select')) cost -= 1;
  if (names.has('$expand')) cost += 1;
  const top = Number(names.get('$top'));
  if (names.has('$top') && Number.isFinite(top) && top < 20) cost -= 1;
  return Math.max(1, cost);
}

export interface ThrottleSettings {
  enabled: boolean;
  /** Fixed budget per 10 s for every pair, instead of the tenant-size tiers (tests use a small one). */
  budgetPer10s: number | null;
}

export interface ThrottleOutcome {
  /** Headers to add to the response, throttled or not. */
  headers: Record<string, string>;
  /** Set when the request must be refused with 429. */
  error?: GraphError;
}

export interface Throttle {
  settings(): ThrottleSettings;
  configure(patch: Partial<ThrottleSettings>): ThrottleSettings;
  /** Charges `cost` to the pair's bucket at time `now`, or refuses when the bucket lacks the units. */
  charge(input: { tenantId: string; appId: string; userCount: number; cost: number; now: number }): ThrottleOutcome;
  reset(): void;
}

interface Bucket {
  /** Units available at `updatedAt`. */
  available: number;
  updatedAt: number;
}

export function createThrottle(initial: Partial<ThrottleSettings> = {}): Throttle {
  let current: ThrottleSettings = { enabled: initial.enabled ?? true, budgetPer10s: initial.budgetPer10s ?? null };
  const buckets = new Map<string, Bucket>();

  const validate = (settings: ThrottleSettings) => {
    if (settings.budgetPer10s !== null && !(Number.isInteger(settings.budgetPer10s) && settings.budgetPer10s >= 1)) {
      throw new RangeError('budgetPer10s must be a whole number of at least 1, or null for the tenant-size tiers');
    }
  };
  validate(current);

  return {
    settings: () => ({ ...current }),
    configure(patch) {
      const next = { ...current, ...patch };
      validate(next);
      current = next;
      buckets.clear();
      return { ...current };
    },
    reset: () => buckets.clear(),
    charge({ tenantId, appId, userCount, cost, now }) {
      const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost) };
      if (!current.enabled) return { headers };
      const limit = current.budgetPer10s ?? tenantBudget(userCount);
      const refillPerMs = limit / WINDOW_MS;
      const key = `${tenantId}/${appId}`;
      const bucket = buckets.get(key) ?? { available: limit, updatedAt: now };
      bucket.available = Math.min(limit, bucket.available + Math.max(0, now - bucket.updatedAt) * refillPerMs);
      bucket.updatedAt = now;
      buckets.set(key, bucket);
      if (bucket.available < cost) {
        const waitMs = (cost - bucket.available) / refillPerMs;
        const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
        return {
          headers,
          error: new GraphError(429, 'TooManyRequests', 'Too many requests. Wait the number of seconds in Retry-After, then retry.', {
            'Retry-After': String(retryAfter),
            'x-ms-throttle-scope': `Tenant_Application/ReadWrite/${appId}/${tenantId}`,
            'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
          }),
        };
      }
      bucket.available -= cost;
      const used = (limit - bucket.available) / limit;
      if (used > 0.8) headers['x-ms-throttle-limit-percentage'] = used.toFixed(2);
      return { headers };
    },
  };
}
