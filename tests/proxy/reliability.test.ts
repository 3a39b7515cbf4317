/**
 * Reliability suite (issue #6, item 3): three `peoplebook-proxy serve` CHILD PROCESSES sharing one
 * PostgreSQL database, as behind a load balancer, against the emulator's tenant in application mode.
 *
 * 1. SIGKILL at random points of a sync, 20 times: the instance holding the tenant's sync lease is killed
 *    a random time after it took the lease (before its first page, mid-request, mid-commit, after its
 *    last page…), in full syncs, full resyncs (delta tokens expired) and delta rounds, with adds, edits,
 *    disables and deletes made in the directory between kills; the killed instance is restarted each
 *    time. After a final quiet round the mirror equals the directory, the feed holds each id once and
 *    every seq is unique — and each instance serves the same feed.
 * 2. 20% Graph faults (429, 500, 502, 503, 504 with Retry-After 1 s) on a fresh database: the three
 *    instances converge to an exact mirror within a deadline.
 *
 * The instances run exactly as deployed: the default scheduler tick (5 s), PEOPLEBOOK_SYNC_INTERVAL at
 * its minimum (1 minute), one PEOPLEBOOK_SECRET_KEY for all. A round is started the way the interval
 * would start it: the test moves the tenant's nextRunAt to now in the shared database. Kills, rounds and
 * times are reported as annotations (and on the console).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../emulator/src/directory/prng.ts';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { openStore, type Store } from '../../proxy/src/store/index.ts';
import type { SyncState } from '../../proxy/src/store/types.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { emulatorEnv, envTenant, freePort, idTokenFor } from '../helpers/proxy.ts';
import { directoryOf, expectMirrorEqualsDirectory, readFeed } from './mirror-helpers.ts';

const CLI = path.resolve('bin/peoplebook-proxy.js');
/** Every instance must share the key that seals the client secret and the token cache in the database. */
const SECRET_KEY = randomBytes(32).toString('base64');
const USERS = 3_000;
const KILLS = 20;
/** Seed of the kill points and directory changes: printed, and settable to replay a run. */
const SEED = Number(process.env.PEOPLEBOOK_RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));

let server: PostgresServer;
let emulator: Emulator;
let dir: string;

beforeAll(async () => {
  // 100 users a delta page: a full sync is ~31 Graph requests, each delayed by the injected latency.
  [server, emulator] = await Promise.all([startPostgres(), startTestEmulator({ users: USERS, adminConsent: true, graph: { deltaPageSize: 100 } })]);
  dir = await mkdtemp(path.join(os.tmpdir(), 'pb-reliability-'));
});

afterAll(async () => {
  await Promise.all(instances.splice(0).map((i) => i.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
  await emulator?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---- Instances as child processes ----------------------------------------------------------------

interface Instance {
  name: string;
  child: ChildProcess;
  pid: number;
  url: string;
  /** Outcomes of the rounds this process finished (from its "sync round finished" log lines). */
  rounds: string[];
  stderr: string;
  exited: boolean;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (graceful: finishes the page being committed), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Live instances of the running test. */
const instances: Instance[] = [];
/** Round outcomes of every process of the running test, killed ones included. */
let finishedRounds: string[] = [];
const stores: Store[] = [];

async function spawnInstance(name: string, databaseUrl: string): Promise<Instance> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
    ...emulatorEnv(emulator, dir, port),
    ...envTenant(emulator),
    DATABASE_URL: databaseUrl,
    PEOPLEBOOK_SECRET_KEY: SECRET_KEY,
    PEOPLEBOOK_SYNC_INTERVAL: '60s',
    PEOPLEBOOK_RATE_LIMIT: '1000000',
    LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let pending = '';
  const instance: Instance = {
    name,
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    rounds: [],
    stderr: '',
    exited: false,
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    async stop() {
      const at = instances.indexOf(instance);
      if (at !== -1) instances.splice(at, 1);
      if (instance.exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await instance.exit;
      clearTimeout(timer);
    },
  };
  void instance.exit.then(() => (instance.exited = true));
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.includes('sync round finished')) continue;
      try {
        const outcome = String((JSON.parse(line) as { outcome?: unknown }).outcome);
        instance.rounds.push(outcome);
        finishedRounds.push(outcome);
      } catch {
        // not a log line of ours
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (instance.stderr = (instance.stderr + chunk.toString()).slice(-4_000)));
  instances.push(instance);
  return instance;
}

/** Waits until the instance answers /readyz (its store is open, it listens). */
async function ready(instance: Instance): Promise<void> {
  await waitFor(`${instance.name} to be ready`, async () => {
    if (instance.exited) throw new Error(`${instance.name} exited: ${instance.stderr}`);
    const response = await fetch(`${instance.url}/readyz`).catch(() => null);
    return response?.status === 200;
  }, 30_000);
}

async function sigkill(instance: Instance): Promise<void> {
  const at = instances.indexOf(instance);
  if (at !== -1) instances.splice(at, 1);
  instance.child.kill('SIGKILL');
  const { signal } = await instance.exit;
  expect(signal).toBe('SIGKILL');
}

/** The live instance whose process holds a lease (owner `proxy:<host>:<pid>:<random>`), if any. */
function holderOf(owner: string | undefined): Instance | undefined {
  const pid = Number(owner?.split(':')[2]);
  return instances.find((i) => i.pid === pid && !i.exited);
}

afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.stop()));
  await control(emulator, 'PUT', '/graph/faults', { rate: 0, latencyMs: 0 });
});

