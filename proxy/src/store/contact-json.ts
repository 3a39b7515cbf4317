import { CONTACT_FIELDS, type Contact } from '../../../shared/contact.ts';

/**
 * The stored form of a contact: JSON with every field, in {@link CONTACT_FIELDS} order, absent values as
 * `null` (or `[]` for phones). The same content always gives the same text, so the text is its own
 * content hash: the mirror compares it with the stored text to decide whether a delta entry really
 * changed anything (Graph may repeat an unchanged user in delta responses,
 * https://learn.microsoft.com/graph/delta-query-overview).
 */
export function contactJson(contact: Contact): string {
  const out: Record<string, unknown> = {};
  for (const field of CONTACT_FIELDS) {
    const value = contact[field];
    out[field] = value ?? (field === 'businessPhones' ? [] : null);
  }
  return JSON.stringify(out);
}

export function parseContactJson(text: string): Contact {
  return JSON.parse(text) as Contact;
}
