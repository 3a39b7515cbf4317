/**
 * Extension sync (extension/lib/sync.ts, design.md flow 3) end to end: a real proxy mirroring the
 * emulator, the real proxy client, IndexedDB from fake-indexeddb. The local copy must equal the proxy's
 * mirror after every round: first sync, incremental changes, forced resyncs, interrupted rounds, another
 * tenant signing in, sign-out; failures are recorded in meta with their codes.
 */
import 'fake-indexeddb/auto';
import { IDBFactory, IDBObjectStore } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Directory } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import { clearDirectory, countContacts, getAllContacts, getContact, getMeta, getSearchIndex, makeChunk, putContacts, getSyncState, openDirectoryDb, putPhoto, type DirectoryDb } from '../../extension/lib/db.ts';
import { openDirectorySearch } from '../../extension/lib/directory-search.ts';
import { createProxyClient, ProxyError, type ProxyClient } from '../../extension/lib/proxy-client.ts';
import { syncDirectory, type SyncProgress } from '../../extension/lib/sync.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { directoryOf, mirrorOf } from '../proxy/mirror-helpers.ts';

let emulator: Emulator;
let proxy: TestProxy;
let token: string;
let client: ProxyClient;
let directory: Directory;
let tenantId: string;
/** Every request the client made (path and query). */
const requests: string[] = [];

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 300, adminConsent: true });
  // Many rounds from one colleague in a few seconds: lift the per-user limit (rate_limited is the client test's).
  proxy = await startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_RATE_LIMIT: '100000' }, { tickMs: 3_600_000 });
  tenantId = emulator.tenantId;
  directory = directoryOf(emulator);
  expect(await proxy.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok' });
  token = await idTokenFor(emulator, emulator.employeeUpn);
  const fetch: typeof globalThis.fetch = (input, init) => {
    const url = new URL(String(input));
    requests.push(url.pathname + url.search);
    return globalThis.fetch(input, init);
  };
  client = createProxyClient({ baseUrl: proxy.url, getToken: async () => token, fetch });
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

const freshDb = () => openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
const mirror = (from: TestProxy = proxy) => mirrorOf(from.proxy.store, tenantId);
const mirrorSync = async () => expect(await proxy.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok' });

/** The local copy as contacts; each chunk's arrays for its indexes are checked against its contacts too. */
async function local(db: DirectoryDb): Promise<Map<string, Contact>> {
  const chunks = await db.getAll('chunks');
  for (const chunk of chunks) expect(chunk).toEqual({ ...makeChunk(chunk.contacts), key: chunk.key });
  return new Map(chunks.flatMap((chunk) => chunk.contacts).map((contact) => [contact.id, contact]));
}

/** The local copy equals the proxy's mirror: same ids, each contact field for field. */
async function expectLocalEqualsMirror(db: DirectoryDb, from: TestProxy = proxy): Promise<Map<string, Contact>> {
  const expected = await mirror(from);
  const actual = await local(db);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, contact] of expected) expect(actual.get(id)).toStrictEqual(contact);
  return expected;
}

/** A synced database (first sync done). */
async function syncedDb(): Promise<DirectoryDb> {
  const db = await freshDb();
  await syncDirectory({ db, client, tenantId });
  return db;
}

const leafMember = (): string => {
  const users = [...directory.iterate()].map((e) => e.user);
  return users.find((u, i) => i > 10 && u.userType === 'Member' && u.accountEnabled && directory.directReports(u.id).length === 0)!.id;
};

const names = async (db: DirectoryDb, query: string): Promise<(string | null)[]> => (await openDirectorySearch(db).search(query, { limit: 10 })).map((c) => c.displayName);

