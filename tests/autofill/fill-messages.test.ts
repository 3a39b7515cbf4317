import { describe, expect, it, vi } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import {
  autofillCommandSchema,
  autofillRequestSchema,
  registerAutofillHandlers,
  toColleague,
  toFillValues,
  type AutofillDeps,
  type AutofillSender,
} from '../../extension/lib/autofill/messages.ts';

const RUNTIME = 'extension-id';
const TAB: AutofillSender = { id: RUNTIME, tab: { id: 3 }, frameId: 0, url: 'https://crm.example/leads/new' };

const contact = (i: number, extra: Partial<Contact> = {}): Contact => ({
  ...emptyContact(`id-${i}`),
  displayName: `Colleague ${i}`,
  givenName: 'Colleague',
  surname: String(i),
  mail: `c${i}@contoso.example`,
  jobTitle: 'Engineer',
  department: 'R&D',
  companyName: 'Contoso',
  businessPhones: ['+1 425 555 0100'],
  mobilePhone: '+1 206 555 0199',
  managerId: 'boss',
  officeLocation: 'Building 4',
  ...extra,
});
const DIRECTORY = Array.from({ length: 30 }, (_, i) => contact(i));

function setup(extra: Partial<AutofillDeps> = {}) {
  let clock = 1_000_000;
  const search = vi.fn(async (_query: string, limit: number) => DIRECTORY.slice(0, limit + 5));
  const values = vi.fn(async (id: string) => {
    const found = DIRECTORY.find((c) => c.id === id);
    return found ? { ...toFillValues(found), officeLocation: 'leak?' } : null;
  });
  const handlers = registerAutofillHandlers({ runtimeId: RUNTIME, search, values, now: () => clock, ...extra });
  return { handlers, search, values, tick: (ms: number) => (clock += ms) };
}