// ---- Waiting on the shared database ----------------------------------------------------------------

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await sleep(15);
  }
}

/** Every committed page is in: a deltaLink, no nextLink (the round's bookkeeping may still be under way). */
const atDeltaLink = (state: SyncState | null): state is SyncState => state !== null && state.cursor.deltaLink !== undefined && !state.cursor.nextLink;

/** Makes the tenant due, as the interval running out would: any instance takes it at its next tick. */
async function makeDue(store: Store): Promise<void> {
  await store.updateSyncState(emulator.tenantId, { nextRunAt: new Date(Date.now() - 1_000) });
}

/**
 * Runs a round that starts after now to its end, undisturbed: waits for whatever runs to finish, makes
 * the tenant due, and waits for a round started after that to end with outcome ok. Due again if no round
 * started within two ticks (the end of the previous round may have pushed nextRunAt back meanwhile).
 */
async function quietRound(store: Store, timeoutMs = 60_000): Promise<SyncState> {
  const deadline = Date.now() + timeoutMs;
  await waitFor('the running round to end', async () => {
    const state = await store.getSyncState(emulator.tenantId);
    return state !== null && !state.cursor.nextLink && !holderOf((await store.getSyncLease(emulator.tenantId))?.owner);
  }, timeoutMs);
  const since = new Date();
  await makeDue(store);
  let dueAt = Date.now();
  return waitFor(
    'a quiet round',
    async () => {
      const [state, lease] = await Promise.all([store.getSyncState(emulator.tenantId), store.getSyncLease(emulator.tenantId)]);
      if (!state?.lastStart || state.lastStart < since) {
        if (!lease && Date.now() - dueAt > 11_000) {
          await makeDue(store);
          dueAt = Date.now();
        }
        return null;
      }
      return atDeltaLink(state) && state.phase === 'idle' && state.lastOutcome === 'ok' && lease === null ? state : null;
    },
    Math.max(1_000, deadline - Date.now()),
  );
}

// ---- The directory changing ----------------------------------------------------------------------

interface ChangeCounts {
  added: number;
  edited: number;
  disabled: number;
  deleted: number;
}

