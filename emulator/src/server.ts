import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createClock, type Clock } from './clock.ts';
import { controlRoutes } from './control.ts';
import { graphControlRoutes, graphRoutes } from './graph/index.ts';
import { createGraphRuntime, type GraphOptions } from './graph/runtime.ts';
import { identityRoutes } from './identity/index.ts';
import { createIdentityRuntime } from './identity/runtime.ts';
import { createKeyStore } from './keys.ts';
import { DEFAULT_PASSWORD, seedRegistry, type SeededTenant } from './seed.ts';
import type { EmulatorState } from './state.ts';
import { TenantRegistry } from './tenants.ts';
import { loadTlsMaterial } from './tls.ts';
import { createTokenService } from './tokens.ts';

export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Folder for the CA and server certificate; reused across runs so NODE_EXTRA_CA_CERTS stays valid. */
  stateDir?: string;
  seed?: number;
  /** Users in the primary tenant (default 1,000; up to 500,000). */
  users?: number;
  /** Users in the secondary tenant (default 25). */
  secondaryUsers?: number;
  webRedirectUris?: string[];
  spaRedirectUris?: string[];
  /** Grant admin consent to the Peoplebook apps at start (default false: the admin consents in the flow). */
  adminConsent?: boolean;
  password?: string;
  graph?: GraphOptions;
  clock?: Clock;
}

/** What `peoplebook-emulator` prints once listening (one JSON line), and what tests read. */
export interface ReadyInfo {
  /** Stands in for https://login.microsoftonline.com. */
  url: string;
  /** Stands in for https://graph.microsoft.com/v1.0. */
  graphUrl: string;
  /** Base of the control API tests and the demo use to change the directory and inject faults. */
  controlUrl: string;
  tenantId: string;
  tenantDomain: string;
  clientId: string;
  clientSecret: string;
  caCertPath: string;
  /** For Chromium: --ignore-certificate-errors-spki-list=<spki>. */
  spki: string;
  password: string;
  adminUpn: string;
  employeeUpn: string;
  users: number;
  seed: number;
  tenants: {
    tenantId: string;
    displayName: string;
    domains: string[];
    clientId: string;
    clientSecret: string;
    expiredClientSecret: string;
    users: number;
  }[];
}

export interface Emulator extends ReadyInfo {
  readonly state: EmulatorState;
  readonly ready: ReadyInfo;
  close(): Promise<void>;
}

/** Where the CA lives unless told otherwise: PEOPLEBOOK_EMULATOR_DIR, else ~/.peoplebook/emulator. */
export const DEFAULT_STATE_DIR = process.env.PEOPLEBOOK_EMULATOR_DIR ?? path.join(os.homedir(), '.peoplebook', 'emulator');

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const users = options.users ?? 1000;
  if (!Number.isInteger(users) || users < 3 || users > 500_000) throw new RangeError('users must be a whole number from 3 to 500,000');
  const seed = options.seed ?? 1;
  const tls = await loadTlsMaterial(options.stateDir ?? DEFAULT_STATE_DIR);

  let handler: (request: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
  const listener = getRequestListener((request) => handler(request));
  const server = https.createServer({ cert: tls.cert, key: tls.key }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // `localhost` may resolve to ::1 first; answer there too when the machine has IPv6 loopback.
  const server6 = https.createServer({ cert: tls.cert, key: tls.key }, listener);
  await new Promise<void>((resolve) => {
    server6.once('error', () => resolve());
    server6.listen(port, '::1', () => resolve());
  });

  const origin = `https://localhost:${port}`;
  const clock = options.clock ?? createClock();
  const keys = await createKeyStore();
  const registry = new TenantRegistry();
  const seeded: SeededTenant[] = seedRegistry(registry, {
    seed,
    users,
    secondaryUsers: options.secondaryUsers ?? 25,
    webRedirectUris: options.webRedirectUris ?? [],
    spaRedirectUris: options.spaRedirectUris ?? [],
    adminConsent: options.adminConsent ?? false,
    password: options.password ?? DEFAULT_PASSWORD,
    clock,
  });
  const state: EmulatorState = {
    origin,
    clock,
    keys,
    registry,
    tokens: createTokenService({ origin, keys, clock }),
    graph: createGraphRuntime(options.graph ?? {}),
    identity: createIdentityRuntime(),
  };

  const app = new Hono();
  app.route('/_emulator', controlRoutes(state));
  app.route('/_emulator/graph', graphControlRoutes(state));
  app.route('/v1.0', graphRoutes(state));
  app.route('/', identityRoutes(state));
  handler = (request) => app.fetch(request);

  const primary = seeded[0]!;
  const ready: ReadyInfo = {
    url: origin,
    graphUrl: `${origin}/v1.0`,
    controlUrl: `${origin}/_emulator`,
    tenantId: primary.tenant.config.id,
    tenantDomain: primary.tenant.config.domains[1] ?? primary.tenant.config.domains[0]!,
    clientId: primary.app.clientId,
    clientSecret: primary.secret,
    caCertPath: tls.caCertPath,
    spki: tls.spki,
    password: primary.tenant.config.password,
    adminUpn: primary.tenant.directory.atPosition(0)!.userPrincipalName,
    employeeUpn: primary.tenant.directory.atPosition(1)!.userPrincipalName,
    users,
    seed,
    tenants: seeded.map((entry) => ({
      tenantId: entry.tenant.config.id,
      displayName: entry.tenant.config.displayName,
      domains: entry.tenant.config.domains,
      clientId: entry.app.clientId,
      clientSecret: entry.secret,
      expiredClientSecret: entry.expiredSecret,
      users: entry.tenant.directory.size,
    })),
  };

  const close = async () => {
    server.closeAllConnections();
    server6.closeAllConnections();
    await Promise.all([new Promise((resolve) => server.close(resolve)), new Promise((resolve) => server6.close(resolve))]);
  };
  return { ...ready, state, ready, close };
}
