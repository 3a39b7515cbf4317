import type { Contact } from './contact.ts';

/**
 * The name a contact is shown, sorted and exported under: `displayName`, else given and family name,
 * else mail, else UPN, else the id. Graph allows an empty displayName only for some synced objects,
 * but a card or a result row with no name at all is useless.
 */
export function displayNameOf(contact: Contact): string {
  const display = contact.displayName?.trim();
  if (display) return display;
  const parts = [contact.givenName?.trim(), contact.surname?.trim()].filter((part): part is string => Boolean(part));
  if (parts.length > 0) return parts.join(' ');
  return contact.mail?.trim() || contact.userPrincipalName?.trim() || contact.id;
}
