// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { mountPopup, type PopupController, type PopupOptions } from '../../extension/lib/ui/popup.ts';
import { anna, bob, carol, contact, fakePopupDeps, type FakePopupDeps, flush, freshStatus, key, noMail, NOW, signedIn, type } from './ui-fakes.ts';

let root: HTMLElement;
let controller: PopupController | undefined;

beforeEach(() => {
  document.body.replaceChildren();
  root = document.createElement('div');
  document.body.appendChild(root);
});

afterEach(() => {
  controller?.destroy();
  controller = undefined;
  vi.useRealTimers();
});

async function mount(deps: FakePopupDeps, options: PopupOptions = {}) {
  controller = mountPopup(root, deps, options);
  await controller.ready;
  return controller;
}

const $ = <T extends Element = HTMLElement>(testid: string): T => {
  const found = root.querySelector<T>(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`no [data-testid="${testid}"]`);
  return found;
};
const $$ = (testid: string): HTMLElement[] => [...root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`)];
const input = () => $<HTMLInputElement>('search-input');
const rowNames = () => $$('row-name').map((el) => el.textContent);

async function search(text: string): Promise<void> {
  type(input(), text);
  await controller!.settled();
}

describe('popup: search box and states', () => {
  it('focuses a labelled combobox on open', async () => {
    await mount(fakePopupDeps());
    const box = input();
    expect(document.activeElement).toBe(box);
    expect(box.getAttribute('role')).toBe('combobox');
    expect(box.getAttribute('aria-controls')).toBe('pb-results');
    const label = root.querySelector(`label[for="${box.id}"]`);
    expect(label?.textContent).toBe('Search colleagues');
    expect($('results').getAttribute('role')).toBe('listbox');
  });

  it('shows recent colleagues when the query is empty', async () => {
    await mount(fakePopupDeps({ recent: [bob, anna] }));
    expect($('list-heading').textContent).toBe('Recent colleagues');
    expect(rowNames()).toEqual(['Bob Müller', 'Anna Schmidt']);
    expect(input().getAttribute('aria-activedescendant')).toBeNull();
  });

  it('shows a hint when there is nothing recent', async () => {
    await mount(fakePopupDeps({ recent: [] }));
    expect($('list-state').getAttribute('data-state')).toBe('empty');
    expect($('list-state').textContent).toMatch(/Type a name/);
    expect($$('result-row')).toHaveLength(0);
  });

  it('renders name, title · department and email for each result, first one active', async () => {
    const deps = fakePopupDeps();
    await mount(deps);
    await search('anna');
    expect(deps.search).toHaveBeenLastCalledWith('anna', 30, expect.any(AbortSignal));
    expect(rowNames()).toEqual(['Anna Schmidt']);
    expect($('row-detail').textContent).toBe('Engineering Manager · Engineering');
    expect($('row-email').textContent).toBe('anna.schmidt@contoso.example');
    expect($('list-heading').textContent).toBe('1 colleague');
    expect(input().getAttribute('aria-expanded')).toBe('true');
    expect(input().getAttribute('aria-activedescendant')).toBe('pb-option-0');
    expect($$('result-row')[0]!.getAttribute('aria-selected')).toBe('true');
  });

  it('hides fields the employee turned off', async () => {
    await mount(fakePopupDeps({ settings: { fieldsShown: ['mail'] } }));
    await search('anna');
    expect($$('row-detail')).toHaveLength(0);
    expect($('row-email').textContent).toBe('anna.schmidt@contoso.example');
  });

  it('says so when nothing matches', async () => {
    await mount(fakePopupDeps());
    await search('zzz');
    expect($('list-state').getAttribute('data-state')).toBe('no-results');
    expect($('list-state').textContent).toBe('No colleague matches “zzz”.');
    expect(input().getAttribute('aria-expanded')).toBe('false');
    expect($('result-count').textContent).toBe('No results');
  });

  it('shows "Searching…" only while a slow search runs', async () => {
    const deps = fakePopupDeps();
    let release!: (value: Contact[]) => void;
    deps.search.mockImplementationOnce(() => new Promise<Contact[]>((resolve) => (release = resolve)));
    await mount(deps, { loadingDelayMs: 0 });
    type(input(), 'ann');
    await flush(2);
    expect($('list-state').getAttribute('data-state')).toBe('loading');
    expect($('list-state').textContent).toBe('Searching…');
    release([anna]);
    await controller!.settled();
    expect($('list-state').getAttribute('data-state')).toBe('idle');
    expect(rowNames()).toEqual(['Anna Schmidt']);
  });

  it('shows the error message when the search fails', async () => {
    const deps = fakePopupDeps();
    deps.search.mockRejectedValueOnce(new Error('The directory copy is damaged; sign out and in again.'));
    await mount(deps);
    await search('anna');
    expect($('list-state').getAttribute('data-state')).toBe('error');
    expect($('list-state').getAttribute('role')).toBe('alert');
    expect($('list-state').textContent).toBe('Search failed: The directory copy is damaged; sign out and in again.');
  });

  it('keeps the answer to the latest keystroke when an earlier search answers last', async () => {
    const deps = fakePopupDeps();
    let releaseFirst!: (value: Contact[]) => void;
    deps.search.mockImplementationOnce(() => new Promise<Contact[]>((resolve) => (releaseFirst = resolve)));
    await mount(deps);
    type(input(), 'a');
    type(input(), 'bob');
    await flush();
    const firstSignal = deps.search.mock.calls[0]![2] as AbortSignal;
    expect(firstSignal.aborted).toBe(true); // the older scan may stop early
    releaseFirst([anna, bob, carol]);
    await controller!.settled();
    expect(rowNames()).toEqual(['Bob Müller']);
  });

  it('reloads the index and searches again when a sync finishes while open', async () => {
    const deps = fakePopupDeps({ status: { ...freshStatus, syncing: true } });
    const refresh = vi.fn(async () => undefined);
    deps.refresh = refresh;
    await mount(deps, { statusPollMs: 5 });
    await search('anna');
    const calls = deps.search.mock.calls.length;
    deps.background.syncStatus.mockResolvedValue(freshStatus);
    await flush(20);
    expect(refresh).toHaveBeenCalledOnce();
    await controller!.settled();
    expect(deps.search.mock.calls.length).toBe(calls + 1);
    expect(rowNames()).toEqual(['Anna Schmidt']);
  });

  it('asks again when the full index is in, keeping the highlighted colleague', async () => {
    const deps = fakePopupDeps({ contacts: [anna, bob, carol] });
    let complete!: () => void;
    deps.searchComplete = () => new Promise<void>((resolve) => (complete = resolve));
    // Before the index: an approximate answer (Carol missing, Bob second).
    deps.search.mockImplementationOnce(async () => [anna, bob]);
    await mount(deps);
    await search('a');
    expect(rowNames()).toEqual(['Anna Schmidt', 'Bob Müller']);
    key(input(), 'ArrowDown');
    expect(input().getAttribute('aria-activedescendant')).toBe('pb-option-1');
    deps.search.mockImplementationOnce(async () => [carol, anna, bob]);
    complete();
    await flush();
    await controller!.settled();
    expect(deps.search).toHaveBeenCalledTimes(2);
    expect(deps.search.mock.calls[1]![0]).toBe('a');
    expect(rowNames()).toEqual(['Carol Director', 'Anna Schmidt', 'Bob Müller']);
    // Bob stays highlighted, now third.
    expect(input().getAttribute('aria-activedescendant')).toBe('pb-option-2');
  });

  it('does not search again on the full index when the box is empty', async () => {
    const deps = fakePopupDeps();
    let complete!: () => void;
    deps.searchComplete = () => new Promise<void>((resolve) => (complete = resolve));
    await mount(deps);
    complete();
    await flush();
    expect(deps.search).not.toHaveBeenCalled();
  });

  it.each([
    ['offline', { online: false }, 'notice-offline', "You're offline. Last synced 1 minute ago."],
    ['signed out', { auth: { configured: true, signedIn: false, account: null } }, 'notice-signed-out', 'Sign in with your work account to search the directory.'],
    ['tenant not set up', { auth: { configured: false, signedIn: false, account: null } }, 'notice-setup', "Peoplebook isn't connected to your organisation's directory yet."],
    ['proxy error', { status: { ...freshStatus, error: { code: 'storage_full', message: 'Your browser has no room left for the directory: free some disk space.' } } }, 'notice-error', 'Your browser has no room left for the directory: free some disk space.'],
  ] as const)('shows the %s notice', async (_name, options, testid, text) => {
    await mount(fakePopupDeps(options));
    expect($(testid).textContent).toContain(text);
  });

  it('still searches offline', async () => {
    await mount(fakePopupDeps({ online: false }));
    await search('bob');
    expect(rowNames()).toEqual(['Bob Müller']);
  });

  it('signs in from the notice', async () => {
    const deps = fakePopupDeps({ auth: { configured: true, signedIn: false, account: null } });
    await mount(deps);
    deps.background.authState.mockResolvedValue(signedIn);
    $<HTMLButtonElement>('sign-in').click();
    await flush();
    expect(deps.background.signIn).toHaveBeenCalledOnce();
    expect(root.querySelector('[data-testid="notice-signed-out"]')).toBeNull();
    expect($('account').textContent).toBe('Signed in as Eve Employee');
  });

  it('opens the options page from the setup notice', async () => {
    const deps = fakePopupDeps({ settings: { tenantId: null } });
    deps.background.authState.mockResolvedValue({ signedIn: false, account: null });
    await mount(deps);
    $<HTMLButtonElement>('open-settings').click();
    expect(deps.openOptions).toHaveBeenCalledOnce();
  });

  it.each([
    ['older than the interval', NOW - 16 * 60_000, true],
    ['never synced', null, true],
    ['fresh', NOW - 5 * 60_000, false],
  ])('asks for a sync on open when the copy is %s', async (_name, lastSyncAt, expected) => {
    const deps = fakePopupDeps({ status: { ...freshStatus, lastSyncAt } });
    await mount(deps);
    expect(deps.background.syncNow).toHaveBeenCalledTimes(expected ? 1 : 0);
  });
});

describe('popup: keyboard', () => {
  const many = Array.from({ length: 30 }, (_, i) => contact({ id: `b0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, displayName: `Person ${String(i).padStart(2, '0')}`, mail: `p${i}@contoso.example` }));

  it('moves the active option with the arrows (aria-activedescendant)', async () => {
    await mount(fakePopupDeps({ contacts: many }));
    await search('person');
    const box = input();
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-0');
    key(box, 'ArrowDown');
    key(box, 'ArrowDown');
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-2');
    const active = root.querySelector('#pb-option-2');
    expect(active?.getAttribute('aria-selected')).toBe('true');
    expect(root.querySelectorAll('[aria-selected="true"]')).toHaveLength(1);
    key(box, 'ArrowUp');
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-1');
    const up = key(box, 'ArrowUp');
    key(box, 'ArrowUp');
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-0');
    expect(up.defaultPrevented).toBe(true); // the caret stays put
  });

  it('opens the card with Enter and goes back with Escape, focus following', async () => {
    const deps = fakePopupDeps();
    await mount(deps);
    await search('schmidt');
    key(input(), 'Enter');
    await flush();
    expect($('list-view').hidden).toBe(true);
    expect($('card-view').hidden).toBe(false);
    expect($('card-name').textContent).toBe('Anna Schmidt');
    expect(document.activeElement).toBe($('card-name'));
    expect(deps.touchRecent).toHaveBeenCalledWith(anna.id);
    key(document.activeElement!, 'Escape');
    expect($('card-view').hidden).toBe(true);
    expect(document.activeElement).toBe(input());
    expect(input().value).toBe('schmidt');
  });

  it('clears the query with Escape, then leaves Escape to the browser', async () => {
    await mount(fakePopupDeps({ recent: [carol] }));
    await search('anna');
    const first = key(input(), 'Escape');
    await controller!.settled();
    expect(first.defaultPrevented).toBe(true);
    expect(input().value).toBe('');
    expect(rowNames()).toEqual(['Carol Director']);
    const second = key(input(), 'Escape');
    expect(second.defaultPrevented).toBe(false);
  });

  it.each([
    ['Ctrl+C', { key: 'c', code: 'KeyC', ctrlKey: true }],
    ['Cmd+C', { key: 'c', code: 'KeyC', metaKey: true }],
    ['Alt+C', { key: 'ç', code: 'KeyC', altKey: true }],
  ])('copies the active colleague’s email with %s and confirms it', async (_name, init) => {
    const deps = fakePopupDeps();
    await mount(deps);
    await search('engineer');
    key(input(), 'ArrowDown');
    const event = key(input(), init.key, init);
    await flush();
    expect(event.defaultPrevented).toBe(true);
    expect(deps.copyText).toHaveBeenCalledWith('bob@contoso.example');
    expect($('toast').textContent).toBe('Copied email address: bob@contoso.example');
    expect($('toast').getAttribute('role')).toBe('status');
    expect($('toast').classList.contains('visible')).toBe(true);
  });

  it('leaves Ctrl+C alone when text in the search box is selected', async () => {
    const deps = fakePopupDeps();
    await mount(deps);
    await search('anna');
    input().setSelectionRange(0, 2);
    const event = key(input(), 'c', { ctrlKey: true, code: 'KeyC' });
    expect(event.defaultPrevented).toBe(false);
    expect(deps.copyText).not.toHaveBeenCalled();
  });

  it('says when the colleague has no email address', async () => {
    const deps = fakePopupDeps();
    await mount(deps);
    await search('dan');
    key(input(), 'c', { ctrlKey: true, code: 'KeyC' });
    await flush();
    expect(deps.copyText).not.toHaveBeenCalled();
    expect($('toast').textContent).toBe('Dan Nomail has no email address.');
  });

  it('reports a clipboard failure', async () => {
    const deps = fakePopupDeps();
    deps.copyText.mockRejectedValueOnce(new Error('Document is not focused.'));
    await mount(deps);
    await search('anna');
    key(input(), 'c', { altKey: true, code: 'KeyC' });
    await flush();
    expect($('toast').textContent).toBe("Couldn't copy the email address: Document is not focused.");
  });
});

