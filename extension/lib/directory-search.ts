import type { Contact } from '../../shared/contact.ts';
import { displayNameOf } from '../../shared/display-name.ts';
import { nameKey, phoneQuery, queryWords } from '../../shared/normalize.ts';
import { contactTerms, createSearchIndex, SearchIndex } from '../../shared/search-index.ts';
import { CHUNK_SIZE, countContacts, getContacts, readSearchIndex, touchRecent, writeSearchIndex, type ContactChunk, type DirectoryDb, type PersistedSearchIndex } from './db.ts';

/**
 * What the popup and the omnibox search with (../../shared/design.md, flow 4 "Lookup"; target: popup open
 * → first results ≤ 100 ms with 100,000 contacts).
 *
 * Opening reads the small meta records (recent use, a sync's heartbeat) and, in a transaction of its own,
 * the persisted search index (../../shared/search-index.ts, compact typed arrays that IndexedDB hands back
 * by structured clone) with the cursor it reflects and the store's cursor. `SearchIndex.deserialize` only
 * wraps the arrays, so queries run on it as soon as that read completes. Each query ranks ids in the
 * index (recent use breaks ties within a tier) and then reads just those contacts by id, in one
 * transaction.
 *
 * Reading the index takes longer than a quick typist (≈ 115 ms for 22 MiB at 100,000 contacts in
 * Chromium), so until it is in, a query is first tried on the `byNameKey` index of the contacts (lib/db.ts):
 * one key range, "the display name starts with what was typed", which is the first tier of the ranking.
 * When that range fills the page asked for, it IS the first page (recent colleagues in the range first,
 * then alphabetical), and it is returned at once; otherwise the query waits for the index (or the
 * fallback below), so a quick answer is never a shorter or empty list that the index would then grow.
 * `ready` tells the caller when to run the query again for the index's exact answer.
 *
 * When no index is persisted, queries are answered by a scan of the contacts in key-range batches that
 * applies the index's own matching (every query word a prefix of some indexed term) and stops at `limit`
 * matches or after a time budget (`source` is 'fallback': results may be partial). Meanwhile the index
 * comes from one of two places:
 * - a sync round is running (its heartbeat in `meta` is fresh: the first sync, typically): its index is
 *   saved at the round's end, so the popup polls two small meta records and adopts it — building the same
 *   index here would hold the popup's thread for seconds at 100,000 contacts;
 * - no sync is running (or it died; an index from an older format): it is built here from a snapshot of
 *   the contacts, after the first keystrokes, and saved for the next open.
 * A stale index (its cursor behind the store's) is used at once and replaced by a rebuilt one.
 */

export interface DirectorySearchOptions {
  /** Clock for recent use and for judging a sync's heartbeat (default `Date.now`). */
  now?: () => number;
  /** Collation locale of an index built here (default: the runtime's). */
  locale?: string;
  /** Save an index built here (lib/db.ts `searchIndex` store) for the next open (default true). */
  persist?: boolean;
  /** Contacts read per batch by the fallback scan, rounded up to whole chunks (default 500). */
  scanBatch?: number;
  /**
   * Wall-clock budget of one fallback scan (default 250 ms): it returns the matches found so far rather
   * than keep a keystroke waiting for a scan of the whole directory. `source` says results may be partial.
   */
  scanBudgetMs?: number;
  /** A sync whose heartbeat is this recent is running (default 60 s): its index is awaited, not rebuilt here. */
  syncActiveMs?: number;
  /** How often to look for the running sync's index (default 1 s). */
  pollMs?: number;
  /** Delay before building an index here, so the first keystrokes are answered first (default 250 ms). */
  buildDelayMs?: number;
  /**
   * How long the persisted index waits to be read when no query comes (default 150 ms). While IndexedDB
   * reads the index (≈ 115 ms at 100,000 contacts in Chromium) it answers nothing else, so it is read
   * after the first query's quick answer, when a query needs it, or after this long, whichever is first.
   */
  indexReadDelayMs?: number;
}

export interface SearchCallOptions {
  /** Most results (default 50). */
  limit?: number;
  /** A newer keystroke cancels the scan of an older one (fallback only; index queries are synchronous). */
  signal?: AbortSignal;
}

/**
 * `loading`: the index is being read (an answer may come from the `byNameKey` range: re-run on `ready`).
 * `fallback`: answers come from that range or a bounded scan and may be incomplete; re-run on `ready`.
 */
export type SearchSource = 'loading' | 'index' | 'fallback';

