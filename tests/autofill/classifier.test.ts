import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyControls, collectControls, type ClassifiedControl } from '../../shared/autofill/index.ts';
import { attachDeclarativeShadowRoots, loadHtml, type LoadedPage } from '../../shared/autofill/load-html.ts';
import { classifyFixture, fixtureFiles, type FixtureRow } from './fixture-forms.ts';

// Every control of every fixture, loaded once: the truth is each control's data-expect.
const files = fixtureFiles();
const fixtures = await Promise.all(files.map(async (file) => ({ file, ...(await classifyFixture(file)) })));
const rows: FixtureRow[] = fixtures.flatMap((f) => f.rows);

describe('fixture forms', () => {
  it('has at least 20 fixtures and 250 annotated controls in nine languages', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    expect(rows.length).toBeGreaterThanOrEqual(250);
    const langs = new Set(files.map((f) => f.split('-')[0]));
    expect([...langs].sort()).toEqual(['de', 'en', 'es', 'fr', 'it', 'ja', 'nl', 'pt', 'zh']);
  });

  it.each(fixtures.map((f) => [f.file, f.rows.length, f.annotations] as const))('%s: classifies every annotated control (in forms, shadow roots, frames)', (_file, classified, annotated) => {
    expect(classified).toBe(annotated);
  });

  it.each(rows.map((r) => [r.file, r.control, r.expected, r] as const))('%s %s → %s', (_file, _control, expected, row) => {
    expect({ control: row.control, field: row.actual, reason: row.result.reason, evidence: row.result.evidence }).toMatchObject({ field: expected });
  });
});

const here = path.dirname(fileURLToPath(import.meta.url));
let page: LoadedPage | undefined;
afterEach(async () => {
  await page?.close();
  page = undefined;
});
/** Classifies an HTML snippet; returns the results keyed by control id. */
const classify = (html: string): Record<string, ClassifiedControl> => {
  page = loadHtml(`<!DOCTYPE html><html lang="en"><body>${html}</body></html>`);
  return Object.fromEntries(classifyControls(page.document).map((r, i) => [r.element.id || String(i), r]));
};
const fields = (html: string): Record<string, string | null> => Object.fromEntries(Object.entries(classify(html)).map(([id, r]) => [id, r.field]));