describe('first sync', () => {
  it('fills IndexedDB with exactly the proxy\'s contacts, page by page, and saves a current index', async () => {
    const db = await freshDb();
    const progress: SyncProgress[] = [];
    const report = await syncDirectory({ db, client, tenantId, limit: 100, now: () => 1_234, onProgress: (p) => progress.push(p) });
    const expected = await expectLocalEqualsMirror(db);
    expect(report).toMatchObject({ pages: Math.ceil(expected.size / 100), upserts: expected.size, deletions: 0, resynced: false, contacts: expected.size });
    expect(report.cursor).toBe(String(await proxy.proxy.store.latestSeq(tenantId)));
    expect(progress.map((p) => p.upserts)).toEqual(progress.map((_, i) => Math.min((i + 1) * 100, expected.size)));
    expect(progress.at(-1)!.more).toBe(false);
    expect(await getSyncState(db)).toEqual({ cursor: report.cursor, lastSyncAt: 1_234, lastSyncError: null, tenantId, searchIndex: 'current', indexedContacts: expected.size });
    expect(await getMeta(db, 'syncHeartbeat')).toBeUndefined();
    expect((await getSearchIndex(db))?.size).toBe(expected.size);
    const employee = directory.getByUpn(emulator.employeeUpn)!;
    expect((await openDirectorySearch(db).search(employee.displayName, { limit: 5 })).map((c) => c.id)).toContain(employee.id);
    db.close();
  });

  it('a no-change poll is one page that writes nothing and leaves the index alone', async () => {
    const db = await syncedDb();
    const before = await getSearchIndex(db);
    const report = await syncDirectory({ db, client, tenantId, now: () => 99 });
    expect(report).toMatchObject({ pages: 1, upserts: 0, deletions: 0, resynced: false, indexMs: 0, contacts: null });
    expect((await getSearchIndex(db))?.savedAt).toBe(before?.savedAt);
    expect(await getMeta(db, 'lastSyncAt')).toBe(99);
    db.close();
  });
});

describe('changes in the directory', () => {
  it('the next sync applies exactly them: an added, an updated and a removed colleague', async () => {
    const db = await syncedDb();
    const removed = leafMember();
    const updated = [...directory.iterate()].map((e) => e.user).find((u) => u.id !== removed && u.userType === 'Member' && u.accountEnabled && u.id !== directory.getByUpn(emulator.employeeUpn)!.id)!;
    await putPhoto(db, removed, '96x96', { bytes: new Uint8Array([1, 2, 3]), contentType: 'image/jpeg', etag: '"x"', fetchedAt: 1, missing: false });
    await putPhoto(db, removed, '48x48', { bytes: null, contentType: null, etag: null, fetchedAt: 1, missing: true });

    const added = directory.add({ displayName: 'José Müller-Ødegård', givenName: 'José', surname: 'Müller-Ødegård', jobTitle: 'Cartographer' });
    const markup = directory.add({ displayName: '<img src=x onerror=alert(1)>', jobTitle: '"><script>alert(2)</script>' });
    directory.update(updated.id, { jobTitle: 'Chief Lighthouse Keeper' });
    directory.remove(removed);
    await mirrorSync();

    const report = await syncDirectory({ db, client, tenantId });
    expect(report).toMatchObject({ pages: 1, upserts: 3, deletions: 1, resynced: false });
    await expectLocalEqualsMirror(db);
    expect(await getContact(db, removed)).toBeUndefined();
    expect(await db.getAllKeys('photos')).toEqual([]);
    expect((await getSyncState(db)).searchIndex).toBe('current');

    // The index followed: accents typed or not, the new title, the removed colleague gone.
    expect(await names(db, 'jose')).toContain('José Müller-Ødegård');
    expect(await names(db, 'jose muller')).toEqual(['José Müller-Ødegård']);
    expect(await names(db, 'muller odegard')).toEqual(['José Müller-Ødegård']);
    expect(await names(db, 'lighthouse keeper')).toEqual([updated.displayName]);
    expect((await openDirectorySearch(db).search(directory.getDeleted(removed)!.displayName, { limit: 50 })).map((c) => c.id)).not.toContain(removed);

    // Markup in directory data is stored and returned as the text it is.
    const [found] = await openDirectorySearch(db).search('img src', { limit: 1 });
    expect(found).toMatchObject({ id: markup.id, displayName: '<img src=x onerror=alert(1)>', jobTitle: '"><script>alert(2)</script>' });
    expect((await getContact(db, markup.id))!.displayName).toBe('<img src=x onerror=alert(1)>');
    expect(added.id).toBeTruthy();
    db.close();
  });
});

