import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { EXTENSION_ID } from '../../wxt.config.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { buildExtension, chromiumRedirectUri, completeSignIn, directoryCounts, launchExtension, openToolbarPopup, registerSpaRedirect, type Envelope, type ExtensionSession } from '../helpers/extension.ts';
import { expectedMirrorSize, tenantStatus } from '../helpers/onboarding.ts';
import { startTestProxy, type TestProxy } from '../helpers/proxy.ts';

/**
 * The whole extension in Debian's Chromium, as its people use it, against the tenant emulator and a real
 * proxy: the admin connects the tenant from the options page (consent included), an employee signs in
 * from the popup through identity.launchWebAuthFlow, the 5,000-person directory syncs into IndexedDB,
 * and the popup is used with the keyboard. One browser, one emulator and one proxy for the file; the
 * tests run in order and each builds on the state the previous one left.
 *
 * Nothing in the proxy's environment names the tenant or allows the extension's origin by CORS: the
 * options page sets the tenant up, and the extension reaches the proxy and the emulator through the
 * host permissions the options page asks for (granted in the profile: see grantedHostPermissions).
 */

/** How long to wait for the extension's pages to show something (generous: the suite runs browsers in parallel). */
const WAIT = { timeout: 10_000 };
const PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
const USERS = 5_000;

let emulator: Emulator;
let proxy: TestProxy;
let ext: ExtensionSession;
/** A page of the proxy's origin, allowed to read the clipboard (extension origins can't be granted it). */
let clipboardReader: Page;
let popup: Page;
let jose: DirectoryUser;
let hostile: DirectoryUser;

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

/** Record counts of the extension's stores, and its contacts (tests/helpers/extension.ts). */
const storeCounts = () => ext.evaluate(directoryCounts);

/** The stored contact with `id`, or null. */
const storedContact = (id: string) =>
  ext.page.evaluate(
    (key) =>
      new Promise<{ id: string; displayName: string } | null>((resolve, reject) => {
        const open = indexedDB.open('peoplebook');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          // lib/db.ts: contacts live in chunks, found by id through the byId index.
          const request = open.result.transaction('chunks').objectStore('chunks').index('byId').get(key);
          request.onsuccess = () => {
            open.result.close();
            const chunk = request.result as { ids: string[]; contacts: { id: string; displayName: string }[] } | undefined;
            resolve(chunk?.contacts[chunk.ids.indexOf(key)] ?? null);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    id,
  );

/** What the system clipboard holds, read from a page allowed to (the proxy's origin). */
async function readClipboard(): Promise<string> {
  await clipboardReader.bringToFront();
  return clipboardReader.evaluate(() => navigator.clipboard.readText());
}

/** Opens the popup (popup.html in a tab, as the omnibox does) and waits for its first render. */
async function openPopup(): Promise<Page> {
  if (popup && !popup.isClosed()) await popup.close();
  popup = await ext.context.newPage();
  // Before the popup's own code runs: record any script the page would run from directory text (a CSP
  // violation is what an injected inline script or handler causes in an extension page).
  await popup.addInitScript(() => {
    const w = window as unknown as { __violations: string[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) => w.__violations.push(`${event.violatedDirective}: ${event.sample}`));
  });
  await popup.goto(`chrome-extension://${ext.id}/popup.html`);
  await popup.getByTestId('popup').waitFor();
  // The live result count is the last thing a search writes (lib/ui/popup.ts runSearch). Each time it
  // changes, note the query in the box: a search whose query is no longer in the box never renders, so a
  // change noted under query Q is Q's answer on screen.
  await popup.evaluate(() => {
    const w = window as unknown as { __rendered: string[] };
    w.__rendered = [];
    const input = document.querySelector<HTMLInputElement>('[data-testid="search-input"]')!;
    const count = document.querySelector('[data-testid="result-count"]')!;
    new MutationObserver(() => w.__rendered.push(input.value.trim())).observe(count, { childList: true, characterData: true, subtree: true });
  });
  return popup;
}

/** Waits until the popup shows its answer to `query` (the text now in the search box). */
async function rendered(page: Page, query: string): Promise<void> {
  await expect.poll(() => page.evaluate((q) => (window as unknown as { __rendered: string[] }).__rendered.includes(q), query.trim()), WAIT).toBe(true);
}

/** Types `query` into the search box (replacing its text) and waits until the list shows its answer. */
async function search(page: Page, query: string): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __rendered: string[] }).__rendered = []));
  await page.getByTestId('search-input').fill(query);
  await rendered(page, query);
}

