import { unwrap, wrap, type DBSchema, type IDBPDatabase, type IDBPObjectStore, type IDBPTransaction, type StoreNames } from 'idb';
import type { Contact } from '../../shared/contact.ts';
import { displayNameOf } from '../../shared/display-name.ts';
import { nameKey } from '../../shared/normalize.ts';
import type { SerializedSearchIndex } from '../../shared/search-index.ts';

/**
 * The extension's local copy of the directory (../../shared/design.md, flow 3 "Extension sync"): one
 * IndexedDB database, opened through idb, with four object stores.
 *
 * - `chunks`: the contacts, exactly as the proxy's changes feed sends them, up to `CHUNK_SIZE` to a record
 *   (`ContactChunk`), with three multi-entry indexes over arrays each chunk carries: `byId` (read a
 *   contact by id), `byManager` (the card's direct reports) and `byNameKey` (the folded display name, so
 *   the popup's first keystrokes are answered by one key range, "the name starts with what was typed",
 *   while the full search index is still being read). Why chunks: Chromium spends ≈ 50–85 µs of its
 *   browser process on every IndexedDB record written, whatever its size: 100,000 one-contact records
 *   with two indexes took ≈ 11 s of its CPU, and the first sync missed its ≤ 10 s budget. In chunks of
 *   20 the same contacts and index entries take ≈ 4 s (bench/extension-chromium.bench.ts). Reading a
 *   contact reads its chunk (≈ 10 KB); 30 of them for a page of results stay within a frame.
 * - `photos`: cached photos keyed `${id}:${size}` (size as the proxy's `96x96`), misses included so a
 *   colleague without a photo costs one request a day, not one per card.
 * - `meta`: small named records (`MetaRecords`): the feed cursor, last sync time and error, the tenant the
 *   copy belongs to, the cursor the search index reflects, recently used colleagues, a running sync's
 *   heartbeat.
 * - `searchIndex`: the serialized search index, packed into one buffer and stored in slices of
 *   `INDEX_CHUNK_BYTES` (`packSearchIndex`). Chromium keeps IndexedDB values in LevelDB, whose blocks
 *   hold whole values: stored as one 22 MiB value, the index made every read of a record next to it (the
 *   small meta records) read and decompress those 22 MiB, ≈ 110 ms each in the popup and background.
 *
 * Everything here takes the database (or the IDBFactory) as a parameter; nothing reads WXT or extension
 * globals, so the same code runs in the background, the popup and Node tests (fake-indexeddb).
 */

export const DB_NAME = 'peoplebook';
export const DB_VERSION = 2;
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
  /** The `cursor` the persisted index (store `searchIndex`) reflects; when it differs, the index is stale. */
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

/** Contacts per record of the `chunks` store. */
export const CHUNK_SIZE = 20;

/**
 * A record of the `chunks` store: up to `CHUNK_SIZE` contacts, and the arrays its indexes read, parallel
 * to `contacts` (`ids`, `nameKeys`: `nameKey(displayNameOf(contact))` of ../../shared/normalize.ts) or
 * without nulls (`managerIds`). `key` is given by the store (auto-increment).
 */
export interface ContactChunk {
  key?: number;
  contacts: Contact[];
  ids: string[];
  nameKeys: string[];
  managerIds: string[];
}

/** The chunk record for `contacts` (at most `CHUNK_SIZE`). */
export function makeChunk(contacts: Contact[], key?: number): ContactChunk {
  const chunk: ContactChunk = {
    contacts,
    ids: contacts.map((contact) => contact.id),
    nameKeys: contacts.map((contact) => nameKey(displayNameOf(contact))),
    managerIds: [...new Set(contacts.map((contact) => contact.managerId).filter((id): id is string => typeof id === 'string' && id !== ''))],
  };
  if (key !== undefined) chunk.key = key;
  return chunk;
}

export interface DirectoryDbSchema extends DBSchema {
  chunks: { key: number; value: ContactChunk; indexes: { byId: string; byManager: string; byNameKey: string } };
  photos: { key: string; value: StoredPhoto };
  meta: { key: MetaKey; value: MetaRecords[MetaKey] };
  /** Key 0: the `IndexHeader`; keys 1…n: the slices of the packed index. */
  searchIndex: { key: number; value: IndexHeader | ArrayBuffer };
}

