import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { Contact } from '../../shared/contact.ts';
import type { SerializedSearchIndex } from '../../shared/search-index.ts';

/**
 * The extension's local copy of the directory (../../shared/design.md, flow 3 "Extension sync"): one
 * IndexedDB database, opened through idb, with three object stores.
 *
 * - `contacts`: one `Contact` per colleague, exactly as the proxy's changes feed sends it, keyed by `id`.
 *   One index, `byManager` (managerId), for the contact card's direct reports. Search needs no IndexedDB
 *   index: it has its own compact index (../../shared/search-index.ts), persisted in `meta`. Every other
 *   index would slow the first sync's writes, which the design budgets at ≤ 10 s for 100,000 contacts.
 * - `photos`: cached photos keyed `${id}:${size}` (size as the proxy's `96x96`), misses included so a
 *   colleague without a photo costs one request a day, not one per card.
 * - `meta`: named records (`MetaRecords`): the feed cursor, last sync time and error, the tenant the copy
 *   belongs to, the serialized search index with the cursor it reflects, recently used colleagues, and a
 *   running sync's heartbeat.
 *
 * Everything here takes the database (or the IDBFactory) as a parameter; nothing reads WXT or extension
 * globals, so the same code runs in the background, the popup and Node tests (fake-indexeddb).
 */

export const DB_NAME = 'peoplebook';
export const DB_VERSION = 1;
/** How many recently used colleagues `touchRecent` keeps (the oldest are forgotten). */
export const MAX_RECENT = 200;

export interface SyncErrorInfo {
  /** A stable code (`ProxyError`, `StorageError` or `unexpected`); the UI branches on it. */
  code: string;
  /** What happened and what to do, for people. */
  message: string;
  /** When it happened (ms since the epoch). */
  at: number;
}

/** The search index as persisted: the compact arrays and what they reflect. */
export interface PersistedSearchIndex {
  index: SerializedSearchIndex;
  /** Contacts in the index. */
  size: number;
  /** When it was written (ms since the epoch). */
  savedAt: number;
}

/** The records of the `meta` store, by key. */
export interface MetaRecords {
  /** The changes-feed cursor the `contacts` store is at ('0' or absent = nothing synced yet). */
  cursor: string;
  /** End of the last sync round that succeeded (ms since the epoch). */
  lastSyncAt: number;
  /** Why the last round failed; null after a round that succeeded. */
  lastSyncError: SyncErrorInfo | null;
  /** The tenant the cached directory belongs to. */
  tenantId: string;
  /** The serialized search index. Large (~230 B per contact, 22 MiB at 100,000): read it only to search. */
  searchIndex: PersistedSearchIndex;
  /** The `cursor` the persisted index reflects; when it differs from `cursor`, the index is stale. */
  searchIndexCursor: string;
  /** Colleagues used recently (opened, copied, mailed): id → last use, ms since the epoch. */
  recent: Map<string, number>;
  /**
   * Set while a sync round runs, renewed with every page it commits (ms since the epoch), removed at
   * its end. A popup that finds no index waits for the round's instead of building its own.
   */
  syncHeartbeat: number;
}

export type MetaKey = keyof MetaRecords;

/** A cached photo (or the knowledge that there is none). */
export interface StoredPhoto {
  /** The image bytes; null when the colleague has no photo (`missing`). */
  bytes: Uint8Array | null;
  contentType: string | null;
  /** The proxy's ETag, sent back as If-None-Match when the cached copy is revalidated. */
  etag: string | null;
  /** When the proxy was last asked (ms since the epoch). */
  fetchedAt: number;
  /** True when the proxy answered 404 photo_not_found. */
  missing: boolean;
}

export interface DirectoryDbSchema extends DBSchema {
  contacts: { key: string; value: Contact; indexes: { byManager: string } };
  photos: { key: string; value: StoredPhoto };
  meta: { key: MetaKey; value: MetaRecords[MetaKey] };
}

export type DirectoryDb = IDBPDatabase<DirectoryDbSchema>;
export type DirectoryStoreName = StoreNames<DirectoryDbSchema>;
export const STORES: readonly DirectoryStoreName[] = ['contacts', 'photos', 'meta'];

export type StorageErrorCode = 'storage_full' | 'storage_unavailable';

/** IndexedDB refused: the disk quota is used up, or the browser gives this profile no IndexedDB. */
export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `QuotaExceededError` (Chromium, Firefox, Safari), whether thrown, or on an aborted transaction. */
export function isQuotaError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'QuotaExceededError' || (error instanceof Error && error.cause !== undefined && error.cause !== error && isQuotaError(error.cause));
}

