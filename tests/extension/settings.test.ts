import { readFile } from 'node:fs/promises';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// @wxt-dev/browser reads globalThis.browser once, when first imported: install the fake before settings.ts.
Object.assign(globalThis, { browser: fakeBrowser, chrome: fakeBrowser });
const settings = await import('../../extension/lib/settings.ts');
const { DEFAULT_SETTINGS, MANAGED_KEYS, SettingsError, loadSettings, originsFor, parseSetting, readManaged, saveSettings, settingItems, tenantSettingsOf, validateSettings } = settings;

const TENANT = '2ed01029-4dd8-4be2-b13a-70a4449f51cb';
const CLIENT = 'ce6dce45-cfa7-4c17-bf55-56234eb41b46';
const managedArea = (values: Record<string, unknown>) => ({ get: async () => values });

beforeEach(() => fakeBrowser.reset());

describe('parseSetting (pure validation of every value)', () => {
  it.each([
    ['proxyUrl', 'https://peoplebook.contoso.com/', 'https://peoplebook.contoso.com'],
    ['proxyUrl', ' https://contoso.com/peoplebook/ ', 'https://contoso.com/peoplebook'],
    ['proxyUrl', 'http://localhost:8787', 'http://localhost:8787'],
    ['proxyUrl', 'http://127.0.0.1:8787/', 'http://127.0.0.1:8787'],
    ['proxyUrl', null, null],
    ['tenantId', TENANT.toUpperCase(), TENANT],
    ['tenantId', 'Contoso.onmicrosoft.com', 'contoso.onmicrosoft.com'],
    ['clientId', CLIENT, CLIENT],
    ['cloud', 'usgov', 'usgov'],
    ['authorityHost', 'https://localhost:8443/', 'https://localhost:8443'],
    ['graphAuth', 'application', 'application'],
    ['syncIntervalMinutes', 15, 15],
    ['syncIntervalMinutes', 1440, 1440],
    ['fieldsShown', ['mail', 'jobTitle', 'mail'], ['mail', 'jobTitle']],
    ['autofillEnabled', false, false],
    ['autofillSites', ['https://CRM.contoso.com', 'https://*.contoso.com/', 'http://localhost/*', 'https://crm.contoso.com'], ['https://crm.contoso.com/*', 'https://*.contoso.com/*', 'http://localhost/*']],
  ] as const)('accepts %s = %j', (key, input, expected) => {
    expect(parseSetting(key, input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['proxyUrl', 'http://peoplebook.contoso.com', 'https://'],
    ['proxyUrl', 'https://user:pw@contoso.com', 'no user name'],
    ['proxyUrl', 'https://contoso.com/?x=1', 'no user name'],
    ['proxyUrl', 'not a url', 'https://'],
    ['proxyUrl', 'javascript:alert(1)', 'https://'],
    ['tenantId', 'common', 'tenant ID'],
    ['tenantId', 'organizations', 'tenant ID'],
    ['tenantId', 'contoso', 'tenant ID'],
    ['tenantId', '<script>', 'tenant ID'],
    ['clientId', 'peoplebook', 'client) ID'],
    ['cloud', 'moon', ''],
    ['authorityHost', 'http://localhost:8443', 'https://'],
    ['authorityHost', 'https://login.contoso.com/tenant', 'no path'],
    ['syncIntervalMinutes', 1, 'every 5 minutes'],
    ['syncIntervalMinutes', 2000, 'once a day'],
    ['syncIntervalMinutes', 7.5, ''],
    ['syncIntervalMinutes', '15', ''],
    ['fieldsShown', ['mail', 'password'], ''],
    ['autofillEnabled', 'yes', ''],
    ['autofillSites', ['https://crm.contoso.com/leads'], 'no path or port'],
    ['autofillSites', ['https://crm.contoso.com:8443'], 'no path or port'],
    ['autofillSites', ['ftp://files.contoso.com'], 'no path or port'],
    ['autofillSites', ['*://*/*'], 'no path or port'],
    ['autofillSites', 'https://crm.contoso.com', ''],
  ] as const)('refuses %s = %j with a message', (key, input, message) => {
    const result = parseSetting(key, input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it('validates a whole form, keeping good values and a message per bad one', () => {
    const result = validateSettings({ proxyUrl: 'https://p.contoso.com/', clientId: 'nope', unknown: 1, syncIntervalMinutes: 30 });
    expect(result.values).toEqual({ proxyUrl: 'https://p.contoso.com', syncIntervalMinutes: 30 });
    expect(Object.keys(result.errors)).toEqual(['clientId']);
  });
});

describe('storage items, policy and saving', () => {
  it('falls back to the defaults when nothing is stored, with nothing managed', async () => {
    const loaded = await loadSettings({ managedArea: managedArea({}) });
    expect(loaded.values).toEqual(DEFAULT_SETTINGS);
    expect(loaded.values.syncIntervalMinutes).toBe(15);
    expect(loaded.managed.size).toBe(0);
    expect(tenantSettingsOf(loaded.values)).toBeUndefined();
  });

  it('saves validated values into storage.local items and reads them back', async () => {
    await saveSettings({ proxyUrl: 'https://p.contoso.com/', tenantId: TENANT, clientId: CLIENT, cloud: 'china' }, { managedArea: managedArea({}) });
    expect(await fakeBrowser.storage.local.get('settings.proxyUrl')).toEqual({ 'settings.proxyUrl': 'https://p.contoso.com' });
    // WXT writes no version meta for version 1: an item without one is at v1 when a migration comes.
    expect(await settingItems.proxyUrl.getValue()).toBe('https://p.contoso.com');
    const { values } = await loadSettings({ managedArea: managedArea({}) });
    expect(tenantSettingsOf(values)).toEqual({ proxyUrl: 'https://p.contoso.com', tenantId: TENANT, clientId: CLIENT, authorityHost: 'https://login.chinacloudapi.cn', customAuthority: false });
  });

  it('refuses a save with one invalid value and writes nothing', async () => {
    const saving = saveSettings({ proxyUrl: 'https://p.contoso.com', syncIntervalMinutes: 0 }, { managedArea: managedArea({}) });
    await expect(saving).rejects.toBeInstanceOf(SettingsError);
    await expect(saving).rejects.toMatchObject({ code: 'invalid', key: 'syncIntervalMinutes' });
    expect(await fakeBrowser.storage.local.get(null)).toEqual({});
  });

  it('puts policy values over local ones and marks them managed; saving a managed key is refused', async () => {
    await saveSettings({ proxyUrl: 'https://mine.example.com', syncIntervalMinutes: 60 }, { managedArea: managedArea({}) });
    const policy = managedArea({ proxyUrl: 'https://peoplebook.contoso.com/', tenantId: TENANT, clientId: CLIENT, syncIntervalMinutes: 30 });
    const loaded = await loadSettings({ managedArea: policy });
    expect(loaded.values).toMatchObject({ proxyUrl: 'https://peoplebook.contoso.com', tenantId: TENANT, syncIntervalMinutes: 30 });
    expect(loaded.isManaged('proxyUrl')).toBe(true);
    expect(loaded.isManaged('fieldsShown')).toBe(false);
    await expect(saveSettings({ proxyUrl: 'https://other.example.com' }, { managedArea: policy })).rejects.toMatchObject({ code: 'managed', key: 'proxyUrl' });
    await expect(saveSettings({ fieldsShown: ['mail'] }, { managedArea: policy })).resolves.toMatchObject({ fieldsShown: ['mail'] });
  });

  it('drops invalid policy values (with a warning) and keys that policy may not set', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const managed = await readManaged(managedArea({ proxyUrl: 'ftp://x', clientId: CLIENT, autofillEnabled: false, cloud: 'moon' }));
    expect(managed).toEqual({ clientId: CLIENT });
    expect(warn.mock.calls.map(([message]) => String(message))).toEqual([expect.stringContaining('proxyUrl'), expect.stringContaining('cloud')]);
    warn.mockRestore();
  });

  it('reads no policy when storage.managed fails or is missing (Firefox without policies.json)', async () => {
    await expect(readManaged({ get: () => Promise.reject(new Error('Managed storage manifest not found')) })).resolves.toEqual({});
    await expect(readManaged(undefined)).resolves.toEqual({});
  });

  it('re-validates stored values: a corrupted one falls back to its default', async () => {
    await fakeBrowser.storage.local.set({ 'settings.syncIntervalMinutes': -3, 'settings.cloud': 'moon' });
    const { values } = await loadSettings({ managedArea: managedArea({}) });
    expect(values.syncIntervalMinutes).toBe(15);
    expect(values.cloud).toBe('global');
  });
});

describe('derived values', () => {
  it('uses the custom authority host only for the custom cloud, and marks it for knownAuthorities', () => {
    const base = { ...DEFAULT_SETTINGS, proxyUrl: 'https://p.contoso.com', tenantId: TENANT, clientId: CLIENT, authorityHost: 'https://localhost:8443' };
    expect(tenantSettingsOf({ ...base, cloud: 'custom' })).toMatchObject({ authorityHost: 'https://localhost:8443', customAuthority: true });
    expect(tenantSettingsOf({ ...base, cloud: 'global' })).toMatchObject({ authorityHost: 'https://login.microsoftonline.com', customAuthority: false });
    expect(tenantSettingsOf({ ...base, cloud: 'custom', authorityHost: null })).toBeUndefined();
  });

  it('lists the origins to request at run time (optional_host_permissions): proxy and authority, no port', () => {
    expect(originsFor({ proxyUrl: 'http://localhost:8787', cloud: 'custom', authorityHost: 'https://localhost:8443' })).toEqual(['http://localhost/*', 'https://localhost/*']);
    expect(originsFor({ proxyUrl: 'https://p.contoso.com/peoplebook', cloud: 'usgov', authorityHost: null })).toEqual(['https://p.contoso.com/*', 'https://login.microsoftonline.us/*']);
  });

  it('public/managed_schema.json describes exactly the keys policy may set, with matching constraints', async () => {
    const schema = JSON.parse(await readFile(new URL('../../extension/public/managed_schema.json', import.meta.url), 'utf8')) as { type: string; properties: Record<string, { type: string; enum?: string[]; minimum?: number; maximum?: number }> };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties).sort()).toEqual([...MANAGED_KEYS].sort());
    expect(schema.properties.cloud?.enum).toEqual(['global', 'usgov', 'china', 'custom']);
    expect(schema.properties.syncIntervalMinutes).toMatchObject({ type: 'integer', minimum: 5, maximum: 1440 });
    for (const [key, property] of Object.entries(schema.properties)) {
      if (property.enum) for (const allowed of property.enum) expect(parseSetting(key as (typeof MANAGED_KEYS)[number], allowed).ok).toBe(true);
    }
  });
});
