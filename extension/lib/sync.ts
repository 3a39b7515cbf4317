import type { Contact } from '../../shared/contact.ts';
import { SearchIndex, SearchIndexBuilder } from '../../shared/search-index.ts';
import { buildIndexFromStore } from './directory-search.ts';
import {
  applyContactChanges,
  clearDirectory,
  getSearchIndex,
  photoRange,
  storageError,
  StorageError,
  writeSearchIndex,
  type DirectoryDb,
  type MetaRecords,
  type PersistedSearchIndex,
  type SyncErrorInfo,
} from './db.ts';
import { ProxyError, type ChangesPage, type ProxyClient } from './proxy-client.ts';

/**
 * Extension sync (../../shared/design.md, flow 3): pages the proxy's changes feed from the stored cursor
 * into IndexedDB, and keeps the popup's search index current.
 *
 * - Each page's upserts, deletions (with the deleted colleagues' cached photos) and the page's cursor are
 *   written in ONE readwrite transaction (contacts go into chunks: lib/db.ts `applyContactChanges`): a
 *   round interrupted anywhere (service worker stopped, abort, network gone) leaves the store at the end
 *   of some page, and the next round resumes there. No page is applied twice and none is skipped. The
 *   next page is requested as soon as the current one is known, so the feed's round trip overlaps the
 *   commit.
 * - `{resync: true}` (the cursor is from another database, or older than the proxy's history) clears
 *   contacts, photos, cursor and index in one transaction and starts again from 0.
 * - The search index (../../shared/search-index.ts) is persisted in the `searchIndex` store, with the
 *   cursor it reflects in `meta` (`searchIndexCursor`). When it is current, a round with changes loads it, applies each committed
 *   page to it (`add`/`remove`, O(record)), and writes it back once at the end — `serialize()` costs
 *   100–600 ms on 100,000 contacts, too much per page. When it is missing or stale (first sync, resync,
 *   a round that died before saving it), the round rebuilds it: reading everything from 0 into an empty
 *   store, it feeds each page to a `SearchIndexBuilder` while the page commits and finishes the index at
 *   the end; otherwise it builds it from a snapshot of the stored contacts.
 *   A round that fails after some pages still saves the index it has, at the cursor of the last commit.
 * - `lastSyncAt` on success; `lastSyncError` ({code, message, at}) on failure, null again after a success.
 *   `syncHeartbeat` while the round runs, so a popup with no index waits for this round's.
 * - Every write first checks, in its transaction, that the stored cursor is the round's: a sign-out
 *   (`clearDirectory`) during a round stops it (`SyncSupersededError`) instead of being undone by it.
 * - A second call for the same database while a round runs joins it (same promise, same report).
 *   Across pages (popup and background) the Web Locks API, where there is one, runs rounds one at a time.
 */

export interface SyncProgress {
  pages: number;
  upserts: number;
  deletions: number;
  /** The cursor now stored. */
  cursor: string;
  /** Whether the feed said more pages follow. */
  more: boolean;
  resynced: boolean;
}

export interface SyncReport {
  pages: number;
  upserts: number;
  deletions: number;
  /** The proxy asked for a resync (or the tenant changed): the local copy was cleared and refilled. */
  resynced: boolean;
  durationMs: number;
  /** The cursor at the end of the round. */
  cursor: string;
  /** Time spent loading, updating, rebuilding and saving the search index (part of `durationMs`). */
  indexMs: number;
  /** How many contacts the local copy holds, when the round rebuilt or updated the index. */
  contacts: number | null;
}

export interface SyncOptions {
  db: DirectoryDb;
  client: Pick<ProxyClient, 'changes'>;
  /** Clock, ms since the epoch (default `Date.now`). */
  now?: () => number;
  /** Stops the round after the page being written: what was committed stays, the next round resumes. */
  signal?: AbortSignal;
  /** Contacts per feed page (default 2,000; the proxy allows up to 5,000). */
  limit?: number;
  /**
   * The signed-in colleague's tenant. When the cached copy belongs to another tenant (someone else signed
   * in), it is cleared before syncing.
   */
  tenantId?: string;
  /** Collation locale of a rebuilt index (default: the runtime's). */
  locale?: string;
  onProgress?: (progress: SyncProgress) => void;
  /** Web Locks (default `navigator.locks` when present), so rounds in different pages never overlap. */
  locks?: Pick<LockManager, 'request'> | null;
}

export const DEFAULT_PAGE_LIMIT = 2_000;
/** The proxy's largest page (proxy/src/app.ts, `limit` of the changes route). */
export const MAX_PAGE_LIMIT = 5_000;