/** The match pattern of a URL's scheme and host (what optional_host_permissions grants: any port). */
const originPattern = (url: string): string => `${new URL(url).protocol}//${new URL(url).hostname}/*`;

const rowIds = (page: Page) => page.locator('[data-testid="result-row"] [data-contact-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-contact-id')));

beforeAll(async () => {
  const [extensionDir, started] = await Promise.all([buildExtension(), startTestEmulator({ users: USERS })]);
  emulator = started;
  const tenant = `/tenants/${emulator.tenantId}/users`;
  // Colleagues the tests look for, in the directory before anything syncs.
  jose = await control<DirectoryUser>(emulator, 'POST', tenant, { displayName: 'José Müller', givenName: 'José', surname: 'Müller', userPrincipalName: `jose.muller@${emulator.tenantDomain}`, jobTitle: 'Cartographer' });
  hostile = await control<DirectoryUser>(emulator, 'POST', tenant, { displayName: PAYLOAD, userPrincipalName: `payload@${emulator.tenantDomain}`, jobTitle: PAYLOAD, officeLocation: PAYLOAD });

  // No tenant in the proxy's environment: the admin connects it from the options page.
  proxy = await startTestProxy(emulator);
  ext = await launchExtension({ spki: emulator.spki, extensionDir, grantedOrigins: [originPattern(proxy.config.publicUrl), originPattern(emulator.url)] });
  await registerSpaRedirect(emulator, chromiumRedirectUri(ext.id));
  await ext.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: proxy.url });
  clipboardReader = await ext.context.newPage();
  await clipboardReader.goto(`${proxy.url}/healthz`);
}, 60_000);

afterAll(async () => {
  await ext?.close();
  await proxy?.close();
  await emulator?.close();
});

