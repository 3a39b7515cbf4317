/**
 * The extension's IndexedDB layer (extension/lib/db.ts) on fake-indexeddb: the v1 schema, typed meta
 * records, recent use, photos, direct reports, sign-out, and upgrades that are never blocked.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import {
  clearDirectory,
  countContacts,
  DB_VERSION,
  getContact,
  getContacts,
  getDirectReports,
  getMeta,
  getPhoto,
  getRecent,
  getRecentContacts,
  getSyncState,
  isQuotaError,
  MAX_RECENT,
  openDirectoryDb,
  putPhoto,
  setMeta,
  storageError,
  StorageError,
  touchRecent,
} from '../../extension/lib/db.ts';

const open = (factory = new IDBFactory()) => openDirectoryDb('peoplebook', { indexedDB: factory });
const person = (id: string, displayName: string, managerId: string | null = null): Contact => ({ ...emptyContact(id), displayName, managerId });

describe('openDirectoryDb', () => {
  it('creates the v1 schema: contacts (keyPath id, byManager index), photos, meta', async () => {
    const db = await open();
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['contacts', 'meta', 'photos']);
    const tx = db.transaction(['contacts', 'photos', 'meta']);
    expect(tx.objectStore('contacts').keyPath).toBe('id');
    expect([...tx.objectStore('contacts').indexNames]).toEqual(['byManager']);
    expect(tx.objectStore('photos').keyPath).toBeNull();
    expect(tx.objectStore('meta').keyPath).toBeNull();
    db.close();
  });

  it('opens an existing database without running the migration again and keeps its data', async () => {
    const factory = new IDBFactory();
    const first = await open(factory);
    await first.put('contacts', person('a', 'Anna'));
    first.close();
    const second = await open(factory);
    expect(await getContact(second, 'a')).toEqual(person('a', 'Anna'));
    second.close();
  });

  it('closes itself when a newer version opens elsewhere, so the upgrade is not blocked', async () => {
    const factory = new IDBFactory();
    let notified = 0;
    const db = await openDirectoryDb('peoplebook', { indexedDB: factory, onVersionChange: () => notified++ });
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open('peoplebook', DB_VERSION + 1);
      request.onblocked = () => reject(new Error('upgrade blocked by the old connection'));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    expect(newer.version).toBe(DB_VERSION + 1);
    expect(notified).toBe(1);
    newer.close();
    await expect(db.get('contacts', 'x')).rejects.toThrow();
  });

  it('refuses a database that is newer than this code with the browser\'s VersionError', async () => {
    const factory = new IDBFactory();
    await new Promise<void>((resolve) => {
      const request = factory.open('peoplebook', DB_VERSION + 5);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
    });
    await expect(open(factory)).rejects.toMatchObject({ name: 'VersionError' });
  });

  it('says storage_unavailable when there is no IndexedDB at all', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error -- simulating a context without IndexedDB
    delete globalThis.indexedDB;
    try {
      await expect(openDirectoryDb()).rejects.toMatchObject({ name: 'StorageError', code: 'storage_unavailable' });
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});

describe('meta records', () => {
  it('typed getters and setters round-trip every record', async () => {
    const db = await open();
    expect(await getMeta(db, 'cursor')).toBeUndefined();
    await setMeta(db, 'cursor', '42');
    await setMeta(db, 'lastSyncAt', 1_700_000_000_000);
    await setMeta(db, 'lastSyncError', { code: 'proxy_unreachable', message: 'down', at: 5 });
    await setMeta(db, 'tenantId', 't1');
    await setMeta(db, 'searchIndexCursor', '40');
    expect(await getMeta(db, 'cursor')).toBe('42');
    expect(await getSyncState(db)).toEqual({ cursor: '42', lastSyncAt: 1_700_000_000_000, lastSyncError: { code: 'proxy_unreachable', message: 'down', at: 5 }, tenantId: 't1', searchIndex: 'stale' });
    await setMeta(db, 'searchIndexCursor', '42');
    expect((await getSyncState(db)).searchIndex).toBe('current');
    db.close();
  });

  it('a fresh database has cursor 0, no sync, no index', async () => {
    const db = await open();
    expect(await getSyncState(db)).toEqual({ cursor: '0', lastSyncAt: null, lastSyncError: null, tenantId: null, searchIndex: 'none' });
    db.close();
  });
});

describe('touchRecent', () => {
  it('records the last use, most recent wins, and getRecentContacts lists them newest first', async () => {
    const db = await open();
    await db.put('contacts', person('a', 'Anna'));
    await db.put('contacts', person('b', 'Bert'));
    let clock = 1_000;
    const now = () => clock++;
    await touchRecent(db, 'a', now);
    await touchRecent(db, 'b', now);
    await touchRecent(db, 'gone', now);
    await touchRecent(db, 'a', now);
    expect([...(await getRecent(db))]).toEqual([
      ['b', 1_001],
      ['gone', 1_002],
      ['a', 1_003],
    ]);
    expect((await getRecentContacts(db, 10)).map((c) => c.id)).toEqual(['a', 'b']);
    expect((await getRecentContacts(db, 1)).map((c) => c.id)).toEqual(['a']);
    db.close();
  });

  it(`keeps the ${MAX_RECENT} most recent`, async () => {
    const db = await open();
    for (let i = 0; i < MAX_RECENT + 5; i++) await touchRecent(db, `id${i}`, () => i);
    const recent = await getRecent(db);
    expect(recent.size).toBe(MAX_RECENT);
    expect(recent.has('id0')).toBe(false);
    expect(recent.has(`id${MAX_RECENT + 4}`)).toBe(true);
    db.close();
  });

  it('loses nothing when two touches race', async () => {
    const db = await open();
    await Promise.all(['a', 'b', 'c', 'd'].map((id, i) => touchRecent(db, id, () => i)));
    expect([...(await getRecent(db)).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    db.close();
  });
});

describe('contacts and photos', () => {
  it('getContacts keeps the order asked and skips unknown ids', async () => {
    const db = await open();
    for (const c of [person('a', 'Anna'), person('b', 'Bert'), person('c', 'Cleo')]) await db.put('contacts', c);
    expect((await getContacts(db, ['c', 'x', 'a'])).map((c) => c.id)).toEqual(['c', 'a']);
    expect(await getContacts(db, [])).toEqual([]);
    expect(await countContacts(db)).toBe(3);
    db.close();
  });

  it('getDirectReports reads the byManager index (contacts without a manager are not in it)', async () => {
    const db = await open();
    for (const c of [person('m', 'Maria'), person('r2', 'Zoe', 'm'), person('r1', 'Adam', 'm'), person('x', 'Xavier', 'other'), person('n', 'Nobody')]) await db.put('contacts', c);
    expect((await getDirectReports(db, 'm')).map((c) => c.displayName)).toEqual(['Adam', 'Zoe']);
    expect(await getDirectReports(db, 'n')).toEqual([]);
    db.close();
  });

  it('stores photo bytes and misses under id:size', async () => {
    const db = await open();
    const bytes = new Uint8Array([0xff, 0xd8, 0xff]);
    await putPhoto(db, 'a', '96x96', { bytes, contentType: 'image/jpeg', etag: '"e1"', fetchedAt: 10, missing: false });
    await putPhoto(db, 'b', '96x96', { bytes: null, contentType: null, etag: null, fetchedAt: 11, missing: true });
    expect(await getPhoto(db, 'a', '96x96')).toEqual({ bytes, contentType: 'image/jpeg', etag: '"e1"', fetchedAt: 10, missing: false });
    expect(await getPhoto(db, 'a', '48x48')).toBeUndefined();
    expect((await getPhoto(db, 'b', '96x96'))?.missing).toBe(true);
    expect(await db.getAllKeys('photos')).toEqual(['a:96x96', 'b:96x96']);
    db.close();
  });
});

describe('clearDirectory (sign-out)', () => {
  it('leaves every store empty', async () => {
    const db = await open();
    await db.put('contacts', person('a', 'Anna'));
    await putPhoto(db, 'a', '96x96', { bytes: new Uint8Array([1]), contentType: 'image/png', etag: null, fetchedAt: 1, missing: false });
    await setMeta(db, 'cursor', '9');
    await setMeta(db, 'tenantId', 't');
    await touchRecent(db, 'a');
    await clearDirectory(db);
    for (const store of ['contacts', 'photos', 'meta'] as const) expect(await db.count(store), store).toBe(0);
    expect(await getSyncState(db)).toEqual({ cursor: '0', lastSyncAt: null, lastSyncError: null, tenantId: null, searchIndex: 'none' });
    db.close();
  });
});

describe('quota errors', () => {
  it.each([
    ['a DOMException QuotaExceededError', new DOMException('full', 'QuotaExceededError'), true],
    ['wrapped as a cause', new Error('write failed', { cause: new DOMException('full', 'QuotaExceededError') }), true],
    ['an AbortError', new DOMException('aborted', 'AbortError'), false],
    ['a plain Error', new Error('nope'), false],
    ['null', null, false],
  ])('%s → isQuotaError %s', (_name, error, quota) => {
    expect(isQuotaError(error)).toBe(quota);
    const mapped = storageError(error);
    if (quota) expect(mapped).toMatchObject({ name: 'StorageError', code: 'storage_full' });
    else expect(mapped).toBe(error);
  });

  it('storage_full says what to do', () => {
    const mapped = storageError(new DOMException('full', 'QuotaExceededError')) as StorageError;
    expect(mapped.message).toMatch(/free some disk space/i);
  });
});
