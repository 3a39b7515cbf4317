import { afterEach, describe, expect, it } from 'vitest';
import { classifyControls } from '../../shared/autofill/index.ts';
import { loadHtml, type LoadedPage } from '../../shared/autofill/load-html.ts';
import { fillBlocker, fillForm, matchOption, truncate, valueFor } from '../../extension/lib/autofill/fill.ts';
import type { FillValues } from '../../extension/lib/autofill/protocol.ts';

/** The colleague every test fills in. */
const ALICE: FillValues = {
  name: 'Alice Anders',
  givenName: 'Alice',
  familyName: 'Anders',
  email: 'alice.anders@contoso.example',
  phone: '+49 30 1234 5678',
  mobile: '+49 151 2345 6789',
  organization: 'Contoso',
  jobTitle: 'Head of Procurement',
  department: 'Procurement',
};

let page: LoadedPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});
const load = (body: string): Document => {
  page = loadHtml(`<!DOCTYPE html><html lang="en"><body>${body}</body></html>`);
  return page.document;
};
const byId = <T extends HTMLElement = HTMLInputElement>(doc: Document, id: string): T => doc.getElementById(id) as T;
const valueOf = (doc: Document, id: string): string => byId(doc, id).value;

describe('fillForm: values as a person typing', () => {
  it('uses the native setter of the prototype, not a value property the page put on the element', () => {
    const doc = load('<form><label for=g>First name</label><input id=g></form>');
    const input = byId(doc, 'g');
    // React's inputValueTracking puts its own `value` on the element; a fill through it goes unnoticed.
    const tracked: string[] = [];
    const proto = Object.getPrototypeOf(input) as object;
    const native = Object.getOwnPropertyDescriptor(proto, 'value')!;
    Object.defineProperty(input, 'value', { configurable: true, get: () => native.get!.call(input), set: (v: string) => (tracked.push(v), native.set!.call(input, v)) });
    fillForm(doc, ALICE);
    expect(input.value).toBe('Alice');
    expect(tracked).toEqual([]);
  });

  it('dispatches focus, input (InputEvent, bubbling, composed), change and blur, in that order', () => {
    const doc = load('<form id=f><label for=g>First name</label><input id=g></form>');
    const events: string[] = [];
    const form = byId(doc, 'f');
    for (const type of ['focus', 'focusin', 'input', 'change', 'blur', 'focusout']) {
      form.addEventListener(
        type,
        (e) => events.push(`${e.type}:${e.constructor.name}:${e.bubbles ? 'bubbles' : 'stays'}${e.composed ? ':composed' : ''}${(e as InputEvent).inputType ? `:${(e as InputEvent).inputType}` : ''}`),
        true,
      );
    }
    fillForm(doc, ALICE);
    expect(events).toEqual([
      'focus:FocusEvent:stays:composed',
      'focusin:FocusEvent:bubbles:composed',
      'input:InputEvent:bubbles:composed:insertReplacementText',
      'change:Event:bubbles',
      'blur:FocusEvent:stays:composed',
      'focusout:FocusEvent:bubbles:composed',
    ]);
  });

  it("with focus: 'events', dispatches the same focus events without moving focus", () => {
    const doc = load('<form id=f><label for=g>First name</label><input id=g><label for=x>Other</label><input id=x></form>');
    byId(doc, 'x').focus();
    const events: string[] = [];
    for (const type of ['focus', 'focusin', 'input', 'change', 'blur', 'focusout']) byId(doc, 'f').addEventListener(type, (e) => events.push(`${e.type}:${(e.target as Element).id}`), true);
    fillForm(doc, ALICE, { focus: 'events' });
    expect(events).toEqual(['focus:g', 'focusin:g', 'input:g', 'change:g', 'blur:g', 'focusout:g']);
    expect(doc.activeElement).toBe(byId(doc, 'x'));
  });

  it('fills every contact field of a form and reports each', () => {
    const doc = load(`<form>
      <label for=g>First name</label><input id=g>
      <label for=f>Last name</label><input id=f>
      <label for=e>Email</label><input id=e type=email>
      <label for=t>Phone</label><input id=t type=tel>
      <label for=m>Mobile phone</label><input id=m type=tel>
      <label for=c>Company</label><input id=c>
      <label for=j>Job title</label><input id=j>
      <label for=d>Department</label><input id=d>
      <label for=x>Message</label><textarea id=x></textarea>
    </form>`);
    const report = fillForm(doc, ALICE);
    expect(Object.fromEntries(['g', 'f', 'e', 't', 'm', 'c', 'j', 'd', 'x'].map((id) => [id, valueOf(doc, id)]))).toEqual({
      g: 'Alice',
      f: 'Anders',
      e: 'alice.anders@contoso.example',
      t: '+493012345678',
      m: '+4915123456789',
      c: 'Contoso',
      j: 'Head of Procurement',
      d: 'Procurement',
      x: '',
    });
    expect(report.filled.map((f) => f.field)).toEqual(['given-name', 'family-name', 'email', 'tel', 'tel', 'organization', 'organization-title', 'department']);
    expect(report.skipped).toEqual([expect.objectContaining({ element: byId(doc, 'x'), reason: 'no field' })]);
  });

  it('fills controls in open shadow roots and outside any form', () => {
    const doc = load('<div id=host></div><label for=o>Company</label><input id=o>');
    const root = byId(doc, 'host').attachShadow({ mode: 'open' });
    const input = doc.createElement('input');
    input.setAttribute('aria-label', 'Email address');
    root.append(input);
    fillForm(doc, ALICE);
    expect(input.value).toBe(ALICE.email);
    expect(valueOf(doc, 'o')).toBe('Contoso');
  });

  it('fills only the controls `only` accepts', () => {
    const doc = load('<form id=a><label for=e1>Email</label><input id=e1 type=email></form><form id=b><label for=e2>Email</label><input id=e2 type=email></form>');
    const classified = classifyControls(doc);
    const section = classified.find((c) => c.element.id === 'e2')!.section;
    const report = fillForm(doc, ALICE, { classified, only: (c) => c.section === section });
    expect([valueOf(doc, 'e1'), valueOf(doc, 'e2')]).toEqual(['', ALICE.email]);
    expect(report.skipped).toEqual([expect.objectContaining({ reason: 'out of scope' })]);
  });
});

