import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encryptSecret, secretAad } from '../proxy/src/crypto.ts';
import { openStore, type Store } from '../proxy/src/store/index.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';
import { key, PAGE, PAGES, pageOf, stats, TENANT, time, user } from './store-harness.ts';

/**
 * The proxy's store on a SQLite file (WAL, as deployed): applying Graph delta pages of 999 users (the
 * `$top` maximum) and answering the changes feed. Design target: proxy work per page of 999 ≤ 10 ms
 * (../shared/design.md); this is the store's share of it.
 * Run alone with `npx tsx bench/store.bench.ts`, or through `npm run bench store`.
 */

const bench: Bench = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'peoplebook-bench-store-'));
  const store: Store = await openStore(`file:${path.join(dir, 'bench.db')}`);
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
    for (let p = 0; p < PAGES; p++) {
      const upserts = pageOf(p * PAGE + 1);
      const cursor = p === PAGES - 1 ? { deltaLink: 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=x' } : { nextLink: `https://graph.microsoft.com/v1.0/users/delta?$skiptoken=${p}` };
      insert.push(await time(() => store.applySyncPage(TENANT, { upserts, removals: [], cursor })));
    }
    const first = stats(insert);
    results.push(
      { name: `applySyncPage, ${PAGE} new users (p50 of ${PAGES})`, value: first.p50, unit: 'ms', target },
      { name: `applySyncPage, ${PAGE} new users (mean of ${PAGES})`, value: first.mean, unit: 'ms', target },
      {
        name: `applySyncPage, ${PAGE} new users (p95 of ${PAGES})`,
        value: first.p95,
        unit: 'ms',
        note: "every ~7th commit runs SQLite's WAL auto-checkpoint (1,000 pages)",
      },
      { name: `first sync of ${(PAGE * PAGES).toLocaleString('en')} users, store time`, value: insert.reduce((a, b) => a + b, 0) / 1000, unit: 's' },
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
    results.push({ name: `applySyncPage, ${PAGE} changed users (p50)`, value: stats(changed).p50, unit: 'ms', target });

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

    // 6. The changes feed.
    const latest = await store.latestSeq(TENANT);
    const polls = 20_000;
    const started = performance.now();
    for (let i = 0; i < polls; i++) {
      const page = await store.changesSince(TENANT, latest, 1000);
      if (page.resync === true || page.upserts.length !== 0) throw new Error('a no-change poll returned changes');
    }
    const pollMs = (performance.now() - started) / polls;
    results.push(
      { name: 'changesSince, no-change poll', value: pollMs * 1000, unit: 'µs' },
      { name: 'changesSince, no-change polls per second (store only)', value: 1000 / pollMs, unit: 'req/s', target: { op: '>=', value: 1000 } },
    );
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
    results.push({ name: 'peak RSS', value: await peakRssMiB(), unit: 'MiB' });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
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
