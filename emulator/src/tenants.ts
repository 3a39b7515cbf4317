import { deterministicGuid, isGuid } from './ids.ts';
import type { Directory } from './directory/types.ts';

/**
 * Tenants, app registrations and consent grants: what Entra ID's admin centre holds.
 * https://learn.microsoft.com/entra/identity-platform/application-model
 */

export interface ClientSecret {
  /** The secret's key ID, as the portal shows it. */
  id: string;
  value: string;
  /** ISO date after which Entra answers AADSTS7000222. */
  expiresAt: string;
}

/** Microsoft Graph's application ID: resource of `https://graph.microsoft.com/...` scopes. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** OpenID Connect scopes: never a resource's permission, always consentable by the user. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** Graph delegated permissions that need an administrator's consent (permissions reference).
 * https://learn.microsoft.com/graph/permissions-reference */
export const ADMIN_ONLY_DELEGATED = new Set(['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Group.Read.All']);

export interface AppRegistration {
  clientId: string;
  displayName: string;
  /** The tenant the app is registered in. */
  homeTenantId: string;
  /** https://learn.microsoft.com/entra/identity-platform/supported-accounts-validation */
  signInAudience: 'AzureADMyOrg' | 'AzureADMultipleOrgs';
  secrets: ClientSecret[];
  /** Web platform redirect URIs (confidential clients; refresh tokens last 90 days of inactivity). */
  webRedirectUris: string[];
  /** Single-page application redirect URIs (refresh tokens last 24 hours). */
  spaRedirectUris: string[];
  /** Graph delegated permissions in the registration's "API permissions" list, e.g. `User.Read.All`. */
  delegatedPermissions: string[];
  /** Graph application permissions (app roles), e.g. `User.Read.All`. */
  applicationPermissions: string[];
  /** Application ID URI, e.g. `api://<clientId>`, and the scopes the app exposes under it. */
  identifierUri: string;
  exposedScopes: string[];
}

export interface TenantConfig {
  id: string;
  displayName: string;
  /** Verified domains; the first is the default (`<name>.onmicrosoft.com`-like). */
  domains: string[];
  /** Password every seeded user signs in with. */
  password: string;
}

/** Grants of one app in one tenant: what admins and users have consented to. */
export interface ConsentRecord {
  /** Delegated Graph permissions an administrator granted for the whole organisation. */
  adminDelegated: Set<string>;
  /** Application permissions (app roles) an administrator granted. */
  adminApplication: Set<string>;
  /** Delegated permissions each user consented to for themselves, by object ID. */
  users: Map<string, Set<string>>;
}

export interface Tenant {
  config: TenantConfig;
  directory: Directory;
  /** Consent grants in this tenant, by client ID. */
  consents: Map<string, ConsentRecord>;
}

export class TenantRegistry {
  readonly #tenants = new Map<string, Tenant>();
  readonly #byDomain = new Map<string, Tenant>();
  readonly #apps = new Map<string, AppRegistration>();

  addTenant(tenant: Tenant): void {
    this.#tenants.set(tenant.config.id, tenant);
    for (const domain of tenant.config.domains) this.#byDomain.set(domain.toLowerCase(), tenant);
  }

  addApp(app: AppRegistration): void {
    this.#apps.set(app.clientId, app);
  }

  /** Resolves the `{tenant}` path segment: a tenant ID (GUID) or any verified domain. */
  resolve(tenantSegment: string): Tenant | undefined {
    if (isGuid(tenantSegment)) return this.#tenants.get(tenantSegment.toLowerCase());
    return this.#byDomain.get(tenantSegment.toLowerCase());
  }

  get(tenantId: string): Tenant | undefined {
    return this.#tenants.get(tenantId);
  }

  tenants(): Tenant[] {
    return [...this.#tenants.values()];
  }

  app(clientId: string): AppRegistration | undefined {
    return this.#apps.get(clientId);
  }

  apps(): AppRegistration[] {
    return [...this.#apps.values()];
  }

  /**
   * Whether the app may be used in this tenant at all (AADSTS700016 otherwise): single-tenant apps only
   * in their home tenant; multi-tenant apps anywhere.
   * https://learn.microsoft.com/entra/identity-platform/howto-convert-app-to-be-multi-tenant
   */
  appVisibleIn(app: AppRegistration, tenantId: string): boolean {
    return app.homeTenantId === tenantId || app.signInAudience === 'AzureADMultipleOrgs';
  }

  consent(tenant: Tenant, clientId: string): ConsentRecord {
    let record = tenant.consents.get(clientId);
    if (!record) {
      record = { adminDelegated: new Set(), adminApplication: new Set(), users: new Map() };
      tenant.consents.set(clientId, record);
    }
    return record;
  }
}

/** Seeds the default tenants' fixed identifiers from the emulator seed, so they are stable across runs. */
export function seededTenantId(seed: number, label: string): string {
  return deterministicGuid('tenant', seed, label);
}

export function seededClientId(seed: number, label: string): string {
  return deterministicGuid('app', seed, label);
}
