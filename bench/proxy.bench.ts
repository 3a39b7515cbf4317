import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startEmulator } from '../emulator/src/server.ts';
import { peakRssMiB, type Bench, type BenchResult } from './types.ts';

/**
 * The proxy against the emulator with 100,000 users, the proxy in its own process as in production:
 * first sync time, proxy work per Graph page (from its own /metrics, Graph time excluded), the no-change
 * poll's size on the wire and its throughput on one proxy process (autocannon, keep-alive), and the full
 * download an extension's first sync makes.
 */
const USERS = Number(process.env.BENCH_PROXY_USERS ?? 100_000);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function rawGet(url: string, headers: Record<string, string>): Promise<{ bytes: number; body: string; status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ bytes: request.socket?.bytesRead ?? 0, body: Buffer.concat(chunks).toString(), status: response.statusCode ?? 0 }));
    });
    request.on('error', reject);
  });
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);

const bench: Bench = async () => {
  const emulator = await startEmulator({ users: USERS, adminConsent: true, graph: { throttling: false } });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-bench-proxy-'));
  const port = 18000 + Math.floor(Math.random() * 2000);
  const proxy = spawn(process.execPath, [path.join(root, 'bin/peoplebook-proxy.js'), 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: `file:${path.join(dir, 'peoplebook.db')}`,
      PEOPLEBOOK_KEY_FILE: path.join(dir, 'secret.key'),
      PEOPLEBOOK_CLOUD: 'custom',
      PEOPLEBOOK_AUTHORITY_HOST: emulator.url,
      PEOPLEBOOK_GRAPH_URL: emulator.graphUrl,
      PEOPLEBOOK_TENANT_ID: emulator.tenantId,
      PEOPLEBOOK_CLIENT_ID: emulator.clientId,
      PEOPLEBOOK_CLIENT_SECRET: emulator.clientSecret,
      PEOPLEBOOK_GRAPH_AUTH: 'application',
      // The bench's one user polls far faster than any real extension: lift the per-user limit.
      PEOPLEBOOK_RATE_LIMIT: '1000000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const results: BenchResult[] = [];
  try {
    // First sync: the scheduler starts it as soon as the proxy is up.
    const started = performance.now();
    let status: { usersMirrored: number; lastSync: { start: string | null; end: string | null; outcome: string | null } } | undefined;
    for (;;) {
      status = await fetch(`${base}/api/v1/tenants/${emulator.tenantId}/status`).then((r) => (r.ok ? r.json() : undefined), () => undefined);
      if (status?.lastSync.outcome === 'ok') break;
      if (proxy.exitCode !== null) throw new Error('the proxy exited');
      if (performance.now() - started > 600_000) throw new Error('the first sync did not finish in 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const syncMs = Date.parse(status.lastSync.end!) - Date.parse(status.lastSync.start!);
    results.push({ name: `first sync of ${USERS.toLocaleString('en')} users, Graph (emulator) → proxy mirror`, value: syncMs / 1000, unit: 's', note: `${status.usersMirrored.toLocaleString('en')} mirrored (disabled and guests left out)` });

    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    const pageSum = metric(metrics, 'peoplebook_sync_page_commit_seconds_sum');
    const pages = metric(metrics, 'peoplebook_sync_page_commit_seconds_count');
    const perUser = (pageSum * 1000) / USERS;
    results.push({ name: 'proxy work per Graph page of 999 users (mapping + store commit)', value: perUser * 999, unit: 'ms', target: { op: '<=', value: 10 }, note: `${pages} pages of ~${Math.round(USERS / pages)} users, scaled to 999` });

    const user = emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
    const token = await emulator.state.tokens.idToken({ subject: { tenantId: emulator.tenantId, user }, clientId: emulator.clientId, scopes: ['openid', 'profile'], authTime: Math.floor(Date.now() / 1000) });
    const headers = { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip, deflate, br' };

    // An extension's first download, 5,000 contacts a page, compressed.
    let cursor = '0';
    let wire = 0;
    let contacts = 0;
    const download = performance.now();
    for (;;) {
      const page = await rawGet(`${base}/api/v1/directory/changes?since=${cursor}&limit=5000`, { ...headers, 'accept-encoding': 'identity' });
      const body = JSON.parse(page.body) as { cursor: string; more: boolean; upserts: unknown[] };
      contacts += body.upserts.length;
      wire += page.bytes;
      cursor = body.cursor;
      if (!body.more) break;
    }
    results.push({ name: 'changes feed: full download for a new extension (5,000 a page)', value: performance.now() - download, unit: 'ms', note: `${contacts.toLocaleString('en')} contacts, ${(wire / 2 ** 20).toFixed(1)} MiB uncompressed` });

    const poll = await rawGet(`${base}/api/v1/directory/changes?since=${cursor}`, headers);
    results.push({ name: 'no-change poll on the wire (status line + headers + body)', value: poll.bytes, unit: 'B', target: { op: '<=', value: 1024 } });

    const load = await autocannon({ url: `${base}/api/v1/directory/changes?since=${cursor}`, headers, connections: 10, duration: 5 });
    results.push({ name: 'no-change polls per second, one proxy process (10 connections)', value: load.requests.average, unit: 'req/s', target: { op: '>=', value: 1000 }, note: `p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, ${load.non2xx} non-2xx` });
    results.push({ name: 'bench process peak RSS (emulator + load tool)', value: await peakRssMiB(), unit: 'MiB' });
  } finally {
    proxy.kill('SIGTERM');
    await new Promise((resolve) => proxy.once('exit', resolve));
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
};

export default bench;