describe('maxlength', () => {
  it.each([
    ['cuts text to maxlength', 'Head of Procurement', 7, 'Head of'],
    ['never splits a surrogate pair', 'Ann 😀 Lee', 5, 'Ann'],
    ['keeps a letter with its combining accent', 'Rene\u0301e', 4, 'Ren'],
    ['counts UTF-16 code units, as maxlength does', '山田太郎', 3, '山田太'],
    ['leaves short text alone', 'Contoso', 20, 'Contoso'],
    ['no limit', 'Contoso', -1, 'Contoso'],
  ])('%s', (_what, value, max, expected) => {
    expect(truncate(value, max)).toBe(expected);
  });

  it('truncates a job title but never an email address', () => {
    const doc = load('<form><label for=j>Job title</label><input id=j maxlength=10><label for=e>Email</label><input id=e type=email maxlength=12></form>');
    const report = fillForm(doc, ALICE);
    expect(valueOf(doc, 'j')).toBe('Head of Pr');
    expect(valueOf(doc, 'e')).toBe('');
    expect(report.skipped).toEqual([expect.objectContaining({ field: 'email', reason: 'does not fit', detail: 'maxlength 12' })]);
  });

  it('formats a phone number to fit rather than cutting it', () => {
    const doc = load('<form><label for=t>Phone</label><input id=t type=tel maxlength=11><label for=u>Direct line</label><input id=u type=tel maxlength=4></form>');
    const report = fillForm(doc, ALICE);
    expect(valueOf(doc, 't')).toBe('03012345678');
    expect(valueOf(doc, 'u')).toBe('');
    expect(report.skipped.map((s) => s.reason)).toEqual(['does not fit']);
  });
});

describe('selects', () => {
  it.each([
    ['by label, ignoring case and accents', '<option value=1>Finance</option><option value=2>PROCURÉMENT</option>', 'Procurement', '2'],
    ['by value', '<option value="">–</option><option value="Procurement">Einkauf</option>', 'Procurement', 'Procurement'],
    ['no matching option', '<option value=1>Finance</option><option value=2>Sales</option>', 'Procurement', null],
    ['not the placeholder option', '<option value="">Procurement</option><option value=x>Other</option>', 'Procurement', null],
  ])('chooses %s', (_what, options, wanted, expected) => {
    const doc = load(`<select id=s>${options}</select>`);
    const select = byId<HTMLSelectElement>(doc, 's');
    const index = matchOption(select, wanted);
    expect(index < 0 ? null : select.options[index]!.value).toBe(expected);
  });

  it.each([
    ['"+49" labels', '<option value=us>United States (+1)</option><option value=de>Deutschland (+49)</option>', 'de'],
    ['bare code values', '<option value="1">USA</option><option value="49">Germany</option>', '49'],
    ['"+49" values', '<option value="+1">US</option><option value="+49">DE</option><option value="+491">??</option>', '+49'],
  ])('chooses a country code among %s', (_what, options, expected) => {
    const doc = load(`<form><select id=cc autocomplete="tel-country-code">${options}</select><input id=n autocomplete="tel-national"></form>`);
    fillForm(doc, ALICE);
    expect(valueOf(doc, 'cc')).toBe(expected);
    expect(valueOf(doc, 'n')).toBe('03012345678');
  });

  it('fills a department select with input and change events, and skips one without the option', () => {
    const doc = load(`<form>
      <label for=d>Department</label><select id=d><option value="">Choose…</option><option value=p>Procurement</option></select>
      <label for=o>Company</label><select id=o><option value="">Choose…</option><option>Fabrikam</option></select>
    </form>`);
    const events: string[] = [];
    byId(doc, 'd').addEventListener('input', (e) => events.push(`input:${e.constructor.name}`));
    byId(doc, 'd').addEventListener('change', () => events.push('change'));
    const report = fillForm(doc, ALICE);
    expect(valueOf(doc, 'd')).toBe('p');
    expect(events).toEqual(['input:Event', 'change']);
    expect(valueOf(doc, 'o')).toBe('');
    expect(report.skipped).toEqual([expect.objectContaining({ reason: 'no option' })]);
  });
});