/** Adds, edits, disables and deletes a few users of the emulator's directory (never the test employee). */
function changeDirectory(random: () => number, totals: ChangeCounts, label: string): void {
  const directory = directoryOf(emulator);
  const users: DirectoryUser[] = [...directory.iterate()].map(({ user }) => user).filter((u) => u.userPrincipalName !== emulator.employeeUpn);
  const pick = (): DirectoryUser => users.splice(Math.floor(random() * users.length), 1)[0]!;
  const edits = 40 + Math.floor(random() * 160);
  for (let i = 0; i < edits; i++) {
    const user = pick();
    directory.update(user.id, random() < 0.5 ? { officeLocation: `${label} office ${i}` } : { jobTitle: `${label} title ${i}`, department: `Dept ${Math.floor(random() * 30)}` });
  }
  const adds = 5 + Math.floor(random() * 20);
  for (let i = 0; i < adds; i++) directory.add({ displayName: `${label} Newcomer ${i}`, managerId: pick().id });
  const disables = Math.floor(random() * 5);
  for (let i = 0; i < disables; i++) directory.update(pick().id, { accountEnabled: false });
  // Deleting users deletes managers too: their reports' manager changes with them.
  const deletes = 5 + Math.floor(random() * 15);
  for (let i = 0; i < deletes; i++) directory.remove(pick().id);
  totals.added += adds;
  totals.edited += edits;
  totals.disabled += disables;
  totals.deleted += deletes;
}

// ---- Checks -----------------------------------------------------------------------------------

const databaseName = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1));

/**
 * The mirror equals the directory; the feed from 0 lists each user once and ends at the newest seq;
 * every row's seq (tombstones included) is unique and none is past the newest; every live instance
 * serves the same feed over HTTP.
 */
async function expectExactMirror(store: Store, databaseUrl: string): Promise<number> {
  await expectMirrorEqualsDirectory(store, emulator);
  // From 0 the first page lists live users only; the pages after it list tombstones too (deletions
  // committed after the newcomer's download began). Each id once across all of them.
  const ids: string[] = [];
  const deletions: string[] = [];
  let cursor = 0;
  for (;;) {
    const page = await store.changesSince(emulator.tenantId, cursor, 700);
    if (page.resync) throw new Error('unexpected resync');
    ids.push(...page.upserts.map((u) => u.id));
    deletions.push(...page.deletions);
    cursor = page.nextCursor;
    if (!page.more) break;
  }
  expect(new Set([...ids, ...deletions]).size, 'duplicate ids in the feed').toBe(ids.length + deletions.length);
  expect(ids.length).toBe(await store.countUsers(emulator.tenantId));
  const latest = await store.latestSeq(emulator.tenantId);
  expect(cursor).toBe(latest);
  const [seqs] = await server.query<{ rows: number; distinct: number; top: number | null }>(
    'SELECT count(*)::int AS rows, count(DISTINCT seq)::int AS distinct, max(seq)::int AS top FROM users WHERE tenant_id = $1',
    [emulator.tenantId],
    databaseName(databaseUrl),
  );
  expect(seqs!.distinct, 'two rows with the same seq').toBe(seqs!.rows);
  expect(seqs!.top).toBeLessThanOrEqual(latest);

  const token = await idTokenFor(emulator, emulator.employeeUpn);
  await Promise.all(instances.map(ready));
  const feeds = await Promise.all(instances.map((i) => readFeed(i.url, token, 0, 1_000)));
  expect(feeds[0]!.pages.flatMap((p) => p.upserts)).toHaveLength(ids.length);
  for (const feed of feeds.slice(1)) expect(JSON.stringify(feed)).toBe(JSON.stringify(feeds[0]));
  return ids.length;
}

const tally = (outcomes: string[]) => Object.entries(outcomes.reduce<Record<string, number>>((all, o) => ({ ...all, [o]: (all[o] ?? 0) + 1 }), {})).map(([o, n]) => `${n} ${o}`).join(', ') || 'none';

async function report(annotate: (message: string) => Promise<unknown>, message: string): Promise<void> {
  process.stdout.write(`[reliability] ${message}\n`);
  await annotate(message);
}

// ---- Tests ---------------------------------------------------------------------------------------

