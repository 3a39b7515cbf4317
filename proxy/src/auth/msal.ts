import { ConfidentialClientApplication, CryptoProvider, LogLevel, type AuthenticationResult, type ICachePlugin } from '@azure/msal-node';
import { decryptSecret, encryptSecret, secretAad } from '../crypto.ts';
import type { Store } from '../store/types.ts';

/**
 * MSAL for Node, one confidential client per tenant. The proxy is the only place the client secret
 * lives; MSAL's token cache (with the admin's refresh token in delegated mode) is kept in the store,
 * sealed with AES-256-GCM, so any proxy instance can use it and nothing readable rests on disk.
 */

export interface TenantCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost: string;
  graphUrl: string;
}

/** The resource Graph scopes are named under: Graph's own host per cloud, Graph's global resource for a custom cloud. */
export function graphResource(graphUrl: string): string {
  const { origin, hostname } = new URL(graphUrl);
  return /(^|\.)graph\.microsoft\.(com|us)$|^dod-graph\.microsoft\.us$|^microsoftgraph\.chinacloudapi\.cn$/.test(hostname) ? origin : 'https://graph.microsoft.com';
}

/** Delegated Graph permissions Peoplebook asks the admin to consent to (MSAL adds openid, profile, offline_access). */
export function delegatedScopes(graphUrl: string): string[] {
  const resource = graphResource(graphUrl);
  return [`${resource}/User.Read`, `${resource}/User.Read.All`, 'email'];
}

const KNOWN_CLOUD_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

/**
 * A cache plugin that reads and writes the tenant's MSAL cache through the store, sealed with `key`.
 * https://learn.microsoft.com/entra/msal/javascript/node/caching
 */
export function storeCachePlugin(store: Store, tenantId: string, key: Uint8Array): ICachePlugin {
  const aad = secretAad(tenantId, 'tokenCache');
  return {
    async beforeCacheAccess(context) {
      const sealed = await store.loadTokenCache(tenantId);
      if (sealed) context.tokenCache.deserialize(decryptSecret(key, sealed, aad));
    },
    async afterCacheAccess(context) {
      if (context.cacheHasChanged) await store.saveTokenCache(tenantId, encryptSecret(key, context.tokenCache.serialize(), aad));
    },
  };
}

export interface MsalClientOptions extends TenantCredentials {
  cachePlugin?: ICachePlugin;
  /** Receives MSAL's own log lines (PII never: piiLoggingEnabled stays false). */
  log?: (level: 'error' | 'warn' | 'info', message: string) => void;
}

export function createMsalClient(options: MsalClientOptions): ConfidentialClientApplication {
  const authorityHost = new URL(options.authorityHost);
  return new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authority: `${authorityHost.origin}/${options.tenantId}`,
      // A host MSAL doesn't know (a custom cloud, the emulator) is trusted by listing it; MSAL then builds
      // the cloud metadata from the host instead of asking Microsoft's instance discovery.
      knownAuthorities: KNOWN_CLOUD_HOSTS.has(authorityHost.hostname) ? [] : [authorityHost.host],
    },
    cache: options.cachePlugin ? { cachePlugin: options.cachePlugin } : undefined,
    system: {
      loggerOptions: {
        piiLoggingEnabled: false,
        // Warnings are routine here (e.g. "No client info" on client credentials, which Entra never sends it for).
        logLevel: LogLevel.Error,
        loggerCallback: (level, message) => options.log?.(level === LogLevel.Error ? 'error' : level === LogLevel.Warning ? 'warn' : 'info', message),
      },
    },
  });
}

export const newPkce = (): Promise<{ verifier: string; challenge: string }> => new CryptoProvider().generatePkceCodes();

/** A Graph access token for the tenant's sync: the admin's delegated token, or the app's own; `fresh` skips MSAL's cache. */
export async function acquireGraphToken(
  client: ConfidentialClientApplication,
  mode: 'delegated' | 'application',
  graphUrl: string,
  options: { fresh?: boolean } = {},
): Promise<AuthenticationResult> {
  const resource = graphResource(graphUrl);
  if (mode === 'application') {
    const result = await client.acquireTokenByClientCredential({ scopes: [`${resource}/.default`], skipCache: options.fresh === true });
    if (!result) throw new Error('MSAL returned no token for the client credentials grant');
    return result;
  }
  const accounts = await client.getTokenCache().getAllAccounts();
  const account = accounts[0];
  if (!account) {
    const error = new Error('no signed-in administrator in the token cache') as Error & { errorCode: string };
    error.errorCode = 'no_account';
    throw error;
  }
  return client.acquireTokenSilent({ account, scopes: delegatedScopes(graphUrl), forceRefresh: options.fresh === true });
}