describe('Peoplebook extension end to end (Chromium, emulator, proxy)', () => {
  it('admin setup: the options page shows and copies both redirect URIs, Save and Authorize leads through consent, and the live status turns active with the directory mirrored', async () => {
    const options = await ext.context.newPage();
    // Records what the page asks permissions.request for (then lets Chromium answer).
    await options.addInitScript(() => {
      const w = window as unknown as { __asked: string[][]; chrome: { permissions: { request(p: { origins?: string[] }): Promise<boolean> } } };
      w.__asked = [];
      const request = w.chrome.permissions.request.bind(w.chrome.permissions);
      w.chrome.permissions.request = (permissions) => {
        w.__asked.push(permissions.origins ?? []);
        return request(permissions);
      };
    });
    await options.goto(`chrome-extension://${ext.id}/options.html`);
    await options.getByTestId('setup-form').waitFor();

    await options.getByTestId('field-cloud').selectOption('custom');
    await options.getByTestId('field-authorityHost').fill(emulator.url);
    // The proxy's public URL (PEOPLEBOOK_PUBLIC_URL, here http://localhost:<port>), as its admin knows it.
    const proxyUrl = proxy.config.publicUrl;
    await options.getByTestId('field-proxyUrl').fill(proxyUrl);
    await options.getByTestId('field-tenantId').fill(emulator.tenantDomain);
    await options.getByTestId('field-clientId').fill(emulator.clientId);
    await options.getByTestId('field-graphAuth').selectOption('delegated');
    await options.getByTestId('field-clientSecret').fill(emulator.clientSecret);

    // The two redirect URIs the admin registers, each with a working copy button.
    const web = `${proxyUrl}/api/azure/callback`;
    const spa = `https://${EXTENSION_ID}.chromiumapp.org/`;
    expect(web).toBe(proxy.config.callbackUrl);
    await expect.poll(() => options.getByTestId('redirect-web').textContent(), WAIT).toBe(web);
    expect(await options.getByTestId('redirect-spa').textContent()).toBe(spa);
    await options.getByTestId('copy-redirect-web').click();
    await expect.poll(() => options.getByTestId('setup-message').textContent(), WAIT).toBe(`Copied ${web}`);
    expect(await readClipboard()).toBe(web);
    await options.bringToFront();
    await options.getByTestId('copy-redirect-spa').click();
    await expect.poll(() => options.getByTestId('setup-message').textContent(), WAIT).toBe(`Copied ${spa}`);
    expect(await readClipboard()).toBe(spa);

    // Save and Authorize: host permissions for the proxy and the authority, then the authorize URL in a new tab.
    await options.bringToFront();
    const tabOpened = ext.context.waitForEvent('page', { timeout: 15_000 });
    await options.getByTestId('save-authorize').click();
    const consentTab = await tabOpened;
    await consentTab.waitForLoadState();
    expect(await options.evaluate(() => (window as unknown as { __asked: string[][] }).__asked)).toEqual([['http://localhost/*', 'https://localhost/*']]);
    const authorize = new URL(consentTab.url());
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(emulator.clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(web);

    // The admin signs in, consents for the organization, and lands on the proxy's callback page.
    await completeSignIn(consentTab, { username: emulator.adminUpn, password: emulator.password });
    await consentTab.getByLabel('Consent on behalf of your organization').check();
    await consentTab.getByRole('button', { name: 'Accept' }).click();
    await consentTab.waitForURL((url) => url.href.startsWith(`${web}?`));
    expect(await consentTab.locator('h1').textContent()).toBe('Peoplebook is connected');
    await consentTab.close();

    // Back on the options page: the live status follows the proxy to active, with the mirror filled.
    await options.bringToFront();
    const usersMirrored = () => options.locator('[data-testid="status-rows"] div', { hasText: 'Users mirrored' }).locator('dd').textContent();
    await expect.poll(() => options.getByTestId('status-headline').textContent(), { timeout: 15_000 }).toBe('Connected.');
    const expected = expectedMirrorSize(emulator);
    await expect.poll(async () => Number((await usersMirrored())?.replace(/,/g, '')), { timeout: 15_000 }).toBe(expected);
    expect(await options.getByTestId('tenant-status').getAttribute('data-tone')).toBe('ok');
    expect(await tenantStatus(proxy.url, emulator.tenantId)).toMatchObject({ state: 'active', graphAuth: 'delegated', usersMirrored: expected });

    // Saved: the tenant as its GUID (the proxy resolved the domain), and the secret nowhere in the extension's storage.
    const stored = await options.evaluate(() => (globalThis as unknown as { chrome: { storage: { local: { get(): Promise<Record<string, unknown>> } } } }).chrome.storage.local.get());
    expect(stored).toMatchObject({ 'settings.tenantId': emulator.tenantId, 'settings.clientId': emulator.clientId, 'settings.proxyUrl': proxyUrl, 'settings.cloud': 'custom', 'settings.authorityHost': emulator.url });
    expect(JSON.stringify(stored)).not.toContain(emulator.clientSecret);
    expect(await options.getByTestId('field-clientSecret').inputValue()).toBe('');
    await options.close();
  });

  it(`employee sign-in from the popup through launchWebAuthFlow, then the ${USERS.toLocaleString('en')}-user directory synced into IndexedDB`, async () => {
    const page = await openPopup();
    await page.getByTestId('notice-signed-out').waitFor();
    const signInWindow = ext.context.waitForEvent('page', { timeout: 15_000 });
    await page.getByTestId('sign-in').click();
    const signInPage = await signInWindow;
    const authorize = new URL(signInPage.url());
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(chromiumRedirectUri(EXTENSION_ID));
    await completeSignIn(signInPage, { username: emulator.employeeUpn, password: emulator.password });
    const employee = emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
    await expect.poll(() => page.getByTestId('account').textContent(), { timeout: 15_000 }).toBe(`Signed in as ${employee.displayName}`);
    expect(await page.getByTestId('notice-signed-out').count()).toBe(0);

    // Sign-in started the sync; sync/now joins it.
    const status = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    const mirror = (await tenantStatus(proxy.url, emulator.tenantId)).usersMirrored;
    expect(mirror).toBe(expectedMirrorSize(emulator));
    expect(mirror).toBeGreaterThan(USERS * 0.9);
    expect(status).toMatchObject({ error: null, syncing: false, count: mirror });
    expect((await storeCounts()).contacts).toBe(mirror);
    expect(await storedContact(jose.id)).toMatchObject({ displayName: 'José Müller' });
  });

  it('finds an accented name typed without accents, in any case', async () => {
    const page = await openPopup();
    // Both words: the one colleague whose name has a word starting with each, first.
    for (const query of ['jose muller', 'MULLER JOSE', 'jos mül']) {
      await search(page, query);
      expect(await page.getByTestId('row-name').first().textContent(), query).toBe('José Müller');
      expect((await rowIds(page))[0], query).toBe(jose.id);
    }
    // One word: among the matches (other Josés, other Müllers).
    for (const query of ['jose', 'MULLER', 'müll']) {
      await search(page, query);
      expect(await rowIds(page), query).toContain(jose.id);
    }
  });

  it('the toolbar popup itself (action.openPopup) opens focused on the search box and finds a colleague', async () => {
    const real = await openToolbarPopup(ext);
    // Until its first render the popup may still be loading.
    for (let attempt = 0; attempt < 100 && !(await real.evaluate<boolean>(`Boolean(document.querySelector('[data-testid="search-input"]'))`)); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await real.evaluate<string | undefined>('document.activeElement?.dataset.testid')).toBe('search-input');
    // The live result count is the last thing a search writes (lib/ui/popup.ts runSearch).
    const names = await real.evaluate<string[]>(`new Promise((resolve) => {
      const input = document.querySelector('[data-testid="search-input"]');
      new MutationObserver(() => resolve([...document.querySelectorAll('[data-testid="row-name"]')].map((row) => row.textContent)))
        .observe(document.querySelector('[data-testid="result-count"]'), { childList: true, characterData: true, subtree: true });
      input.value = 'jose mull';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    })`);
    expect(names[0]).toBe('José Müller');
    await real.evaluate('window.close()');
  });

  it('shows a directory user whose name is an HTML/script payload as text, in the results and on the card, and runs nothing', async () => {
    const page = await openPopup();
    await search(page, 'payload');
    expect(await rowIds(page)).toEqual([hostile.id]);
    expect(await page.getByTestId('row-name').textContent()).toBe(PAYLOAD);
    await page.keyboard.press('Enter');
    await page.getByTestId('contact-card').waitFor();
    expect(await page.getByTestId('contact-card').getAttribute('data-contact-id')).toBe(hostile.id);
    expect(await page.getByTestId('card-name').textContent()).toBe(PAYLOAD);
    expect(await page.getByTestId('card-title').textContent()).toBe(PAYLOAD);

    const dom = await page.evaluate(() => ({
      images: document.querySelectorAll('img').length,
      inlineScripts: document.querySelectorAll('script:not([src])').length,
      scripts: [...document.querySelectorAll('script')].map((script) => script.getAttribute('src')),
      handlers: document.querySelectorAll('[onerror]').length,
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      violations: (window as unknown as { __violations: string[] }).__violations,
    }));
    expect(dom).toEqual({ images: 0, inlineScripts: 0, scripts: [expect.stringMatching(/^\/chunks\/popup-[\w-]+\.js$/)], handlers: 0, pwned: undefined, violations: [] });
  });

  it('picks up a user added in the emulator and drops a deleted one after the next sync', async () => {
    const directory = emulator.state.registry.get(emulator.tenantId)!.directory;
    const added = await control<DirectoryUser>(emulator, 'POST', `/tenants/${emulator.tenantId}/users`, { displayName: 'Zelda Newcomer', userPrincipalName: `zelda.newcomer@${emulator.tenantDomain}`, jobTitle: 'Apprentice' });
    // A seeded colleague who is in the local copy, and not one the other tests use.
    let victim: DirectoryUser | undefined;
    for (let position = 200; !victim; position++) {
      const user = directory.atPosition(position)!;
      if (user.accountEnabled && user.userType === 'Member' && user.userPrincipalName !== emulator.employeeUpn) victim = user;
    }
    expect(await storedContact(victim.id)).not.toBeNull();
    await control(emulator, 'DELETE', `/tenants/${emulator.tenantId}/users/${victim.id}`);

    const before = (await storeCounts()).contacts;
    await proxy.proxy.scheduler.runNow(emulator.tenantId);
    const status = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    expect(status).toMatchObject({ error: null, count: before });
    expect(status.count).toBe((await tenantStatus(proxy.url, emulator.tenantId)).usersMirrored);
    expect(await storedContact(added.id)).toMatchObject({ displayName: 'Zelda Newcomer' });
    expect(await storedContact(victim.id)).toBeNull();

    const page = await openPopup();
    await search(page, 'zelda newcomer');
    expect(await rowIds(page)).toEqual([added.id]);
    await search(page, victim.userPrincipalName);
    expect(await rowIds(page)).not.toContain(victim.id);
    expect(await page.getByTestId('list-state').getAttribute('data-state')).toBe('no-results');
  });

  it('works from the keyboard alone: focused on open, arrows, Enter opens the card, Escape goes back, Alt+C copies the email and says so', async () => {
    const page = await openPopup();
    await page.bringToFront();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search-input');

    // A first name several colleagues share.
    const counts = new Map<string, number>();
    for (const { user } of emulator.state.registry.get(emulator.tenantId)!.directory.iterate()) if (user.givenName) counts.set(user.givenName, (counts.get(user.givenName) ?? 0) + 1);
    const name = [...counts].filter(([given, count]) => count >= 3 && /^[a-z]+$/i.test(given)).sort((a, b) => b[1] - a[1])[0]![0];
    await page.keyboard.type(name.toLowerCase());
    await rendered(page, name.toLowerCase());
    expect((await rowIds(page)).length).toBeGreaterThanOrEqual(2);
    const input = page.getByTestId('search-input');
    await page.keyboard.press('ArrowDown');
    const active = await input.getAttribute('aria-activedescendant');
    expect(await page.locator(`#${active}`).getAttribute('aria-posinset')).toBe('2');
    const second = (await page.locator(`#${active} [data-contact-id]`).getAttribute('data-contact-id'))!;
    const email = (await page.locator(`#${active} [data-testid="row-email"]`).textContent())!;
    expect(email).toMatch(/@/);

    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('contact-card').getAttribute('data-contact-id'), WAIT).toBe(second);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('card-name');

    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('card-view').isHidden(), WAIT).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('search-input');
    expect(await input.inputValue()).toBe(name.toLowerCase());
    expect(await input.getAttribute('aria-activedescendant')).toBe(active);

    await page.keyboard.press('Alt+KeyC');
    await expect.poll(() => page.getByTestId('toast').textContent(), WAIT).toBe(`Copied email address: ${email}`);
    expect(await page.getByTestId('toast').getAttribute('role')).toBe('status');
    expect(await readClipboard()).toBe(email);
  });

  it('signs out: IndexedDB is emptied, also of a photo that arrives after, and the popup shows the signed-out state', async () => {
    // A card is open and its photo is on its way (Graph answers the proxy slowly) when the employee signs out.
    const directory = emulator.state.registry.get(emulator.tenantId)!.directory;
    let pictured: DirectoryUser | undefined;
    for (let position = 300; !pictured; position++) {
      const user = directory.atPosition(position)!;
      if (user.hasPhoto && user.accountEnabled && user.userType === 'Member') pictured = user;
    }
    const page = await openPopup();
    await search(page, pictured.userPrincipalName);
    expect((await rowIds(page))[0]).toBe(pictured.id);
    await control(emulator, 'PUT', '/graph/faults', { latencyMs: 1_500 });
    try {
      const photoRequested = page.waitForRequest((request) => request.url().includes(`/users/${pictured.id}/photo`));
      await page.keyboard.press('Enter');
      await photoRequested;
      expect((await storeCounts()).contacts).toBeGreaterThan(0);
      expect(value(await ext.send({ type: 'auth/sign-out' }))).toMatchObject({ signedIn: false, account: null });
      expect(await storeCounts()).toEqual({ contacts: 0, chunks: 0, photos: 0, meta: 0, searchIndex: 0 });
      // The photo still arrives (the card shows it), but nothing is written back into the emptied copy.
      await expect.poll(() => page.getByTestId('card-photo').getAttribute('data-photo'), { timeout: 10_000 }).toBe('loaded');
    } finally {
      await control(emulator, 'PUT', '/graph/faults', { latencyMs: 0 });
    }
    expect(await storeCounts()).toEqual({ contacts: 0, chunks: 0, photos: 0, meta: 0, searchIndex: 0 });

    const reopened = await openPopup();
    await reopened.getByTestId('notice-signed-out').waitFor();
    expect(await reopened.getByTestId('sign-in').isVisible()).toBe(true);
    expect(await reopened.getByTestId('account').textContent()).toBe('');
    await search(reopened, 'jose');
    expect(await rowIds(reopened)).toEqual([]);
    expect(await reopened.getByTestId('list-state').getAttribute('data-state')).toBe('no-results');
  });
});