/** Wraps a quota error into `StorageError('storage_full')`; anything else is returned as it is. */
export function storageError(error: unknown): unknown {
  if (error instanceof StorageError || !isQuotaError(error)) return error;
  return new StorageError(
    'storage_full',
    'The browser has no room left to store the directory. Free some disk space (or clear other sites\u2019 data), then sync again.',
    { cause: error },
  );
}

type UpgradeTransaction = IDBPTransaction<DirectoryDbSchema, DirectoryStoreName[], 'versionchange'>;

/**
 * One step per version: `MIGRATIONS[v]` takes a database at version v to v + 1. A new version appends a
 * step (never edits an old one), so any older copy upgrades through every step in order.
 */
const MIGRATIONS: readonly ((db: IDBPDatabase<DirectoryDbSchema>, tx: UpgradeTransaction) => void)[] = [
  // 0 → 1: the first schema.
  (db) => {
    const contacts = db.createObjectStore('contacts', { keyPath: 'id' });
    contacts.createIndex('byManager', 'managerId');
    db.createObjectStore('photos');
    db.createObjectStore('meta');
  },
];

export interface OpenDirectoryDbOptions {
  /** The IndexedDB implementation (default: the global `indexedDB`); tests pass fake-indexeddb's. */
  indexedDB?: IDBFactory;
  /** Called when another page needs this connection closed to upgrade the database (it is closed first). */
  onVersionChange?: () => void;
}

/**
 * Opens (creating or upgrading) the directory database. Throws `StorageError` when IndexedDB is unusable.
 * idb's `openDB` always uses the global `indexedDB`; this does the same with the factory passed in and
 * wraps the request with idb's `wrap`. (idb still needs the IndexedDB classes as globals: in Node,
 * `import 'fake-indexeddb/auto'`.)
 */
export async function openDirectoryDb(name: string = DB_NAME, options: OpenDirectoryDbOptions = {}): Promise<DirectoryDb> {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new StorageError('storage_unavailable', 'This browser offers no IndexedDB here, so Peoplebook cannot keep the directory offline.');
  try {
    const request = factory.open(name, DB_VERSION);
    request.addEventListener('upgradeneeded', (event) => {
      const db = wrap(request.result) as unknown as IDBPDatabase<DirectoryDbSchema>;
      const tx = wrap(request.transaction!) as unknown as UpgradeTransaction;
      for (let version = event.oldVersion; version < DB_VERSION; version++) MIGRATIONS[version]!(db, tx);
    });
    const db = (await wrap(request)) as unknown as DirectoryDb;
    // A newer version of the extension opened the database elsewhere: close this connection so it can
    // upgrade instead of staying blocked (https://w3c.github.io/IndexedDB/#opening, "versionchange").
    db.addEventListener('versionchange', () => {
      db.close();
      options.onVersionChange?.();
    });
    return db;
  } catch (error) {
    const mapped = storageError(error);
    if (mapped instanceof StorageError) throw mapped;
    const errorName = (error as { name?: string }).name;
    // Firefox private windows (before 115) and some locked-down profiles refuse IndexedDB outright.
    if (errorName === 'InvalidStateError' || errorName === 'UnknownError' || errorName === 'SecurityError') {
      throw new StorageError('storage_unavailable', `The browser refused to open Peoplebook's offline copy (${(error as Error).message}). Private windows and some profiles block it; use a normal window.`, { cause: error });
    }
    throw error;
  }
}

// ---- meta ----

/** One meta record, typed by its key. */
export async function getMeta<K extends MetaKey>(db: DirectoryDb, key: K): Promise<MetaRecords[K] | undefined> {
  return (await db.get('meta', key)) as MetaRecords[K] | undefined;
}

export async function setMeta<K extends MetaKey>(db: DirectoryDb, key: K, value: MetaRecords[K]): Promise<void> {
  await db.put('meta', value, key);
}

/** The small meta records the UI shows (no search index): what "last synced" and errors need. */
export interface SyncState {
  cursor: string;
  lastSyncAt: number | null;
  lastSyncError: SyncErrorInfo | null;
  tenantId: string | null;
  /** Whether a search index is persisted, and whether it reflects `cursor`. */
  searchIndex: 'none' | 'current' | 'stale';
}

export async function getSyncState(db: DirectoryDb): Promise<SyncState> {
  const tx = db.transaction('meta');
  const [cursor, lastSyncAt, lastSyncError, tenantId, indexCursor] = await Promise.all([
    tx.store.get('cursor'),
    tx.store.get('lastSyncAt'),
    tx.store.get('lastSyncError'),
    tx.store.get('tenantId'),
    tx.store.get('searchIndexCursor'),
    tx.done,
  ]);
  const current = (cursor as string | undefined) ?? '0';
  return {
    cursor: current,
    lastSyncAt: (lastSyncAt as number | undefined) ?? null,
    lastSyncError: (lastSyncError as SyncErrorInfo | null | undefined) ?? null,
    tenantId: (tenantId as string | undefined) ?? null,
    searchIndex: indexCursor === undefined ? 'none' : indexCursor === current ? 'current' : 'stale',
  };
}