export interface DirectorySearch {
  /** Best matches first (empty query: recently used, then alphabetical). Directory text is returned as is. */
  search(query: string, options?: SearchCallOptions): Promise<Contact[]>;
  /** Contacts searchable now (0 until known). */
  readonly size: number;
  /**
   * Resolves when the full index answers queries: at once with a persisted index; otherwise when a running
   * sync saved one, or one was built here. Never rejects (a failed build leaves the fallback answering).
   */
  readonly ready: Promise<void>;
  /** Where answers come from right now. */
  readonly source: SearchSource;
  /** How the index in use was obtained: read from IndexedDB, or built here from the contacts. */
  readonly indexOrigin: 'persisted' | 'built' | null;
  /** Records a use (card opened, email copied): ranks the colleague first in ties, here and in `meta`. */
  touch(id: string): Promise<void>;
  /** Adopts the index a sync saved since (e.g. on a "sync done" message); rebuilds a stale one. */
  reload(): Promise<void>;
  /** Stops waiting for a sync's index (the popup is closing); `ready` resolves. */
  close(): void;
}

const DEFAULT_LIMIT = 50;
/** Recently used colleagues read at open for the quick answers (see `readRecentContacts`). */
const RECENT_FOR_QUICK = 50;

interface Cursors {
  /** The cursor the persisted index reflects, and the store's. */
  indexCursor: string | undefined;
  cursor: string;
  /** A running sync's last sign of life (ms since the epoch). */
  heartbeat: number | undefined;
}

interface Opened extends Cursors {
  index: SearchIndex | null;
}

/** Starts loading at once; returns the handle without waiting (the first `search` waits for the one read). */
export function openDirectorySearch(db: DirectoryDb, options: DirectorySearchOptions = {}): DirectorySearch {
  const now = options.now ?? Date.now;
  const scanBatch = options.scanBatch ?? 500;
  const scanBudgetMs = options.scanBudgetMs ?? 250;
  const syncActiveMs = options.syncActiveMs ?? 60_000;
  const pollMs = options.pollMs ?? 1_000;
  const buildDelayMs = options.buildDelayMs ?? 250;
  const collator = new Intl.Collator(options.locale, { sensitivity: 'base' });
  let index: SearchIndex | null = null;
  let indexOrigin: 'persisted' | 'built' | null = null;
  let recent = new Map<string, number>();
  let source: SearchSource = 'loading';
  let size = 0;
  let building: Promise<void> | null = null;
  let closed = false;
  let wake: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  // Reads are numbered as they start: IndexedDB runs them in that order, so a higher number saw a store at
  // least as new. An index is adopted only from a read newer than the one that gave the current index,
  // so a slow rebuild never replaces a newer index that reload() found meanwhile.
  let reads = 0;
  let adopted = 0;
  /** The cursor the index in use reflects. */
  let adoptedCursor: string | undefined;
  const adopt = (read: number, next: SearchIndex, cursor: string | undefined, origin: 'persisted' | 'built'): void => {
    if (read <= adopted) return;
    adopted = read;
    adoptedCursor = cursor;
    index = next;
    indexOrigin = origin;
    size = next.size;
    source = 'index';
  };

  const build = (): Promise<void> => {
    building ??= (async () => {
      try {
        const read = ++reads;
        const built = await buildIndexFromStore(db, options.locale);
        adopt(read, built.index, built.cursor, 'built');
        if (options.persist !== false) await persistIfCurrent(db, built.index, built.cursor, now);
      } catch {
        // The fallback keeps answering; the next open (or the next sync) builds the index.
      } finally {
        building = null;
      }
    })();
    return building;
  };

  /** Adopts the persisted index if it is current; true when it did. */
  const adoptCurrent = async (): Promise<boolean> => {
    const read = ++reads;
    const state = await readOpen(db);
    if (!state.index || state.indexCursor !== state.cursor) return false;
    adopt(read, state.index, state.indexCursor, 'persisted');
    return true;
  };

  /**
   * No index yet. While a sync round runs (first sync), its index arrives at the round's end: wait for it
   * rather than build the same thing here, which would also hold the popup's thread for seconds at
   * 100,000 contacts. Otherwise (no sync, or one that died), build here after the first keystrokes.
   */
  const waitOrBuild = async (heartbeat: number | undefined): Promise<void> => {
    let beat = heartbeat;
    while (!closed && beat !== undefined && now() - beat < syncActiveMs) {
      await sleep(pollMs);
      if (closed) return;
      const small = await readCursors(db);
      if (small.indexCursor !== undefined && small.indexCursor === small.cursor && (await adoptCurrent())) return;
      beat = small.heartbeat;
    }
    if (closed) return;
    await sleep(buildDelayMs);
    if (!closed && !index) await build();
  };

  // The small records first, in a transaction of their own: recent use ranks the first quick answers.
  const small = readCursors(db).then(
    async (state) => {
      recent = state.recent;
      return readRecentContacts(db, state.recent);
    },
    () => new Map<string, Contact>(),
  );
  // The index is read when this opens (see `indexReadDelayMs`).
  let openGate!: () => void;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const gateTimer = setTimeout(openGate, options.indexReadDelayMs ?? 150);
  void gate.then(() => clearTimeout(gateTimer));
  const firstRead = ++reads;
  let loaded = false;
  const opened: Promise<Opened> = Promise.all([small, gate]).then(() => readOpen(db)).then(
    (state) => {
      loaded = true;
      if (state.index) {
        // Even a stale index answers at once; a current one replaces it when built.
        adopt(firstRead, state.index, state.indexCursor, 'persisted');
        if (state.indexCursor !== state.cursor) void build();
      } else {
        source = 'fallback';
        void countContacts(db).then((count) => {
          if (!index) size = count;
        }, () => undefined);
      }
      return state;
    },
    (error: unknown) => {
      loaded = true;
      source = 'fallback';
      throw error;
    },
  );
  const ready: Promise<void> = opened.then(
    async (state) => {
      if (!state.index) await waitOrBuild(state.heartbeat);
    },
    () => build(),
  );

  return {
    async search(query, { limit = DEFAULT_LIMIT, signal } = {}) {
      if (!index && (!loaded || source === 'fallback') && limit > 0) {
        // The range read starts now, alongside the recent colleagues' (only the ranking needs those).
        const read = readNameKeyRange(db, query, limit);
        const [range, recentContacts] = await Promise.all([read?.catch(() => null) ?? null, small.catch(() => new Map<string, Contact>())]);
        const quick = range && rankNameKeyRange(range, limit, recent, collator, recentContacts);
        openGate();
        // The index may have arrived meanwhile: its answer is the exact one.
        if (quick && !index) return quick;
      }
      openGate();
      await opened.catch(() => undefined);
      if (index) {
        const { ids } = index.search(query, { limit, recent });
        // Contacts deleted since the index was saved are simply not found; the rest keep their rank.
        return getContacts(db, ids);
      }
      return scan(db, query, { limit, signal, recent, batch: scanBatch, budgetMs: scanBudgetMs });
    },
    get size() {
      return size;
    },
    ready,
    get source() {
      return source;
    },
    get indexOrigin() {
      return indexOrigin;
    },
    async touch(id) {
      recent.set(id, now());
      recent = await touchRecent(db, id, now);
    },
    async reload() {
      // The small records first: the index itself (~230 B a contact) is read only when a newer one is there.
      const small = await readCursors(db);
      recent = small.recent;
      if (index && adoptedCursor === small.cursor) return;
      if (small.indexCursor !== undefined && small.indexCursor === small.cursor && (await adoptCurrent())) return;
      await build();
    },
    close() {
      closed = true;
      openGate();
      clearTimeout(timer);
      wake?.();
    },
  };
}

