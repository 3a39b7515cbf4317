import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import { buildWithWxt, bundleHarness, bundleShimOnly, DIRECTORY, injectIsolatedWorld, injectMainWorld, servePages, waitForRequest, type Injected } from './autofill-harness.ts';

/**
 * The content script in real Chromium, without the extension: the entrypoint bundled as WXT wraps it,
 * with a fake runtime answered by the real background handlers (autofill-harness.ts). The user's part is
 * played with real (trusted) keystrokes: open, type a name, Enter.
 */

const DRIVER = '__pbDriver';
let browser: ChromiumSession;
let server: { url: string; close(): Promise<void> };
let harness: Awaited<ReturnType<typeof bundleHarness>>;
let page: Page;

beforeAll(async () => {
  [browser, server, harness] = await Promise.all([launchChromium({ spki: 'unused' }), servePages(), bundleHarness()]);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
afterEach(async () => {
  await page?.close();
});

type World = 'main' | 'isolated';

async function open(file: string, world: World = 'main', inline = false): Promise<Injected> {
  page = await browser.context.newPage();
  await page.goto(`${server.url}/${file}`);
  const script = harness({ directory: DIRECTORY, inline, expose: DRIVER });
  return world === 'main' ? injectMainWorld(page, script) : injectIsolatedWorld(page, script);
}

/** What the background's keyboard command does: ask the content script to open its picker. */
const command = (w: Injected, type: string) => w.evaluate<{ ok: boolean; value: Record<string, number | boolean> }>(`${DRIVER}.send({ type: ${JSON.stringify(type)} })`);

/** Types a name into the focused picker, waits for its results, picks the first with Enter. */
async function pickAlice(w: Injected): Promise<void> {
  await page.keyboard.type('alice', { delay: 20 });
  await waitForRequest(w, DRIVER, `e.message.type === 'autofill/search' && e.message.query === 'alice'`);
  await page.waitForTimeout(30);
  await page.keyboard.press('Enter');
  await waitForRequest(w, DRIVER, `e.message.type === 'autofill/values'`);
}

const values = (selectors: string[], frame: Page | import('playwright-core').Frame = page) =>
  Promise.all(selectors.map((s) => frame.$eval(s, (el) => (el as HTMLInputElement).value)));

describe('autofill in Chromium', () => {
  it('fills a plain form from the picker, as typing would, and leaves the rest alone', async () => {
    const w = await open('plain.html');
    await page.focus('#email');
    expect(await command(w, 'autofill/open')).toEqual({ ok: true, value: { fields: 9 } });
    await pickAlice(w);
    expect(await values(['#given', '#family', '#email', '#phone', '#company', '#title', '#dept'])).toEqual([
      'Alice',
      'Anders',
      'alice.anders@contoso.example',
      '+493012345678',
      'Contoso',
      'Head of Proc', // maxlength=12
      'proc',
    ]);
    // What the user typed stays; password, hidden field, notes and the other form are untouched.
    expect(await values(['#host', '#pw', '#token', '#notes', '#nl-email'])).toEqual(['Bob Builder', '', 'csrf-123', '', '']);
    const events = await page.evaluate(() => (window as unknown as { __events: string[] }).__events.filter((e) => e.includes(':given:')));
    expect(events).toEqual(['focus:given:FocusEvent', 'input:given:InputEvent', 'change:given:Event', 'blur:given:FocusEvent']);
    // Focus is back in the field the user was in.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('email');
  });

  it.each<World>(['main', 'isolated'])('fills a controlled (React-style) form so that its state holds the values, from the %s world', async (world) => {
    const w = await open('react.html', world);
    await command(w, 'autofill/open');
    await pickAlice(w);
    const state = await page.evaluate(() => (window as unknown as { __state: Record<string, string> }).__state);
    expect(state).toEqual({ firstName: 'Alice', lastName: 'Anders', email: 'alice.anders@contoso.example', phone: '+493012345678', company: 'Contoso' });
    // A re-render from state keeps them: the framework saw the change, not just the DOM.
    await page.evaluate(() => (window as unknown as { __render(): void }).__render());
    expect(await values(['#firstName', '#email'])).toEqual(['Alice', 'alice.anders@contoso.example']);

    // Undo goes through the same path: the state is back to empty.
    expect(await command(w, 'autofill/undo')).toEqual({ ok: true, value: { restored: 5 } });
    expect(await page.evaluate(() => (window as unknown as { __state: Record<string, string> }).__state)).toEqual({ firstName: '', lastName: '', email: '', phone: '', company: '' });
  });

  it('proves the point of the native setter: a plain `value =` is swallowed by the controlled form', async () => {
    await open('react.html');
    const state = await page.evaluate(() => {
      const input = document.getElementById('firstName') as HTMLInputElement;
      input.value = 'Naive';
      input.dispatchEvent(new InputEvent('input', { bubbles: true }));
      return (window as unknown as { __state: Record<string, string> }).__state.firstName;
    });
    expect(state).toBe('');
  });

  it('fills a form in a same-origin iframe', async () => {
    const w = await open('iframe.html');
    const frame = page.frameLocator('#ticket');
    await frame.locator('#subject').waitFor();
    expect((await command(w, 'autofill/open')).value).toEqual({ fields: 2 });
    await pickAlice(w);
    const child = page.frames().find((f) => f.url().endsWith('iframe-child.html'))!;
    expect(await values(['#requester', '#requester-email', '#subject', '#pw'], child)).toEqual(['Alice Anders', 'alice.anders@contoso.example', '', '']);
  });

  it('fills a form in an open shadow root, and nothing in a closed one', async () => {
    const w = await open('shadow.html');
    expect((await command(w, 'autofill/open')).value).toEqual({ fields: 4 });
    await pickAlice(w);
    const filled = await page.evaluate(() => {
      const root = document.getElementById('signup')!.shadowRoot!;
      const sealed = (window as unknown as { __sealed: ShadowRoot }).__sealed;
      return [...['#n', '#e', '#o', '#t', 'input[type=hidden]'].map((s) => (root.querySelector(s) as HTMLInputElement).value), (sealed.querySelector('#x') as HTMLInputElement).value];
    });
    // The mobile field's placeholder shows a national number: the mobile number, national, in its layout.
    expect(filled).toEqual(['Alice Anders', 'alice.anders@contoso.example', 'Contoso', '0151 23456789', 's-1', '']);
  });

  it('never fills password, hidden, username, payment, OTP, address, read-only, disabled or honeypot fields', async () => {
    const w = await open('excluded.html');
    expect((await command(w, 'autofill/open')).value).toEqual({ fields: 2 });
    // The page turns the email field into a password field while the picker is open.
    await page.keyboard.type('alice', { delay: 20 });
    await waitForRequest(w, DRIVER, `e.message.type === 'autofill/search' && e.message.query === 'alice'`);
    await page.evaluate(() => ((document.getElementById('email') as HTMLInputElement).type = 'password'));
    await page.keyboard.press('Enter');
    await waitForRequest(w, DRIVER, `e.message.type === 'autofill/values'`);
    await page.waitForFunction(() => (document.getElementById('name') as HTMLInputElement).value !== '');
    const all = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('input')].map((i) => [i.id, i.value])));
    expect(all).toEqual({
      name: 'Alice Anders',
      email: '',
      user: '',
      pw: '',
      pw2: '',
      'hidden-email': '',
      'hidden-name': '',
      card: '',
      'card-name': '',
      otp: '',
      street: '',
      locked: '',
      off: '',
      'trap-email': '',
      'gone-name': '',
    });
  });

  it('inline mode: focusing a recognised empty field offers the picker without taking focus; ArrowDown enters it', async () => {
    const w = await open('plain.html', 'isolated', true);
    await page.waitForTimeout(50); // the content script asks the background for its config
    await page.click('#company');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('company');
    expect(await page.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('peoplebook-autofill-')).length)).toBe(1);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.localName)).toMatch(/^peoplebook-autofill-[a-z0-9]+$/);
    await pickAlice(w);
    expect(await values(['#company', '#given', '#email'])).toEqual(['Contoso', 'Alice', 'alice.anders@contoso.example']);
    // Ctrl+Z in a field just filled undoes the whole fill.
    await page.focus('#given');
    await page.keyboard.press('Control+z');
    expect(await values(['#company', '#given', '#email'])).toEqual(['', '', '']);
  });

  it('runs as `wxt build` outputs it (content-scripts/autofill.js), in an isolated world, without a manifest entry or host permission', async () => {
    const [built, shim] = await Promise.all([buildWithWxt(), bundleShimOnly()]);
    try {
      expect(built.manifest.content_scripts ?? []).toEqual([]);
      expect(built.manifest.host_permissions).toBeUndefined();
      page = await browser.context.newPage();
      await page.goto(`${server.url}/plain.html`);
      const w = await injectIsolatedWorld(page, shim({ directory: DIRECTORY, inline: false, expose: DRIVER }));
      await w.evaluate(built.script);
      await page.focus('#given');
      expect(await command(w, 'autofill/open')).toEqual({ ok: true, value: { fields: 9 } });
      await pickAlice(w);
      expect(await values(['#given', '#email', '#phone'])).toEqual(['Alice', 'alice.anders@contoso.example', '+493012345678']);
    } finally {
      await built.close();
    }
  });

  it('answers open with 0 fields on a page with nothing to fill', async () => {
    page = await browser.context.newPage();
    await page.setContent('<p>Nothing here</p><input type=search aria-label=Search>');
    const w = await injectMainWorld(page, harness({ directory: DIRECTORY, inline: false, expose: DRIVER }));
    expect(await command(w, 'autofill/open')).toEqual({ ok: true, value: { fields: 0 } });
    expect(await page.evaluate(() => [...document.querySelectorAll('*')].filter((e) => e.localName.startsWith('peoplebook-autofill-')).length)).toBe(0);
  });
});
