import { z } from 'zod';
import { browser } from 'wxt/browser';
import { storage } from 'wxt/utils/storage';

// zod's fast path probes `new Function('')`, which the extension CSP (script-src 'self') refuses and
// Chrome reports as an error of the extension. The interpreted path is as correct.
z.config({ jitless: true });

/**
 * The extension's settings, declared once: each is a WXT storage item (`storage.local`) with a fallback
 * and a version for future migrations, a zod schema that every value passes before it is stored or used,
 * and, for the deployment keys, a managed value an administrator can push by policy
 * (`storage.managed`, described by public/managed_schema.json). A managed value wins over the local one
 * and the options page shows it locked (`isManaged`).
 *
 * Policies: Chrome/Edge `3rdparty.extensions.<extension id>` (Windows registry, macOS profile, Linux
 * JSON policy file); Firefox `policies.json` → `{"policies": {"3rdparty": {"Extensions": {"<gecko id>": {...}}}}}`.
 */

/** Authority hosts of the national clouds (learn.microsoft.com/entra/identity-platform/authentication-national-cloud). */
export const CLOUD_AUTHORITY_HOSTS = {
  global: 'https://login.microsoftonline.com',
  usgov: 'https://login.microsoftonline.us',
  china: 'https://login.chinacloudapi.cn',
} as const;

export const CLOUDS = ['global', 'usgov', 'china', 'custom'] as const;
export type Cloud = (typeof CLOUDS)[number];

/** Contact fields the popup card may show (the user picks which, in the options page). */
export const CONTACT_CARD_FIELDS = ['jobTitle', 'department', 'companyName', 'officeLocation', 'mail', 'userPrincipalName', 'businessPhones', 'mobilePhone', 'manager', 'directReports'] as const;
export type ContactCardField = (typeof CONTACT_CARD_FIELDS)[number];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified domain: DNS labels, at least one dot (contoso.com, contoso.onmicrosoft.com). */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/**
 * The proxy's base URL: https, or http on this machine only (the demo and tests run the proxy on
 * localhost). No credentials, query or fragment; stored without a trailing slash.
 */
const proxyUrlSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const url = parseUrl(value);
    if (!url || (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname)))) {
      ctx.addIssue({ code: 'custom', message: 'Enter the proxy address starting with https:// (http:// only for localhost).' });
      return z.NEVER;
    }
    if (url.username || url.password || url.search || url.hash) {
      ctx.addIssue({ code: 'custom', message: 'The proxy address takes no user name, query or #fragment.' });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  });

/**
 * The tenant: its ID (GUID) or a verified domain. `common`, `organizations` and `consumers` are refused:
 * Peoplebook is single-tenant per deployment, and the proxy serves the tenant it was connected to.
 */
const tenantIdSchema = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => GUID.test(value) || DOMAIN.test(value), { message: 'Enter the tenant ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.' });

const clientIdSchema = z.string().trim().toLowerCase().regex(GUID, { message: 'Enter the application (client) ID: a GUID from the app registration’s Overview page.' });

const cloudSchema = z.enum(CLOUDS);

/** MSAL refuses a non-https authority (authority_uri_insecure); the host is stored as an origin. */
const authorityHostSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const url = parseUrl(value);
    if (!url || url.protocol !== 'https:' || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
      ctx.addIssue({ code: 'custom', message: 'Enter the authority host as https://host[:port] with no path.' });
      return z.NEVER;
    }
    return url.origin;
  });

const graphAuthSchema = z.enum(['delegated', 'application']);

/** Chrome's alarms fire at most every 30 s in production; below 5 minutes would only load the proxy. */
const syncIntervalSchema = z.number().int().min(5, 'Sync at most every 5 minutes.').max(1440, 'Sync at least once a day.');

const fieldsShownSchema = z.array(z.enum(CONTACT_CARD_FIELDS)).max(CONTACT_CARD_FIELDS.length).transform((fields) => [...new Set(fields)]);

/** One DNS label (or an IPv4 part); hosts are lower-cased before the test. */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const SITE = new RegExp(`^(https?)://((?:\\*\\.)?${LABEL}(?:\\.${LABEL})*)(?:/\\*?)?$`);

/**
 * Sites where the autofill picker opens by itself (inline mode) without the user granting them, set by
 * policy: `https://crm.contoso.com`, or `https://*.contoso.com` for a domain and its subdomains. Stored
 * as match patterns without a port (`https://crm.contoso.com/*`), like the host permissions they stand
 * beside (lib/autofill/sites.ts matches pages against them).
 */
const autofillSitesSchema = z
  .array(
    z
      .string()
      .trim()
      .toLowerCase()
      .transform((value, ctx) => {
        const match = SITE.exec(value);
        if (!match) {
          ctx.addIssue({ code: 'custom', message: `Enter each site as https://host or https://*.domain (no path or port): ${value.slice(0, 80)}` });
          return z.NEVER;
        }
        return `${match[1]}://${match[2]}/*`;
      }),
  )
  .max(500, 'List at most 500 sites.')
  .transform((sites) => [...new Set(sites)]);

