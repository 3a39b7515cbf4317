import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import type { DirectoryUser } from '../emulator/src/directory/types.ts';
import { mulberry32 } from '../emulator/src/directory/prng.ts';
import type { Emulator } from '../emulator/src/server.ts';
import { fold } from '../shared/normalize.ts';
import { control, startTestEmulator } from '../tests/helpers/emulator.ts';
import { buildExtension, chromiumRedirectUri, completeSignIn, emulatorSettings, launchExtension, registerSpaRedirect, writeSettings, type Envelope, type ExtensionSession } from '../tests/helpers/extension.ts';
import { expectedMirrorSize, tenantStatus, type TenantStatus } from '../tests/helpers/onboarding.ts';
import { envTenant, startTestProxy, type TestProxy } from '../tests/helpers/proxy.ts';
import type { Bench, BenchResult } from './types.ts';

/**
 * The extension in real Chromium (Debian's, headless) with 100,000 colleagues: emulator → proxy (tenant
 * from the environment, application permission) → the extension's background sync → IndexedDB, then the
 * popup. The figures the design's targets are about (../shared/design.md):
 *
 * - first sync proxy → IndexedDB: `sync/now` from an extension page, signed in, into an empty store, until
 *   it answers with the count (pages written, search index built and saved). The sign-in's own sync is
 *   sent to a closed port first so that this round is the first to fill the store.
 * - IndexedDB on disk: the profile's IndexedDB folders of the extension's origin (LevelDB + blobs).
 * - popup open → first results: popup.html opened in a tab (headless Chromium has no toolbar to click).
 *   A script injected before the page's own types a query into the search box the moment it exists, as
 *   a quick typist would; the time is from navigation start (performance.now() = 0) to the first result
 *   row in the DOM. The first open after the sync is reported apart: it is the only cold one. The note
 *   says when the `byNameKey` range (the quick answer) and the search index were read.
 * - Chromium's browser process CPU during the first sync (Linux /proc): IndexedDB's work happens there,
 *   so it is what bounds the sync.
 * - keystroke → rendered results: in an open popup, realistic queries typed one character at a time
 *   (an `input` event each, as typing sends); from the event to the results in the DOM with style and
 *   layout done (forced), measured in the page with performance.now(). "To the next frame" adds the wait
 *   for the next animation frame (vsync-aligned, so it includes up to a frame of waiting).
 * - bundle sizes of the Chrome build: the JS each page loads (its HTML's module script and everything it
 *   imports statically), raw and gzipped; for the popup also what it imports lazily after its first render.
 *
 * Run alone: `npm run bench -- extension-chromium`. Takes a minute or two.
 */

const USERS = 100_000;
const OPEN_TRIALS = 12;
const KiB = 1024;
const MiB = 2 ** 20;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};

interface SyncStatus {
  lastSyncAt: number | null;
  syncing: boolean;
  error: { code: string; message: string } | null;
  count: number;
}

// ---- Bundle sizes

/** Relative module specifiers a built chunk imports statically (`import … from"./x.js"`, `import"./x.js"`). */
function staticImports(code: string): string[] {
  const found = new Set<string>();
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*)["'`](\.{1,2}\/[^"'`]+\.js|\/[^"'`]+\.js)["'`]/g)) found.add(match[1]!);
  return [...found];
}

/** Every JS file a page of the build loads before it runs: its module scripts and their static imports. */
async function pageScripts(outDir: string, html: string): Promise<string[]> {
  const text = await readFile(path.join(outDir, html), 'utf8');
  const queue = [...text.matchAll(/<script[^>]*\bsrc="([^"]+\.js)"|<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)].map((m) => path.join(outDir, m[1] ?? m[2]!));
  const seen = new Set<string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = await readFile(file, 'utf8');
    for (const specifier of staticImports(code)) queue.push(specifier.startsWith('/') ? path.join(outDir, specifier) : path.resolve(path.dirname(file), specifier));
  }
  return [...seen].sort();
}

/**
 * The JS files the pages' dynamic imports load (the bundler lists them in each chunk's `__vite__mapDeps`
 * table), without those already in `loaded`.
 */
