import { ROLE_GLOBAL_ADMINISTRATOR, type DirectoryUser } from '../directory/types.ts';
import type { Tenant, TenantRegistry } from '../tenants.ts';
import { isAdminOnly, isOidcKey } from './scopes.ts';

/**
 * Consent bookkeeping (permissions-consent-overview, consent-types-developer): a user may consent for
 * themselves to permissions that don't need an administrator; an administrator may consent for the whole
 * organization. A token carries what was granted, whoever granted it.
 */

/** Global Administrators can grant tenant-wide consent (application-consent-experience). */
export const isAdministrator = (user: DirectoryUser): boolean => user.roles.includes(ROLE_GLOBAL_ADMINISTRATOR);

/** Everything granted to the app for this user: the organization's grant plus the user's own. */
export function grantedFor(registry: TenantRegistry, tenant: Tenant, clientId: string, userId: string): Set<string> {
  // Read the record on every call: the control API replaces its sets when an admin grant changes.
  const record = registry.consent(tenant, clientId);
  return new Set([...record.adminDelegated, ...(record.users.get(userId) ?? [])]);
}

/**
 * The requested permissions not yet granted. OpenID Connect scopes count as granted once anything was
 * granted to the app for this user: the first consent covers signing in.
 */
export function missingGrants(required: string[], granted: Set<string>): string[] {
  const anyGrant = granted.size > 0;
  return required.filter((key) => !granted.has(key) && !(isOidcKey(key) && anyGrant));
}

/** Of the missing permissions, those only an administrator may grant (AADSTS90094 for anyone else). */
export const needsAdministrator = (missing: string[]): string[] => missing.filter(isAdminOnly);

/** Records consent: for the organization (admin, "Consent on behalf of your organization") or for the user. */
export function recordConsent(registry: TenantRegistry, tenant: Tenant, clientId: string, keys: string[], grant: { organization: true } | { userId: string }): void {
  const record = registry.consent(tenant, clientId);
  if ('organization' in grant) {
    for (const key of keys) record.adminDelegated.add(key);
    return;
  }
  const mine = record.users.get(grant.userId) ?? new Set<string>();
  for (const key of keys) mine.add(key);
  record.users.set(grant.userId, mine);
}
