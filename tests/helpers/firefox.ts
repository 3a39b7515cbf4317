import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import puppeteer, { type Browser, type ElementHandle, type Page } from 'puppeteer-core';
import { GECKO_ID } from '../../wxt.config.ts';
import type { Envelope } from './extension.ts';

/**
 * Loads the Firefox build of the extension into Debian's Firefox ESR (headless), driven by puppeteer-core
 * over WebDriver BiDi. puppeteer-core downloads no browser: install Debian's packages
 * (`apt-get install firefox-esr libnss3-tools`; .ci/run does).
 *
 *   const dir = await buildExtension({ browser: 'firefox' });
 *   const ext = await launchFirefoxExtension({ caCertPath: emulator.caCertPath, extensionDir: dir });
 *   await ext.send({ type: 'auth/state' });   // runtime.sendMessage from an extension page
 *   const popup = await ext.openPage('popup.html');
 *
 * - The add-on is installed as a temporary add-on (BiDi webExtension.install, puppeteer's
 *   `browser.installExtension`), so an unsigned build loads.
 * - Its moz-extension:// UUID is random per profile unless the profile names it: the pref
 *   `extensions.webextensions.uuids` pins it, so the origin (for the proxy's CORS list) is known before
 *   Firefox starts.
 * - The emulator's certificate authority is trusted through the profile's own NSS database (certutil),
 *   as an admin would import it; certificate checks stay on.
 */

/** Debian's Firefox ESR; FIREFOX_PATH overrides it. */
export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/** NSS's certutil (Debian's libnss3-tools), which writes the test CA into the profile. */
export const CERTUTIL_PATH = process.env.CERTUTIL_PATH ?? '/usr/bin/certutil';
/** The moz-extension:// UUID the test profiles give the add-on (any fixed UUID will do). */
export const FIREFOX_EXTENSION_UUID = '6a1f9c2e-0b7d-4c1e-9f3a-2d5e8b7c4a10';

const INSTALL_HINT = 'install Debian\'s packages (apt-get install firefox-esr libnss3-tools)';
const run = promisify(execFile);

/** `https://<sha1 of the add-on id>.extensions.allizom.org/`: what identity.getRedirectURL() answers in Firefox. */
export const firefoxRedirectUri = (addonId: string = GECKO_ID): string => `https://${createHash('sha1').update(addonId).digest('hex')}.extensions.allizom.org/`;

export interface FirefoxExtensionSession {
  browser: Browser;
  /** The add-on's moz-extension:// UUID (the host of its pages). */
  id: string;
  /** `moz-extension://<id>`: the origin of its pages and of its requests. */
  origin: string;
  /** The add-on's ID (browser_specific_settings.gecko.id). */
  addonId: string;
  /** The profile folder; removed by close(). */
  profile: string;
  /** A tab showing a page of the extension's origin: it has the extension APIs, like the popup. */
  page: Page;
  /** runtime.sendMessage from `page`; returns the raw envelope `{ ok, value } | { ok, error }`. */
  send<T = unknown>(message: unknown): Promise<Envelope<T>>;
  /** Evaluates in `page` (the extension's origin: its storage and IndexedDB are the background's). */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<T>;
  /** Opens `file` of the extension (e.g. `popup.html`) in a new tab, loaded. */
  openPage(file: string): Promise<Page>;
  close(): Promise<void>;
}

/** The extension APIs the helpers call inside the page (the tests' tsconfig has no WebExtension types). */
interface PageGlobals {
  browser: {
    runtime: { sendMessage(message: unknown): Promise<unknown>; getBackgroundPage(): Promise<unknown> };
    storage: { local: { set(items: Record<string, unknown>): Promise<void> } };
  };
}

/**
 * Loads `url` in `page` and waits until its document is complete.
 *
 * Not `page.goto`: for moz-extension:// documents Firefox loads the page but reports none of its
 * navigation events to the BiDi session, so puppeteer never sees the navigation end (with Firefox ESR 153
 * and puppeteer-core 24.43, `page.goto` fails with "Navigation timeout of 4000 ms exceeded" for
 * waitUntil load and domcontentloaded, while location.href in the tab already is the extension page;
 * `page.url()` stays about:blank; puppeteer/puppeteer#14314, open upstream). The BiDi command
 * `browsingContext.navigate` itself returns once the document is complete, so it is sent directly,
 * through the tab's browsing context (puppeteer's BiDi frame, not part of its public API). Firefox only
 * lets BiDi navigate to moz-extension:// with `-remote-allow-system-access` ("Navigation to
 * moz-extension://… is not allowed in this context" without it).
 */
async function navigateToExtensionPage(page: Page, url: string): Promise<void> {
  const frame = page.mainFrame() as unknown as { browsingContext?: { navigate(url: string, wait: 'none' | 'interactive' | 'complete'): Promise<unknown> } };
  if (!frame.browsingContext) throw new Error('this puppeteer-core drives Firefox without a BiDi browsing context: see navigateToExtensionPage in tests/helpers/firefox.ts');
  await frame.browsingContext.navigate(url, 'complete');
  // The command's "complete" is the browsing context's; make sure this page's realm is the new document's.
  await page.waitForFunction((expected) => location.href === expected && document.readyState === 'complete', { timeout: 10_000 }, url);
}

/** Creates the profile folder with an NSS database that trusts `caCertPath` to identify web sites. */
async function profileTrusting(caCertPath: string): Promise<string> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pb-firefox-'));
  try {
    await run(CERTUTIL_PATH, ['-N', '-d', `sql:${profile}`, '--empty-password']);
    await run(CERTUTIL_PATH, ['-A', '-n', 'Peoplebook test CA', '-t', 'C,,', '-i', caCertPath, '-d', `sql:${profile}`]);
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return profile;
}

