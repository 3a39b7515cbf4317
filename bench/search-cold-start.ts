import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { SearchIndex, type SerializedSearchIndex } from '../shared/search-index.ts';

/**
 * Child of bench/search.bench.ts: a fresh process, like a popup that just opened, with none of the
 * search code compiled yet. Loads the serialized index from the file named in argv[2], answers the first
 * keystrokes of a name, and prints the timings as one JSON line.
 */
const started = performance.now();
const index = SearchIndex.deserialize(v8.deserialize(readFileSync(process.argv[2]!)) as SerializedSearchIndex);
const load = performance.now() - started;
const keystrokes: number[] = [];
for (const query of ['m', 'ma', 'mar', 'mart', 'marti']) {
  const start = performance.now();
  index.search(query);
  keystrokes.push(performance.now() - start);
}
process.stdout.write(`${JSON.stringify({ load, keystrokes })}\n`);
