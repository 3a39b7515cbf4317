import { emptyContact, type Contact } from '../../../shared/contact.ts';

/**
 * Turning `/users/delta` entries into mirror contacts.
 *
 * What Graph sends (https://learn.microsoft.com/graph/delta-query-overview#resource-representation-in-the-delta-query-response):
 * - new users in their standard representation, limited to `$select`;
 * - updated users by `id` with *at least* the changed properties: a property that is absent is unchanged;
 * - relationships as `<name>@delta` annotations, included in the initial round and afterwards when they
 *   change: `manager@delta: [{ id }]`, or `[{ id, "@removed": {...} }]` when the manager was removed;
 * - removed users as `{ id, "@removed": { reason: "changed" | "deleted" } }` (restorable or not: gone either way).
 */

/** `$select` of the mirror: the contact fields plus the manager relationship. */
export const USER_SELECT = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'userPrincipalName',
  'jobTitle',
  'department',
  'companyName',
  'officeLocation',
  'businessPhones',
  'mobilePhone',
  'accountEnabled',
  'userType',
  'manager',
] as const;

const TEXT_FIELDS = ['displayName', 'givenName', 'surname', 'mail', 'userPrincipalName', 'jobTitle', 'department', 'companyName', 'officeLocation', 'mobilePhone', 'userType'] as const;

export type DeltaEntry = Record<string, unknown> & { id: string };

export const isRemoved = (entry: DeltaEntry): boolean => typeof entry['@removed'] === 'object' && entry['@removed'] !== null;

/** The manager change an entry carries: a new id, `null` (removed), or `undefined` (not in this entry). */
export function managerChange(entry: DeltaEntry): string | null | undefined {
  const annotation = entry['manager@delta'];
  if (!Array.isArray(annotation)) return undefined;
  const live = annotation.find((m): m is { id: string } => typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'string' && !('@removed' in m));
  return live ? live.id : null;
}

/** Whether an entry alone describes the whole contact (every selected property present). */
export function isComplete(entry: DeltaEntry): boolean {
  return TEXT_FIELDS.every((field) => field in entry) && 'businessPhones' in entry && 'accountEnabled' in entry;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Applies an entry over what the mirror had. In a full round the entry is the whole truth (absent
 * manager annotation = no manager); in an incremental round absent properties keep their values.
 */
export function mergeEntry(previous: Contact | null, entry: DeltaEntry, fullRound: boolean): Contact {
  const base: Contact = previous && !fullRound ? previous : emptyContact(entry.id);
  const next: Contact = { ...base, id: entry.id };
  for (const field of TEXT_FIELDS) if (field in entry) next[field] = text(entry[field]);
  if ('businessPhones' in entry) next.businessPhones = Array.isArray(entry.businessPhones) ? entry.businessPhones.filter((p): p is string => typeof p === 'string') : [];
  if ('accountEnabled' in entry) next.accountEnabled = typeof entry.accountEnabled === 'boolean' ? entry.accountEnabled : null;
  const manager = managerChange(entry);
  if (manager !== undefined) next.managerId = manager;
  else if (fullRound) next.managerId = null;
  return next;
}

export interface MirrorFilters {
  includeGuests: boolean;
  includeDisabled: boolean;
}

/** Whether a contact belongs in the mirror: disabled accounts and guests are left out unless configured. */
export function keepInMirror(contact: Contact, filters: MirrorFilters): boolean {
  if (!filters.includeDisabled && contact.accountEnabled === false) return false;
  if (!filters.includeGuests && contact.userType === 'Guest') return false;
  return true;
}