describe('popup: virtualized result list', () => {
  const TEN_THOUSAND = Array.from({ length: 10_000 }, (_, i) => contact({ id: `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, displayName: `Colleague ${i}`, mail: `c${i}@contoso.example` }));

  async function mountMany() {
    const deps = fakePopupDeps({ contacts: TEN_THOUSAND });
    await mount(deps, { firstPage: 10_000, limit: 10_000, rowHeight: 60, viewportHeight: 420 });
    await search('colleague');
    return deps;
  }

  it('keeps only the visible rows in the DOM for 10,000 results', async () => {
    await mountMany();
    const rows = $$('result-row');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(7 + 2 * 3);
    expect(rows[0]!.getAttribute('aria-setsize')).toBe('10000');
    expect(rows[0]!.getAttribute('aria-posinset')).toBe('1');
    expect($('list-heading').textContent).toBe('10000+ colleagues');
    // The sizer makes the scroll range as tall as every row together.
    expect((root.querySelector('.vlist-sizer') as HTMLElement).style.height).toBe(`${10_000 * 60}px`);
  });

  it('renders the rows of the scroll position', async () => {
    await mountMany();
    const list = $('results');
    list.scrollTop = 5000 * 60;
    list.dispatchEvent(new Event('scroll'));
    const indexes = $$('result-row').map((row) => Number(row.getAttribute('data-index')));
    expect(Math.min(...indexes)).toBe(4997);
    expect(Math.max(...indexes)).toBeLessThan(5000 + 7 + 3);
    expect($$('result-row').length).toBeLessThanOrEqual(13);
    expect(root.querySelector('#pb-option-5000 [data-testid="row-name"]')?.textContent).toBe('Colleague 5000');
  });

  it('scrolls the active row into view and keeps the DOM bounded while paging through', async () => {
    await mountMany();
    const box = input();
    for (let i = 0; i < 200; i++) key(box, 'PageDown');
    const active = box.getAttribute('aria-activedescendant');
    expect(active).toBe('pb-option-1400');
    expect(root.querySelector(`#${active}`)).not.toBeNull();
    expect($('results').scrollTop).toBe(1401 * 60 - 420);
    expect($$('result-row').length).toBeLessThanOrEqual(13);
  });

  it('loads a first page, then more as the list nears its end, keeping position', async () => {
    const deps = fakePopupDeps({ contacts: TEN_THOUSAND });
    await mount(deps, { firstPage: 30, limit: 10_000, rowHeight: 60, viewportHeight: 420 });
    await search('colleague');
    expect(deps.search).toHaveBeenCalledTimes(1);
    expect(deps.search).toHaveBeenLastCalledWith('colleague', 30, expect.any(AbortSignal));
    expect($$('result-row')[0]!.getAttribute('aria-setsize')).toBe('-1'); // unknown yet
    expect($('list-heading').textContent).toBe('30+ colleagues');
    const box = input();
    key(box, 'PageDown');
    key(box, 'PageDown'); // row 14: the window (with overscan) reaches row 17, within two pages of the 30 loaded
    await flush();
    expect(deps.search).toHaveBeenLastCalledWith('colleague', 120, expect.any(AbortSignal));
    expect($('list-heading').textContent).toBe('120+ colleagues');
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-14');
    expect($('results').scrollTop).toBe(15 * 60 - 420);
    // Scrolling to the end of what is loaded loads the next, larger page, up to the limit.
    const list = $('results');
    for (let i = 0; i < 10; i++) {
      list.scrollTop = Number.parseInt((root.querySelector('.vlist-sizer') as HTMLElement).style.height, 10);
      list.dispatchEvent(new Event('scroll'));
      await flush(2);
    }
    expect(deps.search.mock.calls.map((call) => call[1])).toEqual([30, 120, 480, 1920, 7680, 10_000]);
    expect($('list-heading').textContent).toBe('10000+ colleagues'); // the limit: there may be more
    expect(root.querySelector('#pb-option-9999')?.getAttribute('aria-setsize')).toBe('10000');
    expect(box.getAttribute('aria-activedescendant')).toBe('pb-option-14'); // the active row stays
    expect($$('result-row').length).toBeLessThanOrEqual(13);
  });

  it('asks for no more when the first page holds every match', async () => {
    const deps = fakePopupDeps();
    await mount(deps, { firstPage: 30 });
    await search('engineer');
    key(input(), 'PageDown');
    await flush();
    expect(deps.search).toHaveBeenCalledTimes(1);
    expect($$('result-row')[0]!.getAttribute('aria-setsize')).toBe('2');
  });

  it('opens the card of a clicked row', async () => {
    await mountMany();
    $$('result-row')[2]!.click();
    await flush();
    expect($('card-name').textContent).toBe('Colleague 2');
  });
});

describe('popup: directory text is text', () => {
  const payloads = ['<img src=x onerror="window.__pwned=1">', '<script>window.__pwned=1</script>', '"><svg onload=window.__pwned=1>', '&lt;b&gt;bold&lt;/b&gt;'];

  it.each(payloads)('renders %s as text in the list and the card', async (payload) => {
    const evil = contact({ id: 'e0000000-0000-4000-8000-000000000001', displayName: payload, givenName: 'Evil', jobTitle: payload, department: payload, officeLocation: payload, mail: 'evil@contoso.example', userPrincipalName: 'evil@contoso.example', businessPhones: [payload] });
    const deps = fakePopupDeps({ contacts: [evil] });
    deps.search.mockResolvedValue([evil]);
    await mount(deps);
    await search('evil');
    expect($('row-name').textContent).toBe(payload);
    key(input(), 'Enter');
    await flush();
    expect($('card-name').textContent).toBe(payload);
    expect($('card-office').querySelector('dd')?.textContent).toBe(payload);
    expect(root.querySelectorAll('img, script, svg, b')).toHaveLength(0);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe('popup: contact card', () => {
  async function openAnna(deps = fakePopupDeps(), options: PopupOptions = {}) {
    await mount(deps, { initialContactId: anna.id, ...options });
    await flush();
    return deps;
  }

  it('opens the card named in #contact=<id> at once', async () => {
    const deps = await openAnna();
    expect($('card-view').hidden).toBe(false);
    expect($('contact-card').getAttribute('data-contact-id')).toBe(anna.id);
    expect(deps.getContact).toHaveBeenCalledWith(anna.id);
  });

  it('shows title, department, office, email, phones and the actions as links', async () => {
    await openAnna();
    expect($('card-title').textContent).toBe('Engineering Manager');
    expect($('card-department').textContent).toBe('Engineering');
    expect($('card-office').textContent).toContain('Building 4, Floor 2');
    expect($('card-email').querySelector('a')?.getAttribute('href')).toBe('mailto:anna.schmidt@contoso.example');
    const phones = $$('card-phone').map((el) => [el.querySelector('dt')?.textContent, el.querySelector('a')?.getAttribute('href')]);
    expect(phones).toEqual([
      ['Work', 'tel:+14255550142'],
      ['Mobile', 'tel:+4915112345678'],
    ]);
    expect($('action-mailto').getAttribute('href')).toBe('mailto:anna.schmidt@contoso.example');
    expect($('action-teams').getAttribute('href')).toBe('https://teams.microsoft.com/l/chat/0/0?users=anna%40contoso.example');
    expect($('action-teams').getAttribute('rel')).toBe('noopener noreferrer');
    expect($('card-upn').textContent).toContain('anna@contoso.example');
  });

  it('shows initials until the photo arrives, then the photo', async () => {
    const deps = fakePopupDeps();
    let release!: (blob: Blob | null) => void;
    deps.photo.mockImplementation(() => new Promise<Blob | null>((resolve) => (release = resolve)));
    await openAnna(deps);
    expect($('card-photo').getAttribute('data-photo')).toBe('placeholder');
    expect($('card-photo').textContent).toBe('AS');
    release(new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' }));
    await flush();
    expect($('card-photo').getAttribute('data-photo')).toBe('loaded');
    const img = $('card-photo').querySelector('img');
    expect(img?.getAttribute('alt')).toBe('');
    expect(img?.getAttribute('src')).toMatch(/^blob:/);
    expect(deps.photo).toHaveBeenCalledWith(anna.id);
  });

  it('keeps the initials when there is no photo or it fails to load', async () => {
    const deps = fakePopupDeps();
    deps.photo.mockRejectedValue(new Error('offline'));
    await openAnna(deps);
    expect($('card-photo').getAttribute('data-photo')).toBe('placeholder');
    expect($('card-photo').textContent).toBe('AS');
  });

  it('lists the manager and direct reports, each opening their card; Back returns through them', async () => {
    await openAnna();
    expect($('manager-button').textContent).toContain('Carol Director');
    expect($$('report-button').map((b) => b.textContent)).toEqual(['Bob MüllerEngineer']);
    expect(root.querySelector('#pb-card-reports')?.textContent).toBe('Direct reports (1)');
    $<HTMLButtonElement>('manager-button').click();
    await flush();
    expect($('card-name').textContent).toBe('Carol Director');
    expect($$('report-button').map((b) => b.getAttribute('data-contact-id'))).toEqual([anna.id]);
    $<HTMLButtonElement>('card-back').click();
    await flush();
    expect($('card-name').textContent).toBe('Anna Schmidt');
    $<HTMLButtonElement>('card-back').click();
    expect($('card-view').hidden).toBe(true);
    expect(document.activeElement).toBe(input());
  });

  it('copies the email and a phone with a confirmation, and from the keyboard', async () => {
    const deps = await openAnna();
    $<HTMLButtonElement>('copy-email').click();
    await flush();
    expect(deps.copyText).toHaveBeenLastCalledWith('anna.schmidt@contoso.example');
    $$('copy-phone')[0]!.click();
    await flush();
    expect(deps.copyText).toHaveBeenLastCalledWith('+1 (425) 555-0142');
    expect($('toast').textContent).toBe('Copied phone number: +1 (425) 555-0142');
    key($('card-name'), 'c', { altKey: true, code: 'KeyC' });
    await flush();
    expect(deps.copyText).toHaveBeenLastCalledWith('anna.schmidt@contoso.example');
  });

  it('downloads the vCard', async () => {
    const deps = await openAnna();
    $<HTMLButtonElement>('action-vcard').click();
    await flush();
    expect(deps.downloadVCard).toHaveBeenCalledWith(anna);
    expect($('toast').textContent).toBe("Saved Anna Schmidt's vCard.");
  });

  it('offers no mail or Teams link for a guest without a mailbox', async () => {
    await mount(fakePopupDeps(), { initialContactId: noMail.id });
    await flush();
    expect(root.querySelector('[data-testid="action-mailto"]')).toBeNull();
    expect(root.querySelector('[data-testid="action-teams"]')).toBeNull();
    expect(root.querySelector('[data-testid="card-email"]')).toBeNull();
  });

  it('says when the linked colleague is gone', async () => {
    await mount(fakePopupDeps(), { initialContactId: 'ffffffff-0000-4000-8000-000000000000' });
    await flush();
    expect($('card-view').hidden).toBe(true);
    expect($('toast').textContent).toBe('That colleague is no longer in the directory.');
  });
});
