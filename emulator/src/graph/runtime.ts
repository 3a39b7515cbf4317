import { randomUUID } from 'node:crypto';
import { PhotoCache } from './avatar.ts';
import { createFaultInjector, type FaultInjector, type FaultStatus } from './faults.ts';
import { createThrottle, type Throttle } from './throttle.ts';

/** How the emulator's Graph behaves, beyond the documented defaults. All fields optional. */
export interface GraphOptions {
  /** Probability (0–1) of an injected failure per Graph request (default 0). */
  faultRate?: number;
  /** Statuses injected failures choose from: any of 429, 500, 502, 503, 504 (the default is all five). */
  faultStatuses?: number[];
  /** Retry-After seconds on injected 429/503 (default 1). */
  retryAfterSeconds?: number;
  /** Added latency per Graph request, milliseconds (default 0). */
  latencyMs?: number;
  /** Seed of the fault generator (default 1). */
  faultSeed?: number;
  /** Resource-unit throttling per app+tenant (default true). */
  throttling?: boolean;
  /** Fixed budget per 10 s instead of the tenant-size tiers (default: tiers). */
  budgetPer10s?: number;
  /** Users per `/users/delta` page when the client sends no `Prefer: odata.maxpagesize` (default 200). */
  deltaPageSize?: number;
  /** Make the second page of every multi-page initial delta round empty (still with a nextLink). Default true. */
  emptyDeltaPages?: boolean;
}

export interface GraphStats {
  requests: number;
  faultsInjected: number;
  faultsByStatus: Record<string, number>;
  throttled: number;
  responsesByStatus: Record<string, number>;
}

export interface SortedIndex {
  seq: number;
  positions: Int32Array;
}

/** Graph's mutable state in one emulator: faults, throttling, statistics, delta-token epochs, caches. */
export interface GraphRuntime {
  readonly faults: FaultInjector;
  readonly throttle: Throttle;
  readonly stats: GraphStats;
  /** Changes on every start: tokens from an earlier run get a sync reset, not data from another life. */
  readonly instanceId: string;
  readonly deltaPageSize: number;
  readonly emptyDeltaPages: boolean;
  readonly photos: PhotoCache;
  /** Sorted `$orderby` indexes, by `tenantId/property`, rebuilt when the directory's seq moves. */
  readonly sortedIndexes: Map<string, SortedIndex>;
  /** Current delta epoch of a tenant; tokens of an older epoch get the sync reset. */
  deltaEpoch(tenantId: string): number;
  /** Makes every outstanding delta and skip token of the tenant answer with the sync reset. */
  expireDeltaTokens(tenantId: string): void;
  resetStats(): void;
  recordResponse(status: number): void;
}

const emptyStats = (): GraphStats => ({ requests: 0, faultsInjected: 0, faultsByStatus: {}, throttled: 0, responsesByStatus: {} });

export function createGraphRuntime(options: GraphOptions): GraphRuntime {
  const pageSize = options.deltaPageSize ?? 200;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999) throw new RangeError('deltaPageSize must be a whole number from 1 to 999');
  const faults = createFaultInjector({
    ...(options.faultRate !== undefined ? { rate: options.faultRate } : {}),
    ...(options.faultStatuses !== undefined ? { statuses: options.faultStatuses as FaultStatus[] } : {}),
    ...(options.retryAfterSeconds !== undefined ? { retryAfterSeconds: options.retryAfterSeconds } : {}),
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.faultSeed !== undefined ? { seed: options.faultSeed } : {}),
  });
  const throttle = createThrottle({ enabled: options.throttling ?? true, budgetPer10s: options.budgetPer10s ?? null });
  const epochs = new Map<string, number>();
  const stats = emptyStats();

  return {
    faults,
    throttle,
    stats,
    instanceId: randomUUID(),
    deltaPageSize: pageSize,
    emptyDeltaPages: options.emptyDeltaPages ?? true,
    photos: new PhotoCache(),
    sortedIndexes: new Map(),
    deltaEpoch: (tenantId) => epochs.get(tenantId) ?? 0,
    expireDeltaTokens(tenantId) {
      epochs.set(tenantId, (epochs.get(tenantId) ?? 0) + 1);
    },
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    recordResponse(status) {
      stats.responsesByStatus[status] = (stats.responsesByStatus[status] ?? 0) + 1;
    },
  };
}
