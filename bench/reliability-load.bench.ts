import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startEmulator } from '../emulator/src/server.ts';
import { openStore, type Store } from '../proxy/src/store/index.ts';
import type { SyncState } from '../proxy/src/store/types.ts';
import { initialDeltaUrl } from '../proxy/src/sync/sync-tenant.ts';
import { startPostgres } from '../tests/helpers/postgres.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';

/**
 * Issue #6's load figure: three `peoplebook-proxy serve` processes on one PostgreSQL database (durable
 * settings, on this host) and simulated extensions polling the changes feed through all three
 * (autocannon, keep-alive, connections spread over the instances as a load balancer would; a few hundred
 * distinct users' ID tokens in turn, each client polling from the cursor its last answer gave it).
 *
 * - The first full sync of 100,000 users with no load, and the Graph traffic of a full sync.
 * - The load with no sync running, after a warm-up: flat out (capacity) and at a paced rate (RATE).
 * - A full resync of the 100,000 users (the delta tokens expired; 1% of the directory edited first, so
 *   the polls carry changes) with no load, then under the paced load, then under the flat-out load:
 *   p50/p99 latency, polls a second and error rate (non-2xx + errors + timeouts) during the round, and
 *   the round's duration.
 * - Each proxy process's memory (RSS, from /proc) and CPU, PostgreSQL's CPU, the database's size.
 *
 * Everything runs on this machine: the emulator and the load tool in this process, the proxies and
 * PostgreSQL compete for the same cores, so the figures are a floor for a deployment where they don't.
 * `npm run bench -- reliability-load`; BENCH_RELIABILITY_USERS, _CLIENTS, _CONNECTIONS, _RATE and
 * _IDLE_SECONDS change the sizes.
 */
const USERS = Number(process.env.BENCH_RELIABILITY_USERS ?? 100_000);
const CLIENTS = Number(process.env.BENCH_RELIABILITY_CLIENTS ?? 300);
const CONNECTIONS = Number(process.env.BENCH_RELIABILITY_CONNECTIONS ?? 30);
const IDLE_SECONDS = Number(process.env.BENCH_RELIABILITY_IDLE_SECONDS ?? 10);
/**
 * The paced load: 100,000 extensions polling every 15 minutes (the extension's default) make 111
 * polls a second on average; 300 leaves room for the morning, when browsers start together.
 */
const RATE = Number(process.env.BENCH_RELIABILITY_RATE ?? 300);
const INSTANCES = 3;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Proxy {
  child: ChildProcess;
  pid: number;
  url: string;
}

