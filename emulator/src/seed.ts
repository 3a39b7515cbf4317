import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import { createDirectory } from './directory/index.ts';
import { seededClientId, seededTenantId, type AppRegistration, type Tenant, type TenantRegistry } from './tenants.ts';

/**
 * The tenants and app registrations an emulator starts with. Everything derives from the seed, so the
 * same `--seed` gives the same tenant IDs, client IDs, secrets and users on every run and machine.
 */
export interface SeedOptions {
  seed: number;
  /** Users in the primary tenant. */
  users: number;
  /** Users in the secondary tenant (used to prove tenants never see each other's data). */
  secondaryUsers: number;
  /** Extra Web redirect URIs for the Peoplebook app registrations (e.g. the proxy's /api/azure/callback). */
  webRedirectUris: string[];
  /** Extra SPA redirect URIs (e.g. `https://<extension-id>.chromiumapp.org/`). */
  spaRedirectUris: string[];
  /** Grant admin consent for the Peoplebook apps up front (delegated and application User.Read.All). */
  adminConsent: boolean;
  /** Password every seeded user signs in with. */
  password: string;
  clock: Clock;
}

export const DEFAULT_PASSWORD = 'Peoplebook-demo-1';
/** Web redirect URIs registered by default: a proxy on its default port. */
export const DEFAULT_WEB_REDIRECT_URIS = ['http://localhost:8787/api/azure/callback', 'https://localhost:8787/api/azure/callback'];

/** A client secret shaped like the portal's: 40 characters including `~`. */
function secretValue(seed: number, label: string): string {
  const body = createHash('sha256').update(`secret:${seed}:${label}`).digest('base64url');
  return `${body.slice(0, 3)}8Q~${body.slice(3, 37)}`;
}

export interface SeededTenant {
  tenant: Tenant;
  app: AppRegistration;
  secret: string;
  expiredSecret: string;
}

export function seedRegistry(registry: TenantRegistry, options: SeedOptions): SeededTenant[] {
  const specs = [
    { label: 'primary', name: 'Lakeside Works', domains: ['lakesideworks.onmicrosoft.com', 'lakeside.example'], users: options.users },
    { label: 'secondary', name: 'Northfield Labs', domains: ['northfieldlabs.onmicrosoft.com', 'northfield.example'], users: options.secondaryUsers },
  ];
  const day = 86_400_000;
  return specs.map((spec) => {
    const tenantId = seededTenantId(options.seed, spec.label);
    const tenant: Tenant = {
      config: { id: tenantId, displayName: spec.name, domains: spec.domains, password: options.password },
      directory: createDirectory({
        tenantId,
        domain: spec.domains[1]!,
        initialDomain: spec.domains[0]!,
        companyName: spec.name,
        seed: options.seed + (spec.label === 'primary' ? 0 : 7919),
        users: spec.users,
        clock: options.clock,
      }),
      consents: new Map(),
    };
    registry.addTenant(tenant);
    const clientId = seededClientId(options.seed, spec.label);
    const secret = secretValue(options.seed, spec.label);
    const expiredSecret = secretValue(options.seed, `${spec.label}:expired`);
    const now = options.clock.now();
    const app: AppRegistration = {
      clientId,
      displayName: 'Peoplebook',
      homeTenantId: tenantId,
      signInAudience: 'AzureADMyOrg',
      secrets: [
        { id: seededClientId(options.seed, `${spec.label}:secret`), value: secret, expiresAt: new Date(now + 365 * day).toISOString() },
        { id: seededClientId(options.seed, `${spec.label}:expired`), value: expiredSecret, expiresAt: new Date(now - day).toISOString() },
      ],
      webRedirectUris: [...DEFAULT_WEB_REDIRECT_URIS, ...options.webRedirectUris],
      spaRedirectUris: [...options.spaRedirectUris],
      delegatedPermissions: ['User.Read', 'User.Read.All'],
      applicationPermissions: ['User.Read.All'],
      identifierUri: `api://${clientId}`,
      exposedScopes: ['access_as_user'],
    };
    registry.addApp(app);
    if (options.adminConsent) {
      const consent = registry.consent(tenant, clientId);
      for (const permission of app.delegatedPermissions) consent.adminDelegated.add(permission);
      for (const permission of app.applicationPermissions) consent.adminApplication.add(permission);
    }
    return { tenant, app, secret, expiredSecret };
  });
}