/** Colleagues used recently, id → last use. Empty when none. */
export async function getRecent(db: DirectoryDb): Promise<Map<string, number>> {
  return (await getMeta(db, 'recent')) ?? new Map();
}

/**
 * Records that a colleague was just used (card opened, email copied): search ranks them first within a
 * tier. Read-modify-write in one transaction, so two pages touching at once lose nothing. Keeps the
 * `MAX_RECENT` most recent.
 */
export async function touchRecent(db: DirectoryDb, id: string, now: () => number = Date.now): Promise<Map<string, number>> {
  const tx = db.transaction('meta', 'readwrite');
  const stored = (await tx.store.get('recent')) as Map<string, number> | undefined;
  const recent = new Map(stored ?? []);
  recent.delete(id);
  recent.set(id, now());
  if (recent.size > MAX_RECENT) {
    const kept = [...recent].sort((a, b) => b[1] - a[1]).slice(0, MAX_RECENT);
    recent.clear();
    for (const [key, at] of kept) recent.set(key, at);
  }
  await Promise.all([tx.store.put(recent, 'recent'), tx.done]);
  return recent;
}

// ---- contacts ----

export async function getContact(db: DirectoryDb, id: string): Promise<Contact | undefined> {
  return db.get('contacts', id);
}

/** Contacts by id in one transaction, in the order asked; ids with no contact are left out. */
export async function getContacts(db: DirectoryDb, ids: readonly string[]): Promise<Contact[]> {
  if (ids.length === 0) return [];
  const tx = db.transaction('contacts');
  const found = await Promise.all([...ids.map((id) => tx.store.get(id)), tx.done]);
  return found.filter((contact): contact is Contact => contact !== undefined);
}

/** Recently used colleagues that are still in the directory, most recent first, at most `limit`. */
export async function getRecentContacts(db: DirectoryDb, limit: number): Promise<Contact[]> {
  const recent = await getRecent(db);
  const ids = [...recent].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  return (await getContacts(db, ids)).slice(0, Math.max(0, limit));
}

/** The colleagues whose manager is `id` (the card's direct reports), by display name. */
export async function getDirectReports(db: DirectoryDb, id: string): Promise<Contact[]> {
  const reports = await db.getAllFromIndex('contacts', 'byManager', id);
  return reports.sort((a, b) => (a.displayName ?? '').localeCompare(b.displayName ?? ''));
}

export async function countContacts(db: DirectoryDb): Promise<number> {
  return db.count('contacts');
}

// ---- photos ----

export const photoKey = (id: string, size: string): string => `${id}:${size}`;

export async function getPhoto(db: DirectoryDb, id: string, size: string): Promise<StoredPhoto | undefined> {
  return db.get('photos', photoKey(id, size));
}

/**
 * Caches a photo. `ifSynced`: only if the local copy still has a cursor, checked in the write's own
 * transaction, so a photo that arrives after a sign-out (`clearDirectory`) is not written back into it.
 */
export async function putPhoto(db: DirectoryDb, id: string, size: string, photo: StoredPhoto, options: { ifSynced?: boolean } = {}): Promise<void> {
  try {
    if (!options.ifSynced) {
      await db.put('photos', photo, photoKey(id, size));
      return;
    }
    const tx = db.transaction(['meta', 'photos'], 'readwrite');
    const done = tx.done;
    done.catch(() => undefined); // awaited below; observed now so an early throw leaves no unhandled rejection
    if ((await tx.objectStore('meta').get('cursor')) !== undefined) await tx.objectStore('photos').put(photo, photoKey(id, size));
    await done;
  } catch (error) {
    throw storageError(error);
  }
}

/** The key range of every cached size of one colleague's photo (`${id}:…`). */
export function photoRange(id: string): IDBKeyRange {
  // ';' is the code unit after ':', so [id:, id;) holds exactly the keys that start with "id:".
  return IDBKeyRange.bound(`${id}:`, `${id};`, false, true);
}

// ---- sign-out ----

/** Sign-out: every contact, photo, cursor, index, recent use and error gone, in one transaction. */
export async function clearDirectory(db: DirectoryDb): Promise<void> {
  const tx = db.transaction(STORES, 'readwrite');
  await Promise.all([...STORES.map((name) => tx.objectStore(name).clear()), tx.done]);
}
