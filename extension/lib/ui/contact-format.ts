import type { Contact } from '../../../shared/contact.ts';
import { displayNameOf } from '../../../shared/display-name.ts';
import { telUri } from '../../../shared/vcard.ts';

/**
 * Pure formatting of a contact for the popup: what a result row and a card show, and the links they
 * offer. Every link's scheme is fixed here and the directory text only ever goes into its
 * percent-encoded tail, so a crafted directory value can't become a `javascript:` URL.
 */

/**
 * The fields an employee may show or hide (settings `fieldsShown`, the keys of lib/settings.ts
 * `CONTACT_CARD_FIELDS`); the name is always shown.
 */
export const FIELD_CHOICES = [
  { key: 'jobTitle', label: 'Job title' },
  { key: 'department', label: 'Department' },
  { key: 'companyName', label: 'Company' },
  { key: 'officeLocation', label: 'Office' },
  { key: 'mail', label: 'Email' },
  { key: 'userPrincipalName', label: 'Sign-in name (UPN)' },
  { key: 'businessPhones', label: 'Work phone' },
  { key: 'mobilePhone', label: 'Mobile phone' },
  { key: 'manager', label: 'Manager' },
  { key: 'directReports', label: 'Direct reports' },
] as const;

export type FieldKey = (typeof FIELD_CHOICES)[number]['key'];
export const ALL_FIELDS: readonly FieldKey[] = FIELD_CHOICES.map((choice) => choice.key);

/** The known keys of a `fieldsShown` setting; every field while the setting is unknown (`null`). */
export function shownFields(setting: readonly string[] | null | undefined): ReadonlySet<FieldKey> {
  if (!setting) return new Set(ALL_FIELDS);
  return new Set(ALL_FIELDS.filter((key) => setting.includes(key)));
}

const text = (value: string | null | undefined): string => value?.trim() ?? '';

export interface ResultLines {
  name: string;
  /** "Job title · Department", either part left out when empty or hidden. */
  detail: string;
  email: string;
}

export function resultLines(contact: Contact, fields: ReadonlySet<FieldKey> = new Set(ALL_FIELDS)): ResultLines {
  const detail = [fields.has('jobTitle') ? text(contact.jobTitle) : '', fields.has('department') ? text(contact.department) : ''].filter(Boolean).join(' · ');
  return { name: displayNameOf(contact), detail, email: fields.has('mail') ? (emailOf(contact) ?? '') : '' };
}

/**
 * The address to write to: `mail`, else the UPN unless it is a guest's `#EXT#` UPN, which is no mailbox
 * (https://learn.microsoft.com/entra/external-id/user-properties).
 */
export function emailOf(contact: Contact): string | null {
  const mail = text(contact.mail);
  if (mail) return mail;
  const upn = text(contact.userPrincipalName);
  return upn && !upn.includes('#EXT#') ? upn : null;
}

/** Up to two letters for the photo placeholder: first letters of the first and last word. */
export function initialsOf(name: string): string {
  const words = name.trim().split(/[\s.@_-]+/u).filter((word) => /[\p{L}\p{N}]/u.test(word));
  const first = (word: string | undefined): string => (word ? (Array.from(word.normalize('NFC')).find((c) => /[\p{L}\p{N}]/u.test(c)) ?? '') : '');
  const letters = words.length > 1 ? first(words[0]) + first(words[words.length - 1]) : first(words[0]);
  return letters.toLocaleUpperCase() || '?';
}

export interface PhoneEntry {
  label: 'Work' | 'Mobile';
  number: string;
  href: string | null;
}

/** Work numbers, then the mobile, each with its `tel:` link; only the kinds in `fields`. */
export function phonesOf(contact: Contact, fields: ReadonlySet<FieldKey> = new Set(ALL_FIELDS)): PhoneEntry[] {
  const entries: PhoneEntry[] = [];
  if (fields.has('businessPhones')) for (const number of contact.businessPhones) if (text(number)) entries.push({ label: 'Work', number: text(number), href: telHref(number) });
  if (fields.has('mobilePhone') && text(contact.mobilePhone)) entries.push({ label: 'Mobile', number: text(contact.mobilePhone), href: telHref(contact.mobilePhone ?? '') });
  return entries;
}

/**
 * A `tel:` URI (RFC 3966): global numbers through shared/vcard.ts `telUri`; a national number keeps its
 * digits (and a leading +), which dialers accept. `null` with fewer than three digits.
 */
export function telHref(phone: string): string | null {
  const global = telUri(phone);
  if (global) return global;
  const digits = phone.normalize('NFKC').replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  return digits.replace(/\D/g, '').length >= 3 ? `tel:${digits}` : null;
}

const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** `mailto:` (RFC 6068) with the address percent-encoded but its `@` kept. `null` for a non-address. */
export function mailtoUrl(address: string | null | undefined): string | null {
  const value = text(address);
  if (!ADDRESS.test(value)) return null;
  return `mailto:${encodeURIComponent(value).replace(/%40/g, '@')}`;
}

/**
 * Teams deep link to a 1:1 chat (https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/deep-link-teams):
 * `users` takes the UPN; a guest's `#EXT#` UPN is not what Teams knows them by, so guests use `mail`.
 */
export function teamsChatUrl(contact: Contact): string | null {
  const upn = text(contact.userPrincipalName);
  const user = upn && !upn.includes('#EXT#') ? upn : text(contact.mail);
  if (!user || !user.includes('@')) return null;
  return `https://teams.microsoft.com/l/chat/0/0?users=${encodeURIComponent(user)}`;
}

const RELATIVE = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const ABSOLUTE = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

/** "just now", "5 minutes ago", "3 hours ago", "yesterday", or a date after a week; "never" for `null`. */
export function formatLastSync(lastSyncAt: number | null, now: number): string {
  if (lastSyncAt === null) return 'never';
  const seconds = Math.round((now - lastSyncAt) / 1000);
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return RELATIVE.format(-minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return RELATIVE.format(-hours, 'hour');
  const days = Math.floor(hours / 24);
  if (days < 7) return RELATIVE.format(-days, 'day');
  return ABSOLUTE.format(lastSyncAt);
}
