/**
 * Several proxy instances sharing one PostgreSQL database (issue #6): three real proxies against one
 * emulator, as behind a load balancer. Exactly one sync round runs per tenant at a time (the store's
 * lease), any instance serves the same changes feed and photos, nothing one instance needs lives only in
 * another's memory (pending onboardings and the MSAL token cache are in the store), and restarting the
 * instances one after another in the middle of a full sync — or restarting PostgreSQL — loses and
 * duplicates nothing: the mirror equals the directory.
 *
 * Each test has its own database on one server started for the file (tests/helpers/postgres.ts).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { openStore, type Store, type SyncPage } from '../../proxy/src/store/index.ts';
import type { SyncState } from '../../proxy/src/store/types.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { adminUpnOf, openCallback, pageText, setupFor, startSetup } from '../helpers/onboarding.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { signInThroughPages } from '../helpers/sign-in.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { directoryOf, expectMirrorEqualsDirectory, readFeed } from './mirror-helpers.ts';

/** Every instance must share the key that seals secrets and the token cache in the shared database. */
const SECRET_KEY = randomBytes(32).toString('base64');

let server: PostgresServer;
let emulator: Emulator;

beforeAll(async () => {
  [server, emulator] = await Promise.all([startPostgres(), startTestEmulator({ users: 2000, adminConsent: true, graph: { deltaPageSize: 100 } })]);
});

afterAll(async () => {
  await emulator?.close();
  await server?.stop();
});

// ---- Instances and what they did -----------------------------------------------------------------

interface LeaseEvent {
  at: number;
  instance: string;
  tenantId: string;
  owner: string;
  kind: 'acquired' | 'released';
}

interface PageEvent {
  start: number;
  end: number;
  instance: string;
  tenantId: string;
  full: boolean;
}

interface Instance {
  name: string;
  proxy: TestProxy;
  url: string;
  store: Store;
  close(): Promise<void>;
}

const leases: LeaseEvent[] = [];
const pages: PageEvent[] = [];
const running: Instance[] = [];
const testStores: Store[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.close()));
  await Promise.all(testStores.splice(0).map((s) => s.close()));
  leases.length = 0;
  pages.length = 0;
  await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
});

/**
 * A proxy on `databaseUrl`, its store watched: when it took and gave back a sync lease, and each page it
 * committed. The scheduler starts its first tick when the proxy starts, but reaches the store's lease
 * only after several database round trips, so the watch is in place before the first acquisition.
 */
async function startInstance(name: string, databaseUrl: string, env: Record<string, string> = envTenant(emulator)): Promise<Instance> {
  const proxy = await startTestProxy(emulator, { ...env, DATABASE_URL: databaseUrl, PEOPLEBOOK_SECRET_KEY: SECRET_KEY });
  const store = proxy.proxy.store;
  expect(store.kind).toBe('postgres');
  const acquire = store.acquireSyncLease.bind(store);
  store.acquireSyncLease = async (tenantId, owner, ttlMs) => {
    const taken = await acquire(tenantId, owner, ttlMs);
    if (taken) leases.push({ at: performance.now(), instance: name, tenantId, owner, kind: 'acquired' });
    return taken;
  };
  const release = store.releaseSyncLease.bind(store);
  store.releaseSyncLease = async (tenantId, owner) => {
    leases.push({ at: performance.now(), instance: name, tenantId, owner, kind: 'released' });
    return release(tenantId, owner);
  };
  const apply = store.applySyncPage.bind(store);
  store.applySyncPage = async (tenantId: string, page: SyncPage) => {
    const start = performance.now();
    const result = await apply(tenantId, page);
    pages.push({ start, end: performance.now(), instance: name, tenantId, full: page.fullSync !== undefined });
    return result;
  };
  const instance: Instance = {
    name,
    proxy,
    url: proxy.url,
    store,
    async close() {
      const at = running.indexOf(instance);
      if (at !== -1) running.splice(at, 1);
      await proxy.close();
    },
  };
  running.push(instance);
  return instance;
}

async function startInstances(databaseUrl: string, names: string[], env?: Record<string, string>): Promise<Instance[]> {
  // Together, as a deployment starts them: the migrations run once among them.
  return Promise.all(names.map((name) => startInstance(name, databaseUrl, env)));
}

/** The test's own view of the shared database. */
async function observer(databaseUrl: string): Promise<Store> {
  const store = await openStore(databaseUrl);
  testStores.push(store);
  return store;
}

