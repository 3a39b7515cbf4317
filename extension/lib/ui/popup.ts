import type { Contact } from '../../../shared/contact.ts';
import { displayNameOf } from '../../../shared/display-name.ts';
import { renderContactCard, type RenderedCard } from './contact-card.ts';
import { emailOf, type FieldKey, resultLines, shownFields } from './contact-format.ts';
import type { AuthState, PopupDeps, SyncStatus } from './deps.ts';
import { h, replaceChildren } from './dom.ts';
import { messageOf } from './message-of.ts';
import { isStale, keyAction, moveActive, type Notice, noticesFor } from './popup-state.ts';
import { VirtualList } from './virtual-list.ts';

/**
 * The popup: a combobox over the local directory (ARIA combobox pattern with a listbox popup,
 * https://www.w3.org/WAI/ARIA/apg/patterns/combobox/), a windowed result list, and the contact card.
 * Focus stays in the search box while the arrows move `aria-activedescendant`; Enter opens the card and
 * moves focus to its heading; Escape goes back with focus in the search box again.
 */
export interface PopupOptions {
  /** Row height in px; must match `--row-height` in entrypoints/popup/style.css. */
  rowHeight?: number;
  /** Listbox height used before layout (happy-dom has none); CSS sets the real one. */
  viewportHeight?: number;
  /**
   * Results asked for first: enough to fill the list. Each result is one IndexedDB read, so asking for
   * hundreds on every keystroke would miss the 16 ms budget (design.md targets); more are loaded as the
   * list is scrolled or arrowed towards the end of what is loaded.
   */
  firstPage?: number;
  /** Most results ever loaded for one query. */
  limit?: number;
  recentLimit?: number;
  /** Show "Searching…" only when a search takes longer than this, so fast answers don't flicker. */
  loadingDelayMs?: number;
  /** Open this colleague's card at once (popup.html#contact=<id>). */
  initialContactId?: string | null;
  /** How often to re-read the sync status while a sync runs. */
  statusPollMs?: number;
}

export interface PopupController {
  /** The first render is done: recent colleagues (or the card) shown, notices decided. */
  ready: Promise<void>;
  /** Resolves when the search for the box's current text has rendered. */
  settled(): Promise<void>;
  destroy(): void;
}

/** Row height in px; entrypoints/popup/style.css `--row-height` must match (a test checks). */
export const ROW_HEIGHT = 60;
const TOAST_MS = 2500;
/** How long "n contact fields" stays on screen before the popup closes for the page's picker. */
const FILL_CLOSE_MS = 800;

type ListMode = 'recent' | 'results';

