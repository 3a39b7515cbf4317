import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { ProxyConfig } from './config.ts';
import { loadOrCreateKey } from './crypto.ts';
import { createApp } from './app.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { openStore, type Store } from './store/index.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { TenantService } from './tenants/tenant-service.ts';

export interface RunningProxy {
  url: string;
  store: Store;
  tenants: TenantService;
  scheduler: SyncScheduler;
  log: Logger;
  /** Stops taking requests, lets the page being committed finish, closes the store. */
  close(): Promise<void>;
}

/** Everything `serve` needs besides the HTTP listener (the CLI's `sync` and `doctor` reuse it). */
export async function openProxy(config: ProxyConfig, options: { log?: Logger } = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const { key, source } = await loadOrCreateKey({ secretKey: config.secretKey, keyFile: config.keyFile });
  log.info({ keySource: source }, 'secret key loaded');
  const store = await openStore(config.databaseUrl);
  const tenants = new TenantService({ config, store, key, log });
  return { log, key, store, tenants };
}

export async function startProxy(config: ProxyConfig, options: { log?: Logger; tickMs?: number; backoffMs?: number; retryMs?: number } = {}): Promise<RunningProxy> {
  const { log, store, tenants } = await openProxy(config, options);
  try {
    await tenants.ensureEnvTenant();
  } catch (error) {
    // A wrong environment tenant must not stop the proxy serving other tenants: status shows it.
    log.error({ err: error }, 'the tenant configured in the environment could not be registered');
  }
  const metrics = createMetrics();
  const scheduler = new SyncScheduler({
    store,
    tenants,
    log,
    metrics,
    intervalMs: config.syncIntervalMs,
    filters: { includeGuests: config.includeGuests, includeDisabled: config.includeDisabled },
    historyDays: config.historyDays,
    tickMs: options.tickMs,
    backoffMs: options.backoffMs,
    retryMs: options.retryMs,
  });
  let accepting = true;
  const app = createApp({ config, store, tenants, scheduler, log, metrics, ready: () => accepting });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  scheduler.start();
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.info({ url, publicUrl: config.publicUrl, callbackUrl: config.callbackUrl }, 'proxy listening');
  return {
    url,
    store,
    tenants,
    scheduler,
    log,
    async close() {
      accepting = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open; requests in flight still finish.
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await closed;
      await scheduler.stop();
      await store.close();
      log.info('proxy stopped');
    },
  };
}