/**
 * Exactly one holder of a tenant's lease at a time. Each hold is logged from the moment `acquire`
 * returned true to the moment `release` was called, which lies inside the hold in the database: two
 * logged holds of different owners that overlap are two rounds that really ran at once.
 */
function expectOneRoundAtATime(tenantId: string): number {
  const holds: { owner: string; instance: string; from: number; to: number }[] = [];
  let current: { owner: string; instance: string; from: number } | null = null;
  for (const event of leases.filter((e) => e.tenantId === tenantId).sort((a, b) => a.at - b.at)) {
    if (event.kind === 'acquired') {
      expect(current === null || current.owner === event.owner, `${event.instance} took the lease while ${current?.instance} held it`).toBe(true);
      current ??= { owner: event.owner, instance: event.instance, from: event.at };
    } else if (current?.owner === event.owner) {
      holds.push({ ...current, to: event.at });
      current = null;
    }
  }
  // Every committed page lies inside its instance's hold.
  for (const page of pages.filter((p) => p.tenantId === tenantId)) {
    const hold = holds.find((h) => h.instance === page.instance && h.from <= page.start && page.end <= h.to) ?? (current?.instance === page.instance && current.from <= page.start ? current : undefined);
    expect(hold, `a page committed by ${page.instance} outside its lease`).toBeDefined();
  }
  return holds.length + (current ? 1 : 0);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error; // the database may be restarting
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await sleep(20);
  }
}

const finished = (state: SyncState | null): boolean => state !== null && state.lastOutcome === 'ok' && state.phase === 'idle' && state.cursor.deltaLink !== undefined && !state.cursor.nextLink;

async function waitForSyncedMirror(store: Store, tenantId = emulator.tenantId): Promise<SyncState> {
  return waitFor(`the sync of ${tenantId} to finish`, async () => {
    const state = await store.getSyncState(tenantId);
    return finished(state) && (await store.getSyncLease(tenantId)) === null ? state : null;
  });
}

/** Every page of the feed from 0 holds each user once, and the last cursor is the newest seq. */
async function expectFeedWithoutDuplicates(store: Store, tenantId = emulator.tenantId): Promise<void> {
  const ids: string[] = [];
  let cursor = 0;
  for (;;) {
    const page = await store.changesSince(tenantId, cursor, 500);
    if (page.resync) throw new Error('unexpected resync');
    ids.push(...page.upserts.map((u) => u.id), ...page.deletions);
    cursor = page.nextCursor;
    if (!page.more) break;
  }
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(await store.countUsers(tenantId));
  expect(cursor).toBe(await store.latestSeq(tenantId));
}

const directorySize = (tenantId = emulator.tenantId) => [...directoryOf(emulator, tenantId).iterate()].length;

async function graphRequests(): Promise<number> {
  return (await control<{ requests: number }>(emulator, 'GET', '/graph/stats')).requests;
}

// ---- Tests ---------------------------------------------------------------------------------------

