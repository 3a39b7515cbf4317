import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { GECKO_ID } from '../../wxt.config.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { buildExtension, directoryCounts, emulatorSettings, registerSpaRedirect, type Envelope } from '../helpers/extension.ts';
import {
  completeFirefoxSignIn,
  FIREFOX_EXTENSION_UUID,
  firefoxRedirectUri,
  launchFirefoxExtension,
  waitForSignInWindow,
  writeFirefoxSettings,
  type FirefoxExtensionSession,
} from '../helpers/firefox.ts';
import { expectedMirrorSize, synced, tenantStatus, waitForStatus } from '../helpers/onboarding.ts';
import { envTenant, startTestProxy, type TestProxy } from '../helpers/proxy.ts';

/**
 * The Firefox build (MV3, background event page, no offscreen document) in Debian's Firefox ESR,
 * headless, against the tenant emulator and a real proxy: the background answers, an employee signs in
 * from the popup through identity.launchWebAuthFlow, the directory syncs into IndexedDB, the popup
 * searches it, and sign-out empties it. One Firefox, one emulator and one proxy for the file; the tests
 * run in order and each builds on the state the previous one left.
 *
 * The tenant is configured in the proxy's environment (application mode, consent given), and the proxy
 * allows the add-on's origin (a UUID pinned by the profile) by CORS in place of the host permission an
 * admin grants in the options page.
 */

const WAIT = { timeout: 10_000 };
const PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let emulator: Emulator;
let proxy: TestProxy;
let ext: FirefoxExtensionSession;
let jose: DirectoryUser;
let hostile: DirectoryUser;

interface SyncStatus {
  lastSyncAt: number | null;
  syncing: boolean;
  error: { code: string; message: string } | null;
  count: number;
}

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};

/** Record counts of the extension's database (lib/db.ts: "peoplebook"), and its contacts (one byId entry each). */
/** Record counts of the extension's stores, and its contacts (tests/helpers/extension.ts). */
const storeCounts = () => ext.evaluate(directoryCounts);

/**
 * Opens popup.html in a tab (as the omnibox does) once its first render is done, recording from then on
 * any CSP violation (what an injected inline script or handler causes in an extension page) and, each
 * time the live result count changes (the last thing a search writes, lib/ui/popup.ts runSearch), the
 * query then in the box: a search whose query is no longer in the box never renders.
 */
async function openPopup(): Promise<Page> {
  const page = await ext.openPage('popup.html');
  await page.waitForSelector('[data-testid="popup"]', WAIT);
  await page.evaluate(() => {
    const w = window as unknown as { __rendered: string[]; __violations: string[] };
    w.__rendered = [];
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) => w.__violations.push(`${event.violatedDirective}: ${event.sample}`));
    const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]')!;
    const count = document.querySelector('[data-testid="result-count"]')!;
    new MutationObserver(() => w.__rendered.push(input.value.trim())).observe(count, { childList: true, characterData: true, subtree: true });
  });
  return page;
}

/** Types `query` into the search box (replacing its text) and waits until the list shows its answer. */
async function search(page: Page, query: string): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __rendered: string[] }).__rendered = []));
  await page.locator('[data-testid="search-input"]').fill(query);
  await expect.poll(() => page.evaluate((q) => (window as unknown as { __rendered: string[] }).__rendered.includes(q), query.trim()), WAIT).toBe(true);
}

const rowIds = (page: Page) => page.$$eval('[data-testid="result-row"] [data-contact-id]', (rows) => rows.map((row) => row.getAttribute('data-contact-id')));
const textOf = (page: Page, testId: string) => page.$eval(`[data-testid="${testId}"]`, (element) => element.textContent);

beforeAll(async () => {
  const [extensionDir, started] = await Promise.all([buildExtension({ browser: 'firefox' }), startTestEmulator({ users: 200, adminConsent: true })]);
  emulator = started;
  const tenant = `/tenants/${emulator.tenantId}/users`;
  // Colleagues the tests look for, in the directory before the proxy mirrors it.
  jose = await control<DirectoryUser>(emulator, 'POST', tenant, { displayName: 'José Müller', givenName: 'José', surname: 'Müller', userPrincipalName: `jose.muller@${emulator.tenantDomain}`, jobTitle: 'Cartographer' });
  hostile = await control<DirectoryUser>(emulator, 'POST', tenant, { displayName: PAYLOAD, userPrincipalName: `payload@${emulator.tenantDomain}`, jobTitle: PAYLOAD, officeLocation: PAYLOAD });
  await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { delegated: ['openid', 'profile', 'email', 'offline_access', 'User.Read'], application: ['User.Read.All'] });
  // The add-on's origin is pinned by the profile, so the proxy can start while Firefox does.
  const [session, running] = await Promise.all([
    launchFirefoxExtension({ caCertPath: emulator.caCertPath, extensionDir }),
    startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_ALLOWED_ORIGINS: `moz-extension://${FIREFOX_EXTENSION_UUID}` }),
  ]);
  [ext, proxy] = [session, running];
  await Promise.all([registerSpaRedirect(emulator, firefoxRedirectUri()), waitForStatus(proxy.url, emulator.tenantId, synced)]);
}, 60_000);