describe('classifyControls', () => {
  it('ignores data-expect: the same fields with the annotations removed', async () => {
    const file = 'en-crm-lead.html';
    const html = readFileSync(path.join(here, '../fixtures/forms', file), 'utf8');
    const stripped = html.replace(/ data-expect="[^"]*"/g, '');
    const before = fixtures.find((f) => f.file === file)!.rows.map((r) => r.actual);
    page = loadHtml(stripped);
    expect(classifyControls(page.document).map((r) => r.field ?? 'none')).toEqual(before);
  });

  it.each([
    ['a bare Name beside a given name is the family name (Vorname + Name)', '<form><label for=a>Vorname</label><input id=a><label for=b>Name</label><input id=b></form>', { a: 'given-name', b: 'family-name' }],
    ['a bare Nom beside Prénom is the family name', '<form lang=fr><label for=a>Nom</label><input id=a><label for=b>Prénom</label><input id=b></form>', { a: 'family-name', b: 'given-name' }],
    ['a bare Nombre beside Apellidos is the given name', '<form lang=es><label for=a>Nombre</label><input id=a><label for=b>Apellidos</label><input id=b></form>', { a: 'given-name', b: 'family-name' }],
    ['a bare Name alone is the full name', '<form><label for=a>Name</label><input id=a><label for=b>Email</label><input id=b></form>', { a: 'name', b: 'email' }],
    ['a bare Name beside both halves is ambiguous', '<form><label for=a>First name</label><input id=a><label for=b>Last name</label><input id=b><label for=c>Name</label><input id=c></form>', { a: 'given-name', b: 'family-name', c: null }],
    ['an explicit full name beside both halves stays name', '<form><label for=a>First name</label><input id=a><label for=b>Last name</label><input id=b><label for=c>Full name</label><input id=c></form>', { a: 'given-name', b: 'family-name', c: 'name' }],
    ['the decision is per form', '<form><label for=a>First name</label><input id=a><label for=b>Name</label><input id=b></form><form><label for=c>Name</label><input id=c></form>', { a: 'given-name', b: 'family-name', c: 'name' }],
    ['outside forms, per fieldset', '<fieldset><label for=a>First name</label><input id=a><label for=b>Name</label><input id=b></fieldset><fieldset><label for=c>Name</label><input id=c></fieldset>', { a: 'given-name', b: 'family-name', c: 'name' }],
    ['Title beside Company is a job title', '<form><label for=a>Company</label><input id=a><label for=b>Title</label><input id=b></form>', { a: 'organization', b: 'organization-title' }],
    ['Title of a ticket is left alone', '<form><label for=a>Email</label><input id=a><label for=b>Title</label><input id=b><label for=c>Description</label><textarea id=c></textarea></form>', { a: 'email', b: null, c: null }],
    ['a short Title is a salutation', '<form><label for=a>Title</label><input id=a maxlength=6></form>', { a: 'honorific-prefix' }],
    ['a Title select of salutations is honorific-prefix', '<form><label for=a>Title</label><select id=a><option value="">Choose</option><option>Mr</option><option>Mrs</option><option>Ms</option><option>Dr</option></select></form>', { a: 'honorific-prefix' }],
    ['an unlabelled select of salutations is honorific-prefix', '<select id=a><option>Herr</option><option>Frau</option></select>', { a: 'honorific-prefix' }],
    ['a Title select of other things is left alone', '<form><label for=a>Title</label><select id=a><option>Book</option><option>Film</option></select></form>', { a: null }],
    ['type=email wins over a misleading label', '<label for=a>Contact person</label><input id=a type=email>', { a: 'email' }],
    ['type=tel wins over a misleading label', '<label for=a>Contact</label><input id=a type=tel>', { a: 'tel' }],
    ['type=tel labelled Fax stays out', '<label for=a>Fax</label><input id=a type=tel>', { a: null }],
    ['a username in the name attribute vetoes a Name label', '<label for=a>Name</label><input id=a name=username>', { a: null }],
    ['a card number in the placeholder vetoes an Email label', '<label for=a>Email</label><input id=a placeholder="Card number">', { a: null }],
    ['an address in a later signal does not veto', '<label for=a>First name</label><input id=a name="shipping_address_first_name">', { a: 'given-name' }],
    ['"Username" is not a name, "Company name" is an organization, "File name" is nothing', '<label for=a>Username</label><input id=a><label for=b>Company name</label><input id=b><label for=c>File name</label><input id=c>', { a: null, b: 'organization', c: null }],
    ['"Name on card" is payment, "Email address" is email, "Company address" is an address', '<label for=a>Name on card</label><input id=a><label for=b>Email address</label><input id=b><label for=c>Company address</label><input id=c>', { a: null, b: 'email', c: null }],
    ['Service is a department only on French pages', '<div lang=fr><label for=a>Service</label><input id=a></div><div lang=en><label for=b>Service</label><input id=b></div>', { a: 'department', b: null }],
  ])('%s', (_name, html, expected) => {
    expect(fields(html)).toEqual(expected);
  });

  it.each([
    ['type=password', '<input id=a type=password aria-label="Name">'],
    ['type=hidden', '<input id=a type=hidden name=email>'],
    ['type=search', '<input id=a type=search name=name>'],
    ['type=date', '<input id=a type=date aria-label="Name">'],
    ['disabled', '<input id=a disabled aria-label="Email">'],
    ['readonly', '<input id=a readonly aria-label="Email">'],
    ['disabled fieldset', '<fieldset disabled><input id=a aria-label="Email"></fieldset>'],
    ['hidden ancestor', '<div hidden><input id=a aria-label="Email"></div>'],
    ['display:none ancestor (honeypot)', '<div style="color: red; display:none"><input id=a aria-label="Email"></div>'],
    ['aria-hidden ancestor', '<div aria-hidden="true"><input id=a aria-label="Email"></div>'],
    ['inert ancestor', '<div inert><input id=a aria-label="Email"></div>'],
    ['role=searchbox', '<input id=a role=searchbox aria-label="Name">'],
    ['inside role=search', '<div role=search><input id=a aria-label="Name"></div>'],
    ['autocomplete=one-time-code', '<input id=a autocomplete="one-time-code" aria-label="Email">'],
    ['autocomplete=cc-name', '<input id=a autocomplete="cc-name" aria-label="Full name">'],
    ['autocomplete=street-address', '<input id=a autocomplete="shipping street-address" aria-label="Name">'],
  ])('leaves alone: %s', (_name, html) => {
    const a = classify(html).a!;
    expect(a.field).toBeNull();
    expect(a.reason).toMatch(/^excluded: /);
  });

  it('a control in the first legend of a disabled fieldset is not disabled', () => {
    expect(fields('<fieldset disabled><legend><label>Email <input id=a></label></legend><input id=b aria-label=Email></fieldset>')).toEqual({ a: 'email', b: null });
  });

  it('reports the deciding signal, its evidence, the section and a mobile modifier', () => {
    const r = classify(`<form id=f>
      <input id=a autocomplete="section-blue shipping mobile tel">
      <label for=b>Handynummer</label><input id=b>
      <input id=c name="contact[firstName]">
      <input id=d placeholder="Your email">
      <div>Company</div><div><input id=e></div>
      <input id=f2></form>`);
    expect(r.a).toMatchObject({ field: 'tel', reason: 'autocomplete', modifier: 'mobile', section: 'form#f section-blue shipping', confidence: 0.95 });
    expect(r.b).toMatchObject({ field: 'tel', reason: 'label', evidence: 'Handynummer', modifier: 'mobile', section: 'form#f' });
    expect(r.c).toMatchObject({ field: 'given-name', reason: 'name' });
    expect(r.d).toMatchObject({ field: 'email', reason: 'placeholder' });
    expect(r.e).toMatchObject({ field: 'organization', reason: 'nearby-text' });
    expect(r.f2).toMatchObject({ field: null, reason: 'no match' });
  });

  it('walks shadow roots built by script, not closed ones, and reads labels inside them', () => {
    page = loadHtml('<!DOCTYPE html><body><form><input id=top aria-label="Email"></form><x-open id=host1></x-open><x-closed></x-closed></body>');
    const doc = page.document;
    const open = doc.getElementById('host1')!.attachShadow({ mode: 'open' });
    const label = doc.createElement('label');
    label.htmlFor = 'inner';
    label.textContent = 'Nachname';
    const input = doc.createElement('input');
    input.id = 'inner';
    open.append(label, input);
    doc.querySelector('x-closed')!.attachShadow({ mode: 'closed' }).append(doc.createElement('input'));
    const results = classifyControls(doc);
    expect(results.map((r) => [r.element.id, r.field, r.section])).toEqual([
      ['top', 'email', 'form:1'],
      ['inner', 'family-name', 'x-open#host1::shadow'],
    ]);
    expect(classifyControls(doc, { shadowRoots: false })).toHaveLength(1);
  });

  it('skips frames whose document is out of reach', () => {
    const hostile = {
      localName: 'iframe',
      shadowRoot: null,
      getAttribute: () => null,
      get contentDocument(): never {
        throw new Error('SecurityError: cross-origin frame');
      },
    };
    const root = { nodeType: 9, querySelectorAll: () => [hostile] } as unknown as ParentNode;
    expect(collectControls(root)).toEqual([]);
  });

  it('classifies a root element or a shadow root passed directly', () => {
    page = loadHtml('<!DOCTYPE html><body><div id=box><label for=x>Phone</label><input id=x></div><input id=y aria-label=Email></body>');
    expect(classifyControls(page.document.getElementById('box')!).map((r) => [r.element.id, r.field])).toEqual([['x', 'tel']]);
  });
});

