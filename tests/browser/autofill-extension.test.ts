import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import { MENU_UNDO, FILL_COMMAND, INLINE_SCRIPT_ID } from '../../extension/lib/autofill/triggers.ts';
import { control } from '../helpers/emulator.ts';
import type { Envelope } from '../helpers/extension.ts';
import { signInEmployee, startTenantExtension, type TenantExtension } from '../helpers/extension-tenant.ts';

/**
 * Autofill through the real extension in Chromium: an employee signed in, the directory synced from a
 * real proxy into IndexedDB, a plain contact form on http://127.0.0.1, and the fill triggered the way
 * the keyboard command (Alt+Shift+F) triggers it. The background injects the content script built by
 * WXT, the user types into the picker in the page and presses Enter, the background answers the
 * searches from the local copy and gives the values of the one colleague picked.
 *
 * How the trigger is pulled: headless Chromium has no toolbar, context menu or browser shortcuts, so
 * the test dispatches the extension's own `commands.onCommand` (and `contextMenus.onClicked`) event in
 * the service worker; the listener background.ts registered runs, exactly as for the real key press.
 * The key press would also grant `activeTab` for the page; a dispatched event grants nothing, so the
 * profile starts with the page's site allowed instead (http://127.0.0.1/*, one of the optional host
 * permissions: helpers/extension.ts grantedHostPermissions), as a user who allowed inline suggestions
 * there has it. That grant also puts inline mode's registration on the site, which is checked too.
 */

const TARGET = { displayName: 'Zephyrine Quillfeather', givenName: 'Zephyrine', surname: 'Quillfeather', jobTitle: 'Head of Cartography', department: 'Surveying', companyName: 'Contoso Maps', businessPhones: ['+1 425 555 0142'], mobilePhone: '+1 206 555 0199' };
/** Shown by the search for "zephyr" beside the target: none of it may reach the page. */
const OTHERS = [
  { displayName: 'Zephyrina Hollowmere', givenName: 'Zephyrina', surname: 'Hollowmere', jobTitle: 'Undisclosed Projects Lead', department: 'Skunkworks', companyName: 'Contoso', businessPhones: ['+44 20 7946 0123'], mobilePhone: '+44 7700 900123' },
  { displayName: 'Zephyrus Marlowe', givenName: 'Zephyrus', surname: 'Marlowe', jobTitle: 'Chief Whisperer', department: 'Board', companyName: 'Contoso', businessPhones: ['+49 30 9876 5432'], mobilePhone: null },
];

const CONTACT_FORM = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Contact us</title></head>
<body>
<h1>Request a call back</h1>
<form id="contact">
  <p><label for="name">Full name</label> <input id="name" name="name"></p>
  <p><label for="email">Email</label> <input id="email" type="email" name="email"></p>
  <p><label for="phone">Phone</label> <input id="phone" type="tel" name="phone"></p>
  <p><label for="company">Company</label> <input id="company" name="company"></p>
  <p><label for="title">Job title</label> <input id="title" name="job_title"></p>
  <p><label for="password">Choose a password</label> <input id="password" type="password" name="password"></p>
  <button type="submit">Send</button>
</form>
<script>
  // Everything this page can observe: each event anywhere (capture phase on window) with its target's
  // value, every DOM change, every postMessage.
  window.__seen = [];
  const note = (entry) => window.__seen.push(JSON.stringify(entry));
  for (const type of ['input', 'beforeinput', 'change', 'keydown', 'keyup', 'keypress', 'focusin', 'focusout', 'focus', 'blur', 'click', 'select', 'paste', 'copy', 'compositionend', 'message', 'toggle', 'beforetoggle']) {
    window.addEventListener(type, (e) => note({ type, target: e.target && (e.target.id || e.target.localName), value: e.target && e.target.value, data: e.data ?? null, key: e.key ?? null, detail: e.detail ?? null }), true);
  }
  new MutationObserver((records) => {
    for (const r of records) note({ mutation: r.type, target: r.target.nodeName, attribute: r.attributeName, now: r.type === 'attributes' ? r.target.getAttribute(r.attributeName) : null, text: [...r.addedNodes].map((n) => n.textContent).join(' '), old: r.oldValue });
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true, attributeOldValue: true, characterDataOldValue: true });
</script>
</body></html>`;

const NO_FIELDS = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Search</title></head>
<body><form role="search"><input type="search" name="q" aria-label="Search the site"></form><p>Nothing to fill here.</p></body></html>`;

