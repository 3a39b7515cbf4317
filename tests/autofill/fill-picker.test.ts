import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadHtml, type LoadedPage } from '../../shared/autofill/load-html.ts';
import { createPicker, type PickerOptions } from '../../extension/lib/autofill/picker.ts';
import type { Colleague, FillValues } from '../../extension/lib/autofill/protocol.ts';

const PEOPLE: Colleague[] = [
  { id: 'a', displayName: 'Alice Anders', jobTitle: 'Head of Procurement', mail: 'alice@contoso.example' },
  { id: 'b', displayName: 'Albert Alder', jobTitle: null, mail: 'albert@contoso.example' },
  { id: 'x', displayName: '<img src=x onerror=alert(1)>', jobTitle: '<b>bold</b>', mail: null },
];
const VALUES: FillValues = { name: 'Alice Anders', givenName: 'Alice', familyName: 'Anders', email: 'alice@contoso.example', phone: null, mobile: null, organization: null, jobTitle: null, department: null };

let page: LoadedPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});

/** A page with one field; `roots` collects the closed shadow roots created (a test can, a page script in its own world can't). */
function setup(options: Partial<PickerOptions> = {}) {
  page = loadHtml('<!DOCTYPE html><html lang="en"><body><form><label for=n>Name</label><input id=n></form></body></html>');
  const doc = page.document;
  const anchor = doc.getElementById('n') as HTMLInputElement;
  const roots: ShadowRoot[] = [];
  const proto = (doc.defaultView as unknown as { Element: typeof Element }).Element.prototype;
  const attach = proto.attachShadow;
  proto.attachShadow = function (this: Element, init: ShadowRootInit) {
    const root = attach.call(this, init);
    roots.push(root);
    return root;
  };
  const search = vi.fn(async (query: string) => PEOPLE.filter((p) => query === '*' || p.displayName.toLowerCase().split(' ').some((w) => w.startsWith(query.toLowerCase()))));
  const resolve = vi.fn(async () => VALUES);
  const onPick = vi.fn<PickerOptions['onPick']>(options.onPick ?? (() => ({ filled: 3, undo: () => 3 })));
  const picker = createPicker({ anchor, search, resolve, requireTrusted: false, debounceMs: 0, ...options, onPick });
  const root = roots[0]!;
  const input = root.querySelector('input')!;
  const key = (k: string, init: KeyboardEventInit = {}) => input.dispatchEvent(new (doc.defaultView as unknown as typeof globalThis).KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, ...init }));
  const type = async (text: string) => {
    input.value = text;
    input.dispatchEvent(new (doc.defaultView as unknown as typeof globalThis).Event('input', { bubbles: true }));
    if (text.trim()) await vi.waitFor(() => expect(search).toHaveBeenCalledWith(text));
    await new Promise((r) => setTimeout(r, 5));
  };
  const options_ = () => Array.from(root.querySelectorAll('[role=option]'));
  const status = () => root.querySelector('[role=status]')!.textContent;
  return { doc, anchor, picker, root, input, key, type, options: options_, status, search, resolve, onPick };
}

