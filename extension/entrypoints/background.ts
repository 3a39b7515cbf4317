import { browser } from 'wxt/browser';
import { defineBackground } from 'wxt/utils/define-background';
import { bindAuth, createOffscreenAuth, tokenSource, type Auth } from '../lib/auth/auth.ts';
import { createAuthService } from '../lib/auth/auth-service.ts';
import { AuthError } from '../lib/auth/errors.ts';
import { identityRedirectUri, isAuthorityUrl, launchWebAuthFlow } from '../lib/auth/identity.ts';
import { registerAutofillHandlers, toFillValues } from '../lib/autofill/messages.ts';
import { createAutofillTriggers } from '../lib/autofill/triggers.ts';
import { clearDirectory, countContacts, getContact, getSyncState, openDirectoryDb, type DirectoryDb } from '../lib/db.ts';
import { openDirectorySearch, type DirectorySearch } from '../lib/directory-search.ts';
import { MessageError, onMessage } from '../lib/messages.ts';
import { browserOmniboxDeps, registerOmnibox } from '../lib/omnibox.ts';
import { createProxyClient } from '../lib/proxy-client.ts';
import { loadSettings, originsFor, tenantSettingsOf, watchSettings } from '../lib/settings.ts';
import { createSyncSchedule } from '../lib/sync-schedule.ts';
import { syncDirectory } from '../lib/sync.ts';

/**
 * Background: wiring only. Sign-in runs in Chrome's offscreen document (MSAL can't run in a service
 * worker) and directly in Firefox's event page; the directory syncs on install, on browser start, on
 * an alarm every `syncIntervalMinutes`, and when a page asks. Autofill: the content script's searches
 * and values come from the same local copy; the popup's button, the context menu and the keyboard
 * command inject it on demand, and inline mode's registration follows the granted sites.
 */
export default defineBackground(() => {
  const loadTenant = async () => tenantSettingsOf((await loadSettings()).values);

  let database: Promise<DirectoryDb> | undefined;
  const db = (): Promise<DirectoryDb> =>
    (database ??= openDirectoryDb().catch((error: unknown) => {
      database = undefined;
      throw error;
    }));

  // The omnibox searches the same local copy as the popup; it adopts each sync's new index.
  let directory: DirectorySearch | undefined;
  const search = async (query: string, limit: number) => (directory ??= openDirectorySearch(await db())).search(query, { limit });

  const onSignOut = async () => {
    directory?.close();
    directory = undefined;
    await clearDirectory(await db());
  };
  const auth: Auth = import.meta.env.FIREFOX
    ? bindAuth(createAuthService({ redirectUri: identityRedirectUri(), launchWebAuthFlow }), { loadTenant, onSignOut })
    : createOffscreenAuth({ loadTenant, onSignOut });

  const sync = createSyncSchedule({
    sync: async () => {
      const tenant = await loadTenant();
      if (!tenant) throw new AuthError('tenant_not_set_up');
      const { account } = await auth.state();
      const client = createProxyClient({ baseUrl: tenant.proxyUrl, getToken: tokenSource(auth) });
      await syncDirectory({ db: await db(), client, tenantId: account?.tenantId });
      await directory?.reload();
    },
    readStatus: async (syncing) => {
      const store = await db();
      const state = await getSyncState(store);
      // Counting the store walks every record (≈ 100 ms at 100,000 in Chromium, holding up the popup's
      // reads): the persisted index knows how many it holds. Without one, a running round (the first
      // sync) has just begun filling the store; otherwise count.
      const count = state.indexedContacts ?? (syncing ? 0 : await countContacts(store));
      const error = state.lastSyncError ? { code: state.lastSyncError.code, message: state.lastSyncError.message } : null;
      return { lastSyncAt: state.lastSyncAt, error, count };
    },
  });
  const schedule = async () => sync.schedule((await loadSettings()).values.syncIntervalMinutes);

  const autofillTriggers = createAutofillTriggers({
    scripting: browser.scripting,
    tabs: browser.tabs,
    permissions: browser.permissions,
    menus: browser.contextMenus,
    lastError: () => browser.runtime.lastError,
    settings: async () => {
      const { values } = await loadSettings();
      return { autofillEnabled: values.autofillEnabled, autofillSites: values.autofillSites, reserved: originsFor(values) };
    },
  });
  const autofill = registerAutofillHandlers({
    runtimeId: browser.runtime.id,
    search,
    values: async (id) => {
      const contact = await getContact(await db(), id);
      return contact ? toFillValues(contact) : null;
    },
    inline: (sender) => autofillTriggers.inlineFor(sender.url),
  });

  onMessage('background', {
    'auth/state': () => auth.state(),
    'auth/sign-in': async () => {
      const state = await auth.signIn();
      void sync.runNow();
      return state;
    },
    'auth/sign-out': () => auth.signOut(),
    'auth/token': ({ interactive, forceRefresh }) => auth.getIdToken({ interactive, forceRefresh }),
    'identity/launch-web-auth-flow': async ({ url, interactive }) => {
      const tenant = await loadTenant();
      if (!tenant || !isAuthorityUrl(url, tenant.authorityHost)) throw new MessageError('forbidden', 'Sign-in opens the configured identity platform only.');
      return { responseUrl: await launchWebAuthFlow({ url, interactive }) };
    },
    'sync/now': () => sync.runNow(),
    'sync/status': () => sync.status(),
    'autofill/search': (request, sender) => autofill['autofill/search'](request, sender),
    'autofill/values': (request, sender) => autofill['autofill/values'](request, sender),
    'autofill/config': (request, sender) => autofill['autofill/config'](request, sender),
    'autofill/fill-active-tab': () => autofillTriggers.fillActiveTab(),
  });

  // The context menu and the command have no UI of their own to answer in: a page that can't be
  // filled (a browser page, a store, a foreign frame) is only logged.
  const report = (error: unknown) => console.warn('Peoplebook: autofill', error);
  const syncAutofill = () => void autofillTriggers.syncInline().catch(report);
  const start = () => {
    void schedule();
    void sync.runNow();
    void autofillTriggers.createMenus().catch(report);
  };
  // Each time the worker starts, not only on install: a grant made while the extension was off (or
  // recorded in a profile before it loaded) fires no permissions.onAdded. It costs two API reads when
  // nothing changed.
  syncAutofill();
  browser.runtime.onInstalled.addListener(start);
  browser.runtime.onStartup.addListener(start);
  browser.permissions.onAdded.addListener(syncAutofill);
  browser.permissions.onRemoved.addListener(syncAutofill);
  browser.commands.onCommand.addListener((command, tab) => void autofillTriggers.onCommand(command, tab).catch(report));
  browser.contextMenus.onClicked.addListener((info, tab) => void autofillTriggers.onMenuClick(info, tab).catch(report));
  browser.alarms.onAlarm.addListener((alarm) => {
    if (sync.isSyncAlarm(alarm)) void sync.runNow();
  });
  watchSettings(() => {
    void schedule();
    syncAutofill();
    void autofillTriggers.createMenus().catch(report);
  });

  registerOmnibox(
    browser.omnibox,
    browserOmniboxDeps({ tabs: browser.tabs, popupUrl: browser.runtime.getURL('/popup.html'), search, markup: !import.meta.env.FIREFOX }),
  );
});
