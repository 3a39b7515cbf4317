import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadHtml, type LoadedPage } from '../../shared/autofill/load-html.ts';
import { readColleagues, readFillValues, startAutofill, type RuntimeLike } from '../../extension/lib/autofill/content.ts';
import type { FillValues } from '../../extension/lib/autofill/protocol.ts';

const ALICE: FillValues = {
  name: 'Alice Anders',
  givenName: 'Alice',
  familyName: 'Anders',
  email: 'alice@contoso.example',
  phone: '+49 30 1234 5678',
  mobile: null,
  organization: 'Contoso',
  jobTitle: null,
  department: null,
};
const RUNTIME_ID = 'ext';

let page: LoadedPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

/** The picker hosts on the page (their names end in a random suffix). */
const hosts = (doc: Document): Element[] => [...doc.querySelectorAll('*')].filter((e) => e.localName.startsWith('peoplebook-autofill-'));

type Listener = Parameters<RuntimeLike['onMessage']['addListener']>[0];

/** The content script over a happy-dom page, a fake runtime (answers in the router's envelope) and a context. */
function setup(body: string, config = { inline: false }) {
  page = loadHtml(`<!DOCTYPE html><html lang="en"><body>${body}</body></html>`);
  const document = page.document;
  const roots: ShadowRoot[] = [];
  const proto = (document.defaultView as unknown as { Element: typeof Element }).Element.prototype;
  const attach = proto.attachShadow;
  proto.attachShadow = function (this: Element, init: ShadowRootInit) {
    const root = attach.call(this, init);
    roots.push(root);
    return root;
  };
  const listeners = new Set<Listener>();
  const sent: unknown[] = [];
  const runtime: RuntimeLike = {
    id: RUNTIME_ID,
    sendMessage: vi.fn(async (message: unknown) => {
      sent.push(message);
      const { type } = message as { type: string };
      if (type === 'autofill/config') return { ok: true, value: config };
      if (type === 'autofill/search') return { ok: true, value: [{ id: 'a', displayName: 'Alice Anders', jobTitle: null, mail: 'alice@contoso.example', phone: 'extra' }] };
      if (type === 'autofill/values') return { ok: true, value: ALICE };
      return { ok: false, error: { code: 'unsupported', message: type } };
    }),
    onMessage: { addListener: (l) => void listeners.add(l), removeListener: (l) => void listeners.delete(l) },
  };
  const controller = new AbortController();
  const ctx = { signal: controller.signal, onInvalidated: (cb: () => void) => (controller.signal.addEventListener('abort', cb), () => undefined) };
  const autofill = startAutofill({ document, runtime, ctx, requireTrusted: false });
  const send = (message: unknown, sender = { id: RUNTIME_ID }) => {
    let answer: unknown;
    for (const l of listeners) l(message, sender, (r) => (answer = r));
    return answer;
  };
  const view = document.defaultView as unknown as typeof globalThis;
  /** Types into the open picker and presses Enter. */
  const pick = async (query: string) => {
    const input = roots.at(-1)!.querySelector('input')!;
    input.value = query;
    input.dispatchEvent(new view.Event('input', { bubbles: true }));
    await vi.waitFor(() => expect(roots.at(-1)!.querySelectorAll('[role=option]').length).toBe(1));
    input.dispatchEvent(new view.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await vi.waitFor(() => expect(sent.some((m) => (m as { type: string }).type === 'autofill/values')).toBe(true));
    await new Promise((r) => setTimeout(r, 0));
  };
  const value = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
  return { document, autofill, send, sent, listeners, controller, roots, pick, value, view };
}

const FORM = `<form id=f>
  <label for=g>First name</label><input id=g>
  <label for=l>Last name</label><input id=l>
  <label for=e>Email</label><input id=e type=email>
  <label for=p>Password</label><input id=p type=password>
</form>
<form id=other><label for=o>Email</label><input id=o type=email></form>`;

describe('startAutofill', () => {
  it('opens the picker at the focused field on autofill/open and fills that form only', async () => {
    const { send, document, pick, value } = setup(FORM);
    (document.getElementById('l') as HTMLInputElement).focus();
    expect(send({ type: 'autofill/open' })).toEqual({ ok: true, value: { fields: 4 } });
    expect(hosts(document)).toHaveLength(1);
    await pick('alice');
    expect([value('g'), value('l'), value('e'), value('p'), value('o')]).toEqual(['Alice', 'Anders', 'alice@contoso.example', '', '']);
  });

  it('asks only for the colleague picked, by the id the search answered', async () => {
    const { send, pick, sent } = setup(FORM);
    send({ type: 'autofill/open' });
    await pick('alice');
    expect(sent).toEqual([{ type: 'autofill/config' }, { type: 'autofill/search', query: 'alice' }, { type: 'autofill/values', id: 'a' }]);
  });

  it('undoes the last fill on autofill/undo', async () => {
    const { send, pick, value } = setup(FORM);
    send({ type: 'autofill/open' });
    await pick('alice');
    expect(send({ type: 'autofill/undo' })).toEqual({ ok: true, value: { restored: 3 } });
    expect([value('g'), value('l'), value('e')]).toEqual(['', '', '']);
    expect(send({ type: 'autofill/undo' })).toEqual({ ok: true, value: { restored: 0 } });
  });

  it('undoes with Ctrl+Z in a field it filled', async () => {
    const { send, pick, value, document, view } = setup(FORM);
    send({ type: 'autofill/open' });
    await pick('alice');
    document.getElementById('e')!.dispatchEvent(new view.KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true, composed: true }));
    expect([value('g'), value('l'), value('e')]).toEqual(['', '', '']);
  });

  it('answers 0 fields and opens nothing on a page without contact fields', () => {
    const { send, document } = setup('<input type=password><input type=search name=q>');
    expect(send({ type: 'autofill/open' })).toEqual({ ok: true, value: { fields: 0 } });
    expect(hosts(document)).toHaveLength(0);
  });

  it('ignores messages from anyone but its extension, and unknown messages', () => {
    const { send, document } = setup(FORM);
    expect(send({ type: 'autofill/open' }, { id: 'another-extension' })).toBeUndefined();
    expect(send({ type: 'autofill/dump' })).toBeUndefined();
    expect(send({ type: 'autofill/inline', enabled: 'yes' })).toBeUndefined();
    expect(hosts(document)).toHaveLength(0);
  });

  it('inline mode: the background turns it on; focusing an empty recognised field shows the picker', async () => {
    const { autofill, document, view } = setup(FORM, { inline: true });
    await autofill.ready;
    const focus = (id: string) => document.getElementById(id)!.dispatchEvent(new view.FocusEvent('focusin', { bubbles: true, composed: true }));
    focus('p');
    expect(hosts(document)).toHaveLength(0);
    focus('g');
    expect(hosts(document)).toHaveLength(1);
  });

  it('inline mode stays off unless the background says so, and can be switched by message', async () => {
    const { autofill, document, view, send } = setup(FORM);
    await autofill.ready;
    const focus = (id: string) => document.getElementById(id)!.dispatchEvent(new view.FocusEvent('focusin', { bubbles: true, composed: true }));
    focus('g');
    expect(hosts(document)).toHaveLength(0);
    expect(send({ type: 'autofill/inline', enabled: true })).toEqual({ ok: true, value: { inline: true } });
    focus('g');
    expect(hosts(document)).toHaveLength(1);
  });

  it('stops when its context is invalidated: listener removed, picker closed', () => {
    const { send, controller, listeners, document } = setup(FORM);
    send({ type: 'autofill/open' });
    controller.abort();
    expect(listeners.size).toBe(0);
    expect(hosts(document)).toHaveLength(0);
  });
});

describe('answers from the background, checked', () => {
  it('keeps at most 8 colleagues and only their four fields', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ id: `u${i}`, displayName: `U ${i}`, jobTitle: null, mail: null, mobilePhone: '+1' }));
    const read = readColleagues(many);
    expect(read).toHaveLength(8);
    expect(read[0]).toEqual({ id: 'u0', displayName: 'U 0', jobTitle: null, mail: null });
    expect(readColleagues([{ id: 1 }, null, { id: 'x', displayName: 'X', jobTitle: 5 }])).toEqual([{ id: 'x', displayName: 'X', jobTitle: null, mail: null }]);
    expect(() => readColleagues({})).toThrow();
  });

  it('keeps only the known fill values, as text or null', () => {
    expect(readFillValues({ ...ALICE, secret: 'x', jobTitle: 42 })).toEqual({ ...ALICE, jobTitle: null });
    expect(() => readFillValues('Alice')).toThrow();
  });
});