export type DirectoryDb = IDBPDatabase<DirectoryDbSchema>;
export type DirectoryStoreName = StoreNames<DirectoryDbSchema>;
export const STORES: readonly DirectoryStoreName[] = ['chunks', 'photos', 'meta', 'searchIndex'];

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
  // 0 → 1: the first schema, one record per contact (a store this version no longer names).
  (db) => {
    const raw = unwrap(db) as IDBDatabase;
    raw.createObjectStore('contacts', { keyPath: 'id' }).createIndex('byManager', 'managerId');
    db.createObjectStore('photos');
    db.createObjectStore('meta');
  },
  // 1 → 2: contacts in chunks (moved over in one read and CHUNK_SIZE-record writes, then the old store
  // dropped), and the search index in its own store (the one in meta dropped: it is rebuilt).
  (db, tx) => {
    const chunks = db.createObjectStore('chunks', { keyPath: 'key', autoIncrement: true });
    chunks.createIndex('byId', 'ids', { unique: true, multiEntry: true });
    chunks.createIndex('byManager', 'managerIds', { multiEntry: true });
    chunks.createIndex('byNameKey', 'nameKeys', { multiEntry: true });
    db.createObjectStore('searchIndex');
    const raw = unwrap(tx) as IDBTransaction;
    const meta = raw.objectStore('meta');
    meta.delete('searchIndex');
    meta.delete('searchIndexCursor');
    const old = raw.objectStore('contacts').getAll();
    old.addEventListener('success', () => {
      const contacts = old.result as Contact[];
      const target = raw.objectStore('chunks');
      for (let at = 0; at < contacts.length; at += CHUNK_SIZE) target.put(makeChunk(contacts.slice(at, at + CHUNK_SIZE)));
      (unwrap(db) as IDBDatabase).deleteObjectStore('contacts');
    });
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
  /** How many contacts the persisted index holds (exact when it is current), null without one. */
  indexedContacts: number | null;
}

export async function getSyncState(db: DirectoryDb): Promise<SyncState> {
  const tx = db.transaction(['meta', 'searchIndex']);
  const meta = tx.objectStore('meta');
  const [cursor, lastSyncAt, lastSyncError, tenantId, indexCursor, header] = await Promise.all([
    meta.get('cursor'),
    meta.get('lastSyncAt'),
    meta.get('lastSyncError'),
    meta.get('tenantId'),
    meta.get('searchIndexCursor'),
    tx.objectStore('searchIndex').get(0),
    tx.done,
  ]);
  const current = (cursor as string | undefined) ?? '0';
  const indexedContacts = header && !(header instanceof ArrayBuffer) && indexCursor !== undefined ? header.size : null;
  return {
    cursor: current,
    lastSyncAt: (lastSyncAt as number | undefined) ?? null,
    lastSyncError: (lastSyncError as SyncErrorInfo | null | undefined) ?? null,
    tenantId: (tenantId as string | undefined) ?? null,
    searchIndex: indexCursor === undefined ? 'none' : indexCursor === current ? 'current' : 'stale',
    indexedContacts,
  };
}

/** Colleagues used recently, id → last use. Empty when none. */
export async function getRecent(db: DirectoryDb): Promise<Map<string, number>> {
  return (await getMeta(db, 'recent')) ?? new Map();
}

/**
 * Records that a colleague was just used (card opened, email copied): search ranks them first within a
 * tier. Read-modify-write in one transaction, so two pages touching at once lose nothing. Keeps the
 * `MAX_RECENT` most recent. Nothing is written into a copy with no cursor (never synced, or signed out:
 * `clearDirectory`), checked in the same transaction, so a use recorded as the employee signs out is not
 * left behind for the next one; the map as it stands is returned.
 */
