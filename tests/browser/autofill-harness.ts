import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import type { Page } from 'playwright-core';
import type { ShimConfig } from './autofill-shim.ts';

/**
 * Runs the autofill content script in real Chromium without the extension: the entrypoint
 * (extension/entrypoints/autofill.content.ts) bundled with esbuild the way WXT wraps a content script
 * (its `main` called with a ContentScriptContext), and `wxt/browser` replaced by a fake runtime whose
 * messages the real background handlers answer over an in-test directory (autofill-shim.ts). Content
 * script and fake share one closure, so nothing of either is reachable from the page.
 *
 * Injected either into the page's own world (`page.addScriptTag`, the harshest case: the page shares
 * every prototype with the script) or, as Chrome runs content scripts, into an isolated world created
 * through the DevTools protocol.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const ENTRY = path.join(ROOT, 'extension/entrypoints/autofill.content.ts');
export const PAGES = path.join(ROOT, 'tests/fixtures/autofill-pages');

/** What WXT's build defines for a content script (`import.meta.env`, read by its context and logger). */
const WXT_DEFINES = { 'import.meta.env.MODE': '"production"', 'import.meta.env.ENTRYPOINT': '"autofill"', 'import.meta.env.DEV': 'false', 'import.meta.env.PROD': 'true' };

/** WXT's isolated-world wrapper (wxt/dist/virtual/content-script-isolated-world-entrypoint.mjs), minus plugins and logging. */
const wrapper = (extra = ''): string => `
import definition from ${JSON.stringify(ENTRY)};
import { ContentScriptContext } from 'wxt/utils/content-script-context';
${extra}
const { main, ...options } = definition;
main(new ContentScriptContext('autofill', options));
`;

