import type { Cloud } from './deps.ts';

/**
 * The admin setup form's checks, pure: each returns the message shown under its field, or `null`.
 * They match what the proxy's POST /api/azure/setup accepts (proxy/src/app.ts) and what lib/settings.ts
 * stores, so a form that passes here is not refused later for a reason the admin could have been told now.
 */

export const CLOUD_CHOICES: readonly { value: Cloud; label: string; authorityHost: string | null }[] = [
  { value: 'global', label: 'Global (login.microsoftonline.com)', authorityHost: 'https://login.microsoftonline.com' },
  { value: 'usgov', label: 'US Government (login.microsoftonline.us)', authorityHost: 'https://login.microsoftonline.us' },
  { value: 'china', label: 'China, operated by 21Vianet (login.chinacloudapi.cn)', authorityHost: 'https://login.chinacloudapi.cn' },
  { value: 'custom', label: 'Custom authority host (e.g. the Peoplebook tenant emulator)', authorityHost: null },
];

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A verified domain: DNS labels with at least one dot (contoso.com, contoso.onmicrosoft.com). */
const DOMAIN = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Hosts where http is acceptable: the request never leaves the machine (the demo, the tests). */
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Multi-tenant aliases: Peoplebook connects one organisation, which these don't name. */
const ALIASES = new Set(['common', 'organizations', 'consumers']);

export const isGuid = (value: string): boolean => GUID.test(value.trim());

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

export function isLoopback(hostname: string): boolean {
  return LOOPBACK.has(hostname.toLowerCase());
}

export function validateProxyUrl(value: string): string | null {
  const text = value.trim();
  if (text === '') return 'Enter the address of your Peoplebook proxy, e.g. https://peoplebook.contoso.com.';
  const url = parseUrl(text);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return 'Enter a web address starting with https://.';
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) return `Use https:// for ${url.hostname}: the client secret and sign-in tokens must not travel unencrypted (http:// is only allowed for localhost).`;
  if (url.username || url.password) return 'Leave the user name and password out of the address.';
  if (url.search || url.hash) return 'Leave the query (?…) and fragment (#…) out of the address.';
  return null;
}

/** `https://host/path/` → `https://host/path`: the form the settings store and URLs are built from. */
export function normalizeProxyUrl(value: string): string {
  const url = new URL(value.trim());
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

export function validateTenant(value: string): string | null {
  const text = value.trim();
  if (text === '') return 'Enter the tenant ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.';
  if (ALIASES.has(text.toLowerCase())) return `"${text}" means any organisation; enter your own tenant's ID or domain.`;
  if (GUID.test(text) || DOMAIN.test(text)) return null;
  if (/^[0-9a-f-]{20,}$/i.test(text)) return 'This looks like a tenant ID but is not a GUID (8-4-4-4-12 hexadecimal digits). Copy it from the Entra admin center > Overview.';
  return 'Enter the tenant ID (a GUID) or a verified domain such as contoso.onmicrosoft.com.';
}

export function validateClientId(value: string): string | null {
  const text = value.trim();
  if (text === '') return 'Enter the Application (client) ID from the app registration’s Overview page.';
  return GUID.test(text) ? null : 'The Application (client) ID is a GUID (8-4-4-4-12 hexadecimal digits), from the app registration’s Overview page.';
}

export function validateAuthorityHost(value: string): string | null {
  const text = value.trim();
  if (text === '') return 'Enter the authority host, e.g. https://localhost:8443 for the emulator.';
  const url = parseUrl(text);
  if (!url || url.protocol !== 'https:') return 'The authority host must start with https:// (MSAL refuses any other).';
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) return 'Enter only https://host[:port], with no path.';
  return null;
}

export function validateSecret(value: string): string | null {
  if (value.trim() === '') return 'Enter the client secret’s Value (not its Secret ID) from Certificates & secrets.';
  if (value.length > 256) return 'That is longer than any client secret; copy only the Value.';
  if (GUID.test(value.trim())) return 'This is a GUID: probably the Secret ID. Copy the secret’s Value instead (shown once, when it is created).';
  return null;
}

export interface SetupForm {
  cloud: string;
  authorityHost: string;
  proxyUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  graphAuth: string;
}

export type SetupField = keyof SetupForm;

export interface SetupValues {
  cloud: Cloud;
  /** Only for `custom`; the national clouds' hosts are fixed. */
  authorityHost: string | null;
  proxyUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  graphAuth: 'delegated' | 'application';
}

export type SetupValidation = { ok: true; values: SetupValues } | { ok: false; errors: Partial<Record<SetupField, string>> };

const isCloud = (value: string): value is Cloud => CLOUD_CHOICES.some((choice) => choice.value === value);

/** Every field's check; the values cleaned (trimmed, lower-cased ids, proxy URL without a trailing slash). */
export function validateSetup(form: SetupForm): SetupValidation {
  const errors: Partial<Record<SetupField, string>> = {};
  const set = (field: SetupField, message: string | null): void => {
    if (message) errors[field] = message;
  };
  if (!isCloud(form.cloud)) errors.cloud = 'Choose the cloud your tenant lives in.';
  if (form.cloud === 'custom') set('authorityHost', validateAuthorityHost(form.authorityHost));
  set('proxyUrl', validateProxyUrl(form.proxyUrl));
  set('tenantId', validateTenant(form.tenantId));
  set('clientId', validateClientId(form.clientId));
  set('clientSecret', validateSecret(form.clientSecret));
  if (form.graphAuth !== 'delegated' && form.graphAuth !== 'application') errors.graphAuth = 'Choose how the proxy reads the directory.';
  if (Object.keys(errors).length > 0 || !isCloud(form.cloud)) return { ok: false, errors };
  return {
    ok: true,
    values: {
      cloud: form.cloud,
      authorityHost: form.cloud === 'custom' ? new URL(form.authorityHost.trim()).origin : null,
      proxyUrl: normalizeProxyUrl(form.proxyUrl),
      tenantId: form.tenantId.trim().toLowerCase(),
      clientId: form.clientId.trim().toLowerCase(),
      clientSecret: form.clientSecret,
      graphAuth: form.graphAuth as 'delegated' | 'application',
    },
  };
}

/** The Web redirect URI the proxy redeems the admin's consent at; `null` until the proxy URL is valid. */
export function webRedirectUri(proxyUrl: string): string | null {
  return validateProxyUrl(proxyUrl) === null ? `${normalizeProxyUrl(proxyUrl)}/api/azure/callback` : null;
}

/**
 * The origins the extension asks for when the admin saves (`optional_host_permissions`): the proxy and
 * the authority host, as match patterns. Match patterns carry no port, so `http://localhost/*` covers
 * the proxy on any local port (https://developer.chrome.com/docs/extensions/develop/concepts/match-patterns).
 */
export function originsToRequest(values: Pick<SetupValues, 'proxyUrl' | 'cloud' | 'authorityHost'>): string[] {
  const authority = values.cloud === 'custom' ? values.authorityHost : (CLOUD_CHOICES.find((choice) => choice.value === values.cloud)?.authorityHost ?? null);
  const origins = new Set<string>();
  for (const value of [values.proxyUrl, authority]) {
    const url = value ? parseUrl(value) : null;
    if (url) origins.add(`${url.protocol}//${url.hostname}/*`);
  }
  return [...origins];
}
