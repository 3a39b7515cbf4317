import { describeAadsts, parseAadstsCode } from '../../shared/aadsts.ts';
import type { ProxyConfig } from './config.ts';
import { decryptSecret, secretAad } from './crypto.ts';
import { acquireGraphToken, createMsalClient, storeCachePlugin } from './auth/msal.ts';
import { createGraphClient } from './graph/graph-client.ts';
import { createLogger } from './logger.ts';
import { openProxy } from './server.ts';
import type { Tenant } from './store/types.ts';

/**
 * `peoplebook-proxy doctor`: checks the setup in the order an admin builds it and says, for the first
 * thing that is wrong, exactly what to do. Each step prints `PASS` or `FAIL` with the fix.
 */
export async function runDoctor(config: ProxyConfig, options: { tenant?: string; write: (line: string) => void }): Promise<boolean> {
  const { write } = options;
  let ok = true;
  const step = async (name: string, check: () => Promise<string>, fix: (error: Error) => string): Promise<boolean> => {
    try {
      write(`PASS  ${name}: ${await check()}`);
      return true;
    } catch (error) {
      ok = false;
      write(`FAIL  ${name}: ${(error as Error).message}`);
      write(`      fix: ${fix(error as Error)}`);
      return false;
    }
  };
  const aadstsFix = (fallback: string) => (error: Error) => {
    const code = parseAadstsCode(error.message);
    return code ? describeAadsts(code).fix : fallback;
  };

  write(`Peoplebook proxy doctor — cloud ${config.cloud} (${config.authorityHost}, ${config.graphUrl})`);
  await step('configuration', async () => `valid; redirect URI to register: ${config.callbackUrl}`, () => 'see the message above');
  if (!config.callbackUrl.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/)/.test(config.callbackUrl)) {
    ok = false;
    write(`FAIL  redirect URI: ${config.callbackUrl} is not https`);
    write('      fix: set PEOPLEBOOK_PUBLIC_URL to the https address admins reach the proxy at.');
  }
  let opened: Awaited<ReturnType<typeof openProxy>> | undefined;
  if (!(await step('secret key and database', async () => {
    opened = await openProxy(config, { log: createLogger('silent') });
    return `${opened.store.kind} store open`;
  }, () => 'check DATABASE_URL and that the key file (PEOPLEBOOK_KEY_FILE) is readable only by the proxy (chmod 600)'))) return false;
  const { store, tenants, key } = opened!;

  await step('sign-in endpoint', async () => {
    const response = await fetch(`${config.authorityHost}/common/v2.0/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`answered ${response.status}`);
    return `${config.authorityHost} reachable`;
  }, () => `let the proxy reach ${config.authorityHost} over HTTPS (firewall, proxy settings, NODE_EXTRA_CA_CERTS for a private CA)`);

  if (config.envTenant) await step('environment tenant', async () => `registered as ${(await tenants.ensureEnvTenant())?.id}`, aadstsFix('check PEOPLEBOOK_TENANT_ID: the Directory (tenant) ID or a verified domain'));

  const all = (await store.listTenants()).filter((t) => !options.tenant || t.id === options.tenant);
  if (all.length === 0) {
    ok = false;
    write('FAIL  tenants: none is configured');
    write('      fix: open the extension\'s options page and choose Save and Authorize, or set PEOPLEBOOK_TENANT_ID, PEOPLEBOOK_CLIENT_ID and PEOPLEBOOK_CLIENT_SECRET.');
  }
  for (const tenant of all) await checkTenant(tenant);
  await store.close();
  return ok;

  async function checkTenant(tenant: Tenant) {
    write(`Tenant ${tenant.id} (${tenant.graphAuth}, ${tenant.state})`);
    if (tenant.state === 'pending') {
      ok = false;
      write('FAIL  consent: not authorized yet');
      write('      fix: choose Save and Authorize in the options page and consent as an administrator.');
      return;
    }
    if (!tenant.clientSecret) {
      ok = false;
      write('FAIL  client secret: none stored');
      write('      fix: enter the client secret in the options page and choose Save and Authorize.');
      return;
    }
    const client = createMsalClient({
      tenantId: tenant.id,
      clientId: tenant.clientId,
      clientSecret: decryptSecret(key, tenant.clientSecret, secretAad(tenant.id, 'clientSecret')),
      authorityHost: tenant.authorityHost,
      graphUrl: tenant.graphUrl,
      cachePlugin: storeCachePlugin(store, tenant.id, key),
    });
    let token: string | undefined;
    await step('app, secret and token', async () => {
      // Past MSAL's cache: a cached token would hide a wrong or expired secret.
      const result = await acquireGraphToken(client, tenant.graphAuth, tenant.graphUrl, { fresh: true });
      token = result.accessToken;
      return `${tenant.graphAuth === 'application' ? 'client credentials' : 'refresh of the admin\'s grant'} works; token valid until ${result.expiresOn?.toISOString() ?? 'unknown'}`;
    }, aadstsFix(tenant.graphAuth === 'delegated' ? 'an administrator must choose Save and Authorize again' : 'check the client ID and secret in the app registration'));
    if (!token) return;
    const graph = createGraphClient({ graphUrl: tenant.graphUrl, getAccessToken: async () => token!, maxRetries: 1 });
    await step('Graph permission User.Read.All', async () => {
      const page = (await graph.api('/users').select('id').top(1).get()) as { value?: unknown[] };
      return `Graph lists users (${page.value?.length ?? 0} on a one-user page)`;
    }, () => 'In the app registration, API permissions: add Microsoft Graph User.Read.All (delegated, or application for application mode) and choose "Grant admin consent".');
    const sync = await store.getSyncState(tenant.id);
    await step('directory sync', async () => {
      if (sync?.lastError && sync.lastOutcome === 'error') throw new Error(`${sync.lastError.code}: ${sync.lastError.message}`);
      return sync?.lastEnd ? `${sync.usersMirrored} users mirrored, last sync ${sync.lastEnd.toISOString()}` : 'no sync has finished yet';
    }, () => sync?.lastError?.fix ?? 'start the proxy (serve) and wait for the first sync');
  }
}