/** The large read of opening: the index, its cursor, the store's cursor and a sync's heartbeat, together. */
async function readOpen(db: DirectoryDb): Promise<Opened> {
  const tx = db.transaction(['meta', 'searchIndex']);
  const meta = tx.objectStore('meta');
  const [persisted, indexCursor, cursor, heartbeat] = await Promise.all([readSearchIndex(tx.objectStore('searchIndex')), meta.get('searchIndexCursor'), meta.get('cursor'), meta.get('syncHeartbeat'), tx.done]);
  let index: SearchIndex | null = null;
  if (persisted) {
    try {
      index = SearchIndex.deserialize(persisted.index);
    } catch {
      // An index from another version of the format: rebuilt from the contacts.
      index = null;
    }
  }
  return {
    index,
    indexCursor: indexCursor as string | undefined,
    cursor: (cursor as string | undefined) ?? '0',
    heartbeat: heartbeat as number | undefined,
  };
}

/** Everything `readOpen` reads but the index, and recent use: cheap enough to poll. */
async function readCursors(db: DirectoryDb): Promise<Cursors & { recent: Map<string, number> }> {
  const tx = db.transaction('meta');
  const [indexCursor, cursor, recent, heartbeat] = await Promise.all([tx.store.get('searchIndexCursor'), tx.store.get('cursor'), tx.store.get('recent'), tx.store.get('syncHeartbeat'), tx.done]);
  return {
    indexCursor: indexCursor as string | undefined,
    cursor: (cursor as string | undefined) ?? '0',
    recent: (recent as Map<string, number> | undefined) ?? new Map(),
    heartbeat: heartbeat as number | undefined,
  };
}

