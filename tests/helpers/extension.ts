import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page, Worker } from 'playwright-core';
import type { Emulator } from '../../emulator/src/server.ts';
import { EXTENSION_ID } from '../../wxt.config.ts';
import { launchChromium, type ChromiumSession } from './chromium.ts';

/**
 * Builds the extension with WXT and loads it, unpacked, into Debian's Chromium.
 *
 *   const dir = await buildExtension({ browser: 'chrome', entrypoints: ['background', 'offscreen'] });
 *   const ext = await launchExtension({ spki: emulator.spki, extensionDir: dir });
 *   await ext.send({ type: 'auth/state' });   // runtime.sendMessage from an extension page
 *
 * Builds are cached in the temp folder by a hash of the sources (extension/, shared/, wxt.config.ts,
 * package-lock.json), so the test files of one run share one build and a rerun with no change reuses
 * it. A lock directory keeps parallel test workers from building the same thing at once.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCES = ['extension', 'shared', 'wxt.config.ts', 'package-lock.json'];

async function* files(target: string): AsyncGenerator<string> {
  const info = await stat(target);
  if (!info.isDirectory()) {
    yield target;
    return;
  }
  for (const entry of (await readdir(target)).sort()) yield* files(path.join(target, entry));
}

async function sourceHash(extra: string): Promise<string> {
  const hash = createHash('sha256').update(extra);
  for (const source of SOURCES) {
    const target = path.join(ROOT, source);
    if (!existsSync(target)) continue;
    for await (const file of files(target)) hash.update(path.relative(ROOT, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export interface BuildOptions {
  browser?: 'chrome' | 'firefox';
  /** Only these entrypoints (WXT `filterEntrypoints`), e.g. to test the background without the UI. */
  entrypoints?: string[];
}

/** WXT keeps its configuration in a module-level singleton: builds in one process must not overlap. */
let building: Promise<unknown> = Promise.resolve();

/** Builds (or reuses a cached build) and returns the unpacked extension's folder (…/chrome-mv3). */
export function buildExtension(options: BuildOptions = {}): Promise<string> {
  const next = building.then(() => buildOnce(options));
  building = next.catch(() => undefined);
  return next;
}

async function buildOnce(options: BuildOptions): Promise<string> {
  const browser = options.browser ?? 'chrome';
  const entrypoints = options.entrypoints ? [...options.entrypoints].sort() : undefined;
  const key = await sourceHash(JSON.stringify({ browser, entrypoints }));
  const base = path.join(os.tmpdir(), 'peoplebook-extension-builds');
  const outDir = path.join(base, key);
  const extensionDir = path.join(outDir, `${browser}-mv3`);
  const done = path.join(outDir, '.complete');
  const lock = path.join(base, `${key}.lock`);
  await mkdir(base, { recursive: true });

  while (!existsSync(done)) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
    } catch {
      // Another worker is building this very source: wait for it, unless it died holding the lock.
      if (!(await ownerAlive(lock))) await rm(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    try {
      if (existsSync(done)) break;
      const staging = `${outDir}.${process.pid}.tmp`;
      await rm(staging, { recursive: true, force: true });
      const { build } = await import('wxt');
      await build({ root: ROOT, browser, outDir: staging, filterEntrypoints: entrypoints, logger: quietLogger });
      await writeFile(path.join(staging, '.complete'), new Date().toISOString());
      await rm(outDir, { recursive: true, force: true });
      await rename(staging, outDir);
      await pruneOldBuilds(base);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return extensionDir;
}

/** Builds of older sources pile up as the code changes: keep a day's worth. */
async function pruneOldBuilds(base: string): Promise<void> {
  const dayAgo = Date.now() - 86_400_000;
  for (const entry of await readdir(base)) {
    const target = path.join(base, entry);
    const info = await stat(target).catch(() => undefined);
    if (info && info.mtimeMs < dayAgo && !entry.endsWith('.lock')) await rm(target, { recursive: true, force: true });
  }
}

/** Whether the process that holds `lock` still runs (a lock younger than 10 s without its pid file counts as held). */
async function ownerAlive(lock: string): Promise<boolean> {
  const pid = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => ''));
  if (!pid) {
    const info = await stat(lock).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** WXT's consola logger, silenced except for errors (the build's file table is noise in test output). */
const noop = () => undefined;
const quietLogger = {
  debug: noop,
  log: noop,
  info: noop,
  warn: noop,
  success: noop,
  error: (...args: unknown[]) => console.error(...args),
  fatal: (...args: unknown[]) => console.error(...args),
  level: 0,
};

export interface ExtensionSession extends ChromiumSession {
  id: string;
  serviceWorker: Worker;
  /** A tab showing a page of the extension's origin: it has the extension APIs, like the popup. */
  page: Page;
  /** runtime.sendMessage from `page`; returns the raw envelope `{ ok, value } | { ok, error }`. */
  send<T = unknown>(message: unknown): Promise<Envelope<T>>;
  /** Evaluates in the extension page (its localStorage, cookies, IndexedDB are the offscreen document's). */
  evaluate<T>(fn: () => T | Promise<T>): Promise<T>;
}

/** The extension APIs the helpers call inside the page (the tests' tsconfig has no chrome types). */
interface PageGlobals {
  chrome: {
    runtime: { sendMessage(message: unknown): Promise<unknown> };
    storage: { local: { set(items: Record<string, unknown>): Promise<void> } };
  };
}

export type Envelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

async function serviceWorkerOf(context: BrowserContext): Promise<Worker> {
  return context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 10_000 }));
}