async function lazyScripts(outDir: string, loaded: readonly string[]): Promise<string[]> {
  const lazy = new Set<string>();
  for (const file of loaded) {
    const table = /m\.f=\[([^\]]*)\]/.exec(await readFile(file, 'utf8'))?.[1] ?? '';
    for (const match of table.matchAll(/"([^"]+\.js)"/g)) {
      const target = path.join(outDir, match[1]!);
      if (!loaded.includes(target)) lazy.add(target);
    }
  }
  return [...lazy].sort();
}

async function bundleResults(outDir: string): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const measure = async (name: string, files: string[]) => {
    const contents = await Promise.all(files.map((file) => readFile(file)));
    const raw = contents.reduce((sum, bytes) => sum + bytes.byteLength, 0);
    // Gzipped one file at a time, as a server or store would.
    const gzipped = contents.reduce((sum, bytes) => sum + gzipSync(bytes, { level: 9 }).byteLength, 0);
    const list = files.map((file) => path.relative(outDir, file)).join(', ');
    results.push({ name: `${name} bundle (minified)`, value: raw / KiB, unit: 'KiB', note: list }, { name: `${name} bundle (minified + gzipped)`, value: gzipped / KiB, unit: 'KiB' });
  };
  const popupFirst = await pageScripts(outDir, 'popup.html');
  await measure('popup JS', popupFirst);
  await measure('popup JS, imported after the first render:', await lazyScripts(outDir, popupFirst));
  await measure('background JS', [path.join(outDir, 'background.js'), ...(await Promise.all(staticImports(await readFile(path.join(outDir, 'background.js'), 'utf8')).map((s) => path.resolve(outDir, s))))]);
  await measure('offscreen JS', await pageScripts(outDir, 'offscreen.html'));
  return results;
}

// ---- IndexedDB on disk

async function folderBytes(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(target)) total += await folderBytes(path.join(target, entry));
  return total;
}

async function indexedDbBytes(profile: string, id: string): Promise<{ bytes: number; folders: string[] }> {
  const base = path.join(profile, 'Default', 'IndexedDB');
  const folders = (await readdir(base).catch(() => [] as string[])).filter((name) => name.startsWith(`chrome-extension_${id}_`));
  let bytes = 0;
  for (const folder of folders) bytes += await folderBytes(path.join(base, folder));
  return { bytes, folders };
}

// ---- Popup measurements (run in the page)

/**
 * Injected before popup.html's own script: types `query` into the search box as soon as the popup has
 * built it, and notes when the first result row is in the DOM and when the frame after it starts.
 */
function typeOnOpen(query: string): void {
  const w = window as unknown as { __typedAt?: number; __firstRowAt?: number; __frameAt?: number; __indexRead?: [number, number]; __rangeRead?: [number, number] };
  // Times the quick answer's read (lib/directory-search.ts nameKeyRange: a range of the byNameKey index).
  const getAll = IDBIndex.prototype.getAll;
  IDBIndex.prototype.getAll = function (this: IDBIndex, ...args: Parameters<IDBIndex['getAll']>) {
    const request = getAll.apply(this, args);
    if (this.name === 'byNameKey' && !w.__rangeRead) {
      const start = performance.now();
      request.addEventListener('success', () => (w.__rangeRead = [start, performance.now()]));
    }
    return request;
  };
  // Times the read of the persisted search index (lib/directory-search.ts readOpen: the searchIndex store).
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = transaction.apply(this, args);
    if (tx.mode === 'readonly' && [...tx.objectStoreNames].includes('searchIndex') && [...tx.objectStoreNames].includes('meta') && !w.__indexRead) {
      const start = performance.now();
      tx.addEventListener('complete', () => (w.__indexRead = [start, performance.now()]));
    }
    return tx;
  };
  const observer = new MutationObserver(() => {
    const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]');
    if (input && w.__typedAt === undefined) {
      w.__typedAt = performance.now();
      input.value = query;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    }
    if (w.__typedAt !== undefined && w.__firstRowAt === undefined && document.querySelector('[data-testid="result-row"]')) {
      w.__firstRowAt = performance.now();
      observer.disconnect();
      requestAnimationFrame(() => (w.__frameAt = performance.now()));
    }
  });
  observer.observe(document, { childList: true, subtree: true });
}

