import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Contact } from '../../../shared/contact.ts';
import type { Store, SyncPageResult, TenantError } from '../store/types.ts';
import { USER_SELECT, isComplete, isRemoved, keepInMirror, managerChange, mergeEntry, type DeltaEntry, type MirrorFilters } from './delta-mapping.ts';

/**
 * One sync round of a tenant's mirror: `/users/delta` from where the last round stopped to a new
 * deltaLink, one store transaction per page (the page's contacts together with its nextLink), so a
 * crash resumes at the last committed page. https://learn.microsoft.com/graph/delta-query-users
 */

export interface SyncLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface SyncDependencies {
  store: Store;
  /** Graph client for this tenant (its RetryHandler already honours Retry-After on 429/503/504). */
  graph: Client;
  /** `https://graph.microsoft.com/v1.0` or the cloud's equivalent. */
  graphUrl: string;
  filters: MirrorFilters;
  /** Who holds the lease: one sync per tenant at a time, across processes. */
  leaseOwner: string;
  leaseTtlMs?: number;
  /** Aborting stops after the page being committed. */
  signal?: AbortSignal;
  /** Attempts of one page on errors the RetryHandler does not retry (500, 502, network). Default 5. */
  pageAttempts?: number;
  /** First backoff between those attempts (doubles, capped at 30 s). Default 1,000 ms. */
  backoffMs?: number;
  now?: () => Date;
  log?: SyncLogger;
  /** Called after each committed page (metrics). */
  onPage?: (tenantId: string, result: SyncPageResult, durationMs: number) => void;
}

export interface SyncReport {
  outcome: 'ok' | 'busy' | 'aborted' | 'error';
  pages: number;
  changed: number;
  removed: number;
  vanished: number;
  usersMirrored: number;
  /** Whether this round was (or became) a full sync. */
  fullSync: boolean;
  /** Delta tokens that expired during the round (each restarts a full sync). */
  resets: number;
  durationMs: number;
  error?: TenantError;
}

export class GraphSyncError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'GraphSyncError';
  }
}

interface GraphErrorLike {
  statusCode?: number;
  code?: string | null;
  message?: string;
  headers?: Headers;
}

/** Delta state is gone: 410 Gone (with a Location to restart from) or `syncStateNotFound` / `resyncRequired`. */
function isResetError(error: GraphErrorLike): boolean {
  return error.statusCode === 410 || /^(syncStateNotFound|resyncRequired|syncStateInvalid)$/i.test(error.code ?? '');
}

/** Errors worth another attempt of the same page: Graph-side failures and network errors. */
function isTransient(error: GraphErrorLike): boolean {
  const status = error.statusCode ?? -1;
  return status === -1 || status === 429 || status >= 500;
}

function describeGraphError(error: GraphErrorLike): GraphSyncError {
  const status = error.statusCode ?? -1;
  const code = error.code ?? 'unknown';
  if (status === 401)
    return new GraphSyncError('GRAPH_UNAUTHORIZED', `Graph refused the token (${code}): ${error.message ?? ''}`, 'An administrator must choose Save and Authorize again in the options page.', status);
  if (status === 403)
    return new GraphSyncError(
      'GRAPH_FORBIDDEN',
      `Graph denied reading users (${code}): ${error.message ?? ''}`,
      'In the app registration, add Microsoft Graph User.Read.All (delegated, or application for application mode) under API permissions and choose "Grant admin consent".',
      status,
    );
  return new GraphSyncError(
    status === -1 ? 'GRAPH_UNREACHABLE' : `GRAPH_${status}`,
    `Graph request failed (${status === -1 ? 'no response' : status} ${code}): ${error.message ?? ''}`,
    status === -1 ? 'Check that the proxy can reach the Graph endpoint and the sign-in service (network, proxy settings, PEOPLEBOOK_GRAPH_URL, PEOPLEBOOK_AUTHORITY_HOST); the next sync retries by itself.' : 'Graph is having trouble; the next sync retries from the last committed page.',
    status,
  );
}

export function initialDeltaUrl(graphUrl: string): string {
  return `${graphUrl.replace(/\/+$/, '')}/users/delta?$select=${USER_SELECT.join(',')}`;
}