const running = new WeakMap<DirectoryDb, Promise<SyncReport>>();

/** Runs one sync round, or joins the one already running on `db`. */
export function syncDirectory(options: SyncOptions): Promise<SyncReport> {
  const current = running.get(options.db);
  if (current) return current;
  const locks = options.locks === undefined ? (globalThis.navigator as { locks?: LockManager } | undefined)?.locks : options.locks;
  const round = locks ? (async () => (await locks.request(`peoplebook-sync:${options.db.name}`, () => runRound(options))) as SyncReport)() : runRound(options);
  const tracked = round.finally(() => running.delete(options.db));
  running.set(options.db, tracked);
  return tracked;
}

async function runRound(options: SyncOptions): Promise<SyncReport> {
  const { db, client, signal } = options;
  const now = options.now ?? Date.now;
  const limit = options.limit ?? DEFAULT_PAGE_LIMIT;
  const started = performance.now();
  const report: SyncReport = { pages: 0, upserts: 0, deletions: 0, resynced: false, durationMs: 0, cursor: '0', indexMs: 0, contacts: null };
  const localeOption = options.locale === undefined ? {} : { locale: options.locale };
  const timedSync = (work: () => void): void => {
    const at = performance.now();
    work();
    report.indexMs += performance.now() - at;
  };
  const timed = async <T>(work: () => Promise<T> | T): Promise<T> => {
    const at = performance.now();
    try {
      return await work();
    } finally {
      report.indexMs += performance.now() - at;
    }
  };

  // The index, when the round keeps it current page by page; null when it will be rebuilt at the end.
  let index: SearchIndex | null = null;
  let indexState: 'unloaded' | 'loaded' | 'rebuild';
  let indexDirty = false;
  let cursor: string;
  let pageLimit = limit;
  // Whether this round has read the feed from 0: a resync after that refuses the proxy's own cursors.
  let chainFromZero = false;
  // Reading from 0 into an empty store, the round feeds what it writes to an index builder, page by page
  // while IndexedDB commits, and finishes the index at the end instead of reading 100,000 contacts back
  // (≈ 1 s in Chromium: design.md's getAll figure) and building it all then.
  let collected: SearchIndexBuilder | null = null;
  // With it, where the round put each contact (id → chunk key): no lookups for ids it wrote itself.
  let locations: Map<string, number> | null = null;

  try {
    signal?.throwIfAborted();
    const meta = await readMeta(db);
    cursor = meta.cursor ?? '0';
    if (options.tenantId !== undefined && meta.tenantId !== undefined && meta.tenantId !== options.tenantId) {
      // Another tenant's directory must not stay searchable by whoever signed in now.
      await clearDirectory(db);
      cursor = '0';
      report.resynced = true;
    }
    if (options.tenantId !== undefined && meta.tenantId !== options.tenantId) await db.put('meta', options.tenantId, 'tenantId');
    indexState = meta.searchIndexCursor !== undefined && meta.searchIndexCursor === cursor && !report.resynced ? 'unloaded' : 'rebuild';
    if (cursor === '0' && (report.resynced || meta.empty)) {
      collected = new SearchIndexBuilder(localeOption);
      locations = new Map();
    }
    report.cursor = cursor;
    // Tells a popup opened meanwhile that an index is on its way (see directory-search.ts).
    await db.put('meta', now(), 'syncHeartbeat');

    // The next page is asked for as soon as the current one is known, so that the feed's round trip and
    // the parsing of its JSON overlap with the current page's commit. Aborted when the round stops.
    const pipeline = new AbortController();
    const pageSignal = signal ? AbortSignal.any([signal, pipeline.signal]) : pipeline.signal;
    const request = (from: string): Promise<ChangesPage> => {
      const answer = client.changes(from, { limit: pageLimit, signal: pageSignal });
      answer.catch(() => undefined); // observed now: a prefetch the round never awaits is not unhandled
      return answer;
    };
    let next: Promise<ChangesPage> | null = null;
    try {
      for (;;) {
        signal?.throwIfAborted();
        if (cursor === '0') chainFromZero = true;
        const page = await (next ?? request(cursor));
        next = null;
        if ('resync' in page) {
          // A resync answers a cursor older than the proxy's history. A first download carries where it
          // began in its cursors, so the proxy answers one with a resync only when the download outlived
          // the proxy's history: start over once in the largest pages, then give up with an error rather
          // than loop.
          if (cursor === '0' || (chainFromZero && pageLimit >= MAX_PAGE_LIMIT)) {
            throw new ProxyError('bad_response', 'The proxy keeps asking to start the directory over. Try again later; if it persists, the proxy needs attention (its change history and its feed disagree).');
          }
          if (chainFromZero) pageLimit = MAX_PAGE_LIMIT;
          await write(db, async (tx) => {
            await expectCursor(tx, cursor);
            await Promise.all([tx.objectStore('chunks').clear(), tx.objectStore('photos').clear(), tx.objectStore('searchIndex').clear(), tx.objectStore('meta').put('0', 'cursor'), tx.objectStore('meta').delete('searchIndexCursor')]);
          });
          cursor = '0';
          index = null;
          indexState = 'rebuild';
          indexDirty = false;
          collected = new SearchIndexBuilder(localeOption);
          locations = new Map();
          report.resynced = true;
          report.cursor = cursor;
          continue;
        }
        if (page.more) next = request(page.cursor);
        const changed = page.upserts.length > 0 || page.deletions.length > 0;
        if (changed && indexState === 'unloaded') {
          index = await timed(() => loadIndex(db));
          indexState = index ? 'loaded' : 'rebuild';
        }
        await write(db, async (tx) => {
          await expectCursor(tx, cursor);
          const photos = tx.objectStore('photos');
          const requests: Promise<unknown>[] = [applyContactChanges(tx.objectStore('chunks'), page.upserts, page.deletions, locations ?? undefined)];
          for (const id of page.deletions) requests.push(photos.delete(photoRange(id)));
          requests.push(tx.objectStore('meta').put(page.cursor, 'cursor'), tx.objectStore('meta').put(now(), 'syncHeartbeat'));
          // While IndexedDB commits the page, the thread is free: the page's terms go into the index built
          // at the end (dropped with the round if the commit fails).
          if (collected) {
            const builder = collected;
            timedSync(() => {
              for (const id of page.deletions) builder.remove(id);
              builder.add(page.upserts);
            });
          }
          await Promise.all(requests);
        });
        // Committed: only now does the in-memory index follow, so it never runs ahead of the store.
        if (index && changed) {
          const current = index;
          await timed(() => applyToIndex(current, page.deletions, page.upserts));
          indexDirty = true;
        }
        cursor = page.cursor;
        report.cursor = cursor;
        report.pages++;
        report.upserts += page.upserts.length;
        report.deletions += page.deletions.length;
        options.onProgress?.({ pages: report.pages, upserts: report.upserts, deletions: report.deletions, cursor, more: page.more, resynced: report.resynced });
        if (!page.more) break;
      }
    } finally {
      pipeline.abort();
    }

    if (indexState === 'rebuild' && collected) {
      const builder = collected;
      const built = await timed(() => builder.finish());
      collected = null;
      locations = null;
      report.contacts = built.size;
      await timed(() => saveIndex(db, built, cursor, now));
    } else if (indexState === 'rebuild') {
      report.contacts = await timed(() => rebuildIndex(db, { locale: options.locale, now }));
    } else if (index && indexDirty) {
      const current = index;
      report.contacts = current.size;
      await timed(() => saveIndex(db, current, cursor, now));
    }
    await write(db, async (tx) => {
      await expectCursor(tx, cursor);
      await Promise.all([tx.objectStore('meta').put(now(), 'lastSyncAt'), tx.objectStore('meta').put(null, 'lastSyncError'), tx.objectStore('meta').delete('syncHeartbeat')]);
    });
    report.durationMs = performance.now() - started;
    return report;
  } catch (error) {
    const mapped = storageError(error);
    // What committed is in the store; keep the index in step with it so the next round needs no rebuild.
    if (index && indexDirty && !(mapped instanceof StorageError)) {
      const current = index;
      await timed(() => saveIndex(db, current, report.cursor, now)).catch(() => undefined);
    }
    await db.delete('meta', 'syncHeartbeat').catch(() => undefined);
    if (!isAbort(error, signal) && !(error instanceof SyncSupersededError)) {
      const info: SyncErrorInfo = { ...errorInfo(mapped), at: now() };
      await db.put('meta', info, 'lastSyncError').catch(() => undefined);
    }
    throw mapped;
  }
}