describe('three proxy instances on one PostgreSQL database', () => {
  it('run one sync round per tenant at a time and serve the same feed and photos from any instance', { timeout: 120_000 }, async ({ annotate }) => {
    const db = await server.createDatabase();
    await control(emulator, 'DELETE', '/graph/stats');
    const instances = await startInstances(db, ['one', 'two', 'three']);
    const store = await observer(db);
    await waitForSyncedMirror(store);
    await expectMirrorEqualsDirectory(store, emulator);
    const rounds = expectOneRoundAtATime(emulator.tenantId);
    // The full sync read the directory once: each Graph request was one page, committed once, by
    // whichever instance held the lease.
    const full = pages.filter((p) => p.tenantId === emulator.tenantId && p.full);
    expect(await graphRequests()).toBe(full.length);
    await annotate(`${rounds} lease hold(s); full sync pages by instance: ${JSON.stringify(Object.fromEntries(['one', 'two', 'three'].map((n) => [n, full.filter((p) => p.instance === n).length])))}`);

    // The same feed from each instance, byte for byte.
    const token = await idTokenFor(emulator, emulator.employeeUpn);
    const feeds = await Promise.all(instances.map((i) => readFeed(i.url, token, 0, 700)));
    expect(feeds[0]!.pages.flatMap((p) => p.upserts)).toHaveLength(await store.countUsers(emulator.tenantId));
    for (const feed of feeds.slice(1)) expect(JSON.stringify(feed)).toBe(JSON.stringify(feeds[0]));

    // A change, synced by the third instance, reaches a client of the first and of the second alike.
    const directory = directoryOf(emulator);
    const employee = directory.getByUpn(emulator.employeeUpn)!;
    const someone = [...directory.iterate()].map(({ user }) => user).find((u) => u.accountEnabled && u.userType === 'Member' && u.id !== employee.id)!;
    await control(emulator, 'PATCH', `/tenants/${emulator.tenantId}/users/${someone.id}`, { jobTitle: 'Head of Scale-out' });
    const report = await waitFor('a round on instance three', async () => {
      const r = await instances[2]!.proxy.proxy.scheduler.runNow(emulator.tenantId);
      return r.outcome === 'busy' ? null : r;
    });
    expect(report).toMatchObject({ outcome: 'ok', changed: 1 });
    const since = feeds[0]!.cursor;
    const [fromOne, fromTwo] = await Promise.all([readFeed(instances[0]!.url, token, since), readFeed(instances[1]!.url, token, since)]);
    expect(fromOne.pages.flatMap((p) => p.upserts).map((u) => [u.id, u.jobTitle])).toEqual([[someone.id, 'Head of Scale-out']]);
    expect(JSON.stringify(fromTwo)).toBe(JSON.stringify(fromOne));

    // A photo fetched from Graph by one instance is served by another from the shared cache.
    const photoUrl = (i: Instance) => `${i.url}/api/v1/directory/users/${someone.id}/photo?size=48x48`;
    const first = await fetch(photoUrl(instances[0]!), { headers: { authorization: `Bearer ${token}` } });
    const firstBytes = Buffer.from(await first.arrayBuffer());
    const before = await graphRequests();
    const second = await fetch(photoUrl(instances[1]!), { headers: { authorization: `Bearer ${token}` } });
    expect(second.status).toBe(first.status);
    expect(Buffer.from(await second.arrayBuffer()).equals(firstBytes)).toBe(true);
    expect(await graphRequests(), 'the second instance asked Graph again').toBe(before);
    expectOneRoundAtATime(emulator.tenantId);
  });

  it('keeps onboarding and the MSAL token cache in the store: set up on one instance, called back on another, synced by a third that never signed in', { timeout: 120_000 }, async () => {
    const db = await server.createDatabase();
    // No environment tenant: the only tenant is the one the admin connects (delegated, the second seeded tenant).
    const instances = await startInstances(db, ['setup', 'callback', 'syncer'], {});
    const store = await observer(db);
    const tenantId = emulator.tenants[1]!.tenantId;
    // Save and Authorize on the first instance; the admin's browser comes back through the load balancer
    // to another one, which finds the pending onboarding (state, sealed secret and PKCE verifier) in the
    // store, redeems the code and stores the token cache.
    const started = await startSetup(instances[0]!.url, setupFor(emulator, 1));
    const redirect = await signInThroughPages(started.authorizeUrl, { username: adminUpnOf(emulator, 1), password: emulator.password, consentForOrganization: true });
    const elsewhere = new URL(redirect.pathname + redirect.search, instances[1]!.url);
    const callback = await openCallback(elsewhere);
    expect(callback.status).toBe(200);
    expect(pageText(callback.html)).toContain('Peoplebook is connected');
    expect(await store.loadTokenCache(tenantId)).not.toBeNull();
    await waitForSyncedMirror(store, tenantId);
    await expectMirrorEqualsDirectory(store, emulator, tenantId);

    // The third instance never saw a sign-in: its only way to a delegated Graph token is the cache in
    // the store (in delegated mode there is no other: no account in the cache means no token).
    const directory = directoryOf(emulator, tenantId);
    const someone = [...directory.iterate()].map(({ user }) => user).find((u) => u.accountEnabled && u.userType === 'Member')!;
    await control(emulator, 'PATCH', `/tenants/${tenantId}/users/${someone.id}`, { department: 'Moved by the third instance' });
    const report = await waitFor('a round on the syncer', async () => {
      const r = await instances[2]!.proxy.proxy.scheduler.runNow(tenantId);
      return r.outcome === 'busy' ? null : r;
    });
    expect(report).toMatchObject({ outcome: 'ok', changed: 1 });
    expect((await store.getTenant(tenantId))?.graphAuth).toBe('delegated');
    expect((await store.getUser(tenantId, someone.id))?.department).toBe('Moved by the third instance');
    await expectMirrorEqualsDirectory(store, emulator, tenantId);
    expectOneRoundAtATime(tenantId);
  });

  it('loses and duplicates nothing through a rolling restart in the middle of a full sync', { timeout: 180_000 }, async ({ annotate }) => {
    const db = await server.createDatabase();
    // Slow Graph (40 ms a page of 100): the full sync takes long enough to restart every instance in it.
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 40 });
    await control(emulator, 'DELETE', '/graph/stats');
    await startInstances(db, ['a1', 'b1', 'c1']);
    const store = await observer(db);
    const restarted: string[] = [];
    let mirroredAtLastRestart = 0;
    for (const generation of [2, 3]) {
      for (const letter of ['a', 'b', 'c']) {
        // Wait for progress since the last restart, then take down the instance that is syncing.
        const holder = await waitFor('a round in progress', async () => {
          const [state, lease] = await Promise.all([store.getSyncState(emulator.tenantId), store.getSyncLease(emulator.tenantId)]);
          if (!state?.cursor.nextLink || state.usersMirrored <= mirroredAtLastRestart || !lease) return null;
          return running.find((i) => i.proxy.proxy.scheduler.owner === lease.owner) ?? null;
        });
        const state = await store.getSyncState(emulator.tenantId);
        mirroredAtLastRestart = state!.usersMirrored;
        if (state!.cursor.deltaLink !== undefined || mirroredAtLastRestart >= directorySize() - 200) break;
        restarted.push(`${holder.name} at ${mirroredAtLastRestart}`);
        await holder.close();
        await startInstance(`${letter}${generation}`, db);
      }
    }
    expect(restarted.length, 'restarts that happened mid-sync').toBeGreaterThanOrEqual(3);
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
    const state = await waitForSyncedMirror(store);
    expect(state.fullSyncRunId).toBeNull();
    await expectMirrorEqualsDirectory(store, emulator);
    await expectFeedWithoutDuplicates(store);
    const rounds = expectOneRoundAtATime(emulator.tenantId);
    expect(rounds).toBeGreaterThan(restarted.length);
    // Each closed instance finished the page it was on and gave the lease back: no page was read twice,
    // none skipped (each Graph request was a page, committed once).
    const full = pages.filter((p) => p.tenantId === emulator.tenantId && p.full);
    expect(await graphRequests()).toBe(full.length);
    await annotate(`restarted ${restarted.join(', ')} of ${directorySize()} users; ${rounds} lease holds`);

    // And the next round, on the new generation, is an ordinary delta round.
    const someone = [...directoryOf(emulator).iterate()].map(({ user }) => user).find((u) => u.accountEnabled && u.userType === 'Member')!;
    await control(emulator, 'PATCH', `/tenants/${emulator.tenantId}/users/${someone.id}`, { officeLocation: 'After the rolling restart' });
    const report = await waitFor('a delta round', async () => {
      const r = await running.at(-1)!.proxy.proxy.scheduler.runNow(emulator.tenantId);
      return r.outcome === 'busy' ? null : r;
    });
    expect(report).toMatchObject({ outcome: 'ok', fullSync: false, changed: 1 });
    await expectMirrorEqualsDirectory(store, emulator);
  });

  it('reconnects after PostgreSQL restarts in the middle of a sync and finishes it', { timeout: 180_000 }, async ({ annotate }) => {
    const db = await server.createDatabase();
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 40 });
    await startInstances(db, ['p', 'q', 'r']);
    const store = await observer(db);
    const atRestart = await waitFor('a round in progress', async () => {
      const state = await store.getSyncState(emulator.tenantId);
      return state?.cursor.nextLink && state.usersMirrored >= 300 ? state : null;
    });
    // Down for a second, as a failover or a minor-version upgrade would take it.
    await server.restart({ mode: 'fast', downMs: 1_000 });
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
    const state = await waitForSyncedMirror(store);
    expect(state.fullSyncRunId).toBeNull();
    await expectMirrorEqualsDirectory(store, emulator);
    await expectFeedWithoutDuplicates(store);
    expectOneRoundAtATime(emulator.tenantId);
    // Every instance still answers, from the database it reconnected to.
    const token = await idTokenFor(emulator, emulator.employeeUpn);
    const feeds = await Promise.all(running.map((i) => readFeed(i.url, token, 0, 1000)));
    for (const feed of feeds.slice(1)) expect(JSON.stringify(feed)).toBe(JSON.stringify(feeds[0]));
    await annotate(`restarted PostgreSQL with ${atRestart.usersMirrored} of ${directorySize()} users mirrored`);
  });
});
