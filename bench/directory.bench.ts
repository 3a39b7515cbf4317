import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { faker } from '@faker-js/faker/locale/de';
import { createClock } from '../emulator/src/clock.ts';
import { createDirectory, type Directory } from '../emulator/src/directory/index.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';

/**
 * The emulator's seeded directory at 500,000 users: generating users on demand, scanning them all
 * without keeping them, and the lazily built ID and UPN indexes.
 * Run alone with `npx tsx bench/directory.bench.ts`, or through `npm run bench directory`.
 */

const USERS = 500_000;
const MiB = 2 ** 20;

// A collectable heap gives retained sizes instead of garbage-inflated ones, without --expose-gc.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const heapMiB = (): number => {
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / MiB;
};

const make = (): Directory =>
  createDirectory({
    tenantId: 'bench',
    domain: 'lakeside.example',
    initialDomain: 'lakesideworks.onmicrosoft.com',
    companyName: 'Lakeside Works',
    seed: 42,
    users: USERS,
    clock: createClock(),
  });

/** Positions spread over the directory, the same on every run. */
const spread = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7_919 + 13) % USERS);

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  const baseline = heapMiB();

  // 1. Scan everything, sampling the heap: nothing may accumulate.
  const directory = make();
  let peakHeap = 0;
  let count = 0;
  let started = performance.now();
  for (const { user } of directory.iterate()) {
    if (user.displayName.length === 0) throw new Error('empty displayName');
    if (++count % 25_000 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed / MiB);
  }
  const scanSeconds = (performance.now() - started) / 1000;
  if (count !== USERS) throw new Error(`iterated ${count} users, expected ${USERS}`);
  results.push(
    { name: 'generate one seeded user (mean over 500,000)', value: (scanSeconds * 1e6) / USERS, unit: 'µs', target: { op: '<=', value: 50 } },
    { name: 'iterate 500,000 users', value: scanSeconds, unit: 's', target: { op: '<=', value: 25 } },
    { name: 'peak heap while iterating (sampled)', value: peakHeap, unit: 'MiB' },
    { name: 'heap retained after iterating', value: heapMiB() - baseline, unit: 'MiB', note: 'faker name tables and the romanization memo; no users' },
    { name: 'peak RSS after iterating', value: await peakRssMiB(), unit: 'MiB' },
  );

  // 2. The rejected approach: reseeding faker per user.
  started = performance.now();
  for (let i = 0; i < 20_000; i++) {
    faker.seed([42, i]);
    faker.person.firstName();
    faker.person.lastName();
    faker.phone.number();
    faker.person.jobTitle();
  }
  results.push({ name: 'faker.seed([seed, i]) + 4 calls per user (not used)', value: ((performance.now() - started) * 1000) / 20_000, unit: 'µs' });

  // 3. Lazy indexes: the first lookup builds them.
  const sample = spread(2_000).map((p) => directory.atPosition(p)!);
  let before = heapMiB();
  started = performance.now();
  directory.getById(sample[0]!.id);
  results.push(
    { name: 'build ID index (first getById)', value: performance.now() - started, unit: 'ms' },
    { name: 'ID index retained', value: heapMiB() - before, unit: 'MiB' },
  );
  before = heapMiB();
  started = performance.now();
  directory.getByUpn(sample[0]!.userPrincipalName);
  results.push(
    { name: 'build UPN index (first getByUpn)', value: performance.now() - started, unit: 'ms' },
    { name: 'UPN index retained', value: heapMiB() - before, unit: 'MiB' },
  );

  // 4. Lookups once the indexes exist (each verifies by regenerating the candidate user), after a warm-up.
  for (const user of sample.slice(0, 200)) directory.getByUpn(directory.getById(user.id)!.userPrincipalName);
  started = performance.now();
  for (const user of sample) if (directory.getById(user.id.toUpperCase())?.id !== user.id) throw new Error('getById missed');
  results.push({ name: 'getById', value: ((performance.now() - started) * 1000) / sample.length, unit: 'µs' });
  started = performance.now();
  for (const user of sample) if (directory.getByUpn(user.userPrincipalName.toUpperCase())?.id !== user.id) throw new Error('getByUpn missed');
  results.push({ name: 'getByUpn', value: ((performance.now() - started) * 1000) / sample.length, unit: 'µs' });
  started = performance.now();
  let reports = 0;
  for (const user of sample) reports += directory.directReports(user.id).length;
  results.push({ name: 'directReports', value: ((performance.now() - started) * 1000) / sample.length, unit: 'µs', note: `${reports} reports of ${sample.length} users` });
  // For comparison: the obvious Map of every UPN.
  before = heapMiB();
  started = performance.now();
  const naive = new Map<string, number>();
  for (const { position, user } of make().iterate()) naive.set(user.userPrincipalName.toLowerCase(), position);
  results.push(
    { name: 'Map<upn, position> of all users (not used): build', value: performance.now() - started, unit: 'ms' },
    { name: 'Map<upn, position> of all users (not used): retained', value: heapMiB() - before, unit: 'MiB' },
  );
  naive.clear();

  results.push({ name: 'peak RSS overall', value: await peakRssMiB(), unit: 'MiB' });
  return results;
};

export default bench;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await bench()) {
    const target = r.target ? `  (target ${r.target.op} ${r.target.value} ${r.unit})` : '';
    console.log(`${r.name.padEnd(56)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${target}${r.note ? `  ${r.note}` : ''}`);
  }
}
