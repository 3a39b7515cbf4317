import { vi } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { fold } from '../../shared/normalize.ts';
import type { AuthState, Background, LoadedSettings, OptionsDeps, PopupDeps, ProxyApi, Settings, SyncStatus, TenantStatus } from '../../extension/lib/ui/deps.ts';
import { contact } from '../shared/contacts.ts';

export { contact };

export const NOW = Date.UTC(2025, 5, 2, 9, 0, 0);

export const anna = contact({
  id: 'a0000000-0000-4000-8000-000000000001',
  displayName: 'Anna Schmidt',
  givenName: 'Anna',
  surname: 'Schmidt',
  mail: 'anna.schmidt@contoso.example',
  userPrincipalName: 'anna@contoso.example',
  jobTitle: 'Engineering Manager',
  department: 'Engineering',
  officeLocation: 'Building 4, Floor 2',
  businessPhones: ['+1 (425) 555-0142'],
  mobilePhone: '+49 151 12345678',
  managerId: 'a0000000-0000-4000-8000-000000000003',
});
export const bob = contact({ id: 'a0000000-0000-4000-8000-000000000002', displayName: 'Bob Müller', mail: 'bob@contoso.example', userPrincipalName: 'bob@contoso.example', jobTitle: 'Engineer', department: 'Engineering', managerId: anna.id });
export const carol = contact({ id: 'a0000000-0000-4000-8000-000000000003', displayName: 'Carol Director', mail: 'carol@contoso.example', userPrincipalName: 'carol@contoso.example', jobTitle: 'Director' });
export const noMail = contact({ id: 'a0000000-0000-4000-8000-000000000004', displayName: 'Dan Nomail', mail: null, userPrincipalName: 'dan_x.com#EXT#@contoso.onmicrosoft.com', userType: 'Guest' });

export const PEOPLE: readonly Contact[] = [anna, bob, carol, noMail];

/** A search good enough for UI tests: every query word is a prefix of a folded word of name or mail. */
export function naiveSearch(contacts: readonly Contact[]) {
  return async (query: string, limit: number): Promise<Contact[]> => {
    const words = fold(query).split(/\s+/).filter(Boolean);
    return contacts
      .filter((c) => {
        const terms = fold(`${c.displayName ?? ''} ${c.mail ?? ''} ${c.jobTitle ?? ''}`).split(/[\s@.]+/);
        return words.every((word) => terms.some((term) => term.startsWith(word)));
      })
      .slice(0, limit);
  };
}

export const signedIn: AuthState = { configured: true, signedIn: true, account: { name: 'Eve Employee', username: 'eve@contoso.example' } };
export const freshStatus: SyncStatus = { lastSyncAt: NOW - 60_000, syncing: false, error: null, count: 4 };

export function fakeBackground(overrides: Partial<{ auth: AuthState; status: SyncStatus }> = {}): Background & { [K in keyof Background]: ReturnType<typeof vi.fn> } {
  return {
    authState: vi.fn(async () => overrides.auth ?? signedIn),
    signIn: vi.fn(async () => signedIn),
    syncNow: vi.fn(async () => overrides.status ?? freshStatus),
    syncStatus: vi.fn(async () => overrides.status ?? freshStatus),
  } as never;
}

export const DEFAULT_SETTINGS: Settings = {
  proxyUrl: 'https://peoplebook.contoso.example',
  tenantId: '11111111-2222-4333-8444-555555555555',
  clientId: '66666666-7777-4888-8999-000000000000',
  cloud: 'global',
  authorityHost: null,
  graphAuth: 'delegated',
  syncIntervalMinutes: 15,
  fieldsShown: ['jobTitle', 'department', 'companyName', 'officeLocation', 'mail', 'userPrincipalName', 'businessPhones', 'mobilePhone', 'manager', 'directReports'],
  autofillEnabled: true,
  autofillSites: [],
};