let setup: TenantExtension;
let site: { url: string; server: Server };
let target: DirectoryUser;
let others: DirectoryUser[];

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};

async function serveSite(): Promise<{ url: string; server: Server }> {
  const pages: Record<string, string> = { '/contact.html': CONTACT_FORM, '/no-fields.html': NO_FIELDS };
  const server = createServer((req, res) => {
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Opens a page of the site in a new tab and makes it the active tab of the focused window. */
async function openSite(path: string): Promise<Page> {
  const page = await setup.ext.context.newPage();
  await page.goto(`${site.url}${path}`);
  await page.bringToFront();
  return page;
}

/** Dispatches one of the extension's own events in its service worker, with the active tab (as Chrome passes it). */
function dispatchInWorker(event: 'command' | 'menu', argument: unknown): Promise<number> {
  return setup.ext.serviceWorker.evaluate(
    async ([kind, arg]) => {
      interface Chrome {
        tabs: { query(q: object): Promise<{ id: number }[]> };
        commands: { onCommand: { dispatch(command: unknown, tab: unknown): void } };
        contextMenus: { onClicked: { dispatch(info: unknown, tab: unknown): void } };
      }
      const chrome = (globalThis as unknown as { chrome: Chrome }).chrome;
      const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
      if (kind === 'command') chrome.commands.onCommand.dispatch(arg, tab);
      else chrome.contextMenus.onClicked.dispatch(arg, tab);
      return tab!.id;
    },
    [event, argument] as const,
  );
}

/**
 * The picker's options as assistive technology reads them (their aria-label), from inside its closed
 * shadow root: only the DevTools protocol (DOM.getDocument with pierce) can look in there, not the page.
 */
async function pickerOptions(page: Page): Promise<string[]> {
  interface Node {
    attributes?: string[];
    children?: Node[];
    shadowRoots?: Node[];
    contentDocument?: Node;
  }
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as { root: Node };
    const labels: string[] = [];
    const walk = (node: Node): void => {
      const attributes = new Map<string, string>();
      for (let i = 0; i + 1 < (node.attributes?.length ?? 0); i += 2) attributes.set(node.attributes![i]!, node.attributes![i + 1]!);
      if (attributes.get('role') === 'option') labels.push(attributes.get('aria-label') ?? '');
      for (const child of [...(node.shadowRoots ?? []), ...(node.children ?? [])]) walk(child);
    };
    walk(root);
    return labels;
  } finally {
    await cdp.detach();
  }
}

const formValues = (page: Page) => page.$$eval('#contact input', (inputs) => Object.fromEntries(inputs.map((input) => [input.id, (input as HTMLInputElement).value])));

beforeAll(async () => {
  site = await serveSite();
  setup = await startTenantExtension({
    users: 30,
    // The proxy goes by localhost, so that 127.0.0.1 is the test page's site only (the tenant's own hosts never get inline mode).
    proxyAddress: 'public',
    grantedOrigins: ['http://127.0.0.1/*'],
    seed: async (emulator) => {
      const add = (user: typeof TARGET | (typeof OTHERS)[number]) => {
        const local = `${user.givenName}.${user.surname}`.toLowerCase();
        return control<DirectoryUser>(emulator, 'POST', `/tenants/${emulator.tenantId}/users`, { ...user, userPrincipalName: `${local}@${emulator.tenantDomain}`, mail: `${local}@${emulator.tenantDomain}` });
      };
      target = await add(TARGET);
      others = await Promise.all(OTHERS.map(add));
    },
  });
  expect(value(await signInEmployee(setup))).toMatchObject({ signedIn: true });
  // Sign-in starts a sync; sync/now joins it.
  expect(value(await setup.ext.send<{ count: number; error: unknown }>({ type: 'sync/now' }))).toMatchObject({ error: null, count: expect.any(Number) });
}, 60_000);

afterAll(async () => {
  await setup?.close();
  await new Promise((resolve) => site?.server.close(resolve));
});

describe('autofill through the extension (Chromium)', () => {
  it('Alt+Shift+F: the picker opens in the page, the colleague typed and picked with Enter fills the form, and the page learns nothing else', async () => {
    const page = await openSite('/contact.html');
    await dispatchInWorker('command', FILL_COMMAND);

    // The picker opened at the first contact field and has the keyboard: the user types, as a person does.
    await expect.poll(() => page.evaluate(() => document.activeElement?.localName ?? ''), { timeout: 10_000 }).toMatch(/^peoplebook-autofill-/);
    await page.keyboard.type('zephyr', { delay: 25 });
    await expect.poll(() => pickerOptions(page), { timeout: 10_000 }).toHaveLength(3);
    expect((await pickerOptions(page)).map((label) => label.split(',')[0])).toEqual(expect.arrayContaining([TARGET.displayName, ...OTHERS.map((o) => o.displayName)]));
    await page.keyboard.type('ine', { delay: 25 });
    await expect.poll(() => pickerOptions(page)).toEqual([expect.stringMatching(/^Zephyrine Quillfeather/)]);
    await page.keyboard.press('Enter');

    await expect.poll(() => formValues(page), { timeout: 10_000 }).toMatchObject({ name: TARGET.displayName });
    expect(await formValues(page)).toEqual({
      name: 'Zephyrine Quillfeather',
      email: target.mail,
      phone: '+14255550142',
      company: 'Contoso Maps',
      title: 'Head of Cartography',
      password: '',
    });

    // What the page saw: the values, through input and change events as typing would cause them…
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen.map((entry) => JSON.parse(entry) as Record<string, unknown>));
    expect(seen).toContainEqual(expect.objectContaining({ type: 'input', target: 'email', value: target.mail }));
    expect(seen).toContainEqual(expect.objectContaining({ type: 'change', target: 'company', value: 'Contoso Maps' }));
    // …and nothing of the two other colleagues the picker showed: not in its events, DOM changes,
    // markup, text or storage.
    const observable = JSON.stringify({
      seen,
      html: await page.evaluate(() => new XMLSerializer().serializeToString(document)),
      text: await page.evaluate(() => document.body.innerText),
      storage: await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, name: window.name })),
    });
    for (const other of others) {
      for (const secret of [other.displayName, other.surname!, other.mail!, other.jobTitle!, other.department!, ...other.businessPhones, other.mobilePhone].filter(Boolean)) {
        expect(observable, `the page saw ${secret}`).not.toContain(secret!);
      }
    }
    // Nor the target's details the form didn't ask for.
    for (const unasked of [TARGET.department, TARGET.mobilePhone]) expect(observable).not.toContain(unasked);
    await page.close();
  });

  it('Undo fill (context menu) restores what the fill replaced; the inline registration covers the granted site only', async () => {
    const page = await openSite('/contact.html');
    await page.fill('#company', 'Typed by hand');
    await dispatchInWorker('command', FILL_COMMAND);
    await expect.poll(() => page.evaluate(() => document.activeElement?.localName ?? ''), { timeout: 10_000 }).toMatch(/^peoplebook-autofill-/);
    await page.keyboard.type('zephyrine', { delay: 20 });
    await expect.poll(() => pickerOptions(page), { timeout: 10_000 }).toHaveLength(1);
    await page.keyboard.press('Enter');
    // What the user typed stays (no overwrite unless asked).
    await expect.poll(() => formValues(page), { timeout: 10_000 }).toMatchObject({ name: TARGET.displayName, company: 'Typed by hand' });

    await dispatchInWorker('menu', { menuItemId: MENU_UNDO, frameId: 0, editable: true, pageUrl: page.url() });
    await expect.poll(() => formValues(page)).toEqual({ name: '', email: '', phone: '', company: 'Typed by hand', title: '', password: '' });

    const registered = await setup.ext.serviceWorker.evaluate((id) => (globalThis as unknown as { chrome: { scripting: { getRegisteredContentScripts(f: object): Promise<unknown[]> } } }).chrome.scripting.getRegisteredContentScripts({ ids: [id] }), INLINE_SCRIPT_ID);
    expect(registered).toEqual([
      expect.objectContaining({ id: INLINE_SCRIPT_ID, js: ['content-scripts/autofill.js'], matches: ['http://127.0.0.1/*'], excludeMatches: ['http://localhost/*', 'https://localhost/*'], allFrames: true, runAt: 'document_idle' }),
    ]);
    await page.close();
  });

  it("Fill into this page (the popup's message): answers how many contact fields the page has, or none", async () => {
    const contact = await openSite('/contact.html');
    expect(value(await setup.ext.send({ type: 'autofill/fill-active-tab' }))).toEqual({ fields: 5 });
    await contact.close();
    const empty = await openSite('/no-fields.html');
    expect(value(await setup.ext.send({ type: 'autofill/fill-active-tab' }))).toEqual({ fields: 0 });
    await empty.close();
  });
});
