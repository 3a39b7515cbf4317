import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_PUBLIC_KEY, GECKO_ID } from '../../wxt.config.ts';
import { buildExtension } from '../helpers/extension.ts';

/**
 * The two builds WXT makes (`npm run build`): Manifest V3 for Chrome/Edge and for Firefox, each with the
 * minimal permissions, and the Firefox one checked by Mozilla's own add-on linter (`web-ext lint`).
 */

const run = promisify(execFile);
const WEB_EXT = path.resolve(import.meta.dirname, '../../node_modules/.bin/web-ext');

interface Manifest {
  manifest_version: number;
  permissions?: string[];
  host_permissions?: string[];
  optional_host_permissions?: string[];
  omnibox?: { keyword: string };
  commands?: Record<string, { suggested_key?: { default?: string }; description?: string }>;
  content_scripts?: unknown[];
  key?: string;
  storage?: { managed_schema: string };
  background?: { service_worker?: string; scripts?: string[] };
  browser_specific_settings?: { gecko?: { id?: string; data_collection_permissions?: { required: string[] } } };
}

interface LintMessage {
  code: string;
  message: string;
  file?: string;
}

/**
 * Warnings the linter may give, each with the reason it is acceptable. Anything else fails the test.
 * - DANGEROUS_EVAL: zod 4 feature-detects eval with `new Function('')` inside try/catch (its JIT
 *   path); lib/settings.ts turns the probe off (`z.config({ jitless: true })`) and MV3's CSP forbids
 *   eval anyway, so no string is ever evaluated.
 */
const ACCEPTED_WARNINGS = new Set(['DANGEROUS_EVAL']);

let chromeDir: string;
let firefoxDir: string;
const manifestOf = async (dir: string) => JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;

beforeAll(async () => {
  [chromeDir, firefoxDir] = await Promise.all([buildExtension({ browser: 'chrome' }), buildExtension({ browser: 'firefox' })]);
}, 120_000);

describe('extension builds', () => {
  it('Chrome: MV3 service worker, minimal permissions, no host permission at install, the pinned key and the managed schema', async () => {
    const manifest = await manifestOf(chromeDir);
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.background?.service_worker).toBe('background.js');
    expect([...(manifest.permissions ?? [])].sort()).toEqual(['activeTab', 'alarms', 'contextMenus', 'identity', 'offscreen', 'scripting', 'storage']);
    expect(manifest.host_permissions).toBeUndefined();
    // Autofill is injected on demand (activeTab) or registered at run time for granted sites: no static content script.
    expect(manifest.content_scripts ?? []).toEqual([]);
    expect(existsSync(path.join(chromeDir, 'content-scripts/autofill.js'))).toBe(true);
    expect(manifest.commands).toEqual({ 'fill-colleague': { suggested_key: { default: 'Alt+Shift+F' }, description: expect.any(String) } });
    expect(manifest.optional_host_permissions).toEqual(['https://*/*', 'http://localhost/*', 'http://127.0.0.1/*']);
    expect(manifest.omnibox).toEqual({ keyword: 'pb' });
    expect(manifest.key).toBe(EXTENSION_PUBLIC_KEY);
    expect(manifest.storage).toEqual({ managed_schema: 'managed_schema.json' });
    expect(existsSync(path.join(chromeDir, 'managed_schema.json'))).toBe(true);
    expect(existsSync(path.join(chromeDir, 'offscreen.html'))).toBe(true);
  });

  it('Firefox: MV3 event page, no offscreen document, the add-on id and data collection declared', async () => {
    const manifest = await manifestOf(firefoxDir);
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.background?.scripts).toEqual(['background.js']);
    expect([...(manifest.permissions ?? [])].sort()).toEqual(['activeTab', 'alarms', 'contextMenus', 'identity', 'scripting', 'storage']);
    expect(manifest.host_permissions).toBeUndefined();
    expect(manifest.commands?.['fill-colleague']?.suggested_key).toEqual({ default: 'Alt+Shift+F' });
    expect(manifest.omnibox).toEqual({ keyword: 'pb' });
    expect(manifest.key).toBeUndefined();
    expect(manifest.storage).toBeUndefined();
    expect(manifest.browser_specific_settings?.gecko?.id).toBe(GECKO_ID);
    expect(manifest.browser_specific_settings?.gecko?.data_collection_permissions?.required).toContain('authenticationInfo');
    expect(existsSync(path.join(firefoxDir, 'offscreen.html'))).toBe(false);
    expect(existsSync(path.join(firefoxDir, 'managed_schema.json'))).toBe(false);
  });

  it('Firefox: web-ext lint (Mozilla\'s add-on linter) finds no errors and only accepted warnings', async () => {
    const { stdout } = await run(WEB_EXT, ['lint', '--source-dir', firefoxDir, '--output', 'json', '--no-config-discovery'], { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(stdout) as { errors: LintMessage[]; warnings: LintMessage[] };
    expect(report.errors.map(({ code, message, file }) => `${code} ${file ?? ''}: ${message}`)).toEqual([]);
    expect(report.warnings.filter((warning) => !ACCEPTED_WARNINGS.has(warning.code)).map(({ code, message, file }) => `${code} ${file ?? ''}: ${message}`)).toEqual([]);
  }, 60_000);
});
