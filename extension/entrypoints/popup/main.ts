import '../../assets/theme.css';
import './style.css';
import { browser } from 'wxt/browser';
import { getContact, getContacts, getDirectReports, getRecent, openDirectoryDb, type DirectoryDb } from '../../lib/db.ts';
import { openDirectorySearch, type DirectorySearch } from '../../lib/directory-search.ts';
import type { Settings } from '../../lib/settings.ts';
import type { PopupDeps } from '../../lib/ui/deps.ts';
import { mountPopup } from '../../lib/ui/popup.ts';
import { contactIdFromHash } from '../../lib/ui/popup-state.ts';
import { triggerDownload, vCardFile } from '../../lib/vcard-download.ts';

/**
 * Popup wiring only (lib/ui/popup.ts holds the behaviour). The search box is built and focused before
 * anything async: the database and the index open in parallel, and the first query waits for them.
 * Also served in a tab as popup.html#contact=<id> (the omnibox opens cards that way).
 *
 * What the first keystroke needs (the UI, IndexedDB, the search) is imported statically; the rest —
 * settings, messages to the background, the proxy client and photos, which validate with zod
 * (~100 KB of the popup's JS) — loads right after the first render, so parsing it never holds up the box.
 */

const settingsModule = import('../../lib/settings.ts');
const messagesModule = import('../../lib/messages.ts');
const settings = settingsModule.then(({ loadSettings }) => loadSettings());
const sendMessage: typeof import('../../lib/messages.ts').sendMessage = async (...args) => (await messagesModule).sendMessage(...args);
let database: Promise<DirectoryDb> | undefined;
const db = (): Promise<DirectoryDb> => (database ??= openDirectoryDb());
let directory: Promise<DirectorySearch> | undefined;
const search = (): Promise<DirectorySearch> => (directory ??= db().then((opened) => openDirectorySearch(opened)));
// Start opening at once: the first keystroke comes sooner than IndexedDB answers.
void search().catch(() => undefined);

const proxy = async () => {
  const { values } = await settings;
  if (!values.proxyUrl) return null;
  const [{ createProxyClient }, { tokenSource }] = await Promise.all([import('../../lib/proxy-client.ts'), import('../../lib/auth/auth.ts')]);
  return createProxyClient({
    baseUrl: values.proxyUrl,
    // null, not an error, when nobody is signed in: the client then reports not_signed_in.
    getToken: tokenSource({ getIdToken: (options) => sendMessage({ type: 'auth/token', interactive: false, forceRefresh: options?.forceRefresh ?? false }) }),
  });
};

const deps: PopupDeps = {
  search: async (query, limit, signal) => (await search()).search(query, { limit, signal }),
  searchComplete: async () => (await search()).ready,
  getContact: async (id) => getContact(await db(), id),
  listByManager: async (id) => getDirectReports(await db(), id),
  recent: async (limit) => {
    const opened = await db();
    const ids = [...(await getRecent(opened))].sort((a, b) => b[1] - a[1]).slice(0, limit).map(([id]) => id);
    return getContacts(opened, ids);
  },
  touchRecent: async (id) => (await search()).touch(id),
  refresh: async () => (await search()).reload(),
  photo: async (id) => {
    const client = await proxy();
    const { loadPhoto } = await import('../../lib/photos.ts');
    return client ? loadPhoto({ db: await db(), client, id, size: '96x96' }) : null;
  },
  // Static, not lazy: the download must start within the click that asked for it.
  downloadVCard: (contact) => triggerDownload(vCardFile(contact)),
  copyText: (text) => navigator.clipboard.writeText(text),
  background: {
    authState: () => sendMessage({ type: 'auth/state' }),
    signIn: () => sendMessage({ type: 'auth/sign-in' }),
    syncNow: () => sendMessage({ type: 'sync/now' }),
    syncStatus: () => sendMessage({ type: 'sync/status' }),
    fillActiveTab: () => sendMessage({ type: 'autofill/fill-active-tab' }),
  },
  settings: { get: async <K extends keyof Settings>(key: K) => (await settings).values[key] },
  openOptions: () => void browser.runtime.openOptionsPage(),
  closePopup: () => window.close(),
  isOnline: () => navigator.onLine,
  now: () => Date.now(),
};

const root = document.getElementById('app');
if (root) mountPopup(root, deps, { initialContactId: contactIdFromHash(location.hash) });
