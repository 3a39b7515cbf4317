import type { Logger } from '../logger.ts';
import type { ProxyMetrics } from '../metrics.ts';
import type { Store, SyncState, Tenant } from '../store/types.ts';
import type { TenantService } from '../tenants/tenant-service.ts';
import { leaseOwnerId, syncTenant, type SyncReport } from './sync-tenant.ts';
import type { MirrorFilters } from './delta-mapping.ts';

/**
 * Runs each active tenant's sync on a schedule (default every 15 minutes), right away when a tenant is
 * activated, and never twice at once for a tenant (a store lease guards across processes too).
 * stop() lets the page being committed finish, then returns.
 */
export interface SchedulerOptions {
  store: Store;
  tenants: TenantService;
  log: Logger;
  metrics?: ProxyMetrics;
  intervalMs: number;
  filters: MirrorFilters;
  /** Days a deletion stays in the changes feed. */
  historyDays: number;
  /** How often to look for due tenants (default 5 s). */
  tickMs?: number;
  now?: () => Date;
  /** Sync tuning passed through (tests shorten backoffs). */
  backoffMs?: number;
  /** Wait before retrying a failed round (default 30 s, at most the interval). */
  retryMs?: number;
}

export class SyncScheduler {
  readonly owner = leaseOwnerId('proxy');
  readonly #options: SchedulerOptions;
  readonly #running = new Map<string, Promise<SyncReport>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  start(): void {
    const tick = () => {
      void this.#tick().finally(() => {
        if (!this.#abort.signal.aborted) this.#timer = setTimeout(tick, this.#options.tickMs ?? 5_000);
      });
    };
    tick();
  }

  async #tick(): Promise<void> {
    const now = (this.#options.now ?? (() => new Date()))();
    let tenants: Tenant[];
    try {
      tenants = await this.#options.store.listTenants();
    } catch (error) {
      this.#options.log.error({ err: error }, 'cannot list tenants');
      return;
    }
    for (const tenant of tenants) {
      if (tenant.state !== 'active' || this.#running.has(tenant.id)) continue;
      let state: SyncState | null;
      try {
        state = await this.#options.store.getSyncState(tenant.id);
      } catch (error) {
        // The database went away between two reads (a PostgreSQL restart): the next tick tries again. Left
        // to reject, the tick's promise would be an unhandled rejection, which ends the process.
        this.#options.log.error({ err: error, tenantId: tenant.id }, 'cannot read the sync state');
        return;
      }
      // Due when its time has come, or at once when a round was left unfinished (a crash or a shutdown
      // left a nextLink, or no deltaLink at all: a full resync whose cursor was reset and whose first page
      // never committed) unless that round failed, which waits for its retry time.
      const unfinished = (Boolean(state?.cursor.nextLink) || !state?.cursor.deltaLink) && state?.lastOutcome !== 'error';
      const due = !state?.nextRunAt || state.nextRunAt.getTime() <= now.getTime() || unfinished;
      if (due) void this.runNow(tenant.id).catch(() => undefined);
    }
  }

  /** Syncs a tenant now (or joins the round already running in this process). */
  runNow(tenantId: string): Promise<SyncReport> {
    const running = this.#running.get(tenantId);
    if (running) return running;
    const round = this.#run(tenantId).finally(() => this.#running.delete(tenantId));
    this.#running.set(tenantId, round);
    return round;
  }

  async #run(tenantId: string): Promise<SyncReport> {
    const { store, tenants, log, metrics } = this.#options;
    const now = this.#options.now ?? (() => new Date());
    const tenant = await store.getTenant(tenantId);
    if (!tenant || tenant.state !== 'active') throw new Error(`tenant ${tenantId} is not active`);
    const report = await syncTenant(tenantId, {
      store,
      graph: tenants.graphFor(tenant),
      graphUrl: tenant.graphUrl,
      filters: this.#options.filters,
      leaseOwner: this.owner,
      signal: this.#abort.signal,
      backoffMs: this.#options.backoffMs,
      now,
      log,
      onPage: (_tenant, result, ms) => {
        metrics?.syncPages.inc();
        metrics?.syncPageDuration.observe(ms / 1000);
        metrics?.usersMirrored.set({ tenant: tenantId }, result.usersMirrored);
      },
    });
    metrics?.syncRuns.inc({ outcome: report.outcome });
    if (report.outcome === 'ok' || report.outcome === 'error') {
      // Failed rounds retry sooner (30 s, or the interval if shorter); the next round resumes at the last
      // committed page. An aborted round (shutdown) keeps its time: its nextLink makes it due at start.
      const delay = report.outcome === 'error' ? Math.min(this.#options.retryMs ?? 30_000, this.#options.intervalMs) : this.#options.intervalMs;
      await store.updateSyncState(tenantId, { nextRunAt: new Date(now().getTime() + delay) });
      await store.pruneHistory(tenantId, new Date(now().getTime() - this.#options.historyDays * 86_400_000));
    }
    const level = report.outcome === 'error' ? 'warn' : 'info';
    log[level]({ tenantId, ...report }, 'sync round finished');
    return report;
  }

  /** Stops scheduling; waits for running rounds to commit their current page. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#running.values()]);
  }
}
