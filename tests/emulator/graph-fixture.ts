import { Hono } from 'hono';
import { createClock } from '../../emulator/src/clock.ts';
import type { Directory } from '../../emulator/src/directory/types.ts';
import { graphControlRoutes, graphRoutes } from '../../emulator/src/graph/index.ts';
import { createGraphRuntime, type GraphOptions } from '../../emulator/src/graph/runtime.ts';
import { createIdentityRuntime } from '../../emulator/src/identity/runtime.ts';
import { createKeyStore } from '../../emulator/src/keys.ts';
import { DEFAULT_PASSWORD, seedRegistry } from '../../emulator/src/seed.ts';
import type { EmulatorState } from '../../emulator/src/state.ts';
import { TenantRegistry, type Tenant } from '../../emulator/src/tenants.ts';
import { createTokenService } from '../../emulator/src/tokens.ts';

/**
 * Graph routes in-process (Hono's app.request: no port, no TLS) over a seeded registry, for the
 * behaviour tests. The end-to-end tests with the real Graph client use startTestEmulator instead.
 */
export interface GraphFixture {
  state: EmulatorState;
  app: Hono;
  primary: Tenant;
  secondary: Tenant;
  directory: Directory;
  clientId: string;
  /** App-only token with roles (default User.Read.All), admin-consented unless `consent: false`. */
  appToken(options?: { tenant?: Tenant; roles?: string[]; consent?: boolean }): Promise<string>;
  /** Delegated token for the user at `position` (default 1) with scopes, admin-consented unless told. */
  userToken(options?: { tenant?: Tenant; position?: number; scopes?: string[]; consent?: 'admin' | 'user' | 'none' }): Promise<string>;
  get(path: string, token: string | undefined, headers?: Record<string, string>): Promise<Response>;
  json<T = Record<string, unknown>>(path: string, token: string | undefined, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
}

export async function createGraphFixture(options: { users?: number; graph?: GraphOptions } = {}): Promise<GraphFixture> {
  const clock = createClock();
  const keys = await createKeyStore();
  const registry = new TenantRegistry();
  const origin = 'https://localhost:9443';
  const seeded = seedRegistry(registry, {
    seed: 1,
    users: options.users ?? 120,
    secondaryUsers: 25,
    webRedirectUris: [],
    spaRedirectUris: [],
    adminConsent: false,
    password: DEFAULT_PASSWORD,
    clock,
  });
  const state: EmulatorState = {
    origin,
    clock,
    keys,
    registry,
    tokens: createTokenService({ origin, keys, clock }),
    graph: createGraphRuntime({ throttling: false, emptyDeltaPages: false, ...options.graph }),
    identity: createIdentityRuntime(),
  };
  const app = new Hono();
  app.route('/_emulator/graph', graphControlRoutes(state));
  app.route('/v1.0', graphRoutes(state));
  const primary = seeded[0]!.tenant;
  const secondary = seeded[1]!.tenant;
  const clientId = seeded[0]!.app.clientId;

  const fixture: GraphFixture = {
    state,
    app,
    primary,
    secondary,
    directory: primary.directory,
    clientId,
    async appToken({ tenant = primary, roles = ['User.Read.All'], consent = true } = {}) {
      const record = registry.consent(tenant, clientId);
      if (consent) for (const role of roles) record.adminApplication.add(role);
      return state.tokens.graphToken({ subject: { tenantId: tenant.config.id }, clientId, roles });
    },
    async userToken({ tenant = primary, position = 1, scopes = ['User.Read', 'User.Read.All'], consent = 'admin' } = {}) {
      const user = tenant.directory.atPosition(position)!;
      const record = registry.consent(tenant, clientId);
      if (consent === 'admin') for (const scope of scopes) record.adminDelegated.add(scope);
      if (consent === 'user') record.users.set(user.id, new Set(scopes));
      return state.tokens.graphToken({ subject: { tenantId: tenant.config.id, user }, clientId, scopes });
    },
    get(path, token, headers = {}) {
      return Promise.resolve(
        app.request(`${origin}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } }),
      );
    },
    async json(path, token, headers) {
      const response = await fixture.get(path, token, headers);
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never, headers: response.headers };
    },
  };
  return fixture;
}

/** The path and query of an absolute link the emulator returned (nextLink, deltaLink, Location). */
export const pathOf = (link: string): string => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};
