import type { Contact } from '../../../shared/contact.ts';
import type { SetupStarted, TenantStatus } from '../proxy-client.ts';

/**
 * What the popup, the options page and the omnibox need from the rest of the extension, declared here
 * so the UI modules are tested in happy-dom with fakes and never import IndexedDB, MSAL or `browser`.
 * The entrypoints (entrypoints/popup/main.ts, entrypoints/options/main.ts) adapt the real modules —
 * lib/db.ts, lib/directory-search.ts, lib/proxy-client.ts, lib/settings.ts, lib/messages.ts — to these.
 */

// ---- Settings (lib/settings.ts keeps one WXT storage item per key; policy may lock some)

export type Cloud = 'global' | 'usgov' | 'china' | 'custom';

/** The same shape as lib/settings.ts `Settings` (values effective: a managed value wins). */
export interface Settings {
  proxyUrl: string | null;
  /** Tenant GUID (the proxy resolves a verified domain to it on setup) or, before setup, the domain. */
  tenantId: string | null;
  clientId: string | null;
  cloud: Cloud;
  /** Identity platform origin, for `cloud: 'custom'` (the emulator). */
  authorityHost: string | null;
  graphAuth: 'delegated' | 'application';
  syncIntervalMinutes: number;
  /** Keys of `FIELD_CHOICES` (./contact-format.ts); unknown keys are ignored. */
  fieldsShown: readonly string[];
  autofillEnabled: boolean;
  /** Sites with inline autofill by policy (match patterns, `https://crm.contoso.com/*`). */
  autofillSites: readonly string[];
}

export type SettingKey = keyof Settings;

export interface LoadedSettings {
  /** Effective values: a managed value wins over the local one. */
  values: Settings;
  /** Keys set by policy (`storage.managed`): shown locked. */
  managed: ReadonlySet<SettingKey>;
}

export interface SettingsStore {
  /** One effective value (popup). */
  get<K extends SettingKey>(key: K): Promise<Settings[K]>;
  /** Every value and which are managed (options page; lib/settings.ts `loadSettings`). */
  load(): Promise<LoadedSettings>;
  /**
   * Validates and stores (lib/settings.ts `saveSettings`). Rejects without writing anything when a value
   * is invalid or managed, with an error whose `key` names the setting and `message` fits beside it.
   */
  save(values: Partial<Settings>): Promise<void>;
}

// ---- Background (lib/messages.ts `sendMessage`)

export interface AuthState {
  /** Proxy URL, tenant and client ID are set. Absent: the popup asks the settings. */
  configured?: boolean;
  signedIn: boolean;
  account: { name?: string | null; username?: string | null } | null;
}

/** A failure the user can act on: `code` is a ProxyError code (lib/proxy-client.ts). */
export interface UiError {
  code: string;
  message: string;
}

export interface SyncStatus {
  /** When the last sync finished (ms since the epoch), `null` before the first. */
  lastSyncAt: number | null;
  syncing: boolean;
  error: UiError | null;
  /** Contacts in the local copy. */
  count: number;
}

export interface Background {
  /** 'auth/state' */
  authState(): Promise<AuthState>;
  /** 'auth/sign-in' */
  signIn(): Promise<unknown>;
  /** 'sync/now' */
  syncNow(): Promise<unknown>;
  /** 'sync/status' */
  syncStatus(): Promise<SyncStatus>;
  /**
   * 'autofill/fill-active-tab': open the colleague picker in the page under the popup; answers how many
   * contact fields it found (0: none, no picker). Absent: no "Fill into this page" button.
   */
  fillActiveTab?(): Promise<{ fields: number }>;
}

// ---- Popup

export interface PopupDeps {
  /**
   * Best matches first, at most `limit` (lib/directory-search.ts `search(query, { limit, signal })`).
   * `signal` aborts when a newer keystroke replaces this query.
   */
  search(query: string, limit: number, signal?: AbortSignal): Promise<readonly Contact[]>;
  /**
   * Resolves when `search` answers from the full index (directory-search `ready`). Until then an answer
   * may come from a quicker, approximate source, so the popup runs the shown query again at that moment.
   */
  searchComplete?(): Promise<void>;
  getContact(id: string): Promise<Contact | undefined>;
  /** Contacts whose `managerId` is `managerId`. */
  listByManager(managerId: string): Promise<readonly Contact[]>;
  /** Colleagues used recently, most recent first. */
  recent(limit: number): Promise<readonly Contact[]>;
  /** Records a use (lib/directory-search.ts `touch`, which writes lib/db.ts `touchRecent`). */
  touchRecent(id: string): Promise<void>;
  /** A sync finished while the popup was open: pick up the index it saved (directory-search `reload`). */
  refresh?(): Promise<void>;
  /** The 96×96 photo, `null` when the colleague has none. May reject (offline): the card keeps initials. */
  photo(id: string): Promise<Blob | null>;
  /** Saves the colleague's vCard (lib/vcard-download.ts). */
  downloadVCard(contact: Contact): Promise<void> | void;
  copyText(text: string): Promise<void>;
  background: Background;
  settings: Pick<SettingsStore, 'get'>;
  openOptions(): void;
  /** Closes the popup (`window.close()`), so the page the picker opened in gets the keyboard. */
  closePopup?(): void;
  isOnline(): boolean;
  now(): number;
}

// ---- Options page

/** POST /api/azure/setup body (proxy/src/app.ts `SetupRequest`). */
export interface SetupRequest {
  cloud: Cloud;
  tenant: string;
  clientId: string;
  clientSecret: string;
  graphAuth: 'delegated' | 'application';
}

/**
 * POST /api/azure/setup → 201, and GET /api/v1/tenants/{tenantId}/status: the shapes the proxy client
 * validates (lib/proxy-client.ts, ../../../shared/tenant-status.ts). Types only: nothing of zod is loaded.
 */
export type { SetupStarted, TenantStatus };

/** The proxy endpoints the options page calls (lib/proxy-client.ts for a given base URL). */
export interface ProxyApi {
  setup(body: SetupRequest): Promise<SetupStarted>;
  status(tenantId: string): Promise<TenantStatus>;
}

export interface OptionsDeps {
  settings: SettingsStore;
  /** A client for the proxy at `baseUrl` (the URL in the form, which may not be saved yet). */
  proxy(baseUrl: string): ProxyApi;
  /**
   * `browser.permissions.request({ origins })`. Called synchronously from the click handler, before
   * any `await`: Firefox and Chrome only grant it during the user's gesture.
   */
  requestOrigins(origins: string[]): Promise<boolean>;
  /** `browser.identity.getRedirectURL()`: the SPA redirect URI. */
  redirectUrl(): string;
  openTab(url: string): void;
  copyText(text: string): Promise<void>;
  now(): number;
}