describe('autofill/search', () => {
  it('answers at most 8 colleagues with id, displayName, jobTitle and mail only', async () => {
    const { handlers, search } = setup();
    const results = await handlers['autofill/search']({ type: 'autofill/search', query: '  coll ' }, TAB);
    expect(search).toHaveBeenCalledWith('coll', 8);
    expect(results).toHaveLength(8);
    expect(results[0]).toEqual({ id: 'id-0', displayName: 'Colleague 0', jobTitle: 'Engineer', mail: 'c0@contoso.example' });
    for (const r of results) expect(Object.keys(r).sort()).toEqual(['displayName', 'id', 'jobTitle', 'mail']);
  });

  it('answers an empty query with nothing, without searching', async () => {
    const { handlers, search } = setup();
    expect(await handlers['autofill/search']({ type: 'autofill/search', query: '   ' }, TAB)).toEqual([]);
    expect(search).not.toHaveBeenCalled();
  });

  it.each<[string, AutofillSender]>([
    ['another extension', { ...TAB, id: 'other-extension' }],
    ['an extension page (no tab)', { id: RUNTIME, url: 'chrome-extension://extension-id/popup.html' }],
    ['no sender id', { tab: { id: 3 } }],
  ])('refuses %s', async (_who, sender) => {
    const { handlers, search } = setup();
    await expect(handlers['autofill/search']({ type: 'autofill/search', query: 'a' }, sender)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(handlers['autofill/values']({ type: 'autofill/values', id: 'id-1' }, sender)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(handlers['autofill/config']({ type: 'autofill/config' }, sender)).rejects.toMatchObject({ code: 'forbidden' });
    expect(search).not.toHaveBeenCalled();
  });

  it.each([
    ['an extra key', { type: 'autofill/search', query: 'a', limit: 1000 }],
    ['a query that is not text', { type: 'autofill/search', query: { $regex: '.*' } }],
    ['a query of 101 characters', { type: 'autofill/search', query: 'a'.repeat(101) }],
    ['another type', { type: 'autofill/values', id: 'x' }],
    ['nothing', null],
  ])('refuses %s', async (_what, message) => {
    const { handlers } = setup();
    await expect(handlers['autofill/search'](message, TAB)).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('limits searches per tab', async () => {
    const { handlers, tick } = setup({ searchLimit: { count: 3, windowMs: 1000 } });
    const ask = (sender = TAB) => handlers['autofill/search']({ type: 'autofill/search', query: 'c' }, sender);
    for (let i = 0; i < 3; i++) await ask();
    await expect(ask()).rejects.toMatchObject({ code: 'throttled' });
    await expect(ask({ ...TAB, tab: { id: 4 } })).resolves.toHaveLength(8);
    tick(1001);
    await expect(ask()).resolves.toHaveLength(8);
  });
});

describe('autofill/values', () => {
  it("answers the values of a colleague this tab's search showed, and nothing more", async () => {
    const { handlers } = setup();
    await handlers['autofill/search']({ type: 'autofill/search', query: 'c' }, TAB);
    const values = await handlers['autofill/values']({ type: 'autofill/values', id: 'id-2' }, TAB);
    expect(values).toEqual({
      name: 'Colleague 2',
      givenName: 'Colleague',
      familyName: '2',
      email: 'c2@contoso.example',
      phone: '+1 425 555 0100',
      mobile: '+1 206 555 0199',
      organization: 'Contoso',
      jobTitle: 'Engineer',
      department: 'R&D',
    });
  });

  it('refuses ids no search showed this tab: a page script that guessed ids gets nothing', async () => {
    const { handlers, values } = setup();
    await handlers['autofill/search']({ type: 'autofill/search', query: 'c' }, TAB);
    await expect(handlers['autofill/values']({ type: 'autofill/values', id: 'id-20' }, TAB)).rejects.toMatchObject({ code: 'unknown_colleague' });
    await expect(handlers['autofill/values']({ type: 'autofill/values', id: 'id-2' }, { ...TAB, tab: { id: 9 } })).rejects.toMatchObject({ code: 'unknown_colleague' });
    expect(values).not.toHaveBeenCalled();
  });

  it('forgets what it showed after ten minutes', async () => {
    const { handlers, tick } = setup();
    await handlers['autofill/search']({ type: 'autofill/search', query: 'c' }, TAB);
    tick(10 * 60_000 + 1);
    await expect(handlers['autofill/values']({ type: 'autofill/values', id: 'id-2' }, TAB)).rejects.toMatchObject({ code: 'unknown_colleague' });
  });

  it('answers unknown_colleague when the colleague left the directory', async () => {
    const { handlers } = setup({ values: async () => null });
    await handlers['autofill/search']({ type: 'autofill/search', query: 'c' }, TAB);
    await expect(handlers['autofill/values']({ type: 'autofill/values', id: 'id-2' }, TAB)).rejects.toMatchObject({ code: 'unknown_colleague' });
  });
});

describe('autofill/config', () => {
  it('asks whether inline mode is on for the sender, off by default', async () => {
    expect(await setup().handlers['autofill/config']({ type: 'autofill/config' }, TAB)).toEqual({ inline: false });
    const inline = vi.fn(async (sender: AutofillSender) => sender.url?.startsWith('https://crm.example/') ?? false);
    expect(await setup({ inline }).handlers['autofill/config']({ type: 'autofill/config', target: 'background' }, TAB)).toEqual({ inline: true });
  });
});

describe('schemas and mappings', () => {
  it('parses every request and command, strictly', () => {
    expect(autofillRequestSchema.safeParse({ type: 'autofill/values', id: 'x' }).success).toBe(true);
    expect(autofillRequestSchema.safeParse({ type: 'autofill/values', id: '' }).success).toBe(false);
    expect(autofillCommandSchema.safeParse({ type: 'autofill/inline', enabled: true }).success).toBe(true);
    expect(autofillCommandSchema.safeParse({ type: 'autofill/open', tabId: 1 }).success).toBe(false);
  });

  it('toColleague falls back to the names or mail when displayName is empty', () => {
    expect(toColleague({ id: 'a', displayName: ' ', jobTitle: '', mail: 'a@x.example' })).toEqual({ id: 'a', displayName: 'a@x.example', jobTitle: null, mail: 'a@x.example' });
    expect(toColleague(contact(1, { displayName: null }))).toMatchObject({ displayName: 'Colleague 1' });
  });

  it('toFillValues turns empty strings into null and builds a name from its parts', () => {
    expect(toFillValues(contact(1, { displayName: null, businessPhones: [], companyName: '' }))).toMatchObject({ name: 'Colleague 1', phone: null, organization: null });
  });
});