/**
 * Launches Chromium with the unpacked extension and opens one extension page to talk to it from.
 * The page is the extension's managed_schema.json: any document of the extension's origin gets the
 * extension APIs, and this one runs no code of its own that could send messages during a test.
 */
export async function launchExtension(options: { spki: string; extensionDir: string; grantedOrigins?: string[] }): Promise<ExtensionSession> {
  const { grantedOrigins, ...launch } = options;
  const chromium = await launchChromium(grantedOrigins ? { ...launch, preferences: grantedHostPermissions(grantedOrigins) } : launch);
  try {
    const serviceWorker = await serviceWorkerOf(chromium.context);
    const id = new URL(serviceWorker.url()).host;
    const page = await chromium.context.newPage();
    await page.goto(`chrome-extension://${id}/managed_schema.json`);
    return {
      ...chromium,
      id,
      serviceWorker,
      page,
      send: <T>(message: unknown) => page.evaluate((m) => (globalThis as unknown as PageGlobals).chrome.runtime.sendMessage(m), message) as Promise<Envelope<T>>,
      evaluate: (fn) => page.evaluate(fn),
    };
  } catch (error) {
    await chromium.close();
    throw error;
  }
}

/**
 * Run in an extension page (Chromium or Firefox): the record count of each store of the extension's
 * database (lib/db.ts: "peoplebook" — chunks, photos, meta, searchIndex) and its contacts (one entry
 * each in the chunks' byId index). Self-contained: test runners send its source to the page.
 */
export function directoryCounts(): Promise<Record<string, number>> {
  return new Promise<Record<string, number>>((resolve, reject) => {
    const open = indexedDB.open('peoplebook');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const stores = ['chunks', 'photos', 'meta', 'searchIndex'];
      const tx = db.transaction(stores);
      const counts: Record<string, number> = {};
      for (const name of stores) {
        const request = tx.objectStore(name).count();
        request.onsuccess = () => (counts[name] = request.result);
      }
      const contacts = tx.objectStore('chunks').index('byId').count();
      contacts.onsuccess = () => (counts.contacts = contacts.result);
      tx.oncomplete = () => {
        db.close();
        resolve(counts);
      };
      tx.onerror = () => reject(tx.error);
    };
  });
}

/** The extension's toolbar popup, opened as a user would, reached through CDP. */
export interface ToolbarPopup {
  /** Evaluates `expression` in the popup (Runtime.evaluate: awaited, returned by value). */
  evaluate<T>(expression: string): Promise<T>;
}

/**
 * Opens the real toolbar popup with `action.openPopup()` (Chrome 127+: any extension, no gesture
 * needed), which headless Chromium shows as it would under the toolbar button. Playwright lists no page
 * for it, so the popup's target is found with CDP `Target.getTargets` and driven through
 * `Target.attachToTarget` / `Target.sendMessageToTarget` from a page's CDP session.
 */