/**
 * Starts headless Firefox ESR in a fresh profile that trusts the emulator's CA, installs the unpacked
 * extension in `extensionDir` (a `firefox-mv3` build) and opens one extension page to talk to it from.
 * The page is the extension's manifest.json, shown as plain text: any document of the extension's origin
 * gets the extension APIs, and this one runs no code of its own.
 */
export async function launchFirefoxExtension(options: { caCertPath: string; extensionDir: string; uuid?: string }): Promise<FirefoxExtensionSession> {
  for (const [what, file] of [['Firefox', FIREFOX_PATH], ['certutil', CERTUTIL_PATH]] as const) {
    if (!existsSync(file)) throw new Error(`${what} not found at ${file}: ${INSTALL_HINT}, or set ${what === 'Firefox' ? 'FIREFOX_PATH' : 'CERTUTIL_PATH'}`);
  }
  const manifest = JSON.parse(await readFile(path.join(options.extensionDir, 'manifest.json'), 'utf8')) as { browser_specific_settings?: { gecko?: { id?: string } } };
  const addonId = manifest.browser_specific_settings?.gecko?.id;
  if (!addonId) throw new Error(`${options.extensionDir} is not a Firefox build (no browser_specific_settings.gecko.id): build it with buildExtension({ browser: 'firefox' })`);
  const id = options.uuid ?? FIREFOX_EXTENSION_UUID;
  const origin = `moz-extension://${id}`;

  const profile = await profileTrusting(options.caCertPath);
  let browser: Browser | undefined;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: profile,
      // Lets BiDi open moz-extension:// pages (see navigateToExtensionPage).
      args: ['-remote-allow-system-access'],
      extraPrefsFirefox: {
        'extensions.webextensions.uuids': JSON.stringify({ [addonId]: id }),
        // manifest.json as text, not in the JSON viewer (which runs devtools code in the page).
        'devtools.jsonview.enabled': false,
      },
    });
    const installed = await browser.installExtension(options.extensionDir);
    if (installed !== addonId) throw new Error(`Firefox installed the add-on as ${installed}, expected ${addonId}`);
    const openPage = async (file: string): Promise<Page> => {
      const page = await browser!.newPage();
      await navigateToExtensionPage(page, `${origin}/${file.replace(/^\//, '')}`);
      return page;
    };
    const page = await openPage('manifest.json');
    // The background event page starts with the install: wait until it has loaded (its listeners are
    // registered when its script has run), as the Chromium helper waits for the service worker.
    await page.evaluate(() => (globalThis as unknown as PageGlobals).browser.runtime.getBackgroundPage().then(() => undefined));
    const session = browser;
    return {
      browser: session,
      id,
      origin,
      addonId,
      profile,
      page,
      openPage,
      send: <T>(message: unknown) => page.evaluate((m) => (globalThis as unknown as PageGlobals).browser.runtime.sendMessage(m), message) as Promise<Envelope<T>>,
      evaluate: <T, A>(fn: (arg: A) => T | Promise<T>, arg?: A) => page.evaluate(fn as (arg: unknown) => T | Promise<T>, arg) as Promise<T>,
      async close() {
        await session.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser?.close();
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}

/** Writes the tenant settings (lib/settings.ts keys) into storage.local, as the options page saves them. */
export async function writeFirefoxSettings(session: Pick<FirefoxExtensionSession, 'page'>, values: Record<string, unknown>): Promise<void> {
  const items = Object.fromEntries(Object.entries(values).map(([key, value]) => [`settings.${key}`, value]));
  await session.page.evaluate((entries) => (globalThis as unknown as PageGlobals).browser.storage.local.set(entries), items);
}

/**
 * Waits for the window identity.launchWebAuthFlow opens on the emulator's sign-in page (`authorityUrl`:
 * the emulator's URL). Start waiting before the flow starts.
 */
export async function waitForSignInWindow(session: Pick<FirefoxExtensionSession, 'browser'>, authorityUrl: string, timeout = 15_000): Promise<Page> {
  const target = await session.browser.waitForTarget((candidate) => candidate.type() === 'page' && candidate.url().startsWith(authorityUrl), { timeout });
  const page = await target.page();
  if (!page) throw new Error(`no page for the sign-in window at ${target.url()}`);
  return page;
}

/**
 * Fills and submits the emulator's sign-in page as a person would: each field found by its label, the
 * button by its role and name. (Puppeteer's ARIA selectors find the button in Firefox, but not the
 * password field: Firefox's accessibility tree gives it no role they match, so fields go by <label>.)
 */
export async function completeFirefoxSignIn(signInPage: Page, credentials: { username: string; password: string }): Promise<void> {
  await (await fieldLabelled(signInPage, 'Email, phone, or Skype')).type(credentials.username);
  await (await fieldLabelled(signInPage, 'Password')).type(credentials.password);
  await signInPage.locator('::-p-aria([name="Sign in"][role="button"])').click();
}

/** The form control whose <label> reads `label`. */
async function fieldLabelled(page: Page, label: string): Promise<ElementHandle<HTMLInputElement>> {
  await page.waitForFunction((text) => [...document.querySelectorAll('label')].some((element) => element.textContent?.trim() === text && element.control), { timeout: 10_000 }, label);
  const field = await page.evaluateHandle((text) => [...document.querySelectorAll('label')].find((element) => element.textContent?.trim() === text)!.control as HTMLInputElement, label);
  return field as ElementHandle<HTMLInputElement>;
}