describe('what the user typed stays', () => {
  const form = `<form>
    <label for=g>First name</label><input id=g value="Bob">
    <label for=f>Last name</label><input id=f>
    <label for=d>Department</label><select id=d><option value="">–</option><option value=f>Finance</option><option value=p>Procurement</option></select>
  </form>`;

  it('skips a field with a value and a select the user changed', () => {
    const doc = load(form);
    byId<HTMLSelectElement>(doc, 'd').selectedIndex = 1;
    const report = fillForm(doc, ALICE);
    expect([valueOf(doc, 'g'), valueOf(doc, 'f'), valueOf(doc, 'd')]).toEqual(['Bob', 'Anders', 'f']);
    expect(report.skipped.map((s) => [s.element.id, s.reason])).toEqual([
      ['g', 'has value'],
      ['d', 'has value'],
    ]);
  });

  it('replaces them with overwrite', () => {
    const doc = load(form);
    byId<HTMLSelectElement>(doc, 'd').selectedIndex = 1;
    fillForm(doc, ALICE, { overwrite: true });
    expect([valueOf(doc, 'g'), valueOf(doc, 'f'), valueOf(doc, 'd')]).toEqual(['Alice', 'Anders', 'p']);
  });

  it('reports a field that holds the value already, without events', () => {
    const doc = load('<label for=g>First name</label><input id=g value="Alice">');
    let events = 0;
    byId(doc, 'g').addEventListener('input', () => events++);
    expect(fillForm(doc, ALICE).skipped).toEqual([expect.objectContaining({ reason: 'same value' })]);
    expect(events).toBe(0);
  });

  it('skips fields the colleague has no value for', () => {
    const doc = load('<label for=d>Department</label><input id=d>');
    expect(fillForm(doc, { ...ALICE, department: null }).skipped).toEqual([expect.objectContaining({ reason: 'no value' })]);
  });
});

describe('undo', () => {
  it('restores every previous value with the same events, and leaves fields changed since', () => {
    const doc = load(`<form>
      <label for=g>First name</label><input id=g value="Bob">
      <label for=f>Last name</label><input id=f>
      <label for=e>Email</label><input id=e type=email>
      <label for=d>Department</label><select id=d><option value="">–</option><option value=p>Procurement</option></select>
    </form>`);
    const report = fillForm(doc, ALICE, { overwrite: true });
    expect([valueOf(doc, 'g'), valueOf(doc, 'f'), valueOf(doc, 'e'), valueOf(doc, 'd')]).toEqual(['Alice', 'Anders', ALICE.email, 'p']);
    byId(doc, 'e').value = 'typed-after@example.com';
    const events: string[] = [];
    for (const id of ['g', 'f', 'd']) byId(doc, id).addEventListener('input', () => events.push(id));
    for (const id of ['g', 'f', 'd']) byId(doc, id).addEventListener('change', () => events.push(`${id}:change`));
    const undone = report.undo();
    expect([valueOf(doc, 'g'), valueOf(doc, 'f'), valueOf(doc, 'e'), valueOf(doc, 'd')]).toEqual(['Bob', '', 'typed-after@example.com', '']);
    expect(undone.restored.map((e) => e.id)).toEqual(['d', 'f', 'g']);
    expect(undone.kept.map((e) => e.id)).toEqual(['e']);
    expect(events).toEqual(['d', 'd:change', 'f', 'f:change', 'g', 'g:change']);
    expect(report.undo().restored).toEqual([]);
  });
});

