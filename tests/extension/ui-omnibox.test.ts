import { describe, expect, it, vi } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { browserOmniboxDeps, cardSuggestion, cardUrl, defaultSuggestion, enteredAction, escapeOmniboxXml, mailSuggestion, type OmniboxDeps, type OmniboxLike, registerOmnibox, suggestionsFor, type SuggestResult } from '../../extension/lib/omnibox.ts';
import { anna, bob, contact, naiveSearch, noMail, PEOPLE } from './ui-fakes.ts';

describe('omnibox descriptions', () => {
  it.each([
    ['plain', 'Anna Schmidt', 'Anna Schmidt'],
    ['ampersand', 'R&D', 'R&amp;D'],
    ['tags', '<match>x</match>', '&lt;match&gt;x&lt;/match&gt;'],
    ['script', '<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['quotes', `O'Brien "Bob"`, 'O&apos;Brien &quot;Bob&quot;'],
    ['an entity stays text', '&amp;', '&amp;amp;'],
    ['controls XML forbids', 'a\u0000b\u0008c\u001fd', 'abcd'],
    ['line breaks', 'a\nb\r\nc', 'a b c'],
    ['lone surrogate', 'a\ud800b', 'ab'],
    ['emoji kept', 'Zoë 😀', 'Zoë 😀'],
  ])('escapes %s', (_name, text, expected) => {
    expect(escapeOmniboxXml(text)).toBe(expected);
  });

  it('styles a colleague for Chrome, names escaped', () => {
    const evil = contact({ id: 'x', displayName: '<b>Bad</b> & "co"', jobTitle: 'R&D', mail: 'bad@contoso.example' });
    expect(cardSuggestion(evil)).toEqual({
      content: '<b>Bad</b> & "co" <bad@contoso.example>',
      description: '<match>&lt;b&gt;Bad&lt;/b&gt; &amp; &quot;co&quot;</match><dim> — R&amp;D · bad@contoso.example</dim>',
    });
    expect(mailSuggestion(evil)).toEqual({ content: 'mailto:bad@contoso.example', description: 'Email <match>&lt;b&gt;Bad&lt;/b&gt; &amp; &quot;co&quot;</match> <url>bad@contoso.example</url>' });
  });

  it('writes plain text for Firefox', () => {
    const evil = contact({ id: 'x', displayName: '<b>Bad</b> & co', jobTitle: 'R&D', mail: 'bad@contoso.example' });
    expect(cardSuggestion(evil, false).description).toBe('<b>Bad</b> & co — R&D · bad@contoso.example');
    expect(mailSuggestion(evil, false)?.description).toBe('Email <b>Bad</b> & co <bad@contoso.example>');
    expect(defaultSuggestion('a<b', false)).toBe('Open the best match for “a<b” in Peoplebook');
  });

  it('escapes the query in the default suggestion', () => {
    expect(defaultSuggestion('')).toBe('Find a colleague: type a name, email, title, department or phone number');
    expect(defaultSuggestion(' R&D <x> ')).toBe('Open the best match for <match>R&amp;D &lt;x&gt;</match> in Peoplebook');
  });

  it('suggests each colleague, with a mail line after the best one', () => {
    expect(suggestionsFor([anna, bob]).map((s) => s.content)).toEqual(['Anna Schmidt <anna.schmidt@contoso.example>', 'mailto:anna.schmidt@contoso.example', 'Bob Müller <bob@contoso.example>']);
    expect(suggestionsFor([noMail]).map((s) => s.content)).toEqual([`Dan Nomail <${noMail.id}>`]);
  });
});

describe('enteredAction', () => {
  const shown = new Map<string, Contact>([[cardSuggestion(anna).content, anna]]);
  it.each([
    ['a card suggestion', 'Anna Schmidt <anna.schmidt@contoso.example>', shown, { kind: 'card', contact: anna }],
    ['a mail suggestion', 'mailto:anna.schmidt@contoso.example', shown, { kind: 'mail', contact: anna }],
    ['a mail suggestion after a restart', 'mailto:anna.schmidt@contoso.example', new Map(), { kind: 'search', query: 'anna.schmidt@contoso.example', mail: true }],
    ['a card suggestion after a restart', 'Anna Schmidt <anna.schmidt@contoso.example>', new Map(), { kind: 'search', query: 'anna.schmidt@contoso.example', mail: false }],
    ['free text', '  anna sch ', shown, { kind: 'search', query: 'anna sch', mail: false }],
  ] as const)('%s', (_name, text, map, expected) => {
    expect(enteredAction(text, map)).toEqual(expected);
  });
});

describe('registerOmnibox', () => {
  function fakeOmnibox() {
    let changed!: (text: string, suggest: (results: SuggestResult[]) => void) => void;
    let entered!: (text: string, disposition: 'currentTab' | 'newForegroundTab' | 'newBackgroundTab') => void;
    const omnibox = {
      setDefaultSuggestion: vi.fn<OmniboxLike['setDefaultSuggestion']>(),
      onInputChanged: { addListener: (f) => (changed = f), removeListener: vi.fn() },
      onInputEntered: { addListener: (f) => (entered = f), removeListener: vi.fn() },
    } satisfies OmniboxLike;
    return { omnibox, changed: (text: string, suggest: (results: SuggestResult[]) => void) => changed(text, suggest), type: (text: string) => new Promise<SuggestResult[]>((resolve) => changed(text, resolve)), enter: (text: string, d: 'currentTab' | 'newForegroundTab' = 'currentTab') => entered(text, d) };
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

  function deps() {
    return { search: vi.fn(naiveSearch(PEOPLE)), openCard: vi.fn<OmniboxDeps['openCard']>(), mailto: vi.fn<OmniboxDeps['mailto']>() } satisfies OmniboxDeps;
  }

  it('suggests colleagues as you type and opens the chosen card', async () => {
    const fake = fakeOmnibox();
    const d = deps();
    registerOmnibox(fake.omnibox, d);
    expect(fake.omnibox.setDefaultSuggestion).toHaveBeenCalledWith({ description: expect.stringMatching(/^Find a colleague/) });
    const results = await fake.type('anna');
    expect(d.search).toHaveBeenCalledWith('anna', 5);
    expect(results.map((r) => r.content)).toEqual(['Anna Schmidt <anna.schmidt@contoso.example>', 'mailto:anna.schmidt@contoso.example']);
    fake.enter(results[0]!.content, 'newForegroundTab');
    await settle();
    expect(d.openCard).toHaveBeenCalledWith(anna.id, 'newForegroundTab');
  });

  it('starts a mail from the mail line', async () => {
    const fake = fakeOmnibox();
    const d = deps();
    registerOmnibox(fake.omnibox, d);
    const results = await fake.type('anna');
    fake.enter(results[1]!.content);
    await settle();
    expect(d.mailto).toHaveBeenCalledWith(anna, 'currentTab');
  });

  it('opens the best match for typed text', async () => {
    const fake = fakeOmnibox();
    const d = deps();
    registerOmnibox(fake.omnibox, d);
    fake.enter('bob');
    await settle();
    expect(d.openCard).toHaveBeenCalledWith(bob.id, 'currentTab');
  });

  it('suggests nothing for an empty query', async () => {
    const fake = fakeOmnibox();
    const d = deps();
    registerOmnibox(fake.omnibox, d);
    expect(await fake.type('  ')).toEqual([]);
    expect(d.search).not.toHaveBeenCalled();
  });

  it('ignores the answer to an older keystroke', async () => {
    const fake = fakeOmnibox();
    const d = deps();
    let releaseOld!: (value: Contact[]) => void;
    d.search.mockImplementationOnce(() => new Promise<Contact[]>((resolve) => (releaseOld = resolve)));
    registerOmnibox(fake.omnibox, d);
    const oldSuggest = vi.fn();
    fake.changed('a', oldSuggest);
    const newer = fake.type('bob');
    releaseOld([anna]);
    await settle();
    expect((await newer).map((r) => r.content)).toEqual(['Bob Müller <bob@contoso.example>', 'mailto:bob@contoso.example']);
    expect(oldSuggest).not.toHaveBeenCalled();
  });

  it('opens cards in the popup page and mail in the current tab (browser adapter)', async () => {
    const tabs = { create: vi.fn(async () => undefined), update: vi.fn(async () => undefined) };
    const adapter = browserOmniboxDeps({ tabs, popupUrl: 'chrome-extension://abc/popup.html', search: naiveSearch(PEOPLE), markup: true });
    await adapter.openCard(anna.id, 'newBackgroundTab');
    expect(tabs.create).toHaveBeenCalledWith({ url: `chrome-extension://abc/popup.html#contact=${anna.id}`, active: false });
    await adapter.openCard(anna.id, 'currentTab');
    expect(tabs.update).toHaveBeenCalledWith({ url: `chrome-extension://abc/popup.html#contact=${anna.id}` });
    await adapter.mailto(anna, 'newForegroundTab');
    expect(tabs.update).toHaveBeenLastCalledWith({ url: 'mailto:anna.schmidt@contoso.example' });
    expect(cardUrl('chrome-extension://abc/popup.html#old', 'a b')).toBe('chrome-extension://abc/popup.html#contact=a%20b');
  });
});
