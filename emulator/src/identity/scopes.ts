import { ADMIN_ONLY_DELEGATED, GRAPH_APP_ID, GRAPH_RESOURCE, OIDC_SCOPES, type AppRegistration, type TenantRegistry } from '../tenants.ts';
import { aadsts } from './errors.ts';

/**
 * Scope strings as the identity platform reads them (scopes-oidc: "Scopes and permissions"):
 * - the OpenID Connect scopes `openid`, `profile`, `email`, `offline_access`;
 * - a resource's permission as `<resource URI>/<permission>`, e.g. `https://graph.microsoft.com/User.Read.All`
 *   or `api://<client-id>/access_as_user` (also `<client-id>/<permission>`);
 * - a bare permission (`User.Read`), which means Microsoft Graph;
 * - `<resource>/.default`: every permission the app registration lists for that resource (a bare `.default`
 *   means Graph, as the on-behalf-of page says of `scope=openid offline_access .default`).
 * Permission names are case-insensitive; the emulator answers with Microsoft's spelling.
 */

export type ScopeKind = 'oidc' | 'graph' | 'api';

export interface RequestedScope {
  /** As sent. */
  raw: string;
  kind: ScopeKind;
  /** `https://graph.microsoft.com`, the API's identifier URI (`api://<client-id>`), or '' for OIDC scopes. */
  resource: string;
  /** Client ID of the app exposing an `api` scope. */
  resourceAppId?: string;
  /** Canonical permission name: `User.Read`, `.default`, `access_as_user`, `openid`. */
  permission: string;
}

interface PermissionText {
  name: string;
  /** What the consent prompt shows. */
  title: string;
  description: string;
}

/** Graph delegated permissions the consent prompt can describe (wording adapted from the Graph permissions reference). */
const GRAPH_DELEGATED: PermissionText[] = [
  { name: 'User.Read', title: 'Sign you in and read your profile', description: 'Lets you sign in to the app and lets the app read your profile and basic company information.' },
  { name: 'User.ReadBasic.All', title: "Read all users' basic profiles", description: 'Lets the app read the names, photos and email addresses of everyone in your organization, on your behalf.' },
  { name: 'User.Read.All', title: "Read all users' full profiles", description: 'Lets the app read every profile property of all users in your organization, including their managers, on your behalf.' },
  { name: 'User.ReadWrite', title: 'Read and update your profile', description: 'Lets the app read your full profile and update it on your behalf.' },
  { name: 'User.ReadWrite.All', title: "Read and write all users' full profiles", description: 'Lets the app read and change every profile property of all users in your organization, on your behalf.' },
  { name: 'Directory.Read.All', title: 'Read directory data', description: "Lets the app read your organization's directory: users, groups and apps, on your behalf." },
  { name: 'Directory.ReadWrite.All', title: 'Read and write directory data', description: "Lets the app read and change your organization's directory, on your behalf." },
  { name: 'Group.Read.All', title: 'Read all groups', description: 'Lets the app read all groups and their members, on your behalf.' },
  { name: 'People.Read', title: 'Read your relevant people list', description: 'Lets the app read the people most relevant to you.' },
  { name: 'Contacts.Read', title: 'Read your contacts', description: 'Lets the app read your personal contacts.' },
  { name: 'Mail.Read', title: 'Read your mail', description: 'Lets the app read the email in your mailbox.' },
  { name: 'Calendars.Read', title: 'Read your calendars', description: 'Lets the app read the events in your calendars.' },
];

/** Graph application permissions (app roles) the admin-consent prompt can describe. */
const GRAPH_APPLICATION: PermissionText[] = [
  { name: 'User.Read.All', title: "Read all users' full profiles", description: 'Lets the app read every profile property of all users, without a signed-in user.' },
  { name: 'User.ReadWrite.All', title: "Read and write all users' full profiles", description: 'Lets the app read and change all users, without a signed-in user.' },
  { name: 'Directory.Read.All', title: 'Read directory data', description: "Lets the app read the organization's directory without a signed-in user." },
  { name: 'Group.Read.All', title: 'Read all groups', description: 'Lets the app read all groups without a signed-in user.' },
  { name: 'ProfilePhoto.Read.All', title: "Read all users' profile photos", description: 'Lets the app read the profile photos of all users without a signed-in user.' },
];

const OIDC_TEXT: Record<string, PermissionText> = {
  openid: { name: 'openid', title: 'Sign you in', description: 'Lets you sign in to the app with your work account.' },
  profile: { name: 'profile', title: 'View your basic profile', description: 'Lets the app see your name, username and the organization you belong to.' },
  email: { name: 'email', title: 'View your email address', description: 'Lets the app see your primary email address.' },
  offline_access: { name: 'offline_access', title: 'Maintain access to data you have given it access to', description: 'Lets the app keep the access you granted without asking you to sign in again.' },
};

const byLowerName = (list: PermissionText[]) => new Map(list.map((entry) => [entry.name.toLowerCase(), entry]));
const DELEGATED_BY_NAME = byLowerName(GRAPH_DELEGATED);
const APPLICATION_BY_NAME = byLowerName(GRAPH_APPLICATION);
const OIDC = new Set<string>(OIDC_SCOPES);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function invalid(scope: string, reason?: string) {
  return aadsts(70011, { scope, reason });
}

