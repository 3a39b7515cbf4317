import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium (apt-get install chromium); playwright-core never downloads a browser here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags that keep Chromium from calling out of this machine (its connections are refused here). */
const QUIET_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps'];

export interface ChromiumSession {
  context: BrowserContext;
  /** The profile folder (--user-data-dir); removed by close(). */
  profile: string;
  close(): Promise<void>;
}

export interface LaunchOptions {
  spki: string;
  extensionDir?: string;
  /** Written as the profile's Default/Preferences before Chromium starts (see grantedHostPermissions in ./extension.ts). */
  preferences?: Record<string, unknown>;
}

/**
 * Starts headless Chromium in a fresh profile that accepts the emulator's server key (by SPKI hash, as
 * Chromium allows for a given --user-data-dir) and, optionally, loads an unpacked extension.
 */
export async function launchChromium(options: LaunchOptions): Promise<ChromiumSession> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pb-chromium-'));
  if (options.preferences) {
    await mkdir(path.join(profile, 'Default'));
    await writeFile(path.join(profile, 'Default', 'Preferences'), JSON.stringify(options.preferences));
  }
  const args = [...QUIET_FLAGS, `--ignore-certificate-errors-spki-list=${options.spki}`];
  if (options.extensionDir) args.push(`--disable-extensions-except=${options.extensionDir}`, `--load-extension=${options.extensionDir}`);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args });
  return {
    context,
    profile,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