export async function touchRecent(db: DirectoryDb, id: string, now: () => number = Date.now): Promise<Map<string, number>> {
  const tx = db.transaction('meta', 'readwrite');
  const [stored, cursor] = await Promise.all([tx.store.get('recent') as Promise<Map<string, number> | undefined>, tx.store.get('cursor')]);
  const recent = new Map(stored ?? []);
  if (cursor === undefined) {
    await tx.done;
    return recent;
  }
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

type ChunkStore<Mode extends IDBTransactionMode> = IDBPObjectStore<DirectoryDbSchema, ArrayLike<DirectoryStoreName>, 'chunks', Mode>;

const contactIn = (chunk: ContactChunk | undefined, id: string): Contact | undefined => {
  if (!chunk) return undefined;
  const at = chunk.ids.indexOf(id);
  return at < 0 ? undefined : chunk.contacts[at];
};

export async function getContact(db: DirectoryDb, id: string): Promise<Contact | undefined> {
  return contactIn(await db.getFromIndex('chunks', 'byId', id), id);
}

/** Contacts by id in one transaction, in the order asked; ids with no contact are left out. */
export async function getContacts(db: DirectoryDb, ids: readonly string[]): Promise<Contact[]> {
  if (ids.length === 0) return [];
  const tx = db.transaction('chunks');
  const byId = tx.store.index('byId');
  const found = await Promise.all([...ids.map(async (id) => contactIn(await byId.get(id), id)), tx.done]);
  return found.filter((contact): contact is Contact => contact !== undefined);
}

/** Every contact, in chunk order (one read). */
export async function getAllContacts(db: DirectoryDb): Promise<Contact[]> {
  return (await db.getAll('chunks')).flatMap((chunk) => chunk.contacts);
}

/** Recently used colleagues that are still in the directory, most recent first, at most `limit`. */
export async function getRecentContacts(db: DirectoryDb, limit: number): Promise<Contact[]> {
  const recent = await getRecent(db);
  const ids = [...recent].sort((a, b) => b[1] - a[1]).map(([id]) => id);
  return (await getContacts(db, ids)).slice(0, Math.max(0, limit));
}

/** The colleagues whose manager is `id` (the card's direct reports), by display name. */
export async function getDirectReports(db: DirectoryDb, id: string): Promise<Contact[]> {
  const chunks = await db.getAllFromIndex('chunks', 'byManager', id);
  const reports = new Map(chunks.flatMap((chunk) => chunk.contacts.filter((contact) => contact.managerId === id)).map((contact) => [contact.id, contact]));
  return [...reports.values()].sort((a, b) => (a.displayName ?? '').localeCompare(b.displayName ?? ''));
}

/** How many contacts are stored. Walks the `byId` index (≈ 100 ms at 100,000 in Chromium): avoid on hot paths. */
export async function countContacts(db: DirectoryDb): Promise<number> {
  return db.countFromIndex('chunks', 'byId');
}

/**
 * Applies upserts (add, or replace the contact with the same id where it is) and deletions to the
 * `chunks` store of the caller's readwrite transaction, touching each affected chunk once. New contacts
 * go to new chunks. `locations` (id → chunk key), when given, says where every contact already stored
 * is — the first sync knows, having written them all — and is kept up to date; otherwise each affected
 * id is looked up in `byId`.
 */
export async function applyContactChanges(store: ChunkStore<'readwrite'>, upserts: readonly Contact[], deletions: readonly string[], locations?: Map<string, number>): Promise<void> {
  // The last upsert of an id in the page wins, and wins over a deletion of it (the feed sends one or the other).
  const latest = new Map<string, Contact>();
  for (const contact of upserts) latest.set(contact.id, contact);
  const removed = new Set(deletions.filter((id) => !latest.has(id)));
  const affected = [...latest.keys(), ...removed];
  let where: (string | number | undefined)[];
  if (locations) where = affected.map((id) => locations.get(id));
  else {
    const byId = store.index('byId');
    where = await Promise.all(affected.map((id) => byId.getKey(id)));
  }
  // Chunks to rewrite, with the ids in each to replace or remove.
  const touched = new Map<number, string[]>();
  const fresh: Contact[] = [];
  affected.forEach((id, i) => {
    const key = where[i];
    if (typeof key === 'number') touched.set(key, [...(touched.get(key) ?? []), id]);
    else if (latest.has(id)) fresh.push(latest.get(id)!);
  });
  const chunks = await Promise.all([...touched.keys()].map((key) => store.get(key)));
  const writes: Promise<unknown>[] = [];
  [...touched.keys()].forEach((key, i) => {
    const chunk = chunks[i];
    if (!chunk) {
      // The chunk is gone (a stale location): an upsert is stored anew, a deletion is done.
      for (const id of touched.get(key)!) if (latest.has(id)) fresh.push(latest.get(id)!);
      return;
    }
    const contacts = chunk.contacts.flatMap((contact) => (removed.has(contact.id) ? [] : [latest.get(contact.id) ?? contact]));
    for (const id of touched.get(key)!) {
      if (removed.has(id)) locations?.delete(id);
      // Said to be here but not (a stale location): stored anew rather than lost.
      else if (!chunk.ids.includes(id)) fresh.push(latest.get(id)!);
    }
    writes.push(contacts.length === 0 ? store.delete(key) : store.put(makeChunk(contacts, key)));
  });
  for (let at = 0; at < fresh.length; at += CHUNK_SIZE) {
    const part = fresh.slice(at, at + CHUNK_SIZE);
    const written = store.put(makeChunk(part));
    writes.push(written);
    if (locations) void written.then((key) => part.forEach((contact) => locations.set(contact.id, key)), () => undefined);
  }
  await Promise.all(writes);
}

/** Upserts and deletions in one transaction of their own (tests, tools). */
export async function putContacts(db: DirectoryDb, upserts: readonly Contact[], deletions: readonly string[] = []): Promise<void> {
  const tx = db.transaction('chunks', 'readwrite');
  await Promise.all([applyContactChanges(tx.store, upserts, deletions), tx.done]);
}

// ---- search index ----

/** Bytes per record of the `searchIndex` store: a LevelDB block is at most about this large. */
export const INDEX_CHUNK_BYTES = 128 * 1024;

type IndexArrayKind = 'i32' | 'u8' | 'utf8';

/** Record 0 of the `searchIndex` store: what the index is and where each array lies in the packed buffer. */
export interface IndexHeader {
  size: number;
  savedAt: number;
  /** The serialized index's plain values (format, version, locale). */
  scalars: Record<string, string | number>;
  /** Its arrays (and the ids string, as UTF-8), in the packed buffer: byte offset and element count. */
  arrays: { name: string; kind: IndexArrayKind; offset: number; length: number }[];
  bytes: number;
  chunks: number;
}

/**
 * Packs an index for the `searchIndex` store: its typed arrays and the ids string (UTF-8) laid end to end
 * in one buffer (4-byte aligned), cut into copies of at most `chunkBytes`, behind one header record.
 */
export function packSearchIndex(record: PersistedSearchIndex, chunkBytes = INDEX_CHUNK_BYTES): [IndexHeader, ...ArrayBuffer[]] {
  const scalars: Record<string, string | number> = {};
  const parts: { name: string; kind: IndexArrayKind; bytes: Uint8Array; length: number }[] = [];
  for (const [name, value] of Object.entries(record.index)) {
    if (value instanceof Int32Array) parts.push({ name, kind: 'i32', bytes: new Uint8Array(value.buffer, value.byteOffset, value.byteLength), length: value.length });
    else if (value instanceof Uint8Array) parts.push({ name, kind: 'u8', bytes: value, length: value.length });
    else if (name === 'ids' && typeof value === 'string') {
      const bytes = new TextEncoder().encode(value);
      parts.push({ name, kind: 'utf8', bytes, length: bytes.length });
    } else scalars[name] = value as string | number;
  }
  let bytes = 0;
  const arrays = parts.map((part) => {
    const offset = bytes;
    bytes = (offset + part.bytes.byteLength + 3) & ~3;
    return { name: part.name, kind: part.kind, offset, length: part.length };
  });
  const packed = new Uint8Array(bytes);
  parts.forEach((part, i) => packed.set(part.bytes, arrays[i]!.offset));
  const chunks: ArrayBuffer[] = [];
  for (let at = 0; at < bytes; at += chunkBytes) chunks.push(packed.buffer.slice(at, Math.min(bytes, at + chunkBytes)));
  return [{ size: record.size, savedAt: record.savedAt, scalars, arrays, bytes, chunks: chunks.length }, ...chunks];
}

/** The index `packSearchIndex` packed, from the store's records in key order; undefined when incomplete. */
export function unpackSearchIndex(records: readonly (IndexHeader | ArrayBuffer)[]): PersistedSearchIndex | undefined {
  const [header, ...chunks] = records;
  if (!header || header instanceof ArrayBuffer || chunks.length !== header.chunks || chunks.some((chunk) => !(chunk instanceof ArrayBuffer))) return undefined;
  const packed = new Uint8Array(header.bytes);
  let at = 0;
  for (const chunk of chunks as ArrayBuffer[]) {
    if (at + chunk.byteLength > packed.length) return undefined;
    packed.set(new Uint8Array(chunk), at);
    at += chunk.byteLength;
  }
  if (at !== packed.length) return undefined;
  const index: Record<string, unknown> = { ...header.scalars };
  for (const { name, kind, offset, length } of header.arrays) {
    if (kind === 'i32') index[name] = new Int32Array(packed.buffer, offset, length);
    else if (kind === 'u8') index[name] = packed.subarray(offset, offset + length);
    else index[name] = new TextDecoder().decode(packed.subarray(offset, offset + length));
  }
  return { index: index as unknown as SerializedSearchIndex, size: header.size, savedAt: header.savedAt };
}

type IndexStore = IDBPObjectStore<DirectoryDbSchema, ArrayLike<DirectoryStoreName>, 'searchIndex', 'readonly' | 'readwrite' | 'versionchange'>;
type WritableIndexStore = IDBPObjectStore<DirectoryDbSchema, ArrayLike<DirectoryStoreName>, 'searchIndex', 'readwrite'>;

/** The persisted index, read through the `searchIndex` store of a transaction; undefined when there is none. */
export async function readSearchIndex(store: IndexStore): Promise<PersistedSearchIndex | undefined> {
  return unpackSearchIndex(await store.getAll());
}

/** Replaces the persisted index, in the caller's readwrite transaction (with the cursor it reflects). */
export function writeSearchIndex(store: WritableIndexStore, record: PersistedSearchIndex): Promise<unknown>[] {
  const records = packSearchIndex(record);
  return [store.clear(), ...records.map((value, key) => store.put(value, key))];
}

/** The persisted index alone, in a transaction of its own (tests and benchmarks). */
export async function getSearchIndex(db: DirectoryDb): Promise<PersistedSearchIndex | undefined> {
  const tx = db.transaction('searchIndex');
  const [found] = await Promise.all([readSearchIndex(tx.store), tx.done]);
  return found;
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
