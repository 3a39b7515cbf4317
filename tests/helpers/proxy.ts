import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Emulator } from '../../emulator/src/server.ts';
import { loadConfig, type ProxyConfig } from '../../proxy/src/config.ts';
import { createLogger } from '../../proxy/src/logger.ts';
import { startProxy, type RunningProxy } from '../../proxy/src/server.ts';

/** A free TCP port on loopback (the proxy's config needs the real port for its public URL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestProxy {
  url: string;
  config: ProxyConfig;
  proxy: RunningProxy;
  /** Folder of the proxy's database and key file. */
  dir: string;
  close(): Promise<void>;
}

/** The environment that points a proxy at an emulator (custom cloud) with a database in `dir`. */
export function emulatorEnv(emulator: Emulator, dir: string, port: number): Record<string, string> {
  return {
    PORT: String(port),
    DATABASE_URL: `file:${path.join(dir, 'peoplebook.db')}`,
    PEOPLEBOOK_KEY_FILE: path.join(dir, 'secret.key'),
    PEOPLEBOOK_CLOUD: 'custom',
    PEOPLEBOOK_AUTHORITY_HOST: emulator.url,
    PEOPLEBOOK_GRAPH_URL: emulator.graphUrl,
    LOG_LEVEL: 'silent',
  };
}

/**
 * Starts a real proxy (SQLite file in a temporary folder) against an emulator. `env` adds or overrides
 * variables, e.g. an environment tenant: `{ PEOPLEBOOK_TENANT_ID, PEOPLEBOOK_CLIENT_ID, PEOPLEBOOK_CLIENT_SECRET }`.
 */
export async function startTestProxy(emulator: Emulator, env: Record<string, string> = {}, options: { dir?: string; tickMs?: number } = {}): Promise<TestProxy> {
  const dir = options.dir ?? (await mkdtemp(path.join(os.tmpdir(), 'pb-proxy-')));
  const port = await freePort();
  const config = loadConfig({ ...emulatorEnv(emulator, dir, port), ...env });
  // Web redirect URI of this proxy: registered the way the admin would, in the emulator's app registration.
  for (const tenant of emulator.tenants) {
    await fetch(`${emulator.controlUrl}/apps/${tenant.clientId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ addWebRedirectUris: [config.callbackUrl] }),
    });
  }
  const proxy = await startProxy(config, { log: createLogger(config.logLevel), tickMs: options.tickMs ?? 100, backoffMs: 20, retryMs: 200 });
  return {
    url: proxy.url,
    config,
    proxy,
    dir,
    async close() {
      await proxy.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The environment tenant (application mode) of the emulator's primary tenant. */
export const envTenant = (emulator: Emulator, index = 0, graphAuth: 'application' | 'delegated' = 'application'): Record<string, string> => ({
  PEOPLEBOOK_TENANT_ID: emulator.tenants[index]!.tenantId,
  PEOPLEBOOK_CLIENT_ID: emulator.tenants[index]!.clientId,
  PEOPLEBOOK_CLIENT_SECRET: emulator.tenants[index]!.clientSecret,
  PEOPLEBOOK_GRAPH_AUTH: graphAuth,
});

/** An ID token for a user of the emulator (what the extension sends as its Bearer token). */
export async function idTokenFor(emulator: Emulator, upn: string, tenantIndex = 0): Promise<string> {
  const { tenantId, clientId } = emulator.tenants[tenantIndex]!;
  const tenant = emulator.state.registry.get(tenantId)!;
  const user = tenant.directory.getByUpn(upn);
  if (!user) throw new Error(`no user ${upn} in tenant ${tenantId}`);
  return emulator.state.tokens.idToken({ subject: { tenantId, user }, clientId, scopes: ['openid', 'profile'], authTime: Math.floor(Date.now() / 1000) });
}