/** Saves an index built from a snapshot at `cursor`, unless the store moved on or a current index is there. */
async function persistIfCurrent(db: DirectoryDb, index: SearchIndex, cursor: string, now: () => number): Promise<void> {
  const record: PersistedSearchIndex = { index: index.serialize(), size: index.size, savedAt: now() };
  const tx = db.transaction(['meta', 'searchIndex'], 'readwrite');
  const meta = tx.objectStore('meta');
  const [storeCursor, indexCursor] = await Promise.all([meta.get('cursor'), meta.get('searchIndexCursor')]);
  if (((storeCursor as string | undefined) ?? '0') === cursor && indexCursor !== cursor) {
    await Promise.all([...writeSearchIndex(tx.objectStore('searchIndex'), record), meta.put(cursor, 'searchIndexCursor')]);
  }
  await tx.done;
}

/**
 * Reads every contact and the cursor in one transaction and builds an index of them (here, not in
 * ./sync.ts, so the popup's first load carries no proxy client). Also used by the sync's rebuild.
 */
export async function buildIndexFromStore(db: DirectoryDb, locale?: string | undefined): Promise<{ index: SearchIndex; cursor: string }> {
  const tx = db.transaction(['chunks', 'meta']);
  const [chunks, cursor] = await Promise.all([tx.objectStore('chunks').getAll(), tx.objectStore('meta').get('cursor'), tx.done]);
  return { index: createSearchIndex(chunks.flatMap((chunk) => chunk.contacts), locale === undefined ? {} : { locale }), cursor: (cursor as string | undefined) ?? '0' };
}

// ---- The quick answer: a range of the byNameKey index ----

/**
 * The first `limit` answers to `query` among the contacts whose folded display name starts with the
 * folded query (lib/db.ts `byNameKey`), or null when they cannot be the whole first page: fewer than
 * `limit` of them (the index's other tiers would follow), a phone number, or nothing to look up.
 *
 * Reads the chunks of the first `limit` + 10 keys of the range (a margin: key order and collator order
 * differ a little). Recently used colleagues come first, most recent first, as in the index:
 * `recentContacts` (the contacts of the ids in `recent`) supplies those beyond that window. The others
 * are sorted with the collator, as the index sorts its first tier.
 */
export async function nameKeyRange(
  db: DirectoryDb,
  query: string,
  limit: number,
  recent: ReadonlyMap<string, number>,
  collator: Intl.Collator,
  recentContacts: ReadonlyMap<string, Contact> = new Map(),
): Promise<Contact[] | null> {
  const read = readNameKeyRange(db, query, limit);
  return read && rankNameKeyRange(await read, limit, recent, collator, recentContacts);
}

interface NameKeyRange {
  key: string;
  chunks: ContactChunk[];
}

/** Starts `nameKeyRange`'s read (null when the query is not one it answers). */
function readNameKeyRange(db: DirectoryDb, query: string, limit: number): Promise<NameKeyRange> | null {
  if (limit <= 0 || phoneQuery(query) !== null) return null;
  const key = nameKey(query);
  if (key === '') return null;
  // U+FFFF is the largest code unit: [key, key + U+FFFF] holds the keys that start with `key`.
  return db.getAllFromIndex('chunks', 'byNameKey', IDBKeyRange.bound(key, `${key}\uffff`), limit + 10).then((chunks) => ({ key, chunks }));
}

/** `nameKeyRange`'s answer from what its read found. */
function rankNameKeyRange({ key, chunks }: NameKeyRange, limit: number, recent: ReadonlyMap<string, number>, collator: Intl.Collator, recentContacts: ReadonlyMap<string, Contact>): Contact[] | null {
  const found = new Map<string, { contact: Contact; name: string }>();
  for (const chunk of chunks) {
    chunk.nameKeys.forEach((entry, i) => {
      const contact = chunk.contacts[i]!;
      if (entry.startsWith(key)) found.set(contact.id, { contact, name: displayNameOf(contact) });
    });
  }
  for (const [id, contact] of recentContacts) {
    if (recent.has(id) && !found.has(id) && nameKey(displayNameOf(contact)).startsWith(key)) found.set(id, { contact, name: displayNameOf(contact) });
  }
  if (found.size < limit) return null;
  return [...found.values()]
    .sort((a, b) => (recent.get(b.contact.id) ?? 0) - (recent.get(a.contact.id) ?? 0) || collator.compare(a.name, b.name) || (a.contact.id < b.contact.id ? -1 : a.contact.id > b.contact.id ? 1 : 0))
    .slice(0, limit)
    .map((entry) => entry.contact);
}