export const settingSchemas = {
  proxyUrl: proxyUrlSchema.nullable(),
  tenantId: tenantIdSchema.nullable(),
  clientId: clientIdSchema.nullable(),
  cloud: cloudSchema,
  authorityHost: authorityHostSchema.nullable(),
  graphAuth: graphAuthSchema,
  syncIntervalMinutes: syncIntervalSchema,
  fieldsShown: fieldsShownSchema,
  autofillEnabled: z.boolean(),
  autofillSites: autofillSitesSchema,
} as const;

export type SettingKey = keyof typeof settingSchemas;
export type Settings = { [K in SettingKey]: z.output<(typeof settingSchemas)[K]> };

export const SETTING_KEYS = Object.keys(settingSchemas) as SettingKey[];

/** What an administrator can push by policy (public/managed_schema.json lists the same keys). */
export const MANAGED_KEYS = ['proxyUrl', 'tenantId', 'clientId', 'cloud', 'authorityHost', 'graphAuth', 'syncIntervalMinutes', 'autofillSites'] as const satisfies readonly SettingKey[];
export type ManagedKey = (typeof MANAGED_KEYS)[number];

export const DEFAULT_SETTINGS: Settings = {
  proxyUrl: null,
  tenantId: null,
  clientId: null,
  cloud: 'global',
  authorityHost: null,
  graphAuth: 'delegated',
  syncIntervalMinutes: 15,
  fieldsShown: ['jobTitle', 'department', 'officeLocation', 'mail', 'businessPhones', 'mobilePhone', 'manager', 'directReports'],
  autofillEnabled: true,
  autofillSites: [],
};

/** A value that failed validation, with the message to show beside the field. */
export class SettingsError extends Error {
  constructor(
    readonly code: 'invalid' | 'managed',
    readonly key: SettingKey,
    message: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

export type SettingResult<K extends SettingKey> = { ok: true; value: Settings[K] } | { ok: false; message: string };

/** Validates one value (pure): what the options page calls on input, and what every write goes through. */
export function parseSetting<K extends SettingKey>(key: K, value: unknown): SettingResult<K> {
  const parsed = settingSchemas[key].safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data as Settings[K] };
  return { ok: false, message: parsed.error.issues[0]?.message ?? `Invalid ${key}.` };
}

/** Validates a partial set of values; returns the clean values and a message per invalid key. */
export function validateSettings(input: Record<string, unknown>): { values: Partial<Settings>; errors: Partial<Record<SettingKey, string>> } {
  const values: Partial<Record<SettingKey, unknown>> = {};
  const errors: Partial<Record<SettingKey, string>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(key in settingSchemas)) continue;
    const result = parseSetting(key as SettingKey, value);
    if (result.ok) values[key as SettingKey] = result.value;
    else errors[key as SettingKey] = result.message;
  }
  return { values: values as Partial<Settings>, errors };
}

// ---- storage items ------------------------------------------------------------------------------

const item = <K extends SettingKey>(key: K) =>
  storage.defineItem<Settings[K]>(`local:settings.${key}`, {
    fallback: DEFAULT_SETTINGS[key],
    // Version 1 is the first stored shape; a later change adds `migrations: { 2: (old) => ... }`.
    version: 1,
  });

export const settingItems = {
  proxyUrl: item('proxyUrl'),
  tenantId: item('tenantId'),
  clientId: item('clientId'),
  cloud: item('cloud'),
  authorityHost: item('authorityHost'),
  graphAuth: item('graphAuth'),
  syncIntervalMinutes: item('syncIntervalMinutes'),
  fieldsShown: item('fieldsShown'),
  autofillEnabled: item('autofillEnabled'),
  autofillSites: item('autofillSites'),
} satisfies { [K in SettingKey]: unknown };

/** The part of `browser.storage.managed` that readManaged needs (tests pass a fake). */
export interface ManagedArea {
  get(keys?: null | string | string[]): Promise<Record<string, unknown>>;
}

/**
 * Values pushed by policy, each validated; an invalid one is dropped (and reported) rather than trusted.
 * No policy, no managed storage (Firefox without policies.json, tests) or any error: no managed values.
 */
export async function readManaged(area: ManagedArea | undefined = browser.storage?.managed as ManagedArea | undefined): Promise<Partial<Pick<Settings, ManagedKey>>> {
  let raw: Record<string, unknown>;
  try {
    raw = (await area?.get(null)) ?? {};
  } catch {
    return {};
  }
  const managed: Partial<Record<ManagedKey, unknown>> = {};
  for (const key of MANAGED_KEYS) {
    if (raw[key] === undefined) continue;
    const result = parseSetting(key, raw[key]);
    if (result.ok) managed[key] = result.value;
    else console.warn(`Peoplebook: ignoring the managed value of ${key}: ${result.message}`);
  }
  return managed as Partial<Pick<Settings, ManagedKey>>;
}