describe('picker', () => {
  it('lives in a closed shadow root the page cannot query', () => {
    const { doc, picker } = setup();
    expect(picker.host.shadowRoot).toBeNull();
    expect(doc.querySelector('[role=listbox], [role=option], input[role=combobox]')).toBeNull();
    expect(picker.host.children).toHaveLength(0);
  });

  it("keeps the page's styles out: all: initial !important on the host", () => {
    const { root } = setup();
    const css = Array.from(root.adoptedStyleSheets ?? []).flatMap((s) => Array.from(s.cssRules, (r) => r.cssText)).join('\n') + (root.querySelector('style')?.textContent ?? '');
    expect(css).toMatch(/:host\s*\{\s*all:\s*initial\s*!important/);
  });

  it('is an accessible combobox: labelled search box, listbox, options, a live status', async () => {
    const { root, input, type, status, options } = setup();
    expect(input.getAttribute('role')).toBe('combobox');
    expect(input.getAttribute('aria-label')).toBe('Fill with a colleague');
    expect(root.querySelector('[role=status]')!.getAttribute('aria-live')).toBe('polite');
    expect(status()).toBe('Type a colleague’s name.');
    await type('al');
    expect(options().map((o) => o.getAttribute('aria-label'))).toEqual(['Alice Anders, Head of Procurement · alice@contoso.example', 'Albert Alder, albert@contoso.example']);
    // Shown as generated content (window.find can't probe it), not as text nodes.
    expect(options().map((o) => [...o.querySelectorAll('[data-t]')].map((t) => t.getAttribute('data-t')))).toEqual([
      ['Alice Anders', 'Head of Procurement · alice@contoso.example'],
      ['Albert Alder', 'albert@contoso.example'],
    ]);
    expect(options().map((o) => o.textContent)).toEqual(['', '']);
    expect(status()).toBe('2 colleagues found.');
    expect(input.getAttribute('aria-expanded')).toBe('true');
    expect(root.querySelector('[role=listbox]')!.id).toBe(input.getAttribute('aria-controls'));
  });

  it('moves with ArrowDown/ArrowUp and picks with Enter', async () => {
    const { input, key, type, options, resolve, onPick, status } = setup();
    await type('al');
    expect(options().map((o) => o.getAttribute('aria-selected'))).toEqual(['true', 'false']);
    key('ArrowDown');
    expect(options().map((o) => o.getAttribute('aria-selected'))).toEqual(['false', 'true']);
    expect(input.getAttribute('aria-activedescendant')).toBe(options()[1]!.id);
    key('ArrowDown');
    expect(options()[1]!.getAttribute('aria-selected')).toBe('true');
    key('ArrowUp');
    key('Enter');
    await vi.waitFor(() => expect(onPick).toHaveBeenCalledWith(VALUES, PEOPLE[0]));
    expect(resolve).toHaveBeenCalledWith('a');
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(status()).toBe('');
  });

  it('says what it filled, offers Undo, and undoes with Ctrl+Z', async () => {
    const undo = vi.fn(() => 3);
    const { root, key, type, onPick, anchor, doc } = setup({ onPick: vi.fn(() => ({ filled: 3, undo })) });
    await type('alice');
    key('Enter');
    await vi.waitFor(() => expect(onPick).toHaveBeenCalled());
    await vi.waitFor(() => expect(root.querySelector('.u')!.hasAttribute('hidden')).toBe(false));
    expect(root.querySelector('.u [role=status]')!.textContent).toBe('Filled 3 fields with');
    expect(root.querySelector('.u .w')!.getAttribute('data-t')).toBe(' Alice Anders.');
    expect(root.querySelector('.u button')!.textContent).toBe('Undo');
    expect(doc.activeElement).toBe(anchor);
    root.querySelector('.u')!.dispatchEvent(new (doc.defaultView as unknown as typeof globalThis).KeyboardEvent('keydown', { key: 'z', ctrlKey: true, bubbles: true }));
    expect(undo).toHaveBeenCalledTimes(1);
    expect(root.querySelector('.u [role=status]')!.textContent).toBe('Restored 3 fields.');
  });

  it('closes with Escape and gives focus back to the field', async () => {
    const onClose = vi.fn();
    const { key, picker, anchor, doc } = setup({ onClose });
    key('Escape');
    expect(picker.closed).toBe(true);
    expect(picker.host.isConnected).toBe(false);
    expect(onClose).toHaveBeenCalled();
    expect(doc.activeElement).toBe(anchor);
  });

  it('writes directory text as text, never as markup', async () => {
    const { root, type, options } = setup();
    await type('*');
    expect(options()[2]!.getAttribute('aria-label')).toBe('<img src=x onerror=alert(1)>, <b>bold</b>');
    expect(options()[2]!.querySelector('.n')!.getAttribute('data-t')).toBe('<img src=x onerror=alert(1)>');
    expect(root.querySelector('img, b')).toBeNull();
  });

  it('never lists anyone for an empty query', async () => {
    const { type, search, options, status } = setup();
    await type('al');
    expect(options()).toHaveLength(2);
    search.mockClear();
    await type('  ');
    expect(search).not.toHaveBeenCalled();
    expect(options()).toHaveLength(0);
    expect(status()).toBe('Type a colleague’s name.');
  });

  it('ignores input the browser did not make (a page dispatching events at it)', async () => {
    page = loadHtml('<!DOCTYPE html><html><body><input id=n></body></html>');
    const doc = page.document;
    const roots: ShadowRoot[] = [];
    const proto = (doc.defaultView as unknown as { Element: typeof Element }).Element.prototype;
    const attach = proto.attachShadow;
    proto.attachShadow = function (this: Element, init: ShadowRootInit) {
      const root = attach.call(this, init);
      roots.push(root);
      return root;
    };
    const search = vi.fn(async () => PEOPLE);
    createPicker({ anchor: doc.getElementById('n') as HTMLElement, search, resolve: async () => VALUES, onPick: () => ({ filled: 1 }), debounceMs: 0 });
    const input = roots[0]!.querySelector('input')!;
    input.value = 'al';
    input.dispatchEvent(new (doc.defaultView as unknown as typeof globalThis).Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 10));
    expect(search).not.toHaveBeenCalled();
  });

  it('closes when its signal aborts (the content script stopped)', () => {
    const controller = new AbortController();
    const { picker } = setup({ signal: controller.signal });
    controller.abort();
    expect(picker.closed).toBe(true);
  });

  it('keeps focus in the field in inline mode until ArrowDown', async () => {
    const { doc, anchor, root, input } = setup({ focus: false });
    anchor.focus();
    expect(doc.activeElement).toBe(anchor);
    anchor.dispatchEvent(new (doc.defaultView as unknown as typeof globalThis).KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    expect(root.activeElement).toBe(input);
  });
});