describe('resync', () => {
  describe('after the proxy pruned its history', () => {
    // A proxy of its own: pruning raises its history floor for good, and that changes how every later
    // first sync from it goes (see the second test).
    let pruned: TestProxy;
    let prunedClient: ProxyClient;
    beforeAll(async () => {
      pruned = await startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_RATE_LIMIT: '100000' }, { tickMs: 3_600_000 });
      expect(await pruned.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok' });
      prunedClient = createProxyClient({ baseUrl: pruned.url, getToken: async () => token });
    });
    afterAll(() => pruned?.close());

    it('a cursor below the history floor: clears contacts and photos, refills from 0, rebuilds the index', async () => {
      const db = await freshDb();
      await syncDirectory({ db, client: prunedClient, tenantId });
      await putPhoto(db, directory.getByUpn(emulator.employeeUpn)!.id, '96x96', { bytes: new Uint8Array([9]), contentType: 'image/png', etag: null, fetchedAt: 1, missing: false });
      const gone = leafMember();
      directory.remove(gone);
      expect(await pruned.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok' });
      expect(await pruned.proxy.store.pruneHistory(tenantId, new Date(Date.now() + 1e9))).toBeGreaterThan(0);

      const progress: SyncProgress[] = [];
      const report = await syncDirectory({ db, client: prunedClient, tenantId, onProgress: (p) => progress.push(p) });
      const expected = await expectLocalEqualsMirror(db, pruned);
      expect(report).toMatchObject({ resynced: true, upserts: expected.size, deletions: 0, contacts: expected.size });
      expect(progress.every((p) => p.resynced)).toBe(true);
      expect(await db.count('photos')).toBe(0);
      expect(await getContact(db, gone)).toBeUndefined();
      expect((await getSyncState(db)).searchIndex).toBe('current');
      expect((await getSearchIndex(db))?.size).toBe(expected.size);
      db.close();
    });

    it('a first sync in small pages completes after the proxy pruned its history, without starting over', async () => {
      // The proxy's cursors of a first download carry where it began, so pruned tombstones (older than
      // that start) never send the newcomer back to 0.
      const db = await freshDb();
      const calls: string[] = [];
      const spying: Pick<ProxyClient, 'changes'> = { changes: (since, options) => (calls.push(`${since}:${options?.limit}`), prunedClient.changes(since, options)) };
      const report = await syncDirectory({ db, client: spying, tenantId, limit: 50 });
      await expectLocalEqualsMirror(db, pruned);
      expect(report.resynced).toBe(false);
      expect(calls.length).toBeGreaterThan(2);
      expect(calls.every((call) => call.endsWith(':50'))).toBe(true);
      expect(calls.slice(1, -1).every((call) => /^\d+\.\d+:50$/.test(call))).toBe(true);
      db.close();
    });
  });

  it('a proxy that answers resync again and again: the round stops with bad_response instead of looping', async () => {
    const db = await freshDb();
    let calls = 0;
    const looping: Pick<ProxyClient, 'changes'> = {
      changes: async (since) => (calls++, since === '0' ? { cursor: '10', more: true, upserts: [], deletions: [] } : { resync: true as const }),
    };
    await expect(syncDirectory({ db, client: looping })).rejects.toMatchObject({ code: 'bad_response' });
    expect(calls).toBe(4);
    expect((await getMeta(db, 'lastSyncError'))?.code).toBe('bad_response');
    db.close();
  });

  it('a cursor beyond the proxy\'s newest change (another database) starts over', async () => {
    const db = await syncedDb();
    const latest = await proxy.proxy.store.latestSeq(tenantId);
    await db.put('meta', String(latest + 1_000), 'cursor');
    await putContacts(db, [{ ...(await getContact(db, directory.getByUpn(emulator.employeeUpn)!.id))!, id: 'stale-from-another-database' }]);
    const report = await syncDirectory({ db, client, tenantId });
    expect(report.resynced).toBe(true);
    await expectLocalEqualsMirror(db);
    expect(report.cursor).toBe(String(latest));
    db.close();
  });

  it('another tenant signed in: the cached directory is cleared before syncing', async () => {
    const db = await syncedDb();
    await db.put('meta', '11111111-1111-1111-1111-111111111111', 'tenantId');
    await db.put('meta', new Map([['someone', 1]]), 'recent');
    const report = await syncDirectory({ db, client, tenantId });
    expect(report.resynced).toBe(true);
    await expectLocalEqualsMirror(db);
    expect(await getMeta(db, 'tenantId')).toBe(tenantId);
    expect(await getMeta(db, 'recent')).toBeUndefined();
    db.close();
  });
});