interface KeystrokeTiming {
  query: string;
  results: number;
  /** Event → results in the DOM, style and layout done. */
  renderedMs: number;
  /** Event → the next animation frame after that. */
  frameMs: number;
  /** Of `renderedMs`, spent in IndexedDB transactions over `contacts` (reading the matches by id). */
  idbMs: number;
}

/** Types each query one character at a time into the open popup and times every keystroke. */
function typeQueries(queries: string[]): Promise<KeystrokeTiming[]> {
  const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]')!;
  const count = document.querySelector('[data-testid="result-count"]')!;
  const listView = document.querySelector<HTMLElement>('[data-testid="list-view"]')!;
  let waiting: { query: string; resolve: () => void } | null = null;
  // The result count is the last thing a search writes; a search whose query has left the box never renders.
  new MutationObserver(() => {
    if (waiting && input.value.trim() === waiting.query) waiting.resolve();
  }).observe(count, { childList: true, characterData: true, subtree: true });
  // Times every read transaction over `contacts` (lib/db.ts getContacts: the matches by id).
  const spans: [number, number][] = [];
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = transaction.apply(this, args);
    if ([...tx.objectStoreNames].includes('chunks') && tx.mode === 'readonly') {
      const span: [number, number] = [performance.now(), Number.NaN];
      spans.push(span);
      tx.addEventListener('complete', () => (span[1] = performance.now()));
    }
    return tx;
  };
  const idbBetween = (from: number, to: number) => spans.filter(([a, b]) => a >= from && b <= to).reduce((sum, [a, b]) => sum + (b - a), 0);
  const nextFrame = () => new Promise<number>((resolve) => requestAnimationFrame(() => resolve(performance.now())));
  const type = (text: string) =>
    new Promise<void>((resolve) => {
      waiting = { query: text.trim(), resolve };
      input.value = text;
      input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: text.slice(-1) }));
    });
  return (async () => {
    const timings: KeystrokeTiming[] = [];
    for (const query of queries) {
      // Clear (not timed), then let the recent list settle.
      input.value = '';
      input.dispatchEvent(new Event('input', { bubbles: true }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      for (let length = 1; length <= query.length; length++) {
        const text = query.slice(0, length);
        if (text.trim() === '' || text.endsWith(' ')) continue; // a trailing space searches the same words
        await nextFrame();
        const start = performance.now();
        await type(text);
        void listView.getBoundingClientRect(); // style and layout of what the search rendered
        const rendered = performance.now();
        const frame = await nextFrame();
        timings.push({ query: text, results: document.querySelectorAll('[data-testid="result-row"]').length, renderedMs: rendered - start, frameMs: frame - start, idbMs: idbBetween(start, rendered) });
      }
    }
    return timings;
  })();
}

/** Realistic queries from the directory: names, a department, an email, a job title, phone digits. */
function pickQueries(emulator: Emulator): string[] {
  const directory = emulator.state.registry.get(emulator.tenantId)!.directory;
  const random = mulberry32(2024);
  const someone = (test: (user: DirectoryUser) => boolean): DirectoryUser => {
    for (;;) {
      const user = directory.atPosition(Math.floor(random() * USERS))!;
      if (user.accountEnabled && user.userType === 'Member' && test(user)) return user;
    }
  };
  const plain = (text: string) => fold(text).toLowerCase();
  const a = someone((u) => Boolean(u.givenName && u.surname));
  const b = someone((u) => Boolean(u.surname));
  const c = someone((u) => Boolean(u.givenName && u.surname));
  const d = someone((u) => Boolean(u.department));
  const e = someone((u) => Boolean(u.mail));
  const f = someone((u) => Boolean(u.jobTitle));
  const g = someone((u) => (u.businessPhones[0] ?? u.mobilePhone ?? '').replace(/\D/g, '').length >= 4);
  return [
    `${plain(a.givenName!)} ${plain(a.surname!)}`,
    plain(b.surname!),
    `${plain(c.givenName!).slice(0, 3)} ${plain(c.surname!).slice(0, 4)}`,
    plain(d.department!.split(/\s+/)[0]!),
    e.mail!.split('@')[0]!.toLowerCase().slice(0, 10),
    plain(f.jobTitle!.split(/\s+/)[0]!),
    (g.businessPhones[0] ?? g.mobilePhone ?? '').replace(/\D/g, '').slice(-4),
  ];
}

/**
 * Evaluated in the background service worker before the sync (a string: the worker has none of tsx's
 * helpers): sums the time of its fetches to the changes feed and of its readwrite transactions.
 */
const SPANS_IN_WORKER = `(() => {
  const spans = (globalThis.__spans = { fetch: 0, fetches: 0, write: 0, writes: 0, index: 0 });
  const indexWrites = new WeakSet();
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (value, key) {
    if (this.name === 'searchIndex') indexWrites.add(this.transaction);
    return put.call(this, value, key);
  };
  const fetch = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.includes('/directory/changes')) return fetch.call(this, input, init);
    const start = performance.now();
    try {
      return await fetch.call(this, input, init);
    } finally {
      spans.fetch += performance.now() - start;
      spans.fetches++;
    }
  };
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (...args) {
    const tx = transaction.apply(this, args);
    if (tx.mode === 'readwrite') {
      const start = performance.now();
      const end = () => {
        if (indexWrites.has(tx)) spans.index += performance.now() - start;
        else {
          spans.write += performance.now() - start;
          spans.writes++;
        }
      };
      tx.addEventListener('complete', end);
      tx.addEventListener('abort', end);
    }
    return tx;
  };
})()`;

// ---- CPU of the browser process

/** User + system CPU seconds of the Chromium browser process using `profile` (Linux /proc), or null. */
async function browserProcessCpu(profile: string): Promise<number | null> {
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids.filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (!args.some((arg) => arg === `--user-data-dir=${profile}`) || args.some((arg) => arg.startsWith('--type='))) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return null;
}

// ---- The run

async function waitForMirror(proxyUrl: string, tenantId: string, timeoutMs: number): Promise<TenantStatus> {
  const deadline = Date.now() + timeoutMs;
  // Once a second: the status route allows 120 requests a minute per address.
  for (;;) {
    const status = await tenantStatus(proxyUrl, tenantId);
    if (status.state === 'active' && !status.syncing && status.lastSync.outcome === 'ok' && status.usersMirrored > 0) return status;
    if (Date.now() > deadline) throw new Error(`the proxy did not finish its first sync within ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const bench: Bench = async () => {
  const results: BenchResult[] = [];
  let emulator: Emulator | undefined;
  let proxy: TestProxy | undefined;
  let ext: ExtensionSession | undefined;
  try {
    const extensionDir = await buildExtension();
    results.push(...(await bundleResults(extensionDir)));

    emulator = await startTestEmulator({ users: USERS, adminConsent: true });
    await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { delegated: ['openid', 'profile', 'email', 'offline_access', 'User.Read'], application: ['User.Read.All'] });
    const mirrorStarted = performance.now();
    proxy = await startTestProxy(emulator, envTenant(emulator));
    ext = await launchExtension({ spki: emulator.spki, extensionDir, grantedOrigins: ['http://127.0.0.1/*', 'https://localhost/*'] });
    await registerSpaRedirect(emulator, chromiumRedirectUri(ext.id));
    const mirror = await waitForMirror(proxy.url, emulator.tenantId, 180_000);
    const expected = expectedMirrorSize(emulator);
    if (mirror.usersMirrored !== expected) throw new Error(`the proxy mirrored ${mirror.usersMirrored} users, expected ${expected}`);
    const mirrorSeconds = (performance.now() - mirrorStarted) / 1000;

    // Sign in with the proxy out of reach, so the sync sign-in starts fails at once and leaves the store empty.
    await writeSettings(ext, emulatorSettings(emulator, 'http://127.0.0.1:9'));
    const signInWindow = ext.context.waitForEvent('page', { timeout: 15_000 });
    const signIn = ext.send({ type: 'auth/sign-in' });
    await completeSignIn(await signInWindow, { username: emulator.employeeUpn, password: emulator.password });
    value(await signIn);
    const failed = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    if (failed.count !== 0 || failed.error?.code !== 'proxy_unreachable') throw new Error(`expected an empty store after an unreachable proxy, got ${JSON.stringify(failed)}`);
    await writeSettings(ext, emulatorSettings(emulator, proxy.url));

    // 1. First sync, proxy → IndexedDB. The service worker's fetches and write transactions are timed in it.
    await ext.serviceWorker.evaluate(SPANS_IN_WORKER);
    const cpuBefore = await browserProcessCpu(ext.profile);
    const syncStarted = performance.now();
    const synced = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    const syncSeconds = (performance.now() - syncStarted) / 1000;
    const cpuAfter = await browserProcessCpu(ext.profile);
    const spans = (await ext.serviceWorker.evaluate('globalThis.__spans')) as { fetch: number; fetches: number; write: number; writes: number; index: number };
    if (synced.error || synced.count !== expected) throw new Error(`the extension synced ${synced.count} contacts (expected ${expected}): ${JSON.stringify(synced.error)}`);
    results.push({
      name: `first sync of ${USERS.toLocaleString('en')} contacts, proxy → IndexedDB (Chromium)`,
      value: syncSeconds,
      unit: 's',
      target: { op: '<=', value: 10 },
      note: `sync/now round trip into an empty store, signed in: feed pages of 2,000, one transaction each, then the search index built and saved; ${synced.count.toLocaleString('en')} contacts (the proxy's own first sync took ${mirrorSeconds.toFixed(1)} s, not counted)`,
    });
    results.push(
      { name: 'first sync: of which feed requests (fetch → response headers)', value: spans.fetch / 1000, unit: 's', note: `${spans.fetches} requests to the changes feed` },
      { name: 'first sync: of which page transactions (queue → commit)', value: spans.write / 1000, unit: 's', note: `${spans.writes} readwrite transactions: the feed's pages, and meta` },
      { name: 'first sync: of which saving the search index (one transaction)', value: spans.index / 1000, unit: 's', note: 'the rest of the round: reading and validating the JSON, building and serializing the index' },
    );
    if (cpuBefore !== null && cpuAfter !== null) {
      results.push({ name: 'first sync: CPU of Chromium\'s browser process (where IndexedDB writes)', value: cpuAfter - cpuBefore, unit: 's', note: 'user + system time over the round (Linux /proc); the pages and the index go through it' });
    }

    // 2. Size on disk.
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let LevelDB settle its log after the last write
    const disk = await indexedDbBytes(ext.profile, ext.id);
    const estimate = await ext.evaluate(() => navigator.storage.estimate().then((e) => e.usage ?? 0));
    results.push(
      { name: 'IndexedDB on disk (profile folder of the extension origin)', value: disk.bytes / MiB, unit: 'MiB', note: `${(disk.bytes / synced.count).toFixed(0)} B per contact incl. the persisted search index; ${disk.folders.join(', ')}` },
      { name: 'storage used by the extension origin (navigator.storage.estimate)', value: estimate / MiB, unit: 'MiB' },
    );

    // 3. Popup open → first results.
    const queries = pickQueries(emulator);
    const openQueries = ['mar', 'jo', 'an', 'ste', 'li', 'pa', 'da', 'ch', 'el', 'ro', 'sa', 'ka', 'mi'];
    const opens: { firstRowAt: number; frameAt: number; typedAt: number; indexRead: [number, number]; rangeRead: [number, number] }[] = [];
    for (let trial = 0; trial <= OPEN_TRIALS; trial++) {
      const page: Page = await ext.context.newPage();
      await page.addInitScript(typeOnOpen, openQueries[trial % openQueries.length]!);
      await page.goto(`chrome-extension://${ext.id}/popup.html`);
      // The first row, and the search index read after it (the popup reads it once the first answer is out).
      await page.waitForFunction(() => (window as unknown as { __frameAt?: number; __indexRead?: unknown }).__frameAt !== undefined && (window as unknown as { __indexRead?: unknown }).__indexRead !== undefined, null, { timeout: 15_000 });
      opens.push(
        await page.evaluate(() => {
          const w = window as unknown as { __typedAt: number; __firstRowAt: number; __frameAt: number; __indexRead?: [number, number]; __rangeRead?: [number, number] };
          return { typedAt: w.__typedAt, firstRowAt: w.__firstRowAt, frameAt: w.__frameAt, indexRead: w.__indexRead ?? [Number.NaN, Number.NaN], rangeRead: w.__rangeRead ?? [Number.NaN, Number.NaN] };
        }),
      );
      await page.close();
    }
    const [cold, ...warm] = opens;
    const warmRows = warm.map((open) => open.firstRowAt);
    const worst = warm.reduce((a, b) => (b.firstRowAt > a.firstRowAt ? b : a));
    const median = (of: (open: (typeof opens)[number]) => number) => percentile(warm.map(of), 50).toFixed(0);
    results.push(
      { name: `popup open → first results, ${USERS.toLocaleString('en')} cached (median of ${warm.length} opens)`, value: percentile(warmRows, 50), unit: 'ms', target: { op: '<=', value: 100 }, note: `popup.html in a tab: navigation start → first result row of a query typed as soon as the box exists (median: typed at ${median((o) => o.typedAt)} ms; answered from the byNameKey range read ${median((o) => o.rangeRead[0])}–${median((o) => o.rangeRead[1])} ms; the search index read after it, ${median((o) => o.indexRead[0])}–${median((o) => o.indexRead[1])} ms; next frame at ${median((o) => o.frameAt)} ms)` },
      { name: 'popup open → first results, worst of those opens', value: Math.max(...warmRows), unit: 'ms', target: { op: '<=', value: 100 }, note: `${warm.filter((open) => open.firstRowAt > 100).length} of ${warm.length} over 100 ms; the worst typed at ${worst.typedAt.toFixed(0)} ms, range read ${worst.rangeRead[0].toFixed(0)}–${worst.rangeRead[1].toFixed(0)} ms` },
      { name: 'popup open → first results, first open after the sync (cold)', value: cold!.firstRowAt, unit: 'ms', target: { op: '<=', value: 100 }, note: `typed at ${cold!.typedAt.toFixed(0)} ms; range read ${cold!.rangeRead[0].toFixed(0)}–${cold!.rangeRead[1].toFixed(0)} ms; index read ${cold!.indexRead[0].toFixed(0)}–${cold!.indexRead[1].toFixed(0)} ms; next frame at ${cold!.frameAt.toFixed(0)} ms; nothing of the extension's in any cache yet` },
    );

    // 4. Keystroke → rendered results.
    const page = await ext.context.newPage();
    // tsx compiles this file keeping function names (esbuild keepNames): a `__name` helper the page lacks.
    await page.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
    await page.goto(`chrome-extension://${ext.id}/popup.html`);
    await page.getByTestId('search-input').waitFor();
    // Let the popup settle (settings, status, the index read) before timing keystrokes.
    await page.waitForTimeout(1500);
    const timings = await page.evaluate(typeQueries, queries);
    await page.close();
    const rendered = timings.map((t) => t.renderedMs);
    const frames = timings.map((t) => t.frameMs);
    const slowest = [...timings].sort((x, y) => y.renderedMs - x.renderedMs)[0]!;
    const queryNote = `${timings.length} keystrokes of ${queries.length} queries (${queries.map((q) => JSON.stringify(q)).join(', ')})`;
    results.push(
      { name: 'keystroke → rendered results, p50', value: percentile(rendered, 50), unit: 'ms', note: `input event → results in the DOM, style and layout done; ${queryNote}` },
      { name: 'keystroke → rendered results, p95', value: percentile(rendered, 95), unit: 'ms', target: { op: '<=', value: 16 }, note: `slowest ${slowest.renderedMs.toFixed(1)} ms for "${slowest.query}" (${slowest.results} rows, ${slowest.idbMs.toFixed(1)} ms of it reading the matches from IndexedDB)` },
      { name: 'keystroke: of which reading the matches from IndexedDB, p50', value: percentile(timings.map((t) => t.idbMs), 50), unit: 'ms', note: `p95 ${percentile(timings.map((t) => t.idbMs), 95).toFixed(1)} ms; the rest is the index search and the DOM` },
      { name: 'keystroke → next animation frame after the results, p50', value: percentile(frames, 50), unit: 'ms', note: 'includes waiting for the next vsync (headless Chromium: 60 Hz), so ~16.7 ms means "shown in the next frame"' },
      { name: 'keystroke → next animation frame after the results, p95', value: percentile(frames, 95), unit: 'ms' },
    );
    return results;
  } finally {
    await ext?.close();
    await proxy?.close();
    await emulator?.close();
  }
};

export default bench;
