import { fakeBrowser } from 'wxt/testing/fake-browser';
import { describe, expect, it, vi } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import { registerAutofillHandlers, toFillValues } from '../../extension/lib/autofill/messages.ts';

// @wxt-dev/browser reads globalThis.browser once, when first imported: install the fake first.
Object.assign(globalThis, { browser: fakeBrowser, chrome: fakeBrowser });
const { onMessage, validateMessage } = await import('../../extension/lib/messages.ts');

/**
 * The background router (lib/messages.ts) with the autofill handlers behind it, as background.ts wires
 * them: what a content script may ask, and what it is refused before any directory code runs.
 */

const ID = 'enjganhiikhcohbgfkpldncaimpaging';
const ORIGIN = `chrome-extension://${ID}/`;
const self = { runtimeId: ID, extensionOrigin: ORIGIN };
const contentScript = { id: ID, url: 'https://crm.contoso.example/leads/new', tab: { id: 7 }, frameId: 0 };
const popup = { id: ID, url: `${ORIGIN}popup.html` };

const ANNA: Contact = { ...emptyContact('u-anna'), displayName: 'Anna Schmidt', givenName: 'Anna', surname: 'Schmidt', mail: 'anna@contoso.example', jobTitle: 'Engineer', businessPhones: ['+49 30 1234'], companyName: 'Contoso', officeLocation: 'Berlin' };

/** A runtime whose onMessage calls the listener as Chrome does and resolves with the first answer. */
function fakeRuntime() {
  const listeners: ((message: unknown, sender: unknown, sendResponse: (response: unknown) => void) => boolean | undefined)[] = [];
  return {
    id: ID,
    getURL: (path: string) => `${ORIGIN}${path.replace(/^\//, '')}`,
    onMessage: {
      addListener: (listener: (typeof listeners)[number]) => listeners.push(listener),
      removeListener: (listener: (typeof listeners)[number]) => listeners.splice(listeners.indexOf(listener), 1),
    },
    deliver: (message: unknown, sender: object) =>
      new Promise<unknown>((resolve) => {
        let pending = false;
        for (const listener of listeners) if (listener(message, sender, resolve) === true) pending = true;
        if (!pending) setTimeout(() => resolve(undefined), 10);
      }),
  };
}

function setup() {
  const runtime = fakeRuntime();
  const search = vi.fn(async () => [ANNA]);
  const values = vi.fn(async (id: string) => (id === ANNA.id ? toFillValues(ANNA) : null));
  const inline = vi.fn(async () => true);
  const fillActiveTab = vi.fn(async () => ({ fields: 4 }));
  const autofill = registerAutofillHandlers({ runtimeId: ID, search, values, inline });
  onMessage(
    'background',
    {
      'autofill/search': (request, sender) => autofill['autofill/search'](request, sender),
      'autofill/values': (request, sender) => autofill['autofill/values'](request, sender),
      'autofill/config': (request, sender) => autofill['autofill/config'](request, sender),
      'autofill/fill-active-tab': fillActiveTab,
    },
    runtime as never,
  );
  return { runtime, search, values, inline, fillActiveTab };
}

describe('background router: autofill requests', () => {
  it("answers the content script's search, values and config", async () => {
    const { runtime } = setup();
    await expect(runtime.deliver({ type: 'autofill/search', query: 'anna' }, contentScript)).resolves.toEqual({
      ok: true,
      value: [{ id: 'u-anna', displayName: 'Anna Schmidt', jobTitle: 'Engineer', mail: 'anna@contoso.example' }],
    });
    await expect(runtime.deliver({ type: 'autofill/values', id: 'u-anna' }, contentScript)).resolves.toMatchObject({ ok: true, value: { name: 'Anna Schmidt', phone: '+49 30 1234', organization: 'Contoso' } });
    await expect(runtime.deliver({ type: 'autofill/config' }, contentScript)).resolves.toEqual({ ok: true, value: { inline: true } });
  });

  it.each([
    ['another extension', { ...contentScript, id: 'abcdefghijklmnopabcdefghijklmnop' }],
    ['a sender without an id (a web page)', { url: 'https://evil.example/', tab: { id: 7 } }],
    ['a sender without a tab (an extension page, not a content script)', popup],
    ['a tab without an id', { ...contentScript, tab: {} }],
  ])('refuses %s as forbidden, before searching', async (_name, sender) => {
    const { runtime, search, values, inline } = setup();
    for (const message of [{ type: 'autofill/search', query: 'anna' }, { type: 'autofill/values', id: 'u-anna' }, { type: 'autofill/config' }]) {
      await expect(runtime.deliver(message, sender)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(search).not.toHaveBeenCalled();
    expect(values).not.toHaveBeenCalled();
    expect(inline).not.toHaveBeenCalled();
  });

  it.each([
    ['a query too long', { type: 'autofill/search', query: 'a'.repeat(101) }],
    ['a query that is not a string', { type: 'autofill/search', query: { $regex: '.*' } }],
    ['an extra property', { type: 'autofill/search', query: 'anna', limit: 5000 }],
    ['values without an id', { type: 'autofill/values' }],
    ['a target other than the background', { type: 'autofill/config', target: 'popup' }],
  ])('refuses %s as bad_request (or leaves it unanswered)', async (_name, message) => {
    const { runtime, search } = setup();
    const answer = await runtime.deliver(message, contentScript);
    if (answer !== undefined) expect(answer).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(search).not.toHaveBeenCalled();
  });

  it('gives values only of a colleague a search showed that tab', async () => {
    const { runtime, values } = setup();
    await expect(runtime.deliver({ type: 'autofill/values', id: 'u-anna' }, contentScript)).resolves.toMatchObject({ ok: false, error: { code: 'unknown_colleague' } });
    await runtime.deliver({ type: 'autofill/search', query: 'anna' }, { ...contentScript, tab: { id: 8 } });
    await expect(runtime.deliver({ type: 'autofill/values', id: 'u-anna' }, contentScript)).resolves.toMatchObject({ ok: false, error: { code: 'unknown_colleague' } });
    expect(values).not.toHaveBeenCalled();
  });

  it("takes 'Fill into this page' from the extension's own pages only", async () => {
    const { runtime, fillActiveTab } = setup();
    await expect(runtime.deliver({ type: 'autofill/fill-active-tab' }, contentScript)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(fillActiveTab).not.toHaveBeenCalled();
    await expect(runtime.deliver({ type: 'autofill/fill-active-tab' }, popup)).resolves.toEqual({ ok: true, value: { fields: 4 } });
  });

  it('validates the autofill requests with their sender (validateMessage)', () => {
    expect(validateMessage('background', { type: 'autofill/search', query: 'x' }, contentScript, self)).toEqual({ ok: true, request: { type: 'autofill/search', target: 'background', query: 'x' } });
    expect(validateMessage('background', { type: 'autofill/config' }, { ...contentScript, id: 'other' }, self)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(validateMessage('background', { type: 'autofill/fill-active-tab' }, contentScript, self)).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining("extension's own pages") } });
  });
});
