import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchResult } from './types.ts';

/**
 * `npm run bench [-- --json] [-- name…]`: runs every bench/*.bench.ts (or those whose file name contains
 * one of the names) in its own child process, so one bench's memory peak doesn't colour another's,
 * and prints a table, or JSON with --json.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const child = args.indexOf('--child');

if (child !== -1) {
  const file = args[child + 1]!;
  const module = (await import(path.join(here, file))) as { default: Bench };
  const results = await module.default();
  process.stdout.write(`\u0000RESULTS${JSON.stringify(results)}\n`);
  process.exit(0);
}

const { spawn } = await import('node:child_process');
const filters = args.filter((a) => !a.startsWith('--'));
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts') && (filters.length === 0 || filters.some((n) => f.includes(n)))).sort();
// Benches call the emulator over HTTPS (directly or through a proxy) and need its CA trusted; Node reads
// NODE_EXTRA_CA_CERTS (one PEM file) only when a process starts: make sure the CA exists in the
// emulator's default state dir (as emulator/src/server.ts DEFAULT_STATE_DIR) and hand the bench
// processes a NODE_EXTRA_CA_CERTS that includes it: the CA file itself, or, when the variable is
// already set, a temporary bundle of that file plus the CA, so nothing trusted before is lost.
const childEnv = { ...process.env };
let bundleDir: string | undefined;
{
  const [os, fs] = [await import('node:os'), await import('node:fs/promises')];
  const { loadTlsMaterial } = await import('../emulator/src/tls.ts');
  const stateDir = process.env.PEOPLEBOOK_EMULATOR_DIR ?? path.join(os.homedir(), '.peoplebook', 'emulator');
  const { caCertPath } = await loadTlsMaterial(stateDir);
  const ca = await fs.readFile(caCertPath, 'utf8');
  const extra = childEnv.NODE_EXTRA_CA_CERTS ? await fs.readFile(childEnv.NODE_EXTRA_CA_CERTS, 'utf8').catch(() => '') : '';
  if (!extra) {
    childEnv.NODE_EXTRA_CA_CERTS = caCertPath;
  } else if (!extra.includes(ca.trim())) {
    bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'peoplebook-bench-'));
    const bundle = path.join(bundleDir, 'ca-bundle.pem');
    await fs.writeFile(bundle, `${extra.trimEnd()}\n${ca}`);
    childEnv.NODE_EXTRA_CA_CERTS = bundle;
  }
}
const all: (BenchResult & { bench: string })[] = [];
let failed = false;
for (const file of files) {
  const output = await new Promise<string>((resolve) => {
    const proc = spawn(process.execPath, [path.join(here, '..', 'bin', 'peoplebook-bench.js'), '--child', file], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: childEnv,
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('close', (code) => {
      if (code !== 0) failed = true;
      resolve(out);
    });
  });
  const line = output.split('\n').find((l) => l.startsWith('\u0000RESULTS'));
  if (!line) {
    failed = true;
    process.stderr.write(`bench ${file} printed no results\n`);
    continue;
  }
  for (const result of JSON.parse(line.slice(8)) as BenchResult[]) all.push({ bench: file.replace('.bench.ts', ''), ...result });
}

if (bundleDir) await (await import('node:fs/promises')).rm(bundleDir, { recursive: true, force: true });

const meets = (r: BenchResult) => (r.target ? (r.target.op === '<=' ? r.value <= r.target.value : r.value >= r.target.value) : undefined);
if (json) {
  process.stdout.write(`${JSON.stringify(all.map((r) => ({ ...r, meetsTarget: meets(r) })), null, 2)}\n`);
} else {
  const rows = all.map((r) => [r.bench, r.name, `${Number(r.value.toFixed(2)).toLocaleString('en')} ${r.unit}`, r.target ? `${r.target.op} ${r.target.value.toLocaleString('en')} ${r.unit}` : '', meets(r) === undefined ? '' : meets(r) ? 'yes' : 'NO', r.note ?? '']);
  const header = ['bench', 'measure', 'value', 'target', 'meets', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(format).join('\n')}\n`);
}
process.exit(failed ? 1 : 0);