export type FakePopupDeps = PopupDeps & {
  search: ReturnType<typeof vi.fn>;
  touchRecent: ReturnType<typeof vi.fn>;
  copyText: ReturnType<typeof vi.fn>;
  downloadVCard: ReturnType<typeof vi.fn>;
  openOptions: ReturnType<typeof vi.fn>;
  photo: ReturnType<typeof vi.fn>;
  background: ReturnType<typeof fakeBackground>;
};

export function fakePopupDeps(options: { contacts?: readonly Contact[]; recent?: readonly Contact[]; settings?: Partial<Settings>; online?: boolean; auth?: AuthState; status?: SyncStatus } = {}): FakePopupDeps {
  const contacts = options.contacts ?? PEOPLE;
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const byId = new Map(contacts.map((c) => [c.id, c]));
  return {
    search: vi.fn(naiveSearch(contacts)),
    getContact: vi.fn(async (id: string) => byId.get(id)),
    listByManager: vi.fn(async (id: string) => contacts.filter((c) => c.managerId === id)),
    recent: vi.fn(async (limit: number) => (options.recent ?? []).slice(0, limit)),
    touchRecent: vi.fn(async () => undefined),
    photo: vi.fn(async () => null),
    downloadVCard: vi.fn(async () => undefined),
    copyText: vi.fn(async () => undefined),
    background: fakeBackground({ auth: options.auth, status: options.status }),
    settings: { get: vi.fn(async (key: keyof Settings) => settings[key]) as never },
    openOptions: vi.fn(),
    isOnline: () => options.online ?? true,
    now: () => NOW,
  } as FakePopupDeps;
}

export const activeStatus: TenantStatus = {
  tenantId: DEFAULT_SETTINGS.tenantId!,
  state: 'active',
  graphAuth: 'delegated',
  usersMirrored: 5000,
  lastSync: { start: new Date(NOW - 120_000).toISOString(), end: new Date(NOW - 60_000).toISOString(), outcome: 'ok' },
  nextSync: new Date(NOW + 14 * 60_000).toISOString(),
  syncing: false,
  lastError: null,
  secretExpiresAt: new Date(NOW + 200 * 86_400_000).toISOString(),
  missingPermissions: [],
};

export function fakeOptionsDeps(options: { settings?: Partial<Settings>; managed?: Partial<Settings>; granted?: boolean; status?: TenantStatus | Error; setupError?: Error } = {}) {
  const values: Settings = { ...DEFAULT_SETTINGS, ...options.settings, ...options.managed };
  const loaded: LoadedSettings = { values, managed: new Set(Object.keys(options.managed ?? {}) as (keyof Settings)[]) };
  const api: ProxyApi & { setup: ReturnType<typeof vi.fn>; status: ReturnType<typeof vi.fn> } = {
    setup: vi.fn(async () => {
      if (options.setupError) throw options.setupError;
      return { tenantId: '99999999-8888-4777-8666-555555555555', authorizeUrl: 'https://login.microsoftonline.com/99999999-8888-4777-8666-555555555555/oauth2/v2.0/authorize?client_id=x', redirectUri: 'https://peoplebook.contoso.example/api/azure/callback', expiresAt: new Date(NOW + 600_000).toISOString() };
    }),
    status: vi.fn(async () => {
      if (options.status instanceof Error) throw options.status;
      return options.status ?? activeStatus;
    }),
  };
  const deps = {
    settings: {
      get: vi.fn(async (key: keyof Settings) => values[key]) as never as <K extends keyof Settings>(key: K) => Promise<Settings[K]>,
      load: vi.fn(async () => loaded),
      save: vi.fn(async (patch: Partial<Settings>) => {
        Object.assign(values, patch);
      }),
    },
    proxy: vi.fn(() => api),
    requestOrigins: vi.fn(async () => options.granted ?? true),
    redirectUrl: () => 'https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/',
    openTab: vi.fn(),
    copyText: vi.fn(async () => undefined),
    now: () => NOW,
  } satisfies OptionsDeps;
  return { deps, api, values };
}

/** Lets pending promise callbacks run (several rounds: chains of awaits). */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

export function key(target: EventTarget, keyName: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key: keyName, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

export function type(input: HTMLInputElement, text: string): void {
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
