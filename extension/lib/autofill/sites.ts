/**
 * Which sites get inline autofill (the picker opening by itself when a contact field gets focus): pure
 * decisions over match patterns, used by the background (lib/autofill/triggers.ts).
 *
 * A site is granted at the granularity of host permissions, `scheme://host/*` with no port (a pattern
 * without a port matches every port, in Chrome and Firefox alike). The origins the tenant needs — the
 * proxy and the identity platform (settings.ts `originsFor`) — are granted through the same optional host
 * permissions for sign-in and sync, not for autofill: they never count as granted for inline mode (the
 * sign-in page has an email field, and the employee never asked for suggestions there).
 */

const WEB = new Set(['http:', 'https:']);

/** `https://crm.contoso.com/*` for any page of that site; `null` for what is not an http(s) page. */
export function sitePatternOf(url: string | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return WEB.has(parsed.protocol) && parsed.hostname ? `${parsed.protocol}//${parsed.hostname}/*` : null;
}

/**
 * Whether a page is on one of the sites listed (settings.ts `autofillSites`: `https://crm.contoso.com/*`,
 * or `https://*.contoso.com/*` for a domain and its subdomains).
 */
export function isListedSite(url: string | undefined, sites: readonly string[]): boolean {
  const own = sitePatternOf(url);
  if (!own) return false;
  const { protocol, hostname } = new URL(url!);
  return sites.some((site) => {
    const match = /^(https?:)\/\/(\*\.)?([^/]+)\/\*$/.exec(site);
    if (!match || match[1] !== protocol) return false;
    const [, , wildcard, host] = match;
    return hostname === host || (wildcard !== undefined && hostname.endsWith(`.${host}`));
  });
}

/**
 * The granted host patterns inline mode runs on: the http(s) ones, less those the tenant needs
 * (`reserved`, settings.ts `originsFor`). Sorted, so two calls with the same grants compare equal.
 */
export function inlineOrigins(granted: readonly string[], reserved: readonly string[]): string[] {
  const skip = new Set(reserved);
  return [...new Set(granted)].filter((origin) => /^https?:\/\/[^/]+\/\*$/.test(origin) && !skip.has(origin)).sort();
}