/** The content script as shipped: minified, with the real `wxt/browser`. */
export async function bundleContentScript(options: { minify?: boolean } = {}): Promise<string> {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: { contents: wrapper(), resolveDir: ROOT, loader: 'ts', sourcefile: 'autofill-entry.ts' },
    bundle: true,
    minify: options.minify ?? true,
    format: 'iife',
    target: 'chrome120',
    define: WXT_DEFINES,
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

/**
 * The content script with the fake runtime, as one script for `addScriptTag` or `Runtime.evaluate`.
 * With `config.expose`, the test driver is put on that global (never in a test of a hostile page's
 * own world). `bench` adds `globalThis.__pbBench` (classify + fill timings).
 */
export async function bundleHarness(options: { bench?: boolean } = {}): Promise<(config: ShimConfig) => string> {
  const { build } = await import('esbuild');
  const fake: Plugin = {
    name: 'fake-browser',
    setup(b) {
      b.onResolve({ filter: /^(?:wxt\/browser|@wxt-dev\/browser)$/ }, () => ({ path: 'fake-browser', namespace: 'pb' }));
      b.onResolve({ filter: /^pb-fake$/ }, () => ({ path: 'pb-fake', namespace: 'pb' }));
      b.onLoad({ filter: /^fake-browser$/, namespace: 'pb' }, () => ({ contents: `import { fake } from 'pb-fake'; export const browser = fake.browser;`, resolveDir: ROOT, loader: 'ts' }));
      b.onLoad({ filter: /^pb-fake$/, namespace: 'pb' }, () => ({
        contents: `import { createFakeBrowser } from ${JSON.stringify(path.join(here, 'autofill-shim.ts'))}; export const fake = createFakeBrowser(__PB_CONFIG__);`,
        resolveDir: ROOT,
        loader: 'ts',
      }));
    },
  };
  const bench = options.bench
    ? `import { classifyControls } from ${JSON.stringify(path.join(ROOT, 'shared/autofill/index.ts'))};
       import { fillForm } from ${JSON.stringify(path.join(ROOT, 'extension/lib/autofill/fill.ts'))};
       globalThis.__pbBench = (values, runs, focus = 'auto') => {
         const times = [];
         let filled = 0;
         for (let i = 0; i < runs; i++) {
           const t = performance.now();
           const report = fillForm(document, values, { classified: classifyControls(document), focus });
           times.push(performance.now() - t);
           filled = report.filled.length;
           report.undo();
         }
         return { times, filled };
       };`
    : '';
  const out = await build({
    stdin: {
      contents: `import { fake } from 'pb-fake';\n${wrapper(bench)}\nif (__PB_CONFIG__.expose) globalThis[__PB_CONFIG__.expose] = fake.driver;`,
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'autofill-harness-entry.ts',
    },
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    define: WXT_DEFINES,
    plugins: [fake],
    write: false,
    logLevel: 'silent',
  });
  const text = out.outputFiles[0]!.text;
  return (config) => `(function (__PB_CONFIG__) {\n${text}\n})(${JSON.stringify(config)});`;
}

/**
 * The fake runtime alone, installed as `globalThis.chrome` (where `wxt/browser` looks in Chrome), for
 * running a content script built by WXT itself (buildWithWxt) in the same world afterwards.
 */
export async function bundleShimOnly(): Promise<(config: ShimConfig) => string> {
  const { build } = await import('esbuild');
  const out = await build({
    stdin: {
      contents: `import { createFakeBrowser } from ${JSON.stringify(path.join(here, 'autofill-shim.ts'))};
        const fake = createFakeBrowser(__PB_CONFIG__);
        globalThis.chrome = fake.browser;
        if (__PB_CONFIG__.expose) globalThis[__PB_CONFIG__.expose] = fake.driver;`,
      resolveDir: ROOT,
      loader: 'ts',
      sourcefile: 'autofill-shim-entry.ts',
    },
    bundle: true,
    format: 'iife',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  const text = out.outputFiles[0]!.text;
  return (config) => `(function (__PB_CONFIG__) {\n${text}\n})(${JSON.stringify(config)});`;
}

/**
 * `content-scripts/autofill.js` as `wxt build` makes it, from a scratch copy of the entrypoint, its
 * modules and shared/ (so that other entrypoints being written meanwhile don't matter), with the
 * manifest WXT generated (to check the script adds no content_scripts entry or host permission).
 */
export async function buildWithWxt(): Promise<{ script: string; manifest: Record<string, unknown>; close(): Promise<void> }> {
  const { cp, mkdtemp, rm, symlink, writeFile } = await import('node:fs/promises');
  const os = await import('node:os');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-wxt-autofill-'));
  await cp(path.join(ROOT, 'shared'), path.join(dir, 'shared'), { recursive: true });
  await cp(path.join(ROOT, 'extension/lib/autofill'), path.join(dir, 'extension/lib/autofill'), { recursive: true });
  await cp(ENTRY, path.join(dir, 'extension/entrypoints/autofill.content.ts'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'autofill-build-check', version: '0.0.0', type: 'module', private: true }));
  const { build } = await import('wxt');
  await build({ root: dir, srcDir: 'extension', outDir: path.join(dir, '.output'), configFile: false, manifest: { name: 'autofill build check' }, logger: quiet });
  const out = path.join(dir, '.output/chrome-mv3');
  const [script, manifest] = await Promise.all([readFile(path.join(out, 'content-scripts/autofill.js'), 'utf8'), readFile(path.join(out, 'manifest.json'), 'utf8')]);
  return { script, manifest: JSON.parse(manifest) as Record<string, unknown>, close: () => rm(dir, { recursive: true, force: true }) };
}

const noop = (): void => undefined;
const quiet = { debug: noop, log: noop, info: noop, warn: noop, error: console.error, fatal: console.error, success: noop, level: 0 };

/** Where the script runs: the page's own world, or an isolated world like a real content script's. */
export interface Injected {
  /** Evaluates an expression in that world and returns its (awaited, JSON-able) value. */
  evaluate<T>(expression: string): Promise<T>;
}

/**
 * Into the page's own world: by default as a <script> element (`addScriptTag`); `evaluate` runs it
 * without one, for tests of a hostile page, which would otherwise read the test's directory in the
 * script's text (a real content script is never part of the DOM).
 */
export async function injectMainWorld(page: Page, script: string, via: 'script-tag' | 'evaluate' = 'script-tag'): Promise<Injected> {
  if (via === 'script-tag') await page.addScriptTag({ content: script });
  else await page.evaluate(script);
  return { evaluate: (expression) => page.evaluate(expression) };
}

/** Chrome's isolated world for the top frame (Page.createIsolatedWorld), where the script gets its own globals and prototypes. */
export async function injectIsolatedWorld(page: Page, script: string): Promise<Injected> {
  const cdp = await page.context().newCDPSession(page);
  const { frameTree } = (await cdp.send('Page.getFrameTree')) as { frameTree: { frame: { id: string } } };
  const { executionContextId } = (await cdp.send('Page.createIsolatedWorld', { frameId: frameTree.frame.id, worldName: 'peoplebook-autofill' })) as { executionContextId: number };
  const run = async <T>(expression: string): Promise<T> => {
    const result = (await cdp.send('Runtime.evaluate', { expression, contextId: executionContextId, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (result.exceptionDetails) throw new Error(result.exceptionDetails.exception?.description ?? result.exceptionDetails.text);
    return result.result.value as T;
  };
  await run(script);
  return { evaluate: run };
}

/** Serves tests/fixtures/autofill-pages on 127.0.0.1 (same-origin frames need a real origin, not file:). */
export async function servePages(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const name = path.basename(new URL(req.url ?? '/', 'http://x').pathname) || 'index.html';
    try {
      const body = await readFile(path.join(PAGES, name));
      res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A small directory: the tests pick Alice; the others must never reach the page. */
export const DIRECTORY: ShimConfig['directory'] = [
  {
    id: 'u-alice',
    displayName: 'Alice Anders',
    givenName: 'Alice',
    surname: 'Anders',
    mail: 'alice.anders@contoso.example',
    jobTitle: 'Head of Procurement',
    department: 'Procurement',
    companyName: 'Contoso',
    businessPhones: ['+49 30 1234 5678'],
    mobilePhone: '+49 151 2345 6789',
  },
  {
    id: 'u-alicia',
    displayName: 'Alicia Secretsson',
    givenName: 'Alicia',
    surname: 'Secretsson',
    mail: 'alicia.secretsson@contoso.example',
    jobTitle: 'Undisclosed Projects Lead',
    department: 'Skunkworks',
    companyName: 'Contoso',
    businessPhones: ['+1 425 555 0142'],
    mobilePhone: null,
  },
  {
    id: 'u-albert',
    displayName: 'Albert Hiddenfield',
    givenName: 'Albert',
    surname: 'Hiddenfield',
    mail: 'albert.hiddenfield@contoso.example',
    jobTitle: 'Chief Whisperer',
    department: 'Board',
    companyName: 'Contoso',
    businessPhones: ['+44 20 7946 0123'],
    mobilePhone: null,
  },
  {
    id: 'u-zed',
    displayName: 'Zed Neverseen',
    givenName: 'Zed',
    surname: 'Neverseen',
    mail: 'zed.neverseen@contoso.example',
    jobTitle: 'Invisible',
    department: 'Nowhere',
    companyName: 'Contoso',
    businessPhones: [],
    mobilePhone: null,
  },
];

/** Strings of colleagues other than Alice: none may ever be readable by the page. */
export const SECRETS = DIRECTORY.filter((c) => c.id !== 'u-alice').flatMap((c) => [c.displayName!, c.givenName!, c.surname!, c.mail!, c.jobTitle!, c.department!]);

/** Waits until the fake background has answered a request that `predicate` (a JS expression over `e.message`) accepts. */
export async function waitForRequest(world: Injected, driver: string, predicate: string, timeoutMs = 5000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const found = await world.evaluate<boolean>(`globalThis.${driver}.log.some((e) => ${predicate})`);
    if (found) return;
    if (Date.now() - started > timeoutMs) throw new Error(`no request with ${predicate} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