export interface EffectiveSettings {
  values: Settings;
  /** Keys whose value comes from policy: the UI shows them read-only. */
  managed: ReadonlySet<SettingKey>;
  isManaged(key: SettingKey): boolean;
}

/** The local values, each re-validated (a bad stored value falls back to its default), with policy over them. */
export async function loadSettings(options: { managedArea?: ManagedArea } = {}): Promise<EffectiveSettings> {
  const [locals, managed] = await Promise.all([
    Promise.all(SETTING_KEYS.map(async (key) => [key, await settingItems[key].getValue()] as const)),
    readManaged(options.managedArea ?? (browser.storage?.managed as ManagedArea | undefined)),
  ]);
  const values = { ...DEFAULT_SETTINGS } as Record<SettingKey, unknown>;
  for (const [key, value] of locals) {
    const result = parseSetting(key, value);
    values[key] = result.ok ? result.value : DEFAULT_SETTINGS[key];
  }
  Object.assign(values, managed);
  const managedKeys = new Set(Object.keys(managed) as SettingKey[]);
  return { values: values as Settings, managed: managedKeys, isManaged: (key) => managedKeys.has(key) };
}

/**
 * Validates and stores values. Throws SettingsError (`invalid`, or `managed` for a key set by policy)
 * before writing anything, so a form either saves completely or not at all.
 */
export async function saveSettings(patch: Partial<Record<SettingKey, unknown>>, options: { managedArea?: ManagedArea } = {}): Promise<Settings> {
  const managed = await readManaged(options.managedArea ?? (browser.storage?.managed as ManagedArea | undefined));
  const clean: Partial<Record<SettingKey, unknown>> = {};
  for (const [key, value] of Object.entries(patch) as [SettingKey, unknown][]) {
    if (!(key in settingSchemas)) continue;
    if (key in managed) throw new SettingsError('managed', key, `${key} is set by your organization's policy.`);
    const result = parseSetting(key, value);
    if (!result.ok) throw new SettingsError('invalid', key, result.message);
    clean[key] = result.value;
  }
  await Promise.all(Object.entries(clean).map(([key, value]) => settingItems[key as SettingKey].setValue(value as never)));
  return (await loadSettings(options)).values;
}

/** Calls `onChange` whenever a local setting or the policy changes. Returns the unwatch function. */
export function watchSettings(onChange: () => void): () => void {
  const unwatch = SETTING_KEYS.map((key) => settingItems[key].watch(() => onChange()));
  const onStorage = (_changes: unknown, area: string) => {
    if (area === 'managed') onChange();
  };
  browser.storage.onChanged.addListener(onStorage);
  return () => {
    for (const stop of unwatch) stop();
    browser.storage.onChanged.removeListener(onStorage);
  };
}

// ---- derived values -----------------------------------------------------------------------------

/** The authority host for the settings' cloud (the custom host for `custom`), or undefined if unset. */
export function authorityHostOf(settings: Pick<Settings, 'cloud' | 'authorityHost'>): string | undefined {
  return settings.cloud === 'custom' ? (settings.authorityHost ?? undefined) : CLOUD_AUTHORITY_HOSTS[settings.cloud];
}

/** What sign-in and sync need; undefined until the tenant is set up (proxy, tenant, client, authority). */
export interface TenantSettings {
  proxyUrl: string;
  tenantId: string;
  clientId: string;
  authorityHost: string;
  /** True for a host outside the Microsoft clouds: MSAL must be told to trust it (knownAuthorities). */
  customAuthority: boolean;
}

export function tenantSettingsOf(settings: Settings): TenantSettings | undefined {
  const authorityHost = authorityHostOf(settings);
  if (!settings.proxyUrl || !settings.tenantId || !settings.clientId || !authorityHost) return undefined;
  return { proxyUrl: settings.proxyUrl, tenantId: settings.tenantId, clientId: settings.clientId, authorityHost, customAuthority: settings.cloud === 'custom' };
}

/**
 * Origins the extension must be allowed to reach for these settings (optional_host_permissions,
 * requested when the settings are saved): the proxy, and the authority host.
 */
export function originsFor(settings: Pick<Settings, 'proxyUrl' | 'cloud' | 'authorityHost'>): string[] {
  const origins = new Set<string>();
  for (const value of [settings.proxyUrl, authorityHostOf(settings)]) {
    const url = value ? parseUrl(value) : undefined;
    if (url) origins.add(`${url.protocol}//${url.hostname}/*`);
  }
  return [...origins];
}
