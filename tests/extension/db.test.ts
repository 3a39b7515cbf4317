/**
 * The extension's IndexedDB layer (extension/lib/db.ts) on fake-indexeddb: the v1 schema, typed meta
 * records, recent use, photos, direct reports, sign-out, and upgrades that are never blocked.
 */
import 'fake-indexeddb/auto';
import { IDBFactory, IDBIndex } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import {
  applyContactChanges,
  CHUNK_SIZE,
  clearDirectory,
  countContacts,
  DB_VERSION,
  getAllContacts,
  getContact,
  getContacts,
  getSearchIndex,
  getDirectReports,
  getMeta,
  getPhoto,
  getRecent,
  getRecentContacts,
  getSyncState,
  isQuotaError,
  makeChunk,
  MAX_RECENT,
  openDirectoryDb,
  packSearchIndex,
  putContacts,
  putPhoto,
  setMeta,
  storageError,
  StorageError,
  touchRecent,
  unpackSearchIndex,
  writeSearchIndex,
} from '../../extension/lib/db.ts';
import { createSearchIndex, SearchIndex } from '../../shared/search-index.ts';

const open = (factory = new IDBFactory()) => openDirectoryDb('peoplebook', { indexedDB: factory });
const person = (id: string, displayName: string, managerId: string | null = null): Contact => ({ ...emptyContact(id), displayName, managerId });