/**
 * The local copy changed under a running round: someone signed out (`clearDirectory`) or another writer
 * moved the cursor. The round stops without writing anything more; it is not a failure to show.
 */
export class SyncSupersededError extends Error {
  override name = 'SyncSupersededError';
  readonly code = 'sync_superseded';
  constructor() {
    super('The local directory was cleared or changed (sign-out?) while it was being synced; the sync stopped without writing more.');
  }
}

/**
 * Compare-and-set: every write of a round first checks, in its own transaction, that the stored cursor
 * is still the one the round last wrote, so a sign-out in the middle of a round is never undone by the
 * round's next page (or its index, or its "last synced").
 */
async function expectCursor(tx: WriteTransaction, expected: string): Promise<void> {
  const stored = ((await tx.objectStore('meta').get('cursor')) as string | undefined) ?? '0';
  if (stored !== expected) throw new SyncSupersededError();
}

/** The `{code, message}` to record and show for any failure. */
export function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof ProxyError || error instanceof StorageError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return { code, message: error instanceof Error ? error.message : String(error) };
  return { code: 'unexpected', message: `Syncing the directory failed unexpectedly (${error instanceof Error ? error.message : String(error)}). It will be tried again.` };
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) && (error === signal?.reason || (error as { name?: string } | null)?.name === 'AbortError');
}