describe('interrupted rounds resume where they stopped', () => {
  it('a first sync aborted after one page keeps that page and its cursor; the next round fetches only the rest', async () => {
    const db = await freshDb();
    const controller = new AbortController();
    const first = syncDirectory({ db, client, tenantId, limit: 50, signal: controller.signal, onProgress: () => controller.abort(new DOMException('service worker stopping', 'AbortError')) });
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    const afterAbort = await getSyncState(db);
    expect(await countContacts(db)).toBe(50);
    expect(afterAbort.cursor).not.toBe('0');
    expect(afterAbort.lastSyncError).toBeNull();
    expect(afterAbort.searchIndex).toBe('none');

    requests.length = 0;
    const second = await syncDirectory({ db, client, tenantId, limit: 50 });
    const expected = await expectLocalEqualsMirror(db);
    expect(second.upserts).toBe(expected.size - 50);
    expect(requests[0]).toContain(`since=${afterAbort.cursor}`);
    expect(second.contacts).toBe(expected.size);
    expect((await getSyncState(db)).searchIndex).toBe('current');
    db.close();
  });

  it('an incremental round aborted mid-way saves the index at the last committed page', async () => {
    const db = await syncedDb();
    const added = ['Aurelio Primero', 'Berenike Segunda', 'Cassius Tertius'].map((displayName) => directory.add({ displayName }));
    await mirrorSync();
    const controller = new AbortController();
    await expect(syncDirectory({ db, client, tenantId, limit: 1, signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    const state = await getSyncState(db);
    expect(state.searchIndex).toBe('current');
    expect(await names(db, 'aurelio')).toEqual(['Aurelio Primero']);
    expect(await names(db, 'cassius')).toEqual([]);

    const rest = await syncDirectory({ db, client, tenantId, limit: 1 });
    expect(rest.upserts).toBe(2);
    await expectLocalEqualsMirror(db);
    expect(await names(db, 'cassius')).toEqual(['Cassius Tertius']);
    for (const { id } of added) directory.remove(id);
    await mirrorSync();
    db.close();
  });
});

describe('pipelining', () => {
  const people = Array.from({ length: 6 }, (_, i) => ({ ...emptyContact(`p${i}`), displayName: `Person ${i}` }));
  /** Pages of two from `people`; cursors are the offsets. Records every request and its signal. */
  function pagedClient(events: string[], signals: AbortSignal[], fail?: (since: string) => Error | null): Pick<ProxyClient, 'changes'> {
    return {
      async changes(since, options = {}) {
        events.push(`request ${since}`);
        signals.push(options.signal!);
        const failure = fail?.(since);
        if (failure) throw failure;
        const at = Number(since);
        return { cursor: String(at + 2), more: at + 2 < people.length, upserts: people.slice(at, at + 2), deletions: [] };
      },
    };
  }

  it('asks for the next page before the current one has committed', async () => {
    const db = await freshDb();
    const events: string[] = [];
    await syncDirectory({ db, client: pagedClient(events, []), onProgress: (progress) => events.push(`committed ${progress.cursor}`) });
    expect(events).toEqual(['request 0', 'request 2', 'committed 2', 'request 4', 'committed 4', 'committed 6']);
    expect((await local(db)).size).toBe(6);
    db.close();
  });

  it('a round stopped after a page cancels the request already made for the next one', async () => {
    const db = await freshDb();
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    await expect(syncDirectory({ db, client: pagedClient([], signals), signal: controller.signal, onProgress: () => controller.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(signals).toHaveLength(2);
    expect(signals[1]!.aborted).toBe(true);
    expect((await getSyncState(db)).cursor).toBe('2');
    expect([...(await local(db)).keys()].sort()).toEqual(['p0', 'p1']);
    db.close();
  });

  it('a first download sent back to 0 half-way (resync) ends with every contact, none lost to the pages before', async () => {
    const db = await freshDb();
    let resynced = false;
    const client: Pick<ProxyClient, 'changes'> = {
      async changes(since, options = {}) {
        if (since === '2' && !resynced) {
          resynced = true;
          return { resync: true };
        }
        const at = Number(since);
        const size = options.limit ?? 2;
        const next = Math.min(people.length, at + (resynced ? size : 2));
        return { cursor: String(next), more: next < people.length, upserts: people.slice(at, next), deletions: [] };
      },
    };
    const report = await syncDirectory({ db, client, limit: 2 });
    expect(report.resynced).toBe(true);
    expect([...(await local(db)).keys()].sort()).toEqual(people.map((p) => p.id));
    expect(await names(db, 'person')).toHaveLength(people.length);
    db.close();
  });

  it('a failed request for the next page fails the round after the current page committed', async () => {
    const db = await freshDb();
    const refused = new ProxyError('proxy_unreachable', 'down');
    await expect(syncDirectory({ db, client: pagedClient([], [], (since) => (since === '4' ? refused : null)) })).rejects.toBe(refused);
    const state = await getSyncState(db);
    expect(state.cursor).toBe('4');
    expect(state.lastSyncError).toMatchObject({ code: 'proxy_unreachable' });
    expect((await local(db)).size).toBe(4);
    db.close();
  });
});

describe('concurrency', () => {
  it('a second call while a round runs joins it', async () => {
    const db = await freshDb();
    requests.length = 0;
    const a = syncDirectory({ db, client, tenantId, limit: 100 });
    const b = syncDirectory({ db, client, tenantId, limit: 100 });
    expect(b).toBe(a);
    const report = await a;
    expect(requests).toHaveLength(report.pages);
    // Finished: the next call is a new round (a no-change poll).
    const next = await syncDirectory({ db, client, tenantId });
    expect(next).toMatchObject({ pages: 1, upserts: 0 });
    db.close();
  });

  it('runs the round under a Web Lock named after the database when a lock manager is there', async () => {
    const db = await freshDb();
    const held: string[] = [];
    const locks = { request: vi.fn(async (name: string, callback: () => Promise<unknown>) => (held.push(name), callback())) } as unknown as LockManager;
    await syncDirectory({ db, client, tenantId, locks });
    expect(held).toEqual(['peoplebook-sync:peoplebook']);
    db.close();
  });
});

describe('failures are recorded and leave the copy as it was', () => {
  it('proxy stopped → proxy_unreachable in lastSyncError; the next good round clears it', async () => {
    const db = await syncedDb();
    const before = await local(db);
    const stopped = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
    await stopped.close();
    const offline = createProxyClient({ baseUrl: stopped.url, getToken: async () => token });
    await expect(syncDirectory({ db, client: offline, tenantId, now: () => 77 })).rejects.toMatchObject({ code: 'proxy_unreachable' });
    expect(await getMeta(db, 'lastSyncError')).toMatchObject({ code: 'proxy_unreachable', at: 77, message: expect.stringMatching(/proxy URL/) });
    expect(await getMeta(db, 'syncHeartbeat')).toBeUndefined();
    expect(await local(db)).toEqual(before);
    await syncDirectory({ db, client, tenantId });
    expect(await getMeta(db, 'lastSyncError')).toBeNull();
    db.close();
  });

  it('signed out → not_signed_in recorded', async () => {
    const db = await freshDb();
    const signedOut = createProxyClient({ baseUrl: proxy.url, getToken: async () => null });
    await expect(syncDirectory({ db, client: signedOut })).rejects.toMatchObject({ code: 'not_signed_in' });
    expect((await getMeta(db, 'lastSyncError'))?.code).toBe('not_signed_in');
    db.close();
  });

  it('disk full (QuotaExceededError) → storage_full; the page is not half written and the cursor stays', async () => {
    const db = await syncedDb();
    const state = await getSyncState(db);
    directory.add({ displayName: 'Quota Victim' });
    directory.add({ displayName: 'Quota Victim Two' });
    await mirrorSync();
    // What Chromium does when the origin is over quota: the write request fails with QuotaExceededError
    // and the transaction aborts with it. fake-indexeddb has no quota, so its request is made to fail the same way.
    const put = IDBObjectStore.prototype.put;
    let calls = 0;
    const spy = vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
      if (this.name === 'chunks' && ++calls === 1) {
        const tx = this.transaction as unknown as { _execRequestAsync(request: { operation: () => never; source: unknown }): IDBRequest };
        return tx._execRequestAsync({ operation: () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); }, source: this });
      }
      return put.call(this, value, key);
    });
    try {
      const error = await syncDirectory({ db, client, tenantId }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'StorageError', code: 'storage_full', message: expect.stringMatching(/disk space/) });
    } finally {
      spy.mockRestore();
    }
    expect((await getMeta(db, 'lastSyncError'))?.code).toBe('storage_full');
    expect(await getSyncState(db)).toMatchObject({ cursor: state.cursor, searchIndex: 'current' });
    expect((await getAllContacts(db)).filter((c) => c.displayName?.startsWith('Quota Victim'))).toEqual([]);
    await syncDirectory({ db, client, tenantId });
    expect(await names(db, 'quota victim')).toEqual(['Quota Victim', 'Quota Victim Two']);
    db.close();
  });
});

describe('sign-out', () => {
  it('during a round: the round stops without writing anything more, and records no error', async () => {
    const db = await freshDb();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let pages = 0;
    const holding: Pick<ProxyClient, 'changes'> = {
      changes: async (since, options) => {
        if (pages++ === 1) await held;
        return client.changes(since, options);
      },
    };
    let committed!: () => void;
    const firstPage = new Promise<void>((resolve) => (committed = resolve));
    const round = syncDirectory({ db, client: holding, tenantId, limit: 50, onProgress: () => committed() });
    await firstPage;
    await clearDirectory(db);
    release();
    await expect(round).rejects.toMatchObject({ name: 'SyncSupersededError', code: 'sync_superseded' });
    for (const store of ['chunks', 'photos', 'meta', 'searchIndex'] as const) expect(await db.count(store), store).toBe(0);
    db.close();
  });

  it('clearDirectory empties everything; search finds nobody; the next sign-in syncs from 0', async () => {
    const db = await syncedDb();
    await clearDirectory(db);
    for (const store of ['chunks', 'photos', 'meta', 'searchIndex'] as const) expect(await db.count(store)).toBe(0);
    const search = openDirectorySearch(db);
    await search.ready;
    expect(await search.search('a')).toEqual([]);
    expect(search.size).toBe(0);
    requests.length = 0;
    await syncDirectory({ db, client, tenantId, limit: 5_000 });
    expect(requests[0]).toContain('since=0');
    await expectLocalEqualsMirror(db);
    db.close();
  });
});