describe('openDirectoryDb', () => {
  it('creates the schema: chunks (auto-increment key, multi-entry byId, byManager, byNameKey), photos, meta, searchIndex', async () => {
    const db = await open();
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'meta', 'photos', 'searchIndex']);
    const tx = db.transaction(['chunks', 'photos', 'meta', 'searchIndex']);
    expect(tx.objectStore('searchIndex').keyPath).toBeNull();
    const chunks = tx.objectStore('chunks');
    expect([chunks.keyPath, chunks.autoIncrement]).toEqual(['key', true]);
    expect([...chunks.indexNames].sort()).toEqual(['byId', 'byManager', 'byNameKey']);
    expect((['byId', 'byManager', 'byNameKey'] as const).map((name) => [chunks.index(name).keyPath, chunks.index(name).multiEntry, chunks.index(name).unique])).toEqual([
      ['ids', true, true],
      ['managerIds', true, false],
      ['nameKeys', true, false],
    ]);
    expect(tx.objectStore('photos').keyPath).toBeNull();
    expect(tx.objectStore('meta').keyPath).toBeNull();
    db.close();
  });

  it('opens an existing database without running the migration again and keeps its data', async () => {
    const factory = new IDBFactory();
    const first = await open(factory);
    await putContacts(first, [person('a', 'Anna')]);
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
    await expect(db.get('chunks', 1)).rejects.toThrow();
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

  it('upgrades a version 1 copy: its contacts moved into chunks, its search index dropped for a rebuild', async () => {
    const factory = new IDBFactory();
    // Version 1 as it shipped: contacts without nameKey, one index.
    const v1 = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open('peoplebook', 1);
      request.onupgradeneeded = () => {
        const contacts = request.result.createObjectStore('contacts', { keyPath: 'id' });
        contacts.createIndex('byManager', 'managerId');
        request.result.createObjectStore('photos');
        request.result.createObjectStore('meta');
        for (const c of [person('a', 'Ännä Schmidt'), person('b', 'Bert'), { ...emptyContact('c'), givenName: 'Cleo', surname: 'Ngô' }]) contacts.put(c);
        const meta = request.transaction!.objectStore('meta');
        meta.put({ index: { format: 'peoplebook-search-index' }, size: 3, savedAt: 1 }, 'searchIndex');
        meta.put('7', 'searchIndexCursor');
        meta.put('7', 'cursor');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    v1.close();
    const db = await open(factory);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'meta', 'photos', 'searchIndex']);
    const [chunk, ...more] = await db.getAll('chunks');
    expect(more).toEqual([]);
    expect(chunk).toMatchObject({ ids: ['a', 'b', 'c'], nameKeys: ['anna schmidt', 'bert', 'cleo ngo'] });
    expect(await getContact(db, 'a')).toStrictEqual(person('a', 'Ännä Schmidt'));
    expect(await countContacts(db)).toBe(3);
    // The index left meta for its own store: the old one is gone (and gets rebuilt), the cursor stays.
    expect(await db.get('meta', 'searchIndex' as 'cursor')).toBeUndefined();
    expect(await getSyncState(db)).toMatchObject({ cursor: '7', searchIndex: 'none' });
    expect(await getSearchIndex(db)).toBeUndefined();
    db.close();
  });

  it('a chunk carries its contacts\' ids, folded display names and managers for its indexes', () => {
    const chunk = makeChunk([person('x', 'Jörg-Peter  Müller', 'm'), { ...emptyContact('y'), mail: 'Y.Z@contoso.example', managerId: 'm' }, person('z', 'Zoë')]);
    expect(chunk).toEqual({
      contacts: [person('x', 'Jörg-Peter  Müller', 'm'), { ...emptyContact('y'), mail: 'Y.Z@contoso.example', managerId: 'm' }, person('z', 'Zoë')],
      ids: ['x', 'y', 'z'],
      // No display name: the name it is shown under.
      nameKeys: ['jorg peter muller', 'y z contoso example', 'zoe'],
      managerIds: ['m'],
    });
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

describe('contacts in chunks', () => {
  const many = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => person(`${prefix}${String(i).padStart(3, '0')}`, `Person ${i}`));

  it('writes new contacts CHUNK_SIZE to a record and reads any of them back by id', async () => {
    const db = await open();
    const people = many(CHUNK_SIZE * 2 + 3);
    await putContacts(db, people);
    expect((await db.getAll('chunks')).map((chunk) => chunk.contacts.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 3]);
    expect(await countContacts(db)).toBe(people.length);
    const last = people.length - 1;
    expect(await getContacts(db, [people[last]!.id, 'p000', 'nobody', people[CHUNK_SIZE + 1]!.id])).toEqual([people[last], people[0], people[CHUNK_SIZE + 1]]);
    expect(await getAllContacts(db)).toEqual(people);
    db.close();
  });

  it('replaces a contact where it is, removes deleted ones, and drops a chunk left empty', async () => {
    const db = await open();
    await putContacts(db, [person('a', 'Anna'), person('b', 'Bert')]);
    await putContacts(db, [person('c', 'Cleo')]);
    await putContacts(db, [person('a', 'Anna Neu'), person('d', 'Dora')], ['b', 'c', 'never-there']);
    const chunks = await db.getAll('chunks');
    expect(chunks.map((chunk) => chunk.ids)).toEqual([['a'], ['d']]);
    expect(chunks[0]!.nameKeys).toEqual(['anna neu']);
    expect(await getContact(db, 'a')).toEqual(person('a', 'Anna Neu'));
    expect(await getContact(db, 'b')).toBeUndefined();
    expect(await countContacts(db)).toBe(2);
    db.close();
  });

  it('a location that is no longer right (its chunk gone, or not holding it) stores the upsert anew rather than lose it', async () => {
    const db = await open();
    const tx = db.transaction('chunks', 'readwrite');
    await Promise.all([applyContactChanges(tx.store, [person('a', 'Anna')], [], new Map([['a', 999]])), tx.done]);
    expect(await getAllContacts(db)).toEqual([person('a', 'Anna')]);
    // Said to be in a chunk that exists but does not hold it.
    const key = (await db.getAll('chunks'))[0]!.key!;
    const again = db.transaction('chunks', 'readwrite');
    await Promise.all([applyContactChanges(again.store, [person('b', 'Bert')], [], new Map([['b', key]])), again.done]);
    expect((await getAllContacts(db)).map((c) => c.id).sort()).toEqual(['a', 'b']);
    db.close();
  });

  it('the same id twice in one page keeps the last; an id already stored is never stored twice', async () => {
    const db = await open();
    await putContacts(db, [person('a', 'Anna'), person('a', 'Anna Zwei')]);
    await putContacts(db, [person('a', 'Anna Drei')]);
    expect(await getAllContacts(db)).toEqual([person('a', 'Anna Drei')]);
    // The byId index is unique: a chunk repeating a stored id is refused rather than kept twice.
    await expect(db.add('chunks', makeChunk([person('a', 'Duplicate')]))).rejects.toMatchObject({ name: 'ConstraintError' });
    db.close();
  });

  it('with the locations of what it wrote, looks nothing up and keeps them current', async () => {
    const db = await open();
    const locations = new Map<string, number>();
    const write = async (upserts: Contact[], deletions: string[] = []) => {
      const tx = db.transaction('chunks', 'readwrite');
      await Promise.all([applyContactChanges(tx.store, upserts, deletions, locations), tx.done]);
    };
    await write(many(CHUNK_SIZE + 1));
    expect(new Set(locations.values()).size).toBe(2);
    expect(locations.size).toBe(CHUNK_SIZE + 1);
    const lookups = vi.spyOn(IDBIndex.prototype, 'getKey');
    await write([person('p010', 'Renamed'), ...many(2, 'q')], ['p000']);
    expect(lookups).not.toHaveBeenCalled();
    lookups.mockRestore();
    expect(locations.has('p000')).toBe(false);
    expect(locations.get('q000')).toBe(locations.get('q001'));
    expect(await getContact(db, 'p010')).toEqual(person('p010', 'Renamed'));
    expect(await countContacts(db)).toBe(CHUNK_SIZE + 2);
    db.close();
  });
});

describe('the persisted search index', () => {
  const index = createSearchIndex([person('a', 'Anna Schmidt'), person('b', 'Bért Ünal'), { ...emptyContact('ü-ß-漢字'), displayName: '王小明', businessPhones: ['+1 425 555 0100'] }]);
  const record = { index: index.serialize(), size: 3, savedAt: 42 };

  it('packs into a header and slices of at most the chunk size, and unpacks to the same arrays', () => {
    const [header, ...chunks] = packSearchIndex(record, 64);
    expect(header.chunks).toBe(chunks.length);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.byteLength).toBeLessThanOrEqual(64);
    const unpacked = unpackSearchIndex([header, ...chunks])!;
    expect(unpacked).toEqual(record);
    // Every array in an Int32Array stays one (aligned views into one buffer), and the index works.
    expect(unpacked.index.postings).toBeInstanceOf(Int32Array);
    expect(SearchIndex.deserialize(unpacked.index).search('bert unal').ids).toEqual(['b']);
    expect(SearchIndex.deserialize(unpacked.index).search('王').ids).toEqual(['ü-ß-漢字']);
  });

  it('an incomplete or foreign set of records unpacks to nothing', () => {
    const [header, ...chunks] = packSearchIndex(record, 64);
    expect(unpackSearchIndex([])).toBeUndefined();
    expect(unpackSearchIndex([header, ...chunks.slice(1)])).toBeUndefined();
    expect(unpackSearchIndex([header, ...chunks, new ArrayBuffer(4)])).toBeUndefined();
    expect(unpackSearchIndex([chunks[0]!, ...chunks])).toBeUndefined();
  });

  it('is written in the caller\'s transaction, replacing a larger one entirely, and read back', async () => {
    const db = await open();
    const big = { index: createSearchIndex(Array.from({ length: 300 }, (_, i) => person(`id${i}`, `Person ${i}`))).serialize(), size: 300, savedAt: 1 };
    for (const next of [big, record]) {
      const tx = db.transaction('searchIndex', 'readwrite');
      await Promise.all([...writeSearchIndex(tx.store, next), tx.done]);
    }
    expect(await db.count('searchIndex')).toBe(packSearchIndex(record).length);
    expect(await getSearchIndex(db)).toEqual(record);
    db.close();
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
    expect(await getSyncState(db)).toEqual({ cursor: '42', lastSyncAt: 1_700_000_000_000, lastSyncError: { code: 'proxy_unreachable', message: 'down', at: 5 }, tenantId: 't1', searchIndex: 'stale', indexedContacts: null });
    await setMeta(db, 'searchIndexCursor', '42');
    expect((await getSyncState(db)).searchIndex).toBe('current');
    db.close();
  });

  it('a fresh database has cursor 0, no sync, no index', async () => {
    const db = await open();
    expect(await getSyncState(db)).toEqual({ cursor: '0', lastSyncAt: null, lastSyncError: null, tenantId: null, searchIndex: 'none', indexedContacts: null });
    db.close();
  });
});

describe('touchRecent', () => {
  /** A copy that has synced (it has a cursor): uses are recorded only there. */
  const synced = async () => {
    const db = await open();
    await setMeta(db, 'cursor', '1');
    return db;
  };

  it('records the last use, most recent wins, and getRecentContacts lists them newest first', async () => {
    const db = await synced();
    await putContacts(db, [person('a', 'Anna'), person('b', 'Bert')]);
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
    const db = await synced();
    for (let i = 0; i < MAX_RECENT + 5; i++) await touchRecent(db, `id${i}`, () => i);
    const recent = await getRecent(db);
    expect(recent.size).toBe(MAX_RECENT);
    expect(recent.has('id0')).toBe(false);
    expect(recent.has(`id${MAX_RECENT + 4}`)).toBe(true);
    db.close();
  });

  it('loses nothing when two touches race', async () => {
    const db = await synced();
    await Promise.all(['a', 'b', 'c', 'd'].map((id, i) => touchRecent(db, id, () => i)));
    expect([...(await getRecent(db)).keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    db.close();
  });

  it('records nothing in a copy without a cursor: a use as the employee signs out is not left behind', async () => {
    const db = await synced();
    await touchRecent(db, 'a', () => 1);
    const touching = touchRecent(db, 'b', () => 2);
    const signingOut = clearDirectory(db);
    const late = touchRecent(db, 'c', () => 3);
    await Promise.all([touching, signingOut]);
    expect([...(await late).keys()]).toEqual([]);
    expect(await getRecent(db)).toEqual(new Map());
    expect(await db.count('meta')).toBe(0);
    db.close();
  });
});

describe('contacts and photos', () => {
  it('getContacts keeps the order asked and skips unknown ids', async () => {
    const db = await open();
    await putContacts(db, [person('a', 'Anna'), person('b', 'Bert'), person('c', 'Cleo')]);
    expect((await getContacts(db, ['c', 'x', 'a'])).map((c) => c.id)).toEqual(['c', 'a']);
    expect(await getContacts(db, [])).toEqual([]);
    expect(await countContacts(db)).toBe(3);
    db.close();
  });

  it('getDirectReports reads the byManager index (contacts without a manager are not in it)', async () => {
    const db = await open();
    // Reports in different chunks (one write each) and two in one chunk.
    await putContacts(db, [person('m', 'Maria'), person('r2', 'Zoe', 'm')]);
    await putContacts(db, [person('r1', 'Adam', 'm'), person('x', 'Xavier', 'other'), person('n', 'Nobody'), person('r3', 'Bea', 'm')]);
    expect((await getDirectReports(db, 'm')).map((c) => c.displayName)).toEqual(['Adam', 'Bea', 'Zoe']);
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
    await putContacts(db, [person('a', 'Anna')]);
    await putPhoto(db, 'a', '96x96', { bytes: new Uint8Array([1]), contentType: 'image/png', etag: null, fetchedAt: 1, missing: false });
    await setMeta(db, 'cursor', '9');
    await setMeta(db, 'tenantId', 't');
    await touchRecent(db, 'a');
    expect((await getRecent(db)).has('a')).toBe(true);
    const tx = db.transaction('searchIndex', 'readwrite');
    await Promise.all([...writeSearchIndex(tx.store, { index: createSearchIndex([person('a', 'Anna')]).serialize(), size: 1, savedAt: 1 }), tx.done]);
    await clearDirectory(db);
    for (const store of ['chunks', 'photos', 'meta', 'searchIndex'] as const) expect(await db.count(store), store).toBe(0);
    expect(await getSyncState(db)).toEqual({ cursor: '0', lastSyncAt: null, lastSyncError: null, tenantId: null, searchIndex: 'none', indexedContacts: null });
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
