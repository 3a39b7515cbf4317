import { browser } from 'wxt/browser';

/**
 * The SPA redirect URI the admin registers: `identity.getRedirectURL()`, which is
 * `https://<extension-id>.chromiumapp.org/` in Chrome and Edge and
 * `https://<hash of the add-on id>.extensions.allizom.org/` in Firefox. Chrome's offscreen document has
 * no identity API (only `runtime`), so there it is built from the extension ID, as Chrome does.
 */
export function identityRedirectUri(): string {
  const getRedirectURL = browser.identity?.getRedirectURL;
  if (typeof getRedirectURL === 'function') return getRedirectURL.call(browser.identity);
  return `https://${browser.runtime.id}.chromiumapp.org/`;
}

/** How long a non-interactive flow may run: the platform answers `prompt=none` with one redirect. */
export const SILENT_FLOW_TIMEOUT_MS = 15_000;

/**
 * identity.launchWebAuthFlow: opens `url` in a browser window (interactive) or a hidden one, and
 * resolves to the URL the identity platform redirected to (the redirect URI with `#code=…` or
 * `#error=…`). Rejects when the user closes the window or, non-interactively, when a page wants input.
 */
export async function launchWebAuthFlow(details: { url: string; interactive: boolean }): Promise<string> {
  const responseUrl = await browser.identity.launchWebAuthFlow({
    url: details.url,
    interactive: details.interactive,
    // Chrome 113+: a silent flow stops at the first page that does not redirect (abortOnLoad), and
    // never runs longer than the timeout.
    ...(details.interactive ? {} : { abortOnLoadForNonInteractive: true, timeoutMsForNonInteractive: SILENT_FLOW_TIMEOUT_MS }),
  });
  if (!responseUrl) throw new Error('launchWebAuthFlow returned no URL.');
  return responseUrl;
}

/** Whether `url` is on the configured identity platform: the relay never opens any other site. */
export function isAuthorityUrl(url: string, authorityHost: string): boolean {
  try {
    return new URL(url).origin === new URL(authorityHost).origin;
  } catch {
    return false;
  }
}
