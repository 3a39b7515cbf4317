import { BrowserCacheLocation, LogLevel, type Configuration } from '@azure/msal-browser';
import type { TenantSettings } from '../settings.ts';

/**
 * The msal-browser v5 configuration for a tenant (pure: tested in Node).
 *
 * - authority `<authority host>/<tenant>`; a host outside Microsoft's clouds (the tenant emulator, a
 *   custom cloud) goes into `knownAuthorities`, so MSAL trusts it and builds its metadata from the host
 *   instead of asking login.microsoftonline.com's instance discovery (msal-common authority.md).
 * - redirectUri: `identity.getRedirectURL()` (`https://<extension-id>.chromiumapp.org/` in Chrome),
 *   registered as a single-page-application redirect URI.
 * - onRedirectNavigate: v5 accepts it only here, in the configuration (v4-migration.md). The caller
 *   captures the authorize URL and returns false, so MSAL never navigates the page; the URL is opened
 *   with identity.launchWebAuthFlow instead (Microsoft's ChromiumExtensionSample).
 * - cache: localStorage. The redirect flow refuses memoryStorage (inMemRedirectUnavailable), and
 *   sessionStorage dies with each document. msal-browser encrypts the entries with a key it keeps in a
 *   Secure session cookie (caching.md); Chromium refuses Secure cookies on chrome-extension:// pages,
 *   so the key lives only in the memory of the document running MSAL. The tokens are therefore
 *   readable by that document alone and die with it (browser restart, extension reload): MSAL drops
 *   them at its next start, and the auth service renews the session silently for the remembered
 *   account. Sign-out clears them at once.
 */
export interface MsalConfigurationOptions {
  redirectUri: string;
  onRedirectNavigate: (url: string) => boolean | void;
  /** Forward MSAL's (hashed, PII-free) log lines, e.g. to console.warn while debugging. */
  log?: (level: 'error' | 'warning' | 'info', message: string) => void;
}

export function msalConfiguration(tenant: TenantSettings, options: MsalConfigurationOptions): Configuration {
  const host = new URL(tenant.authorityHost).host;
  return {
    auth: {
      clientId: tenant.clientId,
      authority: `${tenant.authorityHost}/${tenant.tenantId}`,
      knownAuthorities: tenant.customAuthority ? [host] : [],
      redirectUri: options.redirectUri,
      // Never navigate the page that runs MSAL: the offscreen document or event page has no window to show.
      postLogoutRedirectUri: null,
      onRedirectNavigate: options.onRedirectNavigate,
    },
    cache: {
      cacheLocation: BrowserCacheLocation.LocalStorage,
      // Entries written by an older msal-browser are of no use after an upgrade: drop them at once.
      cacheRetentionDays: 0,
    },
    system: {
      loggerOptions: {
        logLevel: LogLevel.Warning,
        piiLoggingEnabled: false,
        loggerCallback: (level, message) => {
          if (!options.log) return;
          options.log(level === LogLevel.Error ? 'error' : level === LogLevel.Warning ? 'warning' : 'info', message);
        },
      },
    },
  };
}

/**
 * Scopes of every request: OpenID Connect only. The proxy accepts the ID token (audience = the app's
 * client ID); MSAL adds offline_access for the refresh token. No Graph permission is asked of employees.
 */
export const SIGN_IN_SCOPES = ['openid', 'profile', 'email'];