export function mountPopup(root: HTMLElement, deps: PopupDeps, options: PopupOptions = {}): PopupController {
  const doc = root.ownerDocument;
  const win = doc.defaultView;
  const rowHeight = options.rowHeight ?? ROW_HEIGHT;
  const limit = options.limit ?? 2000;
  const firstPage = Math.min(options.firstPage ?? 30, limit);
  const recentLimit = options.recentLimit ?? 8;
  const loadingDelayMs = options.loadingDelayMs ?? 120;
  const statusPollMs = options.statusPollMs ?? 1500;

  let fields: ReadonlySet<FieldKey> = shownFields(null);
  let auth: AuthState | null = null;
  let status: SyncStatus | null = null;
  let configured = true;
  let statusFailure: string | null = null;
  let mode: ListMode = 'recent';
  let searchSeq = 0;
  let searchAbort: AbortController | null = null;
  /** The query the list shows, and whether the search may have more for it. */
  let shownQuery = '';
  let hasMore = false;
  let loadingMore = false;
  let pending: Promise<void> = Promise.resolve();
  let loadingTimer: ReturnType<typeof setTimeout> | undefined;
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  let destroyed = false;
  const cardStack: string[] = [];
  let card: RenderedCard | null = null;
  let cardContact: Contact | null = null;

  // ---- Shell
  const input = h(doc, 'input', {
    id: 'pb-search',
    type: 'search',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': 'pb-results',
    'aria-describedby': 'pb-shortcuts',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'Name, email, title, department, phone…',
    'data-testid': 'search-input',
  });
  const label = h(doc, 'label', { for: 'pb-search', class: 'search-label' }, 'Search colleagues');
  const shortcuts = h(doc, 'p', { id: 'pb-shortcuts', class: 'shortcuts muted' }, '↑ ↓ move · Enter opens · Ctrl+C (⌘C) or Alt+C copies the email · Esc clears');
  const notices = h(doc, 'div', { class: 'notices', 'data-testid': 'notices' });
  const listHeading = h(doc, 'h2', { id: 'pb-list-heading', class: 'list-heading', 'data-testid': 'list-heading' });
  const listbox = h(doc, 'div', { id: 'pb-results', role: 'listbox', 'aria-labelledby': 'pb-list-heading', class: 'results', 'data-testid': 'results' });
  const listState = h(doc, 'p', { class: 'list-state', 'data-testid': 'list-state', 'data-state': 'idle' });
  const liveCount = h(doc, 'p', { class: 'sr-only', role: 'status', 'data-testid': 'result-count' });
  const listView = h(doc, 'section', { class: 'list-view', 'data-testid': 'list-view', 'aria-labelledby': 'pb-list-heading' }, listHeading, listbox, listState, liveCount);
  const cardView = h(doc, 'section', { class: 'card-view', 'data-testid': 'card-view', hidden: true });
  const toast = h(doc, 'div', { class: 'toast', role: 'status', 'aria-live': 'polite', 'data-testid': 'toast' });
  const account = h(doc, 'span', { class: 'account muted', 'data-testid': 'account' });
  const settingsButton = h(doc, 'button', { type: 'button', class: 'link-button', 'data-testid': 'footer-settings' }, 'Settings');
  settingsButton.addEventListener('click', () => deps.openOptions());
  const fillButton = deps.background.fillActiveTab && h(doc, 'button', { type: 'button', class: 'link-button', 'data-testid': 'fill-page' }, 'Fill into this page');
  fillButton?.addEventListener('click', () => void fillPage());
  const shell = h(
    doc,
    'main',
    { class: 'popup', 'data-testid': 'popup' },
    h(doc, 'header', { class: 'search' }, label, input, shortcuts),
    notices,
    listView,
    cardView,
    toast,
    h(doc, 'footer', { class: 'footer' }, account, fillButton, settingsButton),
  );
  replaceChildren(root, shell);

  const list = new VirtualList<Contact>({
    element: listbox,
    rowHeight,
    fallbackViewportHeight: options.viewportHeight ?? rowHeight * 7, // style.css: 7 rows high
    idPrefix: 'pb-option',
    renderRow: (contact) => renderRow(contact),
    onPick: (index) => {
      setActive(index);
      void openFromList(index);
    },
    onRender: (range) => {
      // Within two pages of the end: the next page is there before the user gets to it.
      if (hasMore && !loadingMore && range.end >= list.items.length - 2 * list.pageSize) void loadMore();
    },
  });

  function renderRow(contact: Contact): Node {
    const lines = resultLines(contact, fields);
    return h(
      doc,
      'div',
      { class: 'row', 'data-contact-id': contact.id },
      h(doc, 'span', { class: 'row-name', 'data-testid': 'row-name' }, lines.name),
      lines.detail && h(doc, 'span', { class: 'row-detail muted', 'data-testid': 'row-detail' }, lines.detail),
      lines.email && h(doc, 'span', { class: 'row-email muted', 'data-testid': 'row-email' }, lines.email),
    );
  }

  function setActive(index: number): void {
    list.setActive(index);
    if (list.active >= 0) input.setAttribute('aria-activedescendant', list.optionId(list.active));
    else input.removeAttribute('aria-activedescendant');
  }

  function setListState(state: 'idle' | 'loading' | 'empty' | 'no-results' | 'error', text = ''): void {
    listState.setAttribute('data-state', state);
    listState.setAttribute('role', state === 'error' ? 'alert' : 'status');
    replaceChildren(listState, text);
    listState.hidden = text === '';
  }

  function showItems(items: readonly Contact[], nextMode: ListMode, more = false): void {
    mode = nextMode;
    hasMore = false; // set after setItems: its first render must not load more of the previous query
    list.setItems(items, -1, !more);
    setActive(nextMode === 'results' && items.length > 0 ? 0 : -1);
    input.setAttribute('aria-expanded', items.length > 0 ? 'true' : 'false');
    listbox.hidden = items.length === 0;
    hasMore = more;
  }

  function countText(count: number, more: boolean): string {
    if (more) return `${count}+ colleagues`;
    return `${count} ${count === 1 ? 'colleague' : 'colleagues'}`;
  }

  /** The next, larger page for the shown query; the list keeps its scroll position and active row. */
  async function loadMore(): Promise<void> {
    const seq = searchSeq;
    const query = shownQuery;
    const want = Math.min(limit, Math.max(list.items.length * 4, firstPage));
    loadingMore = true;
    try {
      const more = await deps.search(query, want, searchAbort?.signal);
      if (seq !== searchSeq || destroyed || more.length <= list.items.length) {
        if (seq === searchSeq) hasMore = false;
        return;
      }
      const complete = more.length < want || want >= limit;
      hasMore = !complete;
      list.extend(more, complete);
      replaceChildren(listHeading, countText(more.length, !complete || more.length >= limit));
    } catch {
      if (seq === searchSeq) hasMore = false; // the first page stays; nothing to report
    } finally {
      loadingMore = false;
    }
  }

  // ---- Searching

  async function showRecent(seq: number): Promise<void> {
    let recent: readonly Contact[] = [];
    try {
      recent = await deps.recent(recentLimit);
    } catch {
      recent = []; // the recent list is a convenience: no error state for it
    }
    if (seq !== searchSeq || destroyed) return;
    clearTimeout(loadingTimer);
    replaceChildren(listHeading, recent.length > 0 ? 'Recent colleagues' : '');
    listHeading.hidden = recent.length === 0;
    showItems(recent, 'recent');
    setListState('empty', recent.length > 0 ? '' : 'Type a name, email, job title, department or phone number.');
    replaceChildren(liveCount, '');
  }

  /** `keepActive`: the same query again (better answers arrived): the highlighted colleague stays highlighted. */
  async function runSearch(query: string, keepActive = false): Promise<void> {
    const activeId = keepActive && mode === 'results' ? list.items[list.active]?.id : undefined;
    const seq = ++searchSeq;
    clearTimeout(loadingTimer);
    searchAbort?.abort(); // an older scan stops early (directory-search's fallback before the index loads)
    searchAbort = null;
    const text = query.trim();
    if (text === '') return showRecent(seq);
    loadingTimer = setTimeout(() => {
      if (seq === searchSeq) setListState('loading', 'Searching…');
    }, loadingDelayMs);
    let results: readonly Contact[];
    const abort = (searchAbort = new AbortController());
    try {
      results = await deps.search(text, firstPage, abort.signal);
    } catch (error) {
      if (seq !== searchSeq || destroyed) return;
      clearTimeout(loadingTimer);
      showItems([], 'results');
      listHeading.hidden = true;
      setListState('error', `Search failed: ${messageOf(error)}`);
      return;
    }
    if (seq !== searchSeq || destroyed) return; // a newer keystroke's search owns the list
    clearTimeout(loadingTimer);
    shownQuery = text;
    const more = results.length >= firstPage && firstPage < limit;
    showItems(results, 'results', more);
    const stillThere = activeId === undefined ? -1 : results.findIndex((contact) => contact.id === activeId);
    if (stillThere > 0) setActive(stillThere);
    const count = countText(results.length, more || results.length >= limit);
    replaceChildren(listHeading, results.length > 0 ? count : '');
    listHeading.hidden = results.length === 0;
    if (results.length === 0) {
      const downloading = status !== null && status.count === 0;
      setListState('no-results', downloading ? `No colleague matches “${text}” yet: the directory hasn't been downloaded.` : `No colleague matches “${text}”.`);
    } else {
      setListState('idle');
    }
    replaceChildren(liveCount, results.length > 0 ? count : 'No results');
  }

  function search(keepActive = false): void {
    pending = runSearch(input.value, keepActive);
  }

  // ---- Card

  async function openCard(id: string, push = true): Promise<void> {
    let contact: Contact | undefined;
    try {
      contact = list.items.find((item) => item.id === id) ?? (await deps.getContact(id));
    } catch (error) {
      showToast(`Couldn't open the card: ${messageOf(error)}`);
      return;
    }
    if (destroyed) return;
    if (!contact) {
      showToast('That colleague is no longer in the directory.');
      return;
    }
    if (push) cardStack.push(contact.id);
    card?.dispose();
    cardContact = contact;
    card = renderContactCard(doc, contact, {
      fields,
      getContact: (managerId) => deps.getContact(managerId),
      listByManager: (managerId) => deps.listByManager(managerId),
      photo: (photoId) => deps.photo(photoId),
      open: (next) => void openCard(next),
      back,
      copy: (value, what) => void copy(value, what),
      downloadVCard: (who) => {
        void Promise.resolve()
          .then(() => deps.downloadVCard(who))
          .then(
            () => showToast(`Saved ${displayNameOf(who)}'s vCard.`),
            (error: unknown) => showToast(`Couldn't save the vCard: ${messageOf(error)}`),
          );
      },
    });
    replaceChildren(cardView, card.element);
    listView.hidden = true;
    cardView.hidden = false;
    input.setAttribute('aria-expanded', 'false');
    card.focusTarget.focus();
    void deps.touchRecent(contact.id).catch(() => undefined);
  }

  async function openFromList(index: number): Promise<void> {
    const contact = list.items[index];
    if (contact) await openCard(contact.id);
  }

  function back(): void {
    cardStack.pop();
    const previous = cardStack[cardStack.length - 1];
    if (previous) {
      void openCard(previous, false);
      return;
    }
    card?.dispose();
    card = null;
    cardContact = null;
    replaceChildren(cardView);
    cardView.hidden = true;
    listView.hidden = false;
    input.setAttribute('aria-expanded', list.items.length > 0 ? 'true' : 'false');
    input.focus();
    if (mode === 'recent' && input.value.trim() === '') pending = runSearch(''); // recents changed
  }

  // ---- Copy and toast

  async function copy(value: string, what: string): Promise<void> {
    try {
      await deps.copyText(value);
      showToast(`Copied ${what}: ${value}`);
    } catch (error) {
      showToast(`Couldn't copy the ${what}: ${messageOf(error)}`);
    }
  }

  async function copyEmailOf(contact: Contact | undefined): Promise<void> {
    if (!contact) {
      showToast('Nothing to copy: no colleague selected.');
      return;
    }
    const email = emailOf(contact);
    if (!email) {
      showToast(`${displayNameOf(contact)} has no email address.`);
      return;
    }
    await copy(email, 'email address');
    void deps.touchRecent(contact.id).catch(() => undefined);
  }

  function showToast(text: string): void {
    clearTimeout(toastTimer);
    replaceChildren(toast, text);
    toast.classList.add('visible');
    toastTimer = setTimeout(() => {
      toast.classList.remove('visible');
      replaceChildren(toast);
    }, TOAST_MS);
  }

  // ---- Fill into this page (lib/autofill/triggers.ts): the picker opens in the page, which then
  // needs the keyboard, so the popup closes once it has said how many fields it found.

  async function fillPage(): Promise<void> {
    try {
      const { fields } = await deps.background.fillActiveTab!();
      if (destroyed) return;
      if (fields === 0) return showToast('No contact fields on this page.');
      showToast(`${fields} contact ${fields === 1 ? 'field' : 'fields'}: pick a colleague in the page.`);
      setTimeout(() => deps.closePopup?.(), FILL_CLOSE_MS);
    } catch (error) {
      showToast(`Couldn't fill this page: ${messageOf(error)}`);
    }
  }

  // ---- Notices (auth, sync, connectivity)

  function renderNotices(): void {
    const shown = noticesFor({ configured, auth, status, online: deps.isOnline(), now: deps.now() });
    if (statusFailure && configured) shown.push({ kind: 'error', text: statusFailure });
    replaceChildren(notices, ...shown.map(renderNotice));
    if (auth?.signedIn && auth.account) replaceChildren(account, `Signed in as ${auth.account.name || auth.account.username || 'you'}`);
    else replaceChildren(account);
  }

  function renderNotice(notice: Notice): HTMLElement {
    const element = h(doc, 'div', { class: `notice notice-${notice.kind}`, 'data-testid': `notice-${notice.kind}`, role: notice.kind === 'error' ? 'alert' : 'status' }, h(doc, 'p', {}, notice.text));
    if (notice.kind === 'signed-out') {
      const signIn = h(doc, 'button', { type: 'button', class: 'button primary', 'data-testid': 'sign-in' }, 'Sign in');
      signIn.addEventListener('click', () => void signInNow(signIn));
      element.appendChild(signIn);
    } else if (notice.kind === 'setup') {
      const open = h(doc, 'button', { type: 'button', class: 'button', 'data-testid': 'open-settings' }, 'Open settings');
      open.addEventListener('click', () => deps.openOptions());
      element.appendChild(open);
    }
    return element;
  }

  async function signInNow(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    replaceChildren(button, 'Signing in…');
    try {
      await deps.background.signIn();
    } catch (error) {
      showToast(`Sign-in failed: ${messageOf(error)}`);
    }
    await refreshStatus(true);
    search();
  }

  async function refreshStatus(syncIfStale: boolean): Promise<void> {
    const [authResult, statusResult, interval] = await Promise.allSettled([deps.background.authState(), deps.background.syncStatus(), deps.settings.get('syncIntervalMinutes')]);
    if (destroyed) return;
    const wasSyncing = status?.syncing ?? false;
    auth = authResult.status === 'fulfilled' ? authResult.value : null;
    if (typeof auth?.configured === 'boolean') configured = auth.configured; // the background's word wins
    status = statusResult.status === 'fulfilled' ? statusResult.value : null;
    statusFailure = statusResult.status === 'rejected' ? `Couldn't read the sync status: ${messageOf(statusResult.reason)}` : null;
    const minutes = interval.status === 'fulfilled' ? interval.value : 15;
    if (syncIfStale && configured && auth?.signedIn && status && !status.syncing && deps.isOnline() && isStale(status.lastSyncAt, minutes, deps.now())) {
      status = { ...status, syncing: true };
      deps.background.syncNow().catch(() => undefined); // the background reports failures through sync/status
    }
    renderNotices();
    clearTimeout(pollTimer);
    if (status?.syncing) pollTimer = setTimeout(() => void refreshStatus(false), statusPollMs);
    else if (wasSyncing) {
      // Fresh data: load the index the sync saved, then show it.
      await deps.refresh?.().catch(() => undefined);
      if (!destroyed) search(true);
    }
  }

  // ---- Keyboard

  function onKeyDown(event: KeyboardEvent): void {
    const inCard = !cardView.hidden;
    if (!inCard && event.target !== input) return; // the list keys belong to the combobox
    const hasSelection = inCard ? Boolean(doc.getSelection?.()?.toString()) : input.selectionStart !== input.selectionEnd;
    const action = keyAction(event, { view: inCard ? 'card' : 'list', hasSelection });
    if (!action) return;
    switch (action) {
      case 'next':
      case 'previous':
      case 'pageDown':
      case 'pageUp':
        event.preventDefault();
        setActive(moveActive(list.active, list.items.length, action, list.pageSize));
        return;
      case 'open': {
        event.preventDefault();
        const index = list.active >= 0 ? list.active : 0;
        void openFromList(index);
        return;
      }
      case 'copy':
        event.preventDefault();
        void copyEmailOf(inCard ? (cardContact ?? undefined) : list.items[list.active >= 0 ? list.active : 0]);
        return;
      case 'escape':
        if (inCard) {
          event.preventDefault();
          back();
        } else if (input.value !== '') {
          event.preventDefault(); // clear first; a second Escape closes the popup as usual
          input.value = '';
          search();
        }
        return;
    }
  }

  const onConnectivity = (): void => renderNotices();
  const onInput = (): void => search();
  input.addEventListener('input', onInput);
  // Answers given before the full index was read may be approximate: ask again once it is.
  void deps.searchComplete?.().then(
    () => {
      if (!destroyed && mode === 'results' && input.value.trim() !== '') search(true);
    },
    () => undefined,
  );
  root.addEventListener('keydown', onKeyDown);
  win?.addEventListener('online', onConnectivity);
  win?.addEventListener('offline', onConnectivity);
  input.focus();

  // ---- Start: settings and recents first (they are local and fast), then the background's view.
  const ready = (async () => {
    const [fieldSetting, proxyUrl, tenantId] = await Promise.allSettled([deps.settings.get('fieldsShown'), deps.settings.get('proxyUrl'), deps.settings.get('tenantId')]);
    if (fieldSetting.status === 'fulfilled') fields = shownFields(fieldSetting.value);
    configured = proxyUrl.status !== 'fulfilled' || tenantId.status !== 'fulfilled' || (Boolean(proxyUrl.value) && Boolean(tenantId.value));
    const first = options.initialContactId ? openCard(options.initialContactId) : Promise.resolve();
    if (input.value === '') search(); // unless the user is already typing
    await Promise.all([pending, first, refreshStatus(true)]);
  })();

  return {
    ready,
    settled: async () => {
      await ready;
      let current: Promise<void>;
      do {
        current = pending;
        await current;
      } while (current !== pending);
    },
    destroy() {
      destroyed = true;
      clearTimeout(loadingTimer);
      clearTimeout(toastTimer);
      clearTimeout(pollTimer);
      searchAbort?.abort();
      card?.dispose();
      list.destroy();
      input.removeEventListener('input', onInput);
      root.removeEventListener('keydown', onKeyDown);
      win?.removeEventListener('online', onConnectivity);
      win?.removeEventListener('offline', onConnectivity);
    },
  };
}
