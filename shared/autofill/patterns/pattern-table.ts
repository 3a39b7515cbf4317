/**
 * What a label, attribute or placeholder can say about a control. Most kinds are contact fields; the
 * others mean "leave alone" (an exclusion) or "not a contact field", and a few are ambiguous until the
 * rest of the form is known.
 */
export type PatternKind =
  // Never filled: credentials, codes, payment, search boxes, postal address.
  | 'password'
  | 'otp'
  | 'payment'
  | 'username'
  | 'search'
  | 'address'
  // Not a contact field: a directory entry has no value for it (file name, website, fax, furigana…).
  | 'other'
  // Contact fields.
  | 'name-full'
  | 'name'
  | 'given-name'
  | 'additional-name'
  | 'family-name'
  | 'honorific-prefix'
  | 'email'
  | 'tel'
  | 'tel-country-code'
  | 'tel-national'
  | 'organization'
  | 'organization-title'
  | 'department'
  | 'employee-id'
  // Ambiguous: a bare "Name" / "Nom" / "Nombre" (full name, or one half of a split name, depending on
  // the rest of the form) and a bare "Title" (job title, honorific or the subject of a ticket).
  | 'name-generic'
  | 'title';

/**
 * The order in which kinds are tried on one text: the first kind with a match wins. More specific
 * phrases come before the words they contain, so "Name on card" is payment, "Company name" is
 * organization, "Email address" is email and "Company address" is address.
 */
export const KIND_PRIORITY: readonly PatternKind[] = [
  'password',
  'otp',
  'payment',
  'username',
  'search',
  'tel-country-code',
  'other',
  'name-full',
  'given-name',
  'additional-name',
  'family-name',
  'honorific-prefix',
  'email',
  'tel-national',
  'tel',
  'organization-title',
  'department',
  'employee-id',
  'address',
  'organization',
  'name',
  'name-generic',
  'title',
];

/** Kinds that veto a field found by another signal of the same control (see classify-controls.ts). */
export const HARD_EXCLUSIONS: ReadonlySet<PatternKind> = new Set(['password', 'otp', 'payment', 'username', 'search']);

/**
 * One language's patterns. Each pattern is a regular-expression source matched against normalised text
 * (text.ts: lower case, no Latin diacritics, words separated by single spaces). Patterns match whole
 * words: they are wrapped in `(?<![a-z])…(?![a-z])`, so `name` does not match "username" (write
 * `[a-z]*telefon` to allow a compound). CJK patterns that are single characters need their own
 * boundaries (see `CJK` in ja.ts).
 *
 * Adding a language is adding one of these tables to `PATTERN_TABLES`.
 */
export interface PatternTable {
  /** BCP 47 primary language subtag. */
  lang: string;
  /** Patterns that apply whatever the page's language. */
  patterns: Partial<Record<PatternKind, readonly string[]>>;
  /**
   * Patterns that apply only when the control's language (nearest `lang` attribute) is this one: words
   * that mean something else in another language ("Service" is a department in French; "Firma" is a
   * signature in Spanish).
   */
  langOnly?: Partial<Record<PatternKind, readonly string[]>>;
  /** Options of a salutation `<select>` ("Mr", "Frau", "Mme"), matched against whole option texts. */
  honorifics?: readonly string[];
  /** Words that make a telephone field a mobile one, so the filler can prefer the mobile number. */
  mobile?: readonly string[];
}