describe('attachDeclarativeShadowRoots', () => {
  it('attaches open and closed roots like the HTML parser, nested ones too', () => {
    page = loadHtml(`<!DOCTYPE html><body>
      <a-host id=a><template shadowrootmode="open"><b-host id=b><template shadowrootmode="open"><input id=deep></template></b-host></template></a-host>
      <c-host id=c><template shadowrootmode="closed"><input id=hidden></template></c-host></body>`);
    const doc = page.document;
    const a = doc.getElementById('a')!;
    expect(a.shadowRoot).not.toBeNull();
    expect(a.querySelector('template')).toBeNull();
    expect(a.shadowRoot!.getElementById('b')!.shadowRoot!.getElementById('deep')).not.toBeNull();
    expect(doc.getElementById('c')!.shadowRoot).toBeNull();
    expect(doc.getElementById('c')!.querySelector('template')).toBeNull();
    // Idempotent: a second pass finds nothing left to attach.
    attachDeclarativeShadowRoots(doc);
    expect(collectControls(doc).map((c) => c.element.id)).toEqual(['deep']);
  });
});

describe('the classifier module', () => {
  const dir = path.join(here, '../../shared/autofill');
  const sources = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(d, e.name)) : e.name.endsWith('.ts') ? [path.join(d, e.name)] : []));
  const edges = new Set(['cli.ts', 'load-html.ts']);
  it.each(sources(dir).filter((f) => !edges.has(path.basename(f))).map((f) => [path.relative(dir, f), f]))('%s imports no Node API and no DOM library', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/from ['"](?:node:|happy-dom|jsdom)/);
    expect(text).not.toMatch(/(?<![\w.])(?:window|globalThis|navigator)\./);
  });
});
