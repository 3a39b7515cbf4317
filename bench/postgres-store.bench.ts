import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encryptSecret, secretAad } from '../proxy/src/crypto.ts';
import { openStore, type Store } from '../proxy/src/store/index.ts';
import { startPostgres } from '../tests/helpers/postgres.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';
import { key, PAGE, PAGES, pageOf, stats, TENANT, time, user } from './store-harness.ts';

/**
 * The proxy's store on PostgreSQL: the measures of store.bench.ts (SQLite) against a throwaway local
 * server with its durability settings left on (fsync, synchronous_commit: each commit waits for its WAL
 * to reach the disk), over TCP on loopback, through the store's connection pool — what one proxy
 * instance sees of a database on its own host. A database across a network adds its round-trip time to
 * each statement: a page costs about seven of them, a no-change poll one.
 * Design target: proxy work per page of 999 ≤ 10 ms (../shared/design.md); this is the store's share.
 * Run alone with `npx tsx bench/postgres-store.bench.ts`, or through `npm run bench postgres`.
 */

const bench: Bench = async () => {
  const server = await startPostgres({ durable: true });
  const store: Store = await openStore(server.url);
  const results: BenchResult[] = [];
  const target = { op: '<=' as const, value: 10 };
  try {
    await store.upsertTenant({
      id: TENANT,
      state: 'active',
      cloud: 'global',
      authorityHost: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com/v1.0',
      clientId: '11111111-2222-3333-4444-555555555555',
      graphAuth: 'application',
      source: 'env',
      clientSecret: encryptSecret(key, 'secret', secretAad(TENANT, 'clientSecret')),
      adminUpn: null,
      adminOid: null,
      grantedScopes: ['User.Read.All'],
      secretExpiresAt: null,
    });

    // 1. First sync: every page brings 999 new users.
    const insert: number[] = [];
    // The proxy's own CPU, apart from the time spent waiting for the server (which works on its own host).
    const cpuBefore = process.cpuUsage();
    for (let p = 0; p < PAGES; p++) {
      const upserts = pageOf(p * PAGE + 1);
      const cursor = p === PAGES - 1 ? { deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x' } : { nextLink: `https://graph.microsoft.com/v1.0/users/delta?$skiptoken=${p}` };
      insert.push(await time(() => store.applySyncPage(TENANT, { upserts, removals: [], cursor })));
    }
    const cpu = process.cpuUsage(cpuBefore);
    const first = stats(insert);
    results.push(
      { name: `applySyncPage, ${PAGE} new users (p50 of ${PAGES})`, value: first.p50, unit: 'ms', target },
      { name: `applySyncPage, ${PAGE} new users (mean of ${PAGES})`, value: first.mean, unit: 'ms', target },
      { name: `applySyncPage, ${PAGE} new users (p95 of ${PAGES})`, value: first.p95, unit: 'ms', note: 'checkpoints and autovacuum run meanwhile' },
      { name: `first sync of ${(PAGE * PAGES).toLocaleString('en')} users, store time`, value: insert.reduce((a, b) => a + b, 0) / 1000, unit: 's' },
      {
        name: `applySyncPage, ${PAGE} new users, proxy CPU per page (mean)`,
        value: (cpu.user + cpu.system) / 1000 / PAGES,
        unit: 'ms',
        target,
        note: 'the rest of the time is the server working and the round trips',
      },
    );

    // 2. Delta pages repeating unchanged users (Graph may resend them): no write, no seq.
    const seqBefore = await store.latestSeq(TENANT);
    const same: number[] = [];
    for (let p = 0; p < 30; p++) same.push(await time(() => store.applySyncPage(TENANT, { upserts: pageOf((p % PAGES) * PAGE + 1), removals: [], cursor: { nextLink: 'n' } })));
    if ((await store.latestSeq(TENANT)) !== seqBefore) throw new Error('unchanged users were given new sequence numbers');
    results.push({ name: `applySyncPage, ${PAGE} unchanged users (p50)`, value: stats(same).p50, unit: 'ms', target });

    // 3. Delta pages where every user changed.
    const changed: number[] = [];
    for (let p = 0; p < 30; p++) changed.push(await time(() => store.applySyncPage(TENANT, { upserts: pageOf(p * PAGE + 1, 1 + p), removals: [], cursor: { nextLink: 'n' } })));
    const changedStats = stats(changed);
    results.push(
      { name: `applySyncPage, ${PAGE} changed users (p50)`, value: changedStats.p50, unit: 'ms', target },
      { name: `applySyncPage, ${PAGE} changed users (p95)`, value: changedStats.p95, unit: 'ms' },
    );

    // 4. Removals.
    const removed: number[] = [];
    for (let p = 0; p < 10; p++) {
      const removals = Array.from({ length: PAGE }, (_, i) => user((PAGES - 1 - p) * PAGE + 1 + i).id);
      removed.push(await time(() => store.applySyncPage(TENANT, { upserts: [], removals, cursor: { nextLink: 'n' } })));
    }
    results.push({ name: `applySyncPage, ${PAGE} removals (p50)`, value: stats(removed).p50, unit: 'ms', target });

    // 5. A full resync page of unchanged users (marks them seen).
    const resync: number[] = [];
    for (let p = 0; p < 20; p++) {
      resync.push(await time(() => store.applySyncPage(TENANT, { upserts: pageOf(p * PAGE + 1, 1 + p), removals: [], cursor: { nextLink: 'n' }, fullSync: { runId: 'bench-run' } })));
    }
    results.push({ name: `applySyncPage, full resync, ${PAGE} unchanged users (p50)`, value: stats(resync).p50, unit: 'ms', target });
    const finish = await time(() => store.finishFullSync(TENANT, 'bench-run'));
    results.push({ name: 'finishFullSync tombstoning ~70,000 unseen users', value: finish, unit: 'ms' });

    // 6. The changes feed: one caller after another (latency), then 8 at once (what a pool of 10
    // connections gives an instance serving many extensions).
    const latest = await store.latestSeq(TENANT);
    const poll = async () => {
      const page = await store.changesSince(TENANT, latest, 1000);
      if (page.resync === true || page.upserts.length !== 0) throw new Error('a no-change poll returned changes');
    };
    for (let i = 0; i < 500; i++) await poll(); // warm: every pooled connection has the statement prepared
    const polls = 10_000;
    let started = performance.now();
    for (let i = 0; i < polls; i++) await poll();
    const pollMs = (performance.now() - started) / polls;
    results.push(
      { name: 'changesSince, no-change poll (one at a time)', value: pollMs * 1000, unit: 'µs' },
      { name: 'changesSince, no-change polls per second, one caller', value: 1000 / pollMs, unit: 'req/s', target: { op: '>=', value: 1000 } },
    );
    started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < polls / 8; i++) await poll();
      }),
    );
    results.push({ name: 'changesSince, no-change polls per second, 8 callers', value: polls / ((performance.now() - started) / 1000), unit: 'req/s', target: { op: '>=', value: 1000 } });
    const feed: number[] = [];
    let cursor = 0;
    for (;;) {
      let page: Awaited<ReturnType<Store['changesSince']>> | undefined;
      feed.push(await time(async () => (page = await store.changesSince(TENANT, cursor, 1000))));
      if (!page || page.resync === true) throw new Error('unexpected resync');
      cursor = page.nextCursor;
      if (!page.more) break;
    }
    results.push({ name: `changesSince, page of 1,000 from cursor 0 (p50 of ${feed.length})`, value: stats(feed).p50, unit: 'ms' });

    let exported = 0;
    const exportMs = await time(async () => {
      for await (const _ of store.listUsers(TENANT)) exported++;
    });
    results.push({ name: `listUsers, ${exported.toLocaleString('en')} users`, value: exportMs, unit: 'ms' });
    const [{ bytes }] = (await server.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes', [], 'peoplebook')) as [{ bytes: string }];
    results.push({ name: 'database size after the run', value: Number(bytes) / 2 ** 20, unit: 'MiB', note: `${exported.toLocaleString('en')} live users plus tombstones and dead row versions` });
    results.push({ name: 'peak RSS (the proxy side only)', value: await peakRssMiB(), unit: 'MiB' });
  } finally {
    await store.close();
    await server.stop();
  }
  return results;
};

export default bench;

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await bench()) {
    const target = r.target ? `  (target ${r.target.op} ${r.target.value} ${r.unit})` : '';
    console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${target}${r.note ? `  ${r.note}` : ''}`);
  }
}
