import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchResult } from './types.ts';

/**
 * A full first sync of a 500,000-user tenant through the emulator's `/users/delta`, the way the proxy
 * does it: the real CLI in its own process, an app token by client credentials, then
 * `GET /users/delta?$select=…` with `Prefer: odata.maxpagesize=999`, following `@odata.nextLink` until
 * the `@odata.deltaLink` (https://learn.microsoft.com/graph/delta-query-overview).
 *
 * Trust: the emulator serves HTTPS with its own CA, and fetch trusts it only through
 * NODE_EXTRA_CA_CERTS, read when a process starts. `npm run bench` sets it for this bench's process
 * (bench/run.ts); run alone with
 *   NODE_EXTRA_CA_CERTS=~/.peoplebook/emulator/ca.pem npx tsx bench/emulator-delta.bench.ts
 */

const USERS = 500_000;
const SELECT = 'id,displayName,mail,jobTitle,businessPhones,manager';
const here = path.dirname(fileURLToPath(import.meta.url));
/** The emulator's default state dir (emulator/src/server.ts DEFAULT_STATE_DIR), where its CA lives. */
const stateDir = process.env.PEOPLEBOOK_EMULATOR_DIR ?? path.join(os.homedir(), '.peoplebook', 'emulator');

interface Ready {
  url: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  caCertPath: string;
}

interface DeltaPage {
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
  value: { id?: unknown }[];
}

/** VmHWM (peak) and VmRSS (now) of a process, in MiB (Linux). */
async function memoryOf(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]) / 1024;
  };
  return { peak: field('VmHWM'), now: field('VmRSS') };
}

/** Starts the CLI and resolves with its JSON ready line. */
function startEmulator(): { child: ChildProcess; ready: Promise<Ready> } {
  const args = ['--port', '0', '--users', String(USERS), '--seed', '1', '--admin-consent', '--no-throttling', '--state-dir', stateDir];
  const child = spawn(process.execPath, [path.join(here, '..', 'bin', 'peoplebook-emulator.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<Ready>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      try {
        resolve(JSON.parse(line) as Ready);
      } catch {
        reject(new Error(`the emulator printed "${line}" instead of its JSON ready line`));
      }
    });
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
  });
  return { child, ready };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** An app-only Graph token by client credentials (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow). */
async function appToken(ready: Ready): Promise<string> {
  const response = await fetch(`${ready.url}/${ready.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'https://graph.microsoft.com/.default',
      client_id: ready.clientId,
      client_secret: ready.clientSecret,
    }),
  });
  const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) throw new Error(`token request failed: ${response.status} ${body.error ?? ''} ${body.error_description ?? ''}`);
  return body.access_token;
}

const bench: Bench = async () => {
  const trusted = process.env.NODE_EXTRA_CA_CERTS;
  const started = performance.now();
  const { child, ready: readyLine } = startEmulator();
  try {
    const ready = await readyLine;
    const startupMs = performance.now() - started;
    const ca = (await readFile(ready.caCertPath, 'utf8')).trim();
    const extra = trusted ? await readFile(trusted, 'utf8').catch(() => '') : '';
    if (!extra.includes(ca)) {
      throw new Error(`NODE_EXTRA_CA_CERTS (${trusted ?? 'unset'}) must include ${ready.caCertPath} when this process starts; npm run bench sees to it`);
    }
    const tokenStarted = performance.now();
    const token = await appToken(ready);
    const tokenMs = performance.now() - tokenStarted;

    const headers = { authorization: `Bearer ${token}`, prefer: 'odata.maxpagesize=999' };
    const ids = new Set<string>();
    let next: string | undefined = `${ready.graphUrl}/users/delta?$select=${SELECT}`;
    let pages = 0;
    let entries = 0;
    let bytes = 0;
    let firstPageMs = 0;
    let deltaLink: string | undefined;
    const syncStarted = performance.now();
    while (next) {
      const response = await fetch(next, { headers });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`page ${pages + 1}: ${response.status} ${text.slice(0, 300)}`);
      const page = JSON.parse(text) as DeltaPage;
      bytes += Buffer.byteLength(text);
      pages += 1;
      if (pages === 1) firstPageMs = performance.now() - syncStarted;
      for (const entry of page.value) {
        entries += 1;
        if (typeof entry.id === 'string') ids.add(entry.id);
      }
      deltaLink = page['@odata.deltaLink'];
      next = page['@odata.nextLink'];
    }
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    if (!deltaLink) throw new Error('the round ended without a deltaLink');
    // Every user exactly once (the emulator repeats a page's last entry on the next page, "Replays").
    if (ids.size !== USERS) throw new Error(`saw ${ids.size.toLocaleString('en')} distinct users, expected ${USERS.toLocaleString('en')}`);

    const memory = await memoryOf(child.pid!);
    const results: BenchResult[] = [
      { name: 'emulator start (spawn to ready line)', value: startupMs, unit: 'ms' },
      { name: 'app token (client credentials)', value: tokenMs, unit: 'ms' },
      { name: 'first delta page (999 users)', value: firstPageMs, unit: 'ms' },
      { name: `full delta round, ${USERS.toLocaleString('en')} users`, value: syncSeconds, unit: 's' },
      { name: 'users per second', value: ids.size / syncSeconds, unit: 'users/s' },
      { name: 'pages to the deltaLink', value: pages, unit: 'pages', note: `${entries.toLocaleString('en')} entries incl. replays and empty pages` },
      { name: 'distinct users seen', value: ids.size, unit: 'users', note: 'checked: equals the directory size' },
      { name: 'response bytes', value: bytes / 2 ** 20, unit: 'MiB' },
      { name: 'emulator peak RSS (VmHWM)', value: memory.peak, unit: 'MiB' },
      { name: 'emulator RSS at the end (VmRSS)', value: memory.now, unit: 'MiB' },
    ];
    return results;
  } finally {
    await stop(child);
  }
};

export default bench;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await bench()) {
    console.log(`${r.name.padEnd(44)} ${r.value.toFixed(2).padStart(12)} ${r.unit}${r.note ? `  ${r.note}` : ''}`);
  }
}