afterAll(async () => {
  await ext?.close();
  await proxy?.close();
  await emulator?.close();
});

describe('Peoplebook extension in Firefox ESR (emulator, proxy)', () => {
  it('the background event page answers auth/state: not configured, then configured once the settings are written', async () => {
    expect(ext.id).toBe(FIREFOX_EXTENSION_UUID);
    expect(ext.addonId).toBe(GECKO_ID);
    expect(value(await ext.send({ type: 'auth/state' }))).toEqual({ configured: false, signedIn: false, account: null });
    // The SPA redirect URI the admin registers for Firefox: the add-on ID's hash under extensions.allizom.org.
    expect(await ext.evaluate(() => (globalThis as unknown as { browser: { identity: { getRedirectURL(): string } } }).browser.identity.getRedirectURL())).toBe(firefoxRedirectUri(GECKO_ID));

    await writeFirefoxSettings(ext, emulatorSettings(emulator, proxy.url));
    expect(value(await ext.send({ type: 'auth/state' }))).toEqual({ configured: true, signedIn: false, account: null });
  });

  it('employee sign-in from the popup through identity.launchWebAuthFlow; the popup shows the account', async () => {
    const popup = await openPopup();
    await popup.waitForSelector('[data-testid="notice-signed-out"]', WAIT);
    const signInWindow = waitForSignInWindow(ext, emulator.url);
    await popup.locator('[data-testid="sign-in"]').click();
    const signInPage = await signInWindow;
    const authorize = new URL(signInPage.url());
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(firefoxRedirectUri());
    await completeFirefoxSignIn(signInPage, { username: emulator.employeeUpn, password: emulator.password });

    const employee = emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
    await expect.poll(() => textOf(popup, 'account'), WAIT).toBe(`Signed in as ${employee.displayName}`);
    expect(await popup.$('[data-testid="notice-signed-out"]')).toBeNull();
    expect(value(await ext.send({ type: 'auth/state' }))).toMatchObject({ configured: true, signedIn: true, account: { username: emulator.employeeUpn, tenantId: emulator.tenantId } });
    await popup.close();
  });

  it("sync/now fills IndexedDB with the tenant's directory", async () => {
    // Sign-in started a sync; sync/now joins it (or runs the next one).
    const status = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    const mirrored = (await tenantStatus(proxy.url, emulator.tenantId)).usersMirrored;
    expect(mirrored).toBe(expectedMirrorSize(emulator));
    expect(status).toMatchObject({ error: null, syncing: false, count: mirrored });
    expect(status.lastSyncAt).toBeGreaterThan(Date.now() - 60_000);
    const counts = await storeCounts();
    expect(counts.contacts).toBe(mirrored);
    expect(counts.meta).toBeGreaterThan(0);
    expect(counts.searchIndex).toBeGreaterThan(0);
  });

  it('the popup finds an accented colleague typed without accents, and shows directory text as text', async () => {
    const popup = await openPopup();
    for (const query of ['jose muller', 'MULLER JOSE']) {
      await search(popup, query);
      expect(await textOf(popup, 'row-name'), query).toBe('José Müller');
      expect((await rowIds(popup))[0], query).toBe(jose.id);
    }

    await search(popup, 'payload');
    expect(await rowIds(popup)).toEqual([hostile.id]);
    expect(await textOf(popup, 'row-name')).toBe(PAYLOAD);
    await popup.keyboard.press('Enter');
    await popup.waitForSelector(`[data-testid="contact-card"][data-contact-id="${hostile.id}"]`, WAIT);
    expect(await textOf(popup, 'card-name')).toBe(PAYLOAD);
    const dom = await popup.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      inlineScripts: document.querySelectorAll('script:not([src])').length,
      handlers: document.querySelectorAll('[onerror]').length,
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      violations: (window as unknown as { __violations: string[] }).__violations,
    }));
    expect(dom).toEqual({ images: 0, inlineScripts: 0, handlers: 0, pwned: undefined, violations: [] });
    await popup.close();
  });

  it('sign-out empties the IndexedDB stores and the popup shows the signed-out state', async () => {
    expect((await storeCounts()).contacts).toBeGreaterThan(0);
    expect(value(await ext.send({ type: 'auth/sign-out' }))).toMatchObject({ signedIn: false, account: null });
    expect(await storeCounts()).toEqual({ contacts: 0, chunks: 0, photos: 0, meta: 0, searchIndex: 0 });
    expect(value(await ext.send<SyncStatus>({ type: 'sync/status' }))).toMatchObject({ count: 0, lastSyncAt: null });

    const popup = await openPopup();
    await popup.waitForSelector('[data-testid="notice-signed-out"]', WAIT);
    expect(await popup.$eval('[data-testid="sign-in"]', (button) => (button as HTMLElement).checkVisibility())).toBe(true);
    expect(await textOf(popup, 'account')).toBe('');
    await search(popup, 'jose');
    expect(await rowIds(popup)).toEqual([]);
    expect(await popup.$eval('[data-testid="list-state"]', (element) => element.getAttribute('data-state'))).toBe('no-results');
  });
});