function graphScope(raw: string, permission: string): RequestedScope {
  if (permission === '.default') return { raw, kind: 'graph', resource: GRAPH_RESOURCE, permission };
  const known = DELEGATED_BY_NAME.get(permission.toLowerCase()) ?? APPLICATION_BY_NAME.get(permission.toLowerCase());
  if (!known) throw invalid(raw);
  return { raw, kind: 'graph', resource: GRAPH_RESOURCE, permission: known.name };
}

/** Reads one scope token; throws AADSTS70011 (unknown permission) or 500011 (unknown resource). */
export function parseScope(raw: string, registry: TenantRegistry): RequestedScope {
  const lower = raw.toLowerCase();
  if (OIDC.has(lower)) return { raw, kind: 'oidc', resource: '', permission: lower };
  const slash = raw.lastIndexOf('/');
  if (slash === -1) return graphScope(raw, raw.startsWith('.') ? raw.toLowerCase() : raw);
  const resource = raw.slice(0, slash);
  const permission = raw.slice(slash + 1);
  if (!permission) throw invalid(raw);
  const normalizedPermission = permission.toLowerCase() === '.default' ? '.default' : permission;
  if (resource.toLowerCase() === GRAPH_RESOURCE || resource.toLowerCase() === GRAPH_APP_ID) return graphScope(raw, normalizedPermission);
  const appId = resource.toLowerCase().startsWith('api://') ? resource.slice('api://'.length) : resource;
  if (GUID.test(appId)) {
    const api = registry.app(appId.toLowerCase());
    if (!api) throw aadsts(500011, { scope: resource });
    if (normalizedPermission === '.default') return { raw, kind: 'api', resource: api.identifierUri, resourceAppId: api.clientId, permission: '.default' };
    const exposed = api.exposedScopes.find((name) => name.toLowerCase() === permission.toLowerCase());
    if (!exposed) throw invalid(raw);
    return { raw, kind: 'api', resource: api.identifierUri, resourceAppId: api.clientId, permission: exposed };
  }
  throw invalid(raw);
}

/** Reads a space-separated `scope` parameter (form encoding may have turned spaces into `+`, already decoded). */
export function parseScopes(value: string, registry: TenantRegistry): RequestedScope[] {
  const seen = new Set<string>();
  const scopes: RequestedScope[] = [];
  for (const token of value.split(/\s+/).filter(Boolean)) {
    const scope = parseScope(token, registry);
    const key = grantKey(scope);
    if (!seen.has(key)) {
      seen.add(key);
      scopes.push(scope);
    }
  }
  return scopes;
}

/**
 * How a permission is stored in a consent grant: Graph permissions by name (`User.Read.All`, as seed.ts and
 * the control API store them), API scopes by full URI, OIDC scopes by name.
 */
export function grantKey(scope: RequestedScope): string {
  return scope.kind === 'api' ? `${scope.resource}/${scope.permission}` : scope.permission;
}

export const isOidcKey = (key: string): boolean => OIDC.has(key);
export const isGraphKey = (key: string): boolean => !OIDC.has(key) && !key.includes('/');

/** The distinct resources (not OIDC) the scopes name, in order. */
export function resourcesOf(scopes: RequestedScope[]): string[] {
  return [...new Set(scopes.filter((scope) => scope.kind !== 'oidc').map((scope) => scope.resource))];
}

/**
 * Expands `.default` into the permissions it stands for: for Graph, the delegated permissions in the app
 * registration's API permissions list; for an API, the scopes it exposes. Returns grant keys, deduplicated.
 */
export function delegatedKeys(scopes: RequestedScope[], client: AppRegistration, registry: TenantRegistry): string[] {
  const keys = new Set<string>();
  for (const scope of scopes) {
    if (scope.permission !== '.default') {
      keys.add(grantKey(scope));
    } else if (scope.kind === 'graph') {
      for (const name of client.delegatedPermissions) keys.add(name);
    } else if (scope.kind === 'api' && scope.resourceAppId) {
      for (const name of registry.app(scope.resourceAppId)?.exposedScopes ?? []) keys.add(`${scope.resource}/${name}`);
    }
  }
  return [...keys];
}

/** Whether a delegated permission needs an administrator (Graph's "Admin consent required: Yes"). */
export const isAdminOnly = (key: string): boolean => ADMIN_ONLY_DELEGATED.has(key);

export interface PermissionLine {
  key: string;
  title: string;
  description: string;
  adminOnly: boolean;
  application: boolean;
}

/** What the consent page shows for a grant key. */
export function describePermission(key: string, registry: TenantRegistry, application = false): PermissionLine {
  if (application) {
    const text = APPLICATION_BY_NAME.get(key.toLowerCase());
    return { key, title: text?.title ?? key, description: text?.description ?? `Microsoft Graph application permission ${key}.`, adminOnly: true, application };
  }
  const oidc = OIDC_TEXT[key];
  if (oidc) return { key, title: oidc.title, description: oidc.description, adminOnly: false, application };
  if (key.includes('/')) {
    const slash = key.lastIndexOf('/');
    const resource = key.slice(0, slash);
    const api = registry.apps().find((candidate) => candidate.identifierUri === resource);
    return {
      key,
      title: `Access ${api?.displayName ?? resource}`,
      description: `Lets the app call ${api?.displayName ?? resource} (${key.slice(slash + 1)}) as you.`,
      adminOnly: false,
      application,
    };
  }
  const text = DELEGATED_BY_NAME.get(key.toLowerCase());
  return { key, title: text?.title ?? key, description: text?.description ?? `Microsoft Graph permission ${key}.`, adminOnly: isAdminOnly(key), application };
}
