import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import { bundleHarness, DIRECTORY, injectIsolatedWorld, injectMainWorld, SECRETS, servePages, type Injected } from './autofill-harness.ts';

/**
 * A hostile page (tests/fixtures/autofill-pages/hostile.html) watches everything it can while a user
 * searches the directory in the picker and picks Alice: every event in capture and bubble phase with
 * composedPath, a MutationObserver on the whole document, postMessage, CustomEvent and dispatchEvent
 * wrapped, and a 20 ms poll of innerText, textContent, window.find, the picker host's shadowRoot and
 * children, and querySelector. The search shows Alicia and Albert too; the page must end up with
 * Alice's values in its fields and nothing of anyone else.
 *
 * Two runs: the content script in the page's own world (the page shares every prototype with it; run
 * through page.evaluate, since a <script> element would show the page the test's directory) and, as Chrome runs content scripts, in an isolated world; there the page also replaces
 * Element.prototype.attachShadow, Promise.prototype.then and the textContent setter, which in its own
 * world would hand it the picker's closed root and every answer.
 */

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

const ALICE = DIRECTORY.find((c) => c.id === 'u-alice')!;

describe('a hostile page', () => {
  it.each([
    ['in its own world', 'main'],
    ['in an isolated world, with attachShadow, Promise.then and textContent hooked', 'isolated'],
  ] as const)('cannot read the directory: content script %s', async (_what, world) => {
    page = await browser.context.newPage();
    const answered: string[] = [];
    // In the page's world the test learns which requests were answered (the type only) through a binding:
    // the page gets no driver to call. In the isolated world the driver lives there, out of the page's reach.
    if (world === 'main') await page.exposeFunction('__pbNotify', (type: string) => void answered.push(type));
    await page.goto(`${server.url}/hostile.html${world === 'isolated' ? '#harsh' : ''}`);
    const script = world === 'main' ? harness({ directory: DIRECTORY, inline: true, notify: '__pbNotify' }) : harness({ directory: DIRECTORY, inline: true, expose: '__pbDriver' });
    const injected: Injected = world === 'main' ? await injectMainWorld(page, script, 'evaluate') : await injectIsolatedWorld(page, script);
    const events = async (): Promise<string[]> =>
      world === 'main' ? answered : injected.evaluate<string[]>(`__pbDriver.log.map((e) => e.message.type + (typeof e.message.query === 'string' ? ':' + e.message.query : ''))`);
    /** Waits until the fake background answered that request ("autofill/search:al": a search for "al"). */
    const until = async (event: string) => {
      for (let i = 0; i < 500 && !(await events()).includes(event); i++) await page.waitForTimeout(20);
      expect(await events()).toContain(event);
    };
    await until('autofill/config');

    // Inline mode: the picker opens at the focused field; the user types "al" (Alice, Alicia, Albert).
    await page.click('#name');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.type('al', { delay: 30 });
    await until('autofill/search:al');
    await page.waitForTimeout(200); // the results stay on screen for ten of the page's polls

    // Direct attempts while the results are on screen.
    const probe = await page.evaluate(() => {
      const host = [...document.querySelectorAll('*')].find((e) => e.localName.startsWith('peoplebook-autofill-'))!;
      return {
        host: !!host,
        shadowRoot: host.shadowRoot,
        children: host.children.length,
        descendants: host.querySelectorAll('*').length,
        options: document.querySelectorAll('[role=option], [role=listbox], li').length,
        composed: document.documentElement.getHTML?.({ serializableShadowRoots: true }).includes('Alicia') ?? false,
        active: document.activeElement?.localName,
      };
    });
    expect(probe).toEqual({ host: true, shadowRoot: null, children: 0, descendants: 0, options: 0, composed: false, active: expect.stringMatching(/^peoplebook-autofill-/) });

    await page.keyboard.type('ice', { delay: 30 });
    await until('autofill/search:alice');
    await page.waitForTimeout(50);
    await page.keyboard.press('Enter');
    await until('autofill/values');
    await page.waitForFunction(() => (document.getElementById('email') as HTMLInputElement).value !== '');
    await page.waitForTimeout(100);

    const fields = await page.evaluate(() => ['name', 'email', 'company', 'msg'].map((id) => (document.getElementById(id) as HTMLInputElement).value));
    expect(fields).toEqual([ALICE.displayName, ALICE.mail, ALICE.companyName, '']);

    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
    const transcript = seen.join('\n');
    // It did watch: its listeners, observer and poll ran throughout, and it saw Alice's values go in.
    expect(seen.some((s) => s.startsWith('event "keydown"') || s.startsWith('event {"type":"keydown"'))).toBe(true);
    expect(seen.some((s) => s.startsWith('mutation'))).toBe(true);
    expect(seen.filter((s) => s.startsWith('poll')).length).toBeGreaterThan(10);
    expect(transcript).toContain(ALICE.mail);
    // Nothing of anyone else, by any channel.
    for (const secret of SECRETS) expect({ secret, found: transcript.includes(secret) }).toEqual({ secret, found: false });
    // Nor the fields of Alice that no field asked for.
    for (const unasked of [ALICE.jobTitle!, ALICE.department!, '+49 30 1234 5678', '+49 151 2345 6789']) expect({ unasked, found: transcript.includes(unasked) }).toEqual({ unasked, found: false });
    if (world === 'isolated') {
      // The isolated world's prototypes are its own: the page's hooks never ran for the content script.
      expect(seen.filter((s) => s.startsWith('attachShadow'))).toEqual([]);
      expect(transcript).not.toContain('autofill/');
    }
  });
});