type MetaSnapshot = Partial<Pick<MetaRecords, 'cursor' | 'tenantId' | 'searchIndexCursor'>> & { empty: boolean };

async function readMeta(db: DirectoryDb): Promise<MetaSnapshot> {
  const tx = db.transaction(['meta', 'chunks']);
  const meta = tx.objectStore('meta');
  // One key tells empty from not (count() would walk every record).
  const [cursor, tenantId, searchIndexCursor, firstKey] = await Promise.all([meta.get('cursor'), meta.get('tenantId'), meta.get('searchIndexCursor'), tx.objectStore('chunks').getAllKeys(null, 1), tx.done]);
  return { cursor: cursor as string | undefined, tenantId: tenantId as string | undefined, searchIndexCursor: searchIndexCursor as string | undefined, empty: firstKey.length === 0 };
}

type WriteTransaction = ReturnType<typeof writeTransaction>;
const writeTransaction = (db: DirectoryDb) => db.transaction(['chunks', 'photos', 'meta', 'searchIndex'], 'readwrite');

/**
 * One readwrite transaction over every store: `work` queues its requests, then the transaction commits.
 * If `work` throws, the transaction is aborted (nothing of it is kept). Quota errors become `StorageError`.
 */
async function write(db: DirectoryDb, work: (tx: WriteTransaction) => Promise<void>): Promise<void> {
  const tx = writeTransaction(db);
  // Observed from the start, so an abort before `work` settles is never an unhandled rejection.
  const done = tx.done.then(
    () => undefined,
    (error: unknown) => error ?? tx.error ?? new DOMException('The transaction was aborted', 'AbortError'),
  );
  try {
    await work(tx);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborted.
    }
    const aborted = await done;
    // The transaction's error names the cause (QuotaExceededError); the request's is often just AbortError.
    throw storageError(aborted instanceof DOMException && aborted.name !== 'AbortError' ? aborted : error);
  }
  const result = await done;
  if (result !== undefined) throw storageError(result);
}

/** The persisted index, or null when there is none or it cannot be read (it is rebuilt then). */
async function loadIndex(db: DirectoryDb): Promise<SearchIndex | null> {
  const stored = await getSearchIndex(db);
  if (!stored) return null;
  try {
    return SearchIndex.deserialize(stored.index);
  } catch {
    return null;
  }
}

function applyToIndex(index: SearchIndex, deletions: readonly string[], upserts: readonly Contact[]): void {
  for (const id of deletions) index.remove(id);
  for (const contact of upserts) index.update(contact);
}

async function saveIndex(db: DirectoryDb, index: SearchIndex, cursor: string, now: () => number = Date.now): Promise<void> {
  const record: PersistedSearchIndex = { index: index.serialize(), size: index.size, savedAt: now() };
  await write(db, async (tx) => {
    await expectCursor(tx, cursor);
    await Promise.all([...writeSearchIndex(tx.objectStore('searchIndex'), record), tx.objectStore('meta').put(cursor, 'searchIndexCursor')]);
  });
}

/**
 * Builds the index from a snapshot of `contacts` (one read transaction: contacts and cursor agree) and
 * saves it with that cursor. Returns the number of contacts. Also used by the popup when it finds no index.
 */
export async function rebuildIndex(db: DirectoryDb, options: { locale?: string | undefined; now?: () => number } = {}): Promise<number> {
  const { index, cursor } = await buildIndexFromStore(db, options.locale);
  await saveIndex(db, index, cursor, options.now);
  return index.size;
}