export async function syncTenant(tenantId: string, deps: SyncDependencies): Promise<SyncReport> {
  const now = deps.now ?? (() => new Date());
  const started = performance.now();
  const ttl = deps.leaseTtlMs ?? 120_000;
  const report: SyncReport = { outcome: 'ok', pages: 0, changed: 0, removed: 0, vanished: 0, usersMirrored: 0, fullSync: false, resets: 0, durationMs: 0 };
  if (!(await acquireLease(tenantId, deps, ttl))) {
    return { ...report, outcome: 'busy' };
  }
  try {
    await deps.store.updateSyncState(tenantId, { phase: 'running', lastStart: now() });
    const state = await deps.store.getSyncState(tenantId);
    let runId = state?.fullSyncRunId ?? null;
    let url = state?.cursor.nextLink ?? state?.cursor.deltaLink;
    if (!url || (!state?.cursor.deltaLink && !runId)) {
      // No deltaLink yet: this round reads the whole directory, and whoever it doesn't see leaves the mirror.
      runId ??= randomUUID();
      url ??= initialDeltaUrl(deps.graphUrl);
    }
    report.fullSync = runId !== null;

    for (;;) {
      if (deps.signal?.aborted) {
        report.outcome = 'aborted';
        break;
      }
      if (!(await deps.store.renewSyncLease(tenantId, deps.leaseOwner, ttl))) {
        throw new GraphSyncError('LEASE_LOST', 'another proxy instance took over this tenant\'s sync', 'Nothing to do: the other instance finishes the sync.');
      }
      let body: { value?: DeltaEntry[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
      try {
        body = await fetchPage(deps, url);
      } catch (error) {
        const graphError = error as GraphErrorLike;
        if (isResetError(graphError) && report.resets < 3) {
          // The delta token expired (tokens last about 7 days) or Graph lost the sync state: start a
          // full sync, which also removes users who vanished meanwhile. https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset
          report.resets++;
          deps.log?.warn({ tenantId, status: graphError.statusCode, code: graphError.code }, 'delta state expired: full resync');
          await deps.store.resetSyncCursor(tenantId);
          runId = randomUUID();
          report.fullSync = true;
          const location = graphError.headers?.get('location');
          url = location && sameOrigin(location, deps.graphUrl) ? location : initialDeltaUrl(deps.graphUrl);
          continue;
        }
        throw error instanceof GraphSyncError ? error : describeGraphError(graphError);
      }
      const pageStarted = performance.now();
      const page = await toSyncPage(tenantId, deps, body, runId);
      const result = await deps.store.applySyncPage(tenantId, page);
      report.pages++;
      report.changed += result.changed;
      report.removed += result.removed;
      report.vanished += result.vanished;
      report.usersMirrored = result.usersMirrored;
      deps.onPage?.(tenantId, result, performance.now() - pageStarted);
      const next = body['@odata.nextLink'];
      if (!next) break;
      url = next;
    }
    report.durationMs = performance.now() - started;
    await deps.store.updateSyncState(tenantId, {
      phase: 'idle',
      lastEnd: now(),
      // An aborted round (shutdown) is neither a success nor a failure: it resumes from its nextLink.
      ...(report.outcome === 'ok' ? { lastOutcome: report.resets > 0 ? 'resync' : 'ok', lastError: null } : {}),
    });
    return report;
  } catch (error) {
    const failure =
      error instanceof GraphSyncError
        ? error
        : new GraphSyncError('SYNC_FAILED', (error as Error).message, 'Check the proxy logs; the next sync retries from the last committed page.');
    const tenantError: TenantError = { code: failure.code, message: failure.message, fix: failure.fix, at: now() };
    await deps.store.updateSyncState(tenantId, { phase: 'idle', lastEnd: now(), lastOutcome: 'error', lastError: tenantError }).catch(() => undefined);
    report.durationMs = performance.now() - started;
    return { ...report, outcome: 'error', error: tenantError };
  } finally {
    await deps.store.releaseSyncLease(tenantId, deps.leaseOwner).catch(() => undefined);
  }
}

/**
 * A lease owner id that says which process holds it: `<role>:<host>:<pid>:<random>`, so a process on the
 * same host can tell that the holder is gone (killed, crashed) instead of waiting out the lease.
 */
export function leaseOwnerId(role: string): string {
  return `${role}:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Whether a lease owner (see leaseOwnerId) is a process of this host that no longer runs. */
export function isAbandonedLease(owner: string): boolean {
  const [, host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes the tenant's sync lease. A lease left by a process of this host that is gone (SIGKILL, crash,
 * power loss of a container) is taken over at once rather than after its time to live, so a restarted
 * `sync --once` or `serve` resumes from the last committed page right away.
 */
async function acquireLease(tenantId: string, deps: SyncDependencies, ttl: number): Promise<boolean> {
  if (await deps.store.acquireSyncLease(tenantId, deps.leaseOwner, ttl)) return true;
  const holder = await deps.store.getSyncLease(tenantId);
  if (!holder || !isAbandonedLease(holder.owner)) return false;
  deps.log?.warn({ tenantId, holder: holder.owner }, 'the sync lease belongs to a process that is gone: taking it over');
  // Deletes only that holder's row: if another process took the lease meanwhile, this changes nothing.
  await deps.store.releaseSyncLease(tenantId, holder.owner);
  return deps.store.acquireSyncLease(tenantId, deps.leaseOwner, ttl);
}

function sameOrigin(url: string, graphUrl: string): boolean {
  try {
    return new URL(url).origin === new URL(graphUrl).origin;
  } catch {
    return false;
  }
}

async function fetchPage(deps: SyncDependencies, url: string) {
  return withRetries(deps, () => deps.graph.api(url).get() as Promise<{ value?: DeltaEntry[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string }>);
}

/** Runs a Graph request again on errors the RetryHandler does not retry (500, 502, network), with backoff. */
async function withRetries<T>(deps: SyncDependencies, request: () => Promise<T>): Promise<T> {
  const attempts = deps.pageAttempts ?? 5;
  let delay = deps.backoffMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const graphError = error as GraphErrorLike;
      if (isResetError(graphError) || !isTransient(graphError) || attempt >= attempts) throw error;
      deps.log?.warn({ status: graphError.statusCode, code: graphError.code, attempt }, 'Graph request failed: retrying');
      await sleep(delay, undefined, { signal: deps.signal }).catch(() => undefined);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

async function toSyncPage(
  tenantId: string,
  deps: SyncDependencies,
  body: { value?: DeltaEntry[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string },
  runId: string | null,
) {
  const fullRound = runId !== null;
  // The same user may appear more than once in a page or across pages: the last entry wins.
  const entries = new Map<string, DeltaEntry>();
  for (const entry of body.value ?? []) if (typeof entry?.id === 'string') entries.set(entry.id, entry);
  const upserts: Contact[] = [];
  const removals: string[] = [];
  // An incremental page merges onto what the mirror holds: read those rows in one go.
  const held = fullRound ? new Map<string, Contact>() : await deps.store.getUsers(tenantId, [...entries.keys()]);
  for (const entry of entries.values()) {
    if (isRemoved(entry)) {
      removals.push(entry.id);
      continue;
    }
    let previous = held.get(entry.id) ?? null;
    if (!fullRound && !previous) {
      // Someone the mirror doesn't hold (new, or a guest or disabled account that now qualifies). What the
      // entry says for sure may already keep them out (disabled, guest): nothing to read then.
      if (!keepInMirror(mergeEntry(null, entry, true), deps.filters)) {
        removals.push(entry.id);
        continue;
      }
      // Otherwise read the whole user once if the entry is partial, or lacks the manager annotation, which
      // Graph sends only when the manager changed: its absence says nothing about a user we never held.
      if (!isComplete(entry) || managerChange(entry) === undefined) {
        previous = await fetchUser(deps, entry.id);
        if (!previous) continue;
      }
    }
    const contact = mergeEntry(previous, entry, fullRound);
    if (keepInMirror(contact, deps.filters)) upserts.push(contact);
    else removals.push(contact.id);
  }
  const next = body['@odata.nextLink'];
  const deltaLink = body['@odata.deltaLink'];
  if (!next && !deltaLink) throw new GraphSyncError('GRAPH_BAD_PAGE', 'a delta page had neither @odata.nextLink nor @odata.deltaLink', 'Report this to Peoplebook: Graph answered outside the documented protocol.');
  return { upserts, removals, cursor: next ? { nextLink: next } : { deltaLink: deltaLink! }, ...(runId ? { fullSync: { runId } } : {}) };
}

async function fetchUser(deps: SyncDependencies, id: string): Promise<Contact | null> {
  const path = `/users/${encodeURIComponent(id)}`;
  const user = await getOrNull(deps, () => deps.graph.api(path).select(USER_SELECT.filter((f) => f !== 'manager').join(',')).get() as Promise<DeltaEntry>);
  if (!user) return null;
  // The manager through its own navigation (user-list-manager; 404 = none) rather than `$expand`, which
  // not every Graph stand-in honours on a single user and whose absence would read as "no manager".
  const manager = await getOrNull(deps, () => deps.graph.api(`${path}/manager`).select('id').get() as Promise<{ id?: unknown }>);
  const managerId = typeof manager?.id === 'string' ? manager.id : null;
  return mergeEntry(null, { ...user, 'manager@delta': managerId ? [{ id: managerId }] : [] }, true);
}

async function getOrNull<T>(deps: SyncDependencies, request: () => Promise<T>): Promise<T | null> {
  try {
    return await withRetries(deps, request);
  } catch (error) {
    if ((error as GraphErrorLike).statusCode === 404) return null;
    throw error;
  }
}