describe('three proxy processes on one PostgreSQL database', () => {
  it(`end with an exact mirror after ${KILLS} SIGKILLs of the syncing instance at random points, with the directory changing`, { timeout: 150_000 }, async ({ annotate }) => {
    const started = performance.now();
    const random = mulberry32(SEED);
    const databaseUrl = await server.createDatabase();
    finishedRounds = [];
    await control(emulator, 'DELETE', '/graph/stats');
    // 100 ms a Graph request: a full sync of 3,000 users takes a few seconds.
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 100 });
    const names = ['a', 'b', 'c'];
    const generation: Record<string, number> = { a: 1, b: 1, c: 1 };
    await Promise.all((await Promise.all(names.map((n) => spawnInstance(`${n}1`, databaseUrl)))).map(ready));
    const store = await openStore(databaseUrl);
    stores.push(store);

    const totals: ChangeCounts = { added: 0, edited: 0, disabled: 0, deleted: 0 };
    const kills: { instance: string; afterMs: number; kind: string; mirrored: number }[] = [];
    let missed = 0;
    let roundsStarted = 0;
    let resyncs = 0;
    // A few kills a round, then the round may end: the 20 fall in the first full sync, in delta rounds
    // and in full resyncs alike.
    let killsThisRound = 0;
    let roundBudget = 2 + Math.floor(random() * 5);
    /** Whether the round the test started last is a delta round (a few pages: killed early or never). */
    let deltaRound = false;
    let lastKill = performance.now();
    while (kills.length < KILLS) {
      // A round held by a live instance, or every page in and nobody (alive) syncing.
      const seen = await waitFor(
        'a round in progress or an idle tenant',
        async () => {
          const [lease, state] = await Promise.all([store.getSyncLease(emulator.tenantId), store.getSyncState(emulator.tenantId)]);
          const holder = holderOf(lease?.owner);
          if (holder && lease) return { holder, owner: lease.owner, state };
          // Nobody alive syncing and nothing left unfinished (no nextLink: a kill after the last page,
          // or right after a full resync reset the cursor, waits for the next due time).
          return state && !state.cursor.nextLink ? { holder: undefined, owner: undefined, state } : null;
        },
        30_000,
      );
      if (!seen.holder) {
        // The round ended before its kill came: start another, a delta round or (every third) a full
        // resync after the delta tokens expire.
        changeDirectory(random, totals, `Round ${roundsStarted}`);
        deltaRound = roundsStarted % 3 !== 2;
        if (!deltaRound) {
          await control(emulator, 'POST', '/graph/delta/expire', { tenantId: emulator.tenantId });
          resyncs++;
        }
        roundsStarted++;
        killsThisRound = 0;
        roundBudget = 1 + Math.floor(random() * 3);
        await makeDue(store);
        // Until a live instance takes the lease (the wait above), or the tick pushes it back: again.
        await waitFor('a round to start', async () => {
          if (holderOf((await store.getSyncLease(emulator.tenantId))?.owner)) return true;
          const state = await store.getSyncState(emulator.tenantId);
          if (state?.nextRunAt && state.nextRunAt.getTime() > Date.now()) await makeDue(store);
          return false;
        }, 30_000);
        continue;
      }
      if (killsThisRound >= roundBudget) {
        await sleep(50); // this round is let to finish
        continue;
      }
      // A random point of this hold: before its first page, in a Graph request, in a commit, after the last page.
      // A delta round lasts a few hundred milliseconds; of a full one, half the kills come early in the hold.
      const afterMs = Math.floor(random() * (deltaRound && killsThisRound === 0 ? 300 : random() < 0.5 ? 400 : 1_500));
      await sleep(afterMs);
      const [lease, state] = await Promise.all([store.getSyncLease(emulator.tenantId), store.getSyncState(emulator.tenantId)]);
      if (lease?.owner !== seen.owner) {
        missed++; // the round ended (or moved) before this point
        continue;
      }
      const kind = state?.fullSyncRunId ? 'full' : state?.cursor.nextLink ? 'delta' : 'starting';
      await sigkill(seen.holder);
      kills.push({ instance: seen.holder.name, afterMs, kind, mirrored: state?.usersMirrored ?? 0 });
      killsThisRound++;
      lastKill = performance.now();
      // The same instance comes back, as an orchestrator would restart it; meanwhile the others carry on.
      const letter = seen.holder.name[0]!;
      generation[letter]!++;
      await spawnInstance(`${letter}${generation[letter]}`, databaseUrl);
      // Directory changes between some kills, while a round may be under way.
      if (kills.length % 4 === 0) changeDirectory(random, totals, `Kill ${kills.length}`);
    }

    // A final quiet round: nobody is killed, nothing changes; it brings the mirror up to the directory.
    const quietFrom = performance.now();
    await quietRound(store, 60_000);
    const converged = performance.now() - lastKill;
    const quiet = performance.now() - quietFrom;
    const mirrored = await expectExactMirror(store, databaseUrl);
    const graph = await control<{ requests: number }>(emulator, 'GET', '/graph/stats');

    expect(kills).toHaveLength(KILLS);
    await report(annotate, `seed ${SEED}: ${KILLS} SIGKILLs (${missed} planned kills missed a round that had ended) — ${kills.map((k) => `${k.instance}@${k.afterMs}ms/${k.kind}/${k.mirrored}`).join(' ')}`);
    await report(
      annotate,
      `${roundsStarted} rounds started by the test (${resyncs} full resyncs), rounds finished by the processes: ${tally(finishedRounds)}; directory changes: ${totals.added} added, ${totals.edited} edited, ${totals.disabled} disabled, ${totals.deleted} deleted; ${mirrored} users mirrored; ${graph.requests} Graph requests`,
    );
    await report(annotate, `converged ${(converged / 1000).toFixed(1)} s after the last kill (the killed round taken over and finished, then the quiet round: ${(quiet / 1000).toFixed(1)} s); whole test ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it('converge to an exact mirror under 20% Graph faults', { timeout: 120_000 }, async ({ annotate }) => {
    const started = performance.now();
    const random = mulberry32(SEED + 1);
    const databaseUrl = await server.createDatabase();
    finishedRounds = [];
    await control(emulator, 'DELETE', '/graph/stats');
    await control(emulator, 'PUT', '/graph/faults', { rate: 0.2, statuses: [429, 500, 502, 503, 504], retryAfterSeconds: 1, latencyMs: 0, seed: SEED });
    await Promise.all((await Promise.all(['f1', 'g1', 'h1'].map((n) => spawnInstance(n, databaseUrl)))).map(ready));
    const store = await openStore(databaseUrl);
    stores.push(store);
    const DEADLINE_MS = 60_000;

    // The first full sync, faults and all.
    const state = await waitFor('the first full sync under faults', async () => {
      const s = await store.getSyncState(emulator.tenantId);
      return atDeltaLink(s) && s.phase === 'idle' && !(await store.getSyncLease(emulator.tenantId)) ? s : null;
    }, DEADLINE_MS);
    const firstSync = performance.now() - started;
    expect(state.lastOutcome).toBe('ok');
    await expectMirrorEqualsDirectory(store, emulator);

    // Then the directory changes and the next round brings it, faults and all.
    const totals: ChangeCounts = { added: 0, edited: 0, disabled: 0, deleted: 0 };
    changeDirectory(random, totals, 'Faulty');
    const deltaFrom = performance.now();
    await quietRound(store, DEADLINE_MS);
    await control(emulator, 'PUT', '/graph/faults', { rate: 0 });
    const mirrored = await expectExactMirror(store, databaseUrl);
    const deltaRound = performance.now() - deltaFrom;
    const stats = await control<{ requests: number; faultsInjected: number; faultsByStatus: Record<string, number>; throttled: number }>(emulator, 'GET', '/graph/stats');
    expect(stats.faultsInjected).toBeGreaterThan(0);
    expect(firstSync + deltaRound).toBeLessThan(DEADLINE_MS);
    await report(
      annotate,
      `20% faults: first full sync of ${mirrored} users converged in ${(firstSync / 1000).toFixed(1)} s, a delta round of ${totals.added + totals.edited + totals.disabled + totals.deleted} changes in ${(deltaRound / 1000).toFixed(1)} s; ` +
        `${stats.faultsInjected} faults injected in ${stats.requests} Graph requests ${JSON.stringify(stats.faultsByStatus)}; rounds finished: ${tally(finishedRounds)}`,
    );
  });
});
