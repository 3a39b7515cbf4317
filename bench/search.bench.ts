import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import v8 from 'node:v8';
import type { Contact } from '../shared/contact.ts';
import { fold } from '../shared/normalize.ts';
import { createSearchIndex, SearchIndex, SearchIndexBuilder, type SerializedSearchIndex } from '../shared/search-index.ts';
import { createClock } from '../emulator/src/clock.ts';
import { createDirectory } from '../emulator/src/directory/index.ts';
import { mulberry32 } from '../emulator/src/directory/prng.ts';
import { toContact } from '../emulator/src/directory/to-contact.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';

/**
 * The popup's search index (shared/search-index.ts) over 100,000 contacts: the emulator's seeded
 * directory (seed 1), so names come in the emulator's mix of cultures (accents, CJK, Arabic) and phone
 * formats. Build, compact size, load (in this process and in a fresh one, bench/search-cold-start.ts, as
 * a popup that just opened), query latency by query shape, and incremental changes.
 * Run alone with `npx tsx bench/search.bench.ts`, or through `npm run bench -- search`.
 *
 * Node stands in for the popup's V8: the structured-clone size and read time use `v8.serialize` /
 * `v8.deserialize`, the serializer Chromium's IndexedDB uses for values. The design's keystroke target
 * (≤ 16 ms to rendered results) covers rendering too; the search itself should stay a small part of it.
 */

const USERS = 100_000;
const run = promisify(execFile);
const MiB = 2 ** 20;