/**
 * The contacts of the most recently used colleagues, for `nameKeyRange`: the `RECENT_FOR_QUICK` latest
 * (each read brings its whole chunk, so all `MAX_RECENT` would cost ~2 MB at every open; an older one that
 * the range's window misses is placed by the index's answer moments later).
 */
async function readRecentContacts(db: DirectoryDb, recent: ReadonlyMap<string, number>): Promise<Map<string, Contact>> {
  if (recent.size === 0) return new Map();
  const latest = [...recent].sort((a, b) => b[1] - a[1]).slice(0, RECENT_FOR_QUICK).map(([id]) => id);
  return new Map((await getContacts(db, latest)).map((contact) => [contact.id, contact]));
}

// ---- The fallback: a bounded scan ----

export interface ScanOptions {
  limit: number;
  signal?: AbortSignal | undefined;
  recent: ReadonlyMap<string, number>;
  /** Contacts per read. */
  batch: number;
  /** Stop after this long with what was found (default: no limit). */
  budgetMs?: number;
}

/**
 * Scans contacts in chunk order, about `batch` at a time (one short read transaction each, so a sync
 * writing meanwhile is never blocked for long), keeping those where every query word is a prefix of one of the
 * contact's index terms — the index's own matching (`contactTerms`, `queryWords`, `phoneQuery`) — and
 * stops after `limit` matches or when `budgetMs` is spent. Results are ranked like the index's tiers
 * (name starts with the query; every word in a name; the rest), then recent use, then name.
 */
export async function scan(db: DirectoryDb, query: string, options: ScanOptions): Promise<Contact[]> {
  const { limit, signal, recent } = options;
  if (limit <= 0) return [];
  const phone = phoneQuery(query);
  const words = phone === null ? queryWords(query) : [phone];
  const matches: { contact: Contact; tier: number }[] = [];
  if (words.length === 0) {
    // No query: recently used first, then whoever comes first.
    const byRecency = [...recent].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    for (const contact of await getContacts(db, byRecency.slice(0, limit))) matches.push({ contact, tier: 0 });
    if (matches.length < limit) {
      const seen = new Set(matches.map((m) => m.contact.id));
      const first = (await db.getAll('chunks', null, Math.ceil((limit + seen.size) / CHUNK_SIZE) + 1)).flatMap((chunk) => chunk.contacts);
      for (const contact of first) if (!seen.has(contact.id) && matches.length < limit) matches.push({ contact, tier: 1 });
    }
    return matches.map((m) => m.contact);
  }
  const queryKey = nameKey(query);
  const deadline = performance.now() + (options.budgetMs ?? Infinity);
  const chunksPerRead = Math.max(1, Math.ceil(options.batch / CHUNK_SIZE));
  let after: number | undefined;
  while (matches.length < limit && performance.now() < deadline) {
    signal?.throwIfAborted();
    const range = after === undefined ? null : IDBKeyRange.lowerBound(after, true);
    const batch = await db.getAll('chunks', range, chunksPerRead);
    for (const contact of batch.flatMap((chunk) => chunk.contacts)) {
      const tier = matchTier(contact, words, queryKey);
      if (tier >= 0) matches.push({ contact, tier });
      if (matches.length >= limit) break;
    }
    if (batch.length < chunksPerRead) break;
    after = batch[batch.length - 1]!.key;
  }
  const collator = new Intl.Collator(undefined, { sensitivity: 'base' });
  return matches
    .sort((a, b) => a.tier - b.tier || (recent.get(b.contact.id) ?? 0) - (recent.get(a.contact.id) ?? 0) || collator.compare(displayNameOf(a.contact), displayNameOf(b.contact)) || (a.contact.id < b.contact.id ? -1 : 1))
    .map((m) => m.contact);
}

/** -1 when `contact` does not match; else 0 (name starts with the query), 1 (all words in names), 2 (others). */
function matchTier(contact: Contact, words: readonly string[], queryKey: string): number {
  const terms = contactTerms(contact);
  let allNames = true;
  for (const word of words) {
    let mask = 0;
    for (const [term, fields] of terms) if (term.startsWith(word)) mask |= fields;
    if (mask === 0) return -1;
    if ((mask & 1) === 0) allNames = false;
  }
  if (!allNames) return 2;
  return queryKey !== '' && nameKey(displayNameOf(contact)).startsWith(queryKey) ? 0 : 1;
}