describe('controls that must never be filled', () => {
  const page = `<form>
    <label for=n>Full name</label><input id=n>
    <label for=e>Email</label><input id=e type=email>
    <label for=pw>Password</label><input id=pw type=password>
    <input id=h type=hidden name=email value="">
    <label for=u>Username</label><input id=u autocomplete=username>
    <label for=cc>Name on card</label><input id=cc autocomplete=cc-name>
    <label for=otp>Code</label><input id=otp autocomplete=one-time-code>
    <label for=ro>Company</label><input id=ro readonly>
    <label for=dis>Department</label><input id=dis disabled>
    <fieldset disabled><label for=fs>Job title</label><input id=fs></fieldset>
    <div hidden><label for=hid>Email</label><input id=hid type=email></div>
    <div aria-hidden=true><label for=ah>Phone</label><input id=ah type=tel></div>
    <label for=s>Search</label><input id=s type=search name=name>
  </form>`;

  it('leaves password, hidden, username, payment, OTP, read-only, disabled and search fields alone', () => {
    const doc = load(page);
    const report = fillForm(doc, ALICE);
    expect(report.filled.map((f) => f.element.id)).toEqual(['n', 'e']);
    for (const id of ['pw', 'h', 'u', 'cc', 'otp', 'ro', 'dis', 'fs', 'hid', 'ah', 's']) expect([id, valueOf(doc, id)]).toEqual([id, '']);
    expect(report.skipped.every((s) => s.reason === 'excluded')).toBe(true);
  });

  it('checks again at fill time: a field that turned into a password or hidden field since classification stays empty', () => {
    const doc = load('<form><label for=e>Email</label><input id=e type=email><label for=n>Name</label><input id=n><label for=c>Company</label><input id=c></form>');
    const classified = classifyControls(doc);
    expect(classified.map((c) => c.field)).toEqual(['email', 'name', 'organization']);
    byId(doc, 'e').type = 'password';
    byId(doc, 'n').type = 'hidden';
    byId(doc, 'c').setAttribute('autocomplete', 'cc-name');
    const report = fillForm(doc, ALICE, { classified });
    expect([valueOf(doc, 'e'), valueOf(doc, 'n'), valueOf(doc, 'c')]).toEqual(['', '', '']);
    expect(report.skipped.map((s) => s.detail)).toEqual(['type=password', 'type=hidden', 'autocomplete=cc-name']);
  });

  it('refuses a forged classification of a password field', () => {
    const doc = load('<input id=pw type=password>');
    const element = byId(doc, 'pw');
    const report = fillForm(doc, ALICE, { classified: [{ element, field: 'email', confidence: 1, reason: 'label', evidence: '', section: '' }] });
    expect(element.value).toBe('');
    expect(report.skipped).toEqual([expect.objectContaining({ reason: 'excluded', detail: 'type=password' })]);
  });

  it.each([
    ['password', '<input id=x type=password>', 'type=password'],
    ['hidden', '<input id=x type=hidden>', 'type=hidden'],
    ['number', '<input id=x type=number>', 'type=number'],
    ['hidden ancestor', '<div hidden><input id=x></div>', 'hidden'],
    ['inert ancestor', '<div inert><input id=x></div>', 'hidden'],
    ['disabled fieldset', '<fieldset disabled><input id=x></fieldset>', 'disabled'],
    ['readonly', '<input id=x readonly>', 'readonly'],
    ['cc autocomplete', '<input id=x autocomplete="billing cc-number">', 'autocomplete=cc-number'],
    ['text', '<input id=x>', null],
    ['unknown type (rendered as text)', '<input id=x type=firstname>', null],
    ['textarea', '<textarea id=x></textarea>', null],
  ])('fillBlocker: %s', (_what, html, expected) => {
    const doc = load(html);
    expect(fillBlocker(byId(doc, 'x'))).toBe(expected);
  });
});

describe('valueFor', () => {
  it.each([
    ['name', undefined, 'Alice Anders'],
    ['tel', undefined, '+49 30 1234 5678'],
    ['tel', 'mobile', '+49 151 2345 6789'],
    ['tel-national', 'work', '+49 30 1234 5678'],
    ['organization-title', undefined, 'Head of Procurement'],
    ['honorific-prefix', undefined, null],
    ['employee-id', undefined, null],
  ] as const)('%s (%s)', (field, modifier, expected) => {
    expect(valueFor(field, ALICE, modifier)).toBe(expected);
  });

  it('falls back to the other phone', () => {
    expect(valueFor('tel', { ...ALICE, phone: null })).toBe(ALICE.mobile);
    expect(valueFor('tel', { ...ALICE, mobile: null }, 'mobile')).toBe(ALICE.phone);
  });
});