const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function timeQueries(index: SearchIndex, queries: string[]): { p50: number; p95: number; max: number; hits: number } {
  for (const query of queries.slice(0, 50)) index.search(query); // warm-up
  const times: number[] = [];
  let hits = 0;
  for (const query of queries) {
    const started = performance.now();
    hits += index.search(query).total;
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), max: times[times.length - 1]!, hits: hits / queries.length };
}

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  const directory = createDirectory({
    tenantId: 'bench',
    domain: 'contoso.example',
    initialDomain: 'contoso.onmicrosoft.com',
    companyName: 'Contoso',
    seed: 1,
    users: USERS,
    clock: createClock(),
  });
  const contacts: Contact[] = [];
  for (const { user } of directory.iterate()) contacts.push(toContact(user));

  // 1. Build from scratch (what the background does after a first sync).
  let started = performance.now();
  let index: SearchIndex | null = createSearchIndex(contacts);
  const buildMs = performance.now() - started;
  results.push({ name: `build index of ${USERS.toLocaleString('en')} contacts`, value: buildMs, unit: 'ms', note: 'createSearchIndex: SearchIndexBuilder, terms per contact, then one sort and layout' });
  // The same through a SearchIndexBuilder fed page by page, as the sync feeds it between IndexedDB reads.
  const PAGE = 2_000;
  {
    const builder = new SearchIndexBuilder();
    let slowestPage = 0;
    started = performance.now();
    for (let i = 0; i < contacts.length; i += PAGE) {
      const pageStarted = performance.now();
      builder.add(contacts.slice(i, i + PAGE));
      slowestPage = Math.max(slowestPage, performance.now() - pageStarted);
    }
    const finishStarted = performance.now();
    builder.finish();
    const finishMs = performance.now() - finishStarted;
    results.push(
      { name: `build through SearchIndexBuilder, pages of ${PAGE.toLocaleString('en')}`, value: performance.now() - started, unit: 'ms', note: `add() per page: slowest ${slowestPage.toFixed(1)} ms` },
      { name: 'SearchIndexBuilder.finish() after the last page', value: finishMs, unit: 'ms', note: 'sort documents and terms, lay out postings' },
    );
  }

  // 2. Serialize and reload: the popup-open path (IndexedDB read ≈ structured-clone read).
  started = performance.now();
  let serialized: SerializedSearchIndex | null = index.serialize();
  const serializeMs = performance.now() - started;
  const cloned = v8.serialize(serialized);
  const stored = serialized;
  const arrays = Object.values(serialized).reduce<number>((sum, v) => sum + (ArrayBuffer.isView(v) ? v.byteLength : typeof v === 'string' ? v.length : 0), 0);
  index = null;
  serialized = null;
  results.push(
    { name: 'serialize()', value: serializeMs, unit: 'ms', note: 'already compact: returns the arrays' },
    { name: 'serialized size (structured clone)', value: cloned.byteLength / MiB, unit: 'MiB', note: `${(cloned.byteLength / USERS).toFixed(0)} B per contact` },
  );
  // Per document, a loaded index also keeps search scratch space: a tombstone byte, three Int32s (stamp,
  // recent mark, candidate list), a Uint16 of name bits and a Float64 last-use time.
  const scratch = 1 + 4 + 4 + 4 + 2 + 8;
  results.push(
    { name: 'index arrays and strings, per contact', value: arrays / USERS, unit: 'B', note: `${(arrays / MiB).toFixed(1)} MiB: terms, postings, ids, names, name keys` },
    { name: 'loaded index in memory, per contact', value: arrays / USERS + scratch, unit: 'B', note: `arrays + ${scratch} B of search scratch; the contacts themselves not included` },
  );
  // Loading what IndexedDB gives back. v8.deserialize is the reader Chromium's IndexedDB uses, but in Node
  // it returns typed arrays that are views into the input; the browser copies them (a memcpy of the size
  // above). structuredClone both writes and reads, so it is an upper bound.
  const median = (times: number[]): number => times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  const loads: number[] = [];
  const clones: number[] = [];
  const firstSearches: number[] = [];
  let loaded = SearchIndex.deserialize(stored);
  for (let i = 0; i < 7; i++) {
    started = performance.now();
    loaded = SearchIndex.deserialize(v8.deserialize(cloned) as SerializedSearchIndex);
    loads.push(performance.now() - started);
    started = performance.now();
    loaded.search('a');
    firstSearches.push(performance.now() - started);
  }
  for (let i = 0; i < 7; i++) {
    started = performance.now();
    loaded = SearchIndex.deserialize(structuredClone(stored));
    clones.push(performance.now() - started);
  }
  results.push(
    { name: 'load: v8.deserialize + SearchIndex.deserialize (median of 7)', value: median(loads), unit: 'ms', target: { op: '<=', value: 100 }, note: 'design: popup open → first results ≤ 100 ms (whole popup)' },
    { name: 'load: structuredClone + SearchIndex.deserialize (median of 7)', value: median(clones), unit: 'ms', target: { op: '<=', value: 100 }, note: 'upper bound: writes and reads a copy' },
    { name: 'first search on a freshly loaded index, "a" (median of 7)', value: median(firstSearches), unit: 'ms', target: { op: '<=', value: 16 } },
  );

  // A cold start: a new process (no compiled search code) reading the index file, then typing "marti".
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'peoplebook-search-')), 'index.bin');
  await writeFile(file, cloned);
  const colds: { load: number; keystrokes: number[] }[] = [];
  for (let i = 0; i < 5; i++) {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./search-cold-start.ts', import.meta.url)), file]);
    colds.push(JSON.parse(stdout) as { load: number; keystrokes: number[] });
  }
  await rm(path.dirname(file), { recursive: true, force: true });
  const coldLoad = median(colds.map((c) => c.load));
  const coldFirst = median(colds.map((c) => c.keystrokes[0]!));
  const coldWorst = median(colds.map((c) => Math.max(...c.keystrokes)));
  results.push(
    { name: 'cold process: read file + v8.deserialize + deserialize (median of 5)', value: coldLoad, unit: 'ms', target: { op: '<=', value: 100 } },
    { name: 'cold process: first keystroke "m" (median of 5)', value: coldFirst, unit: 'ms', target: { op: '<=', value: 16 }, note: 'search code not yet compiled by V8' },
    { name: 'cold process: slowest of "m" … "marti" (median of 5)', value: coldWorst, unit: 'ms', target: { op: '<=', value: 16 } },
  );

  // 3. Query latency by shape, on the loaded index. Queries are typed the way people type: folded, no accents.
  const next = mulberry32(7);
  const pick = (): Contact => contacts[Math.floor(next() * contacts.length)]!;
  const word = (text: string | null): string => fold(text ?? '').split(/[^\p{L}\p{N}]+/u).find((w) => w.length > 0) ?? 'a';
  const shapes: [string, () => string][] = [
    ['1 character', () => word(pick().givenName).slice(0, 1)],
    ['2 characters', () => word(pick().givenName).slice(0, 2)],
    ['3 characters', () => word(pick().surname).slice(0, 3)],
    ['4 characters', () => word(pick().surname).slice(0, 4)],
    ['2 words "given-3 family-2"', () => `${word(pick().givenName).slice(0, 3)} ${word(pick().surname).slice(0, 2)}`],
    ['2 words of one person "gi fam"', () => {
      const c = pick();
      return `${word(c.givenName).slice(0, 2)} ${word(c.surname).slice(0, 3)}`;
    }],
    ['phone digits (5–7)', () => {
      const c = pick();
      const phone = c.businessPhones[0] ?? c.mobilePhone ?? '+1 425 555 0100';
      return phone.replace(/\D/g, '').slice(0, 5 + Math.floor(next() * 3));
    }],
    ['department word "eng"/"sal"/…', () => word(pick().department).slice(0, 3)],
  ];
  for (const [shape, make] of shapes) {
    const queries = Array.from({ length: 1_000 }, make);
    const { p50, p95, max, hits } = timeQueries(loaded, queries);
    results.push(
      { name: `search p50, ${shape}`, value: p50, unit: 'ms' },
      { name: `search p95, ${shape}`, value: p95, unit: 'ms', target: { op: '<=', value: 16 }, note: `max ${max.toFixed(2)} ms, ${Math.round(hits).toLocaleString('en')} matches on average; aim ≤ 3 ms` },
    );
  }
  // Recency ranking costs one lookup per recent colleague.
  const recent = new Map(Array.from({ length: 200 }, (_, i) => [pick().id, 1_000 + i] as const));
  const recentQueries = Array.from({ length: 1_000 }, () => word(pick().givenName).slice(0, 2));
  {
    for (const q of recentQueries.slice(0, 50)) loaded.search(q, { recent });
    const times: number[] = [];
    for (const q of recentQueries) {
      started = performance.now();
      loaded.search(q, { recent });
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    results.push({ name: 'search p95, 2 characters with 200 recent colleagues', value: percentile(times, 95), unit: 'ms', target: { op: '<=', value: 16 } });
  }

  // 4. Incremental changes on the loaded index (what a sync page does while the popup is open).
  const changes = 1_000;
  started = performance.now();
  for (let i = 0; i < changes; i++) {
    const contact = contacts[(i * 7_919) % USERS]!;
    loaded.update({ ...contact, jobTitle: `Changed ${i}` });
  }
  results.push({ name: 'update one contact (mean of 1,000)', value: ((performance.now() - started) * 1000) / changes, unit: 'µs', note: 'delta; no compaction below 12,500 changes' });
  started = performance.now();
  for (let i = 0; i < changes; i++) loaded.remove(contacts[(i * 104_729 + 1) % USERS]!.id);
  results.push({ name: 'remove one contact (mean of 1,000)', value: ((performance.now() - started) * 1000) / changes, unit: 'µs' });
  const afterChanges = timeQueries(loaded, Array.from({ length: 1_000 }, () => word(pick().givenName).slice(0, 2)));
  results.push({ name: 'search p95, 2 characters, with 2,000 pending changes', value: afterChanges.p95, unit: 'ms', target: { op: '<=', value: 16 } });
  started = performance.now();
  loaded.compact();
  results.push({ name: 'compact (merge 2,000 changes into 100,000)', value: performance.now() - started, unit: 'ms' });

  results.push({ name: 'peak RSS', value: await peakRssMiB(), unit: 'MiB' });
  return results;
};

export default bench;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await bench()) {
    const target = r.target ? `  (target ${r.target.op} ${r.target.value} ${r.unit})` : '';
    console.log(`${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(10)} ${r.unit}${target}${r.note ? `  ${r.note}` : ''}`);
  }
}
