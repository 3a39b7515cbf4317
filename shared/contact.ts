import { z } from 'zod';

/**
 * One colleague as Peoplebook keeps it: the proxy's mirror row, the changes feed's payload and the
 * extension's IndexedDB record. The fields are the Graph `user` properties the mirror asks for with
 * `$select` (https://learn.microsoft.com/graph/api/resources/user), plus the manager's id, which
 * `/users/delta` returns when `$select` names `manager` (https://learn.microsoft.com/graph/api/user-delta).
 *
 * Graph returns `null` for a property that has no value, so every text field is nullable rather than
 * optional: a contact always has every key, which keeps the stored JSON canonical (same content, same
 * text) and lets the mirror detect "nothing changed" by comparing text.
 */
export const contactSchema = z.object({
  /** Entra object id (GUID); stable for the user's lifetime. */
  id: z.string().min(1),
  displayName: z.string().nullable(),
  givenName: z.string().nullable(),
  surname: z.string().nullable(),
  mail: z.string().nullable(),
  userPrincipalName: z.string().nullable(),
  jobTitle: z.string().nullable(),
  department: z.string().nullable(),
  companyName: z.string().nullable(),
  officeLocation: z.string().nullable(),
  /** Graph keeps this a collection although the portal edits one number. */
  businessPhones: z.array(z.string()),
  mobilePhone: z.string().nullable(),
  /** `null` when Graph left it out (it needs User.Read.All to be returned). */
  accountEnabled: z.boolean().nullable(),
  /** `Member` or `Guest`. */
  userType: z.string().nullable(),
  /** The manager's object id, `null` when the user has none. */
  managerId: z.string().nullable(),
});

export type Contact = z.infer<typeof contactSchema>;

/** The contact's keys in a fixed order: the order of the canonical JSON the proxy stores and compares. */
export const CONTACT_FIELDS = Object.keys(contactSchema.shape) as readonly (keyof Contact)[];

/** A contact with only its id: every text field null, no phones. Graph's "no value" for each field. */
export function emptyContact(id: string): Contact {
  return {
    id,
    displayName: null,
    givenName: null,
    surname: null,
    mail: null,
    userPrincipalName: null,
    jobTitle: null,
    department: null,
    companyName: null,
    officeLocation: null,
    businessPhones: [],
    mobilePhone: null,
    accountEnabled: null,
    userType: null,
    managerId: null,
  };
}