/** Resident memory now and at its peak (MiB) and CPU time so far (s) of a process, from /proc. */
async function processFigures(pid: number): Promise<{ rssMiB: number; peakMiB: number; cpuSeconds: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat, in clock ticks (USER_HZ, 100 on Linux).
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return { rssMiB: kb('VmRSS'), peakMiB: kb('VmHWM'), cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
}

/**
 * CPU time (s) of a PostgreSQL cluster: the postmaster with the backends it reaped, plus its live
 * processes (the proxies' pooled connections among them).
 */
async function postgresCpuSeconds(dataDir: string): Promise<number> {
  const { readdir } = await import('node:fs/promises');
  const postmaster = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!postmaster) return NaN;
  const fields = async (pid: number | string) => (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).split(') ')[1]?.split(' ') ?? [];
  const own = await fields(postmaster);
  // utime, stime, cutime, cstime: fields 14–17 (indexes 11–14 after the command name).
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await fields(entry);
    // ppid is field 4 (index 1 after the command name).
    if (Number(stat[1]) === postmaster) ticks += Number(stat[11]) + Number(stat[12]);
  }
  return ticks / 100;
}

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  const setupStarted = performance.now();
  const [server, emulator] = await Promise.all([startPostgres({ durable: true }), startEmulator({ users: USERS, adminConsent: true, graph: { throttling: false } })]);
  const tenantId = emulator.tenantId;
  const secretKey = randomBytes(32).toString('base64');
  const proxies: Proxy[] = [];
  let store: Store | undefined;
  try {
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [path.join(root, 'bin/peoplebook-proxy.js'), 'serve'], {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS,
          PORT: String(port),
          DATABASE_URL: server.url,
          PEOPLEBOOK_SECRET_KEY: secretKey,
          PEOPLEBOOK_CLOUD: 'custom',
          PEOPLEBOOK_AUTHORITY_HOST: emulator.url,
          PEOPLEBOOK_GRAPH_URL: emulator.graphUrl,
          PEOPLEBOOK_TENANT_ID: tenantId,
          PEOPLEBOOK_CLIENT_ID: emulator.clientId,
          PEOPLEBOOK_CLIENT_SECRET: emulator.clientSecret,
          PEOPLEBOOK_GRAPH_AUTH: 'application',
          // Rounds start when the bench says so (it moves nextRunAt), not on the interval.
          PEOPLEBOOK_SYNC_INTERVAL: '24h',
          // Each simulated user polls far faster than a real extension (every 15 minutes).
          PEOPLEBOOK_RATE_LIMIT: '1000000',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      proxies.push({ child, pid: child.pid!, url: `http://127.0.0.1:${port}` });
    }
    for (const proxy of proxies) {
      for (let at = performance.now(); ; await sleep(100)) {
        if ((await fetch(`${proxy.url}/readyz`).catch(() => null))?.status === 200) break;
        if (proxy.child.exitCode !== null) throw new Error('a proxy exited at start');
        if (performance.now() - at > 60_000) throw new Error('a proxy did not start in 60 s');
      }
    }
    store = await openStore(server.url);
    const db = store;

    const graphRequests = async () => ((await (await fetch(`${emulator.controlUrl}/graph/stats`)).json()) as { requests: number }).requests;
    const holders = new Set<number>();
    /** Waits for a round that started at or after `since` to finish; returns its state. Notes who held the lease. */
    const roundAfter = async (since: Date, timeoutMs = 900_000): Promise<SyncState> => {
      const started = performance.now();
      for (;;) {
        const [state, lease] = await Promise.all([db.getSyncState(tenantId), db.getSyncLease(tenantId)]);
        if (lease) holders.add(Number(lease.owner.split(':')[2]));
        if (state?.lastStart && state.lastStart >= since && state.phase === 'idle' && state.lastEnd && state.lastEnd >= state.lastStart && !state.cursor.nextLink && state.cursor.deltaLink) {
          if (state.lastOutcome !== 'ok' && state.lastOutcome !== 'resync') throw new Error(`the sync ended ${state.lastOutcome}: ${JSON.stringify(state.lastError)}`);
          return state;
        }
        if (performance.now() - started > timeoutMs) throw new Error(`no sync finished in ${timeoutMs / 1000} s`);
        await sleep(200);
      }
    };
    const roundSeconds = (state: SyncState) => (state.lastEnd!.getTime() - state.lastStart!.getTime()) / 1000;
    /** A full resync over the existing mirror: the delta tokens expire, the tenant is made due. */
    const startResync = async (): Promise<Date> => {
      const directory = emulator.state.registry.get(tenantId)!.directory;
      // 1% of the directory edited: the resync rewrites those, and the polls download them.
      const stamp = `Reorganised ${Date.now() % 100_000}`;
      const members = [...directory.iterate()].map(({ user }) => user).filter((u) => u.accountEnabled !== false && u.userType !== 'Guest');
      for (let i = 0; i < members.length; i += 100) directory.update(members[i]!.id, { jobTitle: stamp });
      await fetch(`${emulator.controlUrl}/graph/delta/expire`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenantId }) });
      const since = new Date();
      await db.updateSyncState(tenantId, { nextRunAt: new Date(Date.now() - 1000) });
      return since;
    };

    // 1. The first full sync, no load: the scheduler starts it as the instances come up.
    const first = await roundAfter(new Date(0));
    const firstGraphRequests = await graphRequests();
    const sizes = async () => {
      const [row] = await server.query<{ database: string; users: string }>("SELECT pg_database_size(current_database())::text AS database, pg_total_relation_size('users')::text AS users", [], 'peoplebook');
      return { database: Number(row!.database) / 2 ** 20, users: Number(row!.users) / 2 ** 20 };
    };
    const firstSize = await sizes();
    // The instances that did not run it have only started, ticked and answered /readyz.
    const resting = await Promise.all(proxies.filter((p) => !holders.has(p.pid)).map((p) => processFigures(p.pid)));
    let fullSyncs = 1;
    const users = await db.countUsers(tenantId);
    results.push({ name: `first full sync of ${USERS.toLocaleString('en')} users, 3 instances on PostgreSQL, no load`, value: roundSeconds(first), unit: 's', note: `${users.toLocaleString('en')} mirrored; ${firstGraphRequests} Graph requests (one a delta page of 200); set-up and sync ${((performance.now() - setupStarted) / 1000).toFixed(0)} s` });

    // Graph traffic of a full sync: the body size of a few delta pages, per user (uncompressed JSON).
    {
      const token = await emulator.state.tokens.graphToken({ subject: { tenantId }, clientId: emulator.clientId, roles: ['User.Read.All'] });
      let url: string | undefined = initialDeltaUrl(emulator.graphUrl);
      let bytes = 0;
      let counted = 0;
      for (let page = 0; page < 6 && url; page++) {
        const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        const text = await response.text();
        const body = JSON.parse(text) as { value?: unknown[]; '@odata.nextLink'?: string };
        if (body.value?.length) {
          bytes += Buffer.byteLength(text);
          counted += body.value.length;
        }
        url = body['@odata.nextLink'];
      }
      results.push({ name: 'Graph traffic of a full sync, per 1,000 users (uncompressed JSON of /users/delta)', value: (bytes / counted) * 1000 / 2 ** 20, unit: 'MiB', note: `${((bytes / counted) * USERS / 2 ** 20).toFixed(0)} MiB for ${USERS.toLocaleString('en')} users, before Graph's gzip` });
    }

    // The simulated extensions: CLIENTS distinct users, each polling with its own cursor (identity
    // encoding so the load tool can read the answer's cursor; a real extension gets it gzipped).
    const directory = emulator.state.registry.get(tenantId)!.directory;
    const people = [...directory.iterate()].map(({ user }) => user).filter((u) => u.accountEnabled !== false && u.userType !== 'Guest').slice(0, CLIENTS);
    const authTime = Math.floor(Date.now() / 1000);
    const tokens = await Promise.all(people.map((user) => emulator.state.tokens.idToken({ subject: { tenantId, user }, clientId: emulator.clientId, scopes: ['openid', 'profile'], authTime })));
    const cursors: string[] = [];
    let next = 0;
    let changesDelivered = 0;
    const cpuOf = async () => {
      const proxyCpu = await Promise.all(proxies.map((p) => processFigures(p.pid)));
      return { proxies: proxyCpu.reduce((sum, f) => sum + f.cpuSeconds, 0), postgres: await postgresCpuSeconds(server.dataDir) };
    };
    /** `seconds` of polling (or until `until` settles), as fast as the connections go or at `rate` a second. */
    const load = async ({ seconds, rate, until }: { seconds: number; rate?: number; until?: Promise<unknown> }) => {
      const latest = String(await db.latestSeq(tenantId));
      cursors.length = 0;
      for (let i = 0; i < CLIENTS; i++) cursors.push(latest);
      changesDelivered = 0;
      const cpuBefore = await cpuOf();
      const options: autocannon.Options = {
        // Several URLs: autocannon spreads the connections over them, as a load balancer would
        // (@types/autocannon types `url` as one string).
        url: proxies.map((p) => p.url) as unknown as string,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        ...(rate ? { overallRate: rate } : {}),
        requests: [
          {
            method: 'GET',
            setupRequest: (request, context: { client?: number }) => {
              const client = next++ % CLIENTS;
              context.client = client;
              return { ...request, path: `/api/v1/directory/changes?since=${cursors[client]}`, headers: { authorization: `Bearer ${tokens[client]}`, 'accept-encoding': 'identity' } };
            },
            onResponse: (status, body, context: { client?: number }) => {
              if (status !== 200) return;
              try {
                const page = JSON.parse(body) as { cursor?: string; upserts?: unknown[]; deletions?: unknown[] };
                if (page.cursor) cursors[context.client!] = page.cursor;
                changesDelivered += (page.upserts?.length ?? 0) + (page.deletions?.length ?? 0);
              } catch {
                // not JSON: counted by its status
              }
            },
          },
        ],
      };
      const result = await new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(options, (error, done) => (error ? reject(error as Error) : resolve(done)));
        // Until the sync ends: stopped early, autocannon reports what it measured so far.
        if (until) void until.finally(() => instance.stop());
      });
      const cpuAfter = await cpuOf();
      const total = result.requests.total + result.errors + result.timeouts;
      const run = {
        result,
        errorRate: total === 0 ? 0 : (result.non2xx + result.errors + result.timeouts) / total,
        perSecond: result.requests.total / result.duration,
        cpuMsPerRequest: ((cpuAfter.proxies - cpuBefore.proxies) * 1000) / Math.max(1, result.requests.total),
        postgresMsPerRequest: ((cpuAfter.postgres - cpuBefore.postgres) * 1000) / Math.max(1, result.requests.total),
        changes: changesDelivered,
      };
      return {
        ...run,
        note:
          `p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ${result.requests.total.toLocaleString('en')} polls in ${result.duration.toFixed(1)} s (${run.perSecond.toFixed(0)}/s); ` +
          `${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts; ${run.changes.toLocaleString('en')} changes delivered; ` +
          (until
            ? `CPU in the window, the sync's included: proxies ${(cpuAfter.proxies - cpuBefore.proxies).toFixed(1)} s, PostgreSQL ${(cpuAfter.postgres - cpuBefore.postgres).toFixed(1)} s`
            : `CPU a poll: proxies ${run.cpuMsPerRequest.toFixed(2)} ms, PostgreSQL ${run.postgresMsPerRequest.toFixed(2)} ms`),
      };
    };
    /** Runs a full resync under `loadOptions` (none: no load); returns the round and the load's figures. */
    const resync = async (loadOptions?: { rate?: number }) => {
      const since = await startResync();
      fullSyncs++;
      const cpuBefore = await cpuOf();
      // The load starts with the round: wait for its lease.
      while (!(await db.getSyncLease(tenantId))) await sleep(20);
      const done = roundAfter(since);
      const run = loadOptions ? await load({ seconds: 900, rate: loadOptions.rate, until: done }) : undefined;
      const round = await done;
      const cpuAfter = await cpuOf();
      return { round, run, proxyCpu: cpuAfter.proxies - cpuBefore.proxies, postgresCpu: cpuAfter.postgres - cpuBefore.postgres };
    };

    // 2. Load with no sync running: a warm-up (the JWKS, and V8 optimising the request path: polls a
    // second double over the first ~25,000), then as fast as the connections go, then at a fixed rate.
    await load({ seconds: 12 });
    const loadName = `${CLIENTS} extensions polling through ${INSTANCES} instances`;
    const saturated = `${loadName}, ${CONNECTIONS} connections flat out`;
    const paced = `${loadName} at ${RATE} polls/s`;
    const idleMax = await load({ seconds: IDLE_SECONDS });
    results.push({ name: `${saturated}, no sync: polls per second`, value: idleMax.perSecond, unit: 'req/s', note: idleMax.note });
    const idlePaced = await load({ seconds: IDLE_SECONDS, rate: RATE });
    results.push({ name: `${paced}, no sync: p99 latency`, value: idlePaced.result.latency.p99, unit: 'ms', note: idlePaced.note });

    // 3. A full resync without load, for comparison with the same under load.
    const quiet = await resync();
    results.push({
      name: `full resync of ${USERS.toLocaleString('en')} users over the mirror, no load`,
      value: roundSeconds(quiet.round),
      unit: 's',
      note: `CPU: proxies ${quiet.proxyCpu.toFixed(1)} s, PostgreSQL ${quiet.postgresCpu.toFixed(1)} s; outcome ${quiet.round.lastOutcome}`,
    });

    // 4. The same loads while a full resync runs, from the round's start to its end.
    for (const [name, rate] of [
      [paced, RATE],
      [saturated, undefined],
    ] as const) {
      const { round, run } = await resync({ rate });
      results.push({ name: `${name}, during a full resync: p50 latency`, value: run!.result.latency.p50, unit: 'ms', note: run!.note });
      results.push({ name: `${name}, during a full resync: p99 latency`, value: run!.result.latency.p99, unit: 'ms' });
      results.push({ name: `${name}, during a full resync: polls per second`, value: run!.perSecond, unit: 'req/s' });
      results.push({ name: `${name}, during a full resync: error rate`, value: run!.errorRate * 100, unit: '%', note: `${run!.result.non2xx} non-2xx + ${run!.result.errors} errors + ${run!.result.timeouts} timeouts` });
      results.push({ name: `full resync of ${USERS.toLocaleString('en')} users under ${rate ? `${rate} polls/s` : 'the flat-out load'}`, value: roundSeconds(round), unit: 's', note: `${(roundSeconds(round) / roundSeconds(quiet.round)).toFixed(2)}× the resync without load` });
    }

    // 5. Memory of each proxy process, the database's size.
    const figures = await Promise.all(proxies.map(async (p) => ({ synced: holders.has(p.pid), ...(await processFigures(p.pid)) })));
    const each = (pick: (f: (typeof figures)[number]) => string) => figures.map(pick).join(', ');
    results.push({
      name: 'peak RSS of a proxy instance (the most of the three)',
      value: Math.max(...figures.map((f) => f.peakMiB)),
      unit: 'MiB',
      note: `each instance: peak ${each((f) => f.peakMiB.toFixed(0))} MiB, now ${each((f) => f.rssMiB.toFixed(0))} MiB, CPU ${each((f) => f.cpuSeconds.toFixed(0))} s, held the sync lease: ${each((f) => (f.synced ? 'yes' : 'no'))}`,
    });
    if (resting.length > 0) results.push({ name: 'RSS of a proxy instance at rest (started, no sync run, no load)', value: Math.max(...resting.map((f) => f.rssMiB)), unit: 'MiB' });
    const lastSize = await sizes();
    results.push({ name: `PostgreSQL database size with ${USERS.toLocaleString('en')} users mirrored (after the first sync)`, value: firstSize.database, unit: 'MiB', note: `users table with its indexes ${firstSize.users.toFixed(0)} MiB` });
    results.push({
      name: `PostgreSQL database size after ${fullSyncs} full syncs`,
      value: lastSize.database,
      unit: 'MiB',
      note: `users table with its indexes ${lastSize.users.toFixed(0)} MiB: the resyncs' old row versions, which autovacuum makes reusable`,
    });
    results.push({ name: 'bench process peak RSS (emulator + load tool)', value: await peakRssMiB(), unit: 'MiB' });
  } finally {
    await Promise.all(
      proxies.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
            const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
            p.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            p.child.kill('SIGTERM');
          }),
      ),
    );
    await store?.close();
    await emulator.close();
    await server.stop();
  }
  return results;
};

export default bench;
