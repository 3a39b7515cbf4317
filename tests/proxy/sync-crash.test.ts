/**
 * SIGKILL during a sync (design.md flow 2: "each page is committed with its nextLink, so a crash resumes
 * where it stopped"): `peoplebook-proxy sync --once` runs as a child process against an emulator of
 * 5,000 users with 40 ms of Graph latency per request, is killed at several points of a full sync and of
 * a delta round, and each restart resumes; at the end the mirror equals the directory, with no
 * duplicate ids, and the last run reports outcome ok.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { openSqliteStore, type SqliteStore } from '../../proxy/src/store/sqlite.ts';
import type { SyncState } from '../../proxy/src/store/types.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { emulatorEnv, envTenant } from '../helpers/proxy.ts';
import { directoryOf, expectMirrorEqualsDirectory } from './mirror-helpers.ts';

const CLI = path.resolve('bin/peoplebook-proxy.js');

let emulator: Emulator;
let dir: string;
let dbFile: string;
let env: NodeJS.ProcessEnv;
/** The test's own connection to the proxy's database (WAL: reads while the child writes). */
let store: SqliteStore;

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 5_000, adminConsent: true, graph: { latencyMs: 40 } });
  dir = await mkdtemp(path.join(os.tmpdir(), 'pb-crash-'));
  dbFile = path.join(dir, 'peoplebook.db');
  // Only what the CLI needs, passed explicitly: the emulator's CA, the emulator cloud, the env tenant.
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
    ...emulatorEnv(emulator, dir, 0),
    PORT: '8787',
    ...envTenant(emulator),
  };
  store = openSqliteStore(dbFile);
});

afterAll(async () => {
  await store?.close();
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startSync(): Run {
  const child = spawn(process.execPath, [CLI, 'sync', '--once'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  return run;
}

/** Polls the database until `ready(state)`, then SIGKILLs the child. Returns the state it was killed at. */
async function killWhen(run: Run, what: string, ready: (state: SyncState) => boolean): Promise<SyncState> {
  const started = Date.now();
  let exited = false;
  void run.exit.then(() => (exited = true));
  for (;;) {
    const state = (await store.getTenant(emulator.tenantId)) ? await store.getSyncState(emulator.tenantId) : null;
    if (state && ready(state)) {
      run.child.kill('SIGKILL');
      const { signal } = await run.exit;
      expect(signal).toBe('SIGKILL');
      // The killed process still "holds" the lease: the restart must take it over, not wait it out.
      const lease = await store.getSyncLease(emulator.tenantId);
      expect(lease?.owner).toContain(`:${run.child.pid}:`);
      expect(lease!.expiresAt.getTime()).toBeGreaterThan(Date.now());
      return state;
    }
    if (exited) throw new Error(`sync --once ended before "${what}": ${run.stdout} ${run.stderr}`);
    if (Date.now() - started > 20_000) {
      run.child.kill('SIGKILL');
      throw new Error(`"${what}" not reached in 20 s: ${JSON.stringify(state)}`);
    }
    await sleep(5);
  }
}

async function finish(run: Run): Promise<Record<string, unknown>> {
  const { code } = await run.exit;
  const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
  expect({ code, report, stderr: run.stderr }).toMatchObject({ code: 0, report: { outcome: 'ok' } });
  return report;
}

/** Mirror equals the directory; ids are unique in the mirror and in the changes feed from 0. */
async function expectExactMirror(): Promise<void> {
  await expectMirrorEqualsDirectory(store, emulator);
  const ids: string[] = [];
  let cursor = 0;
  for (;;) {
    const page = await store.changesSince(emulator.tenantId, cursor, 5_000);
    if (page.resync) throw new Error('unexpected resync');
    ids.push(...page.upserts.map((u) => u.id));
    cursor = page.nextCursor;
    if (!page.more) break;
  }
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(await store.countUsers(emulator.tenantId));
}

describe('sync --once killed with SIGKILL', () => {
  it('resumes a full sync killed at three points and ends equal to the directory', async ({ annotate }) => {
    const total = [...directoryOf(emulator).iterate()].length;
    const killedAt: number[] = [];

    // 1. Right after the first page is committed with its nextLink.
    let state = await killWhen(startSync(), 'first page committed', (s) => s.cursor.nextLink !== undefined && s.usersMirrored > 0);
    killedAt.push(state.usersMirrored);
    expect(state.fullSyncRunId).not.toBeNull();
    const runId = state.fullSyncRunId;

    // 2. Halfway: the restart resumed from the nextLink (same full-sync run), not from the start.
    state = await killWhen(startSync(), 'half the directory', (s) => s.usersMirrored >= total * 0.45 && s.cursor.nextLink !== undefined);
    killedAt.push(state.usersMirrored);
    expect(state.fullSyncRunId).toBe(runId);

    // 3. Near the end.
    state = await killWhen(startSync(), 'most of the directory', (s) => s.usersMirrored >= total * 0.8 && s.cursor.nextLink !== undefined);
    killedAt.push(state.usersMirrored);
    expect(state.fullSyncRunId).toBe(runId);
    expect(state.cursor.deltaLink).toBeUndefined();

    const report = await finish(startSync());
    expect(report).toMatchObject({ fullSync: true });
    const after = await store.getSyncState(emulator.tenantId);
    expect(after?.cursor).toEqual({ deltaLink: expect.any(String) });
    expect(after?.fullSyncRunId).toBeNull();
    await expectExactMirror();
    await annotate(`killed with ${killedAt.join(', ')} of ${total} users mirrored`);
    expect(killedAt[0]).toBeLessThan(killedAt[1]!);
    expect(killedAt[1]).toBeLessThan(killedAt[2]!);
  }, 60_000);

  it('resumes a delta round killed mid-way', async () => {
    const directory = directoryOf(emulator);
    const users = [...directory.iterate()].map(({ user }) => user).filter((u) => u.userPrincipalName !== emulator.employeeUpn);
    // More changes than one delta page (200): the round has several pages to be killed between.
    for (const user of users.slice(0, 900)) directory.update(user.id, { officeLocation: `Moved ${user.id.slice(0, 4)}` });
    for (const user of users.slice(900, 950)) directory.remove(user.id);
    for (const user of users.slice(950, 980).filter((u) => u.accountEnabled)) directory.update(user.id, { accountEnabled: false });
    for (let i = 0; i < 30; i++) directory.add({ displayName: `Crash Survivor ${i}`, managerId: users[1_000]!.id });
    const deltaLink = (await store.getSyncState(emulator.tenantId))!.cursor.deltaLink;
    expect(deltaLink).toEqual(expect.any(String));

    const state = await killWhen(startSync(), 'a delta page committed', (s) => s.cursor.nextLink !== undefined && s.cursor.deltaLink === deltaLink);
    expect(state.fullSyncRunId).toBeNull();
    const report = await finish(startSync());
    expect(report).toMatchObject({ fullSync: false });
    await expectExactMirror();
  }, 30_000);
});
