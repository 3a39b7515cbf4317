import type { DirectoryUser } from '../directory/types.ts';
import { badRequest } from './errors.ts';

/**
 * The user resource as Graph serialises it. https://learn.microsoft.com/graph/api/resources/user
 * Without `$select`, user-list, user-get and user-delta return the default set below; `$select` names
 * properties case-insensitively and an unknown name is a 400 from the OData layer.
 */

/** Default properties (user-list: "returns a default set of properties"), in Graph's order. */
export const DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

/** What User.ReadBasic.All may read of other users (permissions reference: "basic profile"). */
export const BASIC_PROPERTIES = new Set(['id', 'displayName', 'givenName', 'surname', 'mail', 'userPrincipalName']);

type Reader = (user: DirectoryUser) => unknown;

/** Properties the emulator stores. */
const STORED: Record<string, Reader> = {
  id: (u) => u.id,
  accountEnabled: (u) => u.accountEnabled,
  businessPhones: (u) => u.businessPhones,
  city: (u) => u.city,
  companyName: (u) => u.companyName,
  country: (u) => u.country,
  createdDateTime: (u) => u.createdDateTime,
  department: (u) => u.department,
  displayName: (u) => u.displayName,
  employeeId: (u) => u.employeeId,
  givenName: (u) => u.givenName,
  jobTitle: (u) => u.jobTitle,
  mail: (u) => u.mail,
  mailNickname: (u) => u.userPrincipalName.split('@')[0] ?? null,
  mobilePhone: (u) => u.mobilePhone,
  officeLocation: (u) => u.officeLocation,
  preferredLanguage: (u) => u.preferredLanguage,
  surname: (u) => u.surname,
  usageLocation: (u) => u.usageLocation,
  userPrincipalName: (u) => u.userPrincipalName,
  userType: (u) => u.userType,
  otherMails: () => [],
  proxyAddresses: (u) => (u.mail ? [`SMTP:${u.mail}`] : []),
  imAddresses: (u) => (u.mail ? [u.mail] : []),
  showInAddressList: () => null,
};

/** Names of the stored properties, `id` first. */
export const STORED_PROPERTIES: readonly string[] = Object.keys(STORED);

/** Properties read from another one: a change to the key changes them too (see STORED). */
const DERIVED: Readonly<Record<string, readonly string[]>> = {
  mail: ['mail', 'proxyAddresses', 'imAddresses'],
  userPrincipalName: ['userPrincipalName', 'mailNickname'],
};

/** The properties a change to `field` (a DirectoryChange field name) changes. */
export const affectedProperties = (field: string): readonly string[] => DERIVED[field] ?? [field];

/** Real user properties the emulator does not model: selectable, always null. */
const UNMODELLED = [
  'ageGroup',
  'consentProvidedForMinor',
  'creationType',
  'deletedDateTime',
  'employeeHireDate',
  'employeeLeaveDateTime',
  'employeeType',
  'externalUserState',
  'externalUserStateChangeDateTime',
  'faxNumber',
  'isResourceAccount',
  'lastPasswordChangeDateTime',
  'legalAgeGroupClassification',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesUserPrincipalName',
  'passwordPolicies',
  'postalCode',
  'securityIdentifier',
  'signInSessionsValidFromDateTime',
  'state',
  'streetAddress',
];

/** Navigation properties: valid names in `$select`; `/users` ignores them, delta tracks `manager`. */
export const NAVIGATION_PROPERTIES = ['manager', 'directReports', 'photo', 'memberOf'] as const;

const CANONICAL = new Map<string, string>();
for (const name of [...Object.keys(STORED), ...UNMODELLED, ...NAVIGATION_PROPERTIES]) CANONICAL.set(name.toLowerCase(), name);

export const canonicalProperty = (name: string): string | undefined => CANONICAL.get(name.toLowerCase());
export const isNavigationProperty = (name: string): boolean => (NAVIGATION_PROPERTIES as readonly string[]).includes(name);

export function readProperty(user: DirectoryUser, name: string): unknown {
  const reader = STORED[name];
  return reader ? reader(user) : null;
}

/**
 * Parses `$select` into canonical names (duplicates dropped), or undefined when absent/empty.
 * Unknown names: 400 "Could not find a property named 'x' on type 'microsoft.graph.user'."
 */
export function parseSelect(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const names: string[] = [];
  for (const part of raw.split(',')) {
    const name = part.trim();
    if (name === '*') {
      for (const stored of Object.keys(STORED)) if (!names.includes(stored)) names.push(stored);
      continue;
    }
    const canonical = canonicalProperty(name);
    if (!canonical) throw badRequest(`Could not find a property named '${name}' on type 'microsoft.graph.user'.`);
    if (!names.includes(canonical)) names.push(canonical);
  }
  return names;
}

export interface SerializeOptions {
  /** Properties to write, in order (navigation properties are skipped). */
  properties: readonly string[];
  /** Only User.ReadBasic.All: non-basic properties are written as null. */
  basicOnly?: boolean;
}

export function serializeUser(user: DirectoryUser, options: SerializeOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of options.properties) {
    if (isNavigationProperty(name)) continue;
    out[name] = options.basicOnly && !BASIC_PROPERTIES.has(name) ? null : readProperty(user, name);
  }
  return out;
}

/** `@odata.context` of a users collection or entity: `…/$metadata#users(displayName,mail)`. */
export function usersContext(origin: string, select: readonly string[] | undefined, entity = false): string {
  const shown = select?.filter((name) => !isNavigationProperty(name));
  const projection = shown && shown.length > 0 ? `(${shown.join(',')})` : '';
  return `${origin}/v1.0/$metadata#users${projection}${entity ? '/$entity' : ''}`;
}