export async function openToolbarPopup(session: ExtensionSession): Promise<ToolbarPopup> {
  const cdp = await session.context.newCDPSession(session.page);
  const opened = await session.serviceWorker.evaluate('chrome.action.openPopup().then(() => null, (error) => String(error))');
  if (opened !== null) throw new Error(`action.openPopup() failed: ${String(opened)}`);
  const url = `chrome-extension://${session.id}/popup.html`;
  let targetId: string | undefined;
  for (let attempt = 0; attempt < 100 && !targetId; attempt++) {
    const { targetInfos } = await cdp.send('Target.getTargets');
    targetId = targetInfos.find((target) => target.type === 'page' && target.url === url)?.targetId;
    if (!targetId) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (!targetId) throw new Error('the toolbar popup did not open');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: false });
  type Reply = { id?: number; result?: { result?: { value?: unknown }; exceptionDetails?: { text: string } } };
  const waiting = new Map<number, (message: Reply) => void>();
  cdp.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message) as Reply;
    if (message.id !== undefined) waiting.get(message.id)?.(message);
  });
  let next = 0;
  return {
    async evaluate<T>(expression: string): Promise<T> {
      const id = ++next;
      const answer = new Promise<Reply>((resolve) => waiting.set(id, resolve));
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: 'Runtime.evaluate', params: { expression, awaitPromise: true, returnByValue: true } }) });
      const { result } = await answer;
      waiting.delete(id);
      if (result?.exceptionDetails) throw new Error(`in the popup: ${result.exceptionDetails.text}`);
      return result?.result?.value as T;
    },
  };
}

/**
 * A profile's Default/Preferences in which the user has already allowed the extension (pinned ID) the
 * optional host permissions `origins` (match patterns such as `http://127.0.0.1/*`).
 *
 * `permissions.request` shows its "Allow / Deny" prompt as browser UI. Headless Chromium has none to
 * show, and neither Playwright nor CDP can answer it: the request's promise never settles (tried).
 * So the test profile starts with what Chromium records once a user chooses Allow: the origins in the
 * extension's granted, active and runtime-granted permission sets. `permissions.request` for them then
 * resolves `true` at once, without a prompt, as it does in a real browser for origins already allowed.
 * Chromium keeps them when it loads the unpacked extension into the profile (checked with Debian's
 * Chromium: `permissions.getAll()` lists the origins; without the file it lists none).
 */
export function grantedHostPermissions(origins: readonly string[], id: string = EXTENSION_ID): Record<string, unknown> {
  const set = { api: [], explicit_host: [...origins], manifest_permissions: [], scriptable_host: [] };
  return { extensions: { settings: { [id]: { granted_permissions: set, active_permissions: set, runtime_granted_permissions: set } } } };
}

/** `https://<id>.chromiumapp.org/`: what identity.getRedirectURL() answers in Chromium. */
export const chromiumRedirectUri = (id: string): string => `https://${id}.chromiumapp.org/`;

/** Registers the extension's redirect URI as a single-page-application redirect of the emulator's app. */
export async function registerSpaRedirect(emulator: Emulator, redirectUri: string, clientId: string = emulator.clientId): Promise<void> {
  const response = await fetch(`${emulator.controlUrl}/apps/${clientId}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ addSpaRedirectUris: [redirectUri] }),
  });
  if (!response.ok) throw new Error(`registering ${redirectUri} answered ${response.status}: ${await response.text()}`);
}

/** Writes the tenant settings (lib/settings.ts keys) into storage.local, as the options page saves them. */
export async function writeSettings(session: Pick<ExtensionSession, 'page'>, values: Record<string, unknown>): Promise<void> {
  const items = Object.fromEntries(Object.entries(values).map(([key, value]) => [`settings.${key}`, value]));
  await session.page.evaluate((entries) => (globalThis as unknown as PageGlobals).chrome.storage.local.set(entries), items);
}

/** Settings that point the extension at an emulator (custom cloud). */
export function emulatorSettings(emulator: Emulator, proxyUrl: string): Record<string, unknown> {
  return { proxyUrl, tenantId: emulator.tenantId, clientId: emulator.clientId, cloud: 'custom', authorityHost: emulator.url };
}

/**
 * Completes the emulator's sign-in page in the window launchWebAuthFlow opened. Chromium shows that
 * window as a normal page of the profile, so Playwright sees it as a new page of the context.
 */
export async function completeSignIn(signInPage: Page, credentials: { username: string; password: string }): Promise<void> {
  await signInPage.getByLabel('Email, phone, or Skype').fill(credentials.username);
  await signInPage.getByLabel('Password').fill(credentials.password);
  await signInPage.getByRole('button', { name: 'Sign in' }).click();
}
