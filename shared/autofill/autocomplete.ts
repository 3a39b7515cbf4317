import type { ContactField } from './contact-field.ts';

/**
 * What an `autocomplete` attribute says about a control, following the WHATWG grammar
 * (https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#autofill-detail-tokens):
 * `[section-*] [shipping|billing] [home|work|mobile|fax|pager] <field> [webauthn]`.
 *
 * - `field`: the token names a contact field; final, whatever the label says.
 * - `excluded`: a field Peoplebook must never fill (credentials, payment, postal address).
 * - `other`: a valid field that no directory value fits (birthday, URL, fax, telephone fragments…).
 * - `none`: no attribute, `on`, `off` or an invalid value. `off` only asks the browser not to offer its
 *   own saved values (sites set it on every field to fight browser autofill), so the other signals decide.
 */
export type AutocompleteHint =
  | { kind: 'field'; field: ContactField; token: string; section: string; modifier?: 'home' | 'work' | 'mobile' }
  | { kind: 'excluded'; token: string }
  | { kind: 'other'; token: string }
  | { kind: 'none' };

const CONTACT_TOKENS: Record<string, ContactField> = {
  name: 'name',
  'honorific-prefix': 'honorific-prefix',
  'given-name': 'given-name',
  'additional-name': 'additional-name',
  'family-name': 'family-name',
  organization: 'organization',
  'organization-title': 'organization-title',
  email: 'email',
  tel: 'tel',
  'tel-country-code': 'tel-country-code',
  'tel-national': 'tel-national',
};

const EXCLUDED_TOKENS = new Set([
  'username',
  'new-password',
  'current-password',
  'one-time-code',
  'street-address',
  'address-line1',
  'address-line2',
  'address-line3',
  'address-level1',
  'address-level2',
  'address-level3',
  'address-level4',
  'country',
  'country-name',
  'postal-code',
]);

/**
 * Valid field names that no directory value fits. The telephone fragments are here because splitting a
 * directory number into area code and local part needs the country's numbering plan, and a wrong split
 * is worse than an empty field.
 */
const OTHER_TOKENS = new Set([
  'honorific-suffix',
  'nickname',
  'tel-area-code',
  'tel-local',
  'tel-local-prefix',
  'tel-local-suffix',
  'tel-extension',
  'impp',
  'transaction-currency',
  'transaction-amount',
  'language',
  'bday',
  'bday-day',
  'bday-month',
  'bday-year',
  'sex',
  'url',
  'photo',
]);

/** Field names that may follow home/work/mobile/fax/pager (the spec's "contact" autofill fields). */
const TAKES_CONTACT_MODIFIER = /^(?:tel(?:-.+)?|email|impp)$/;

/** Parses an `autocomplete` attribute value (`null` when the attribute is absent). */
export function parseAutocomplete(value: string | null): AutocompleteHint {
  if (value === null) return { kind: 'none' };
  const tokens = value.toLowerCase().split(/[\t\n\f\r ]+/).filter(Boolean);
  if (tokens.at(-1) === 'webauthn') tokens.pop();
  const token = tokens.pop();
  if (token === undefined || token === 'on' || token === 'off') return { kind: 'none' };

  const known = token in CONTACT_TOKENS || EXCLUDED_TOKENS.has(token) || OTHER_TOKENS.has(token) || token.startsWith('cc-');
  if (!known) return { kind: 'none' };

  let modifier: 'home' | 'work' | 'mobile' | 'fax' | 'pager' | undefined;
  const last = tokens.at(-1);
  if (TAKES_CONTACT_MODIFIER.test(token) && (last === 'home' || last === 'work' || last === 'mobile' || last === 'fax' || last === 'pager')) {
    modifier = last;
    tokens.pop();
  }
  const sectionParts: string[] = [];
  const addressType = tokens.at(-1);
  if (addressType === 'shipping' || addressType === 'billing') sectionParts.unshift(tokens.pop()!);
  if (tokens.length > 0 && tokens.at(-1)!.startsWith('section-')) sectionParts.unshift(tokens.pop()!);
  // Anything left over makes the whole value invalid: browsers then ignore it, and so do we.
  if (tokens.length > 0) return { kind: 'none' };

  if (EXCLUDED_TOKENS.has(token) || token.startsWith('cc-')) return { kind: 'excluded', token };
  if (OTHER_TOKENS.has(token)) return { kind: 'other', token };
  // A fax or pager number is a telephone field, but not one a colleague's phone number belongs in.
  if (modifier === 'fax' || modifier === 'pager') return { kind: 'other', token: `${modifier} ${token}` };
  const field = CONTACT_TOKENS[token]!;
  const hint: AutocompleteHint = { kind: 'field', field, token, section: sectionParts.join(' ') };
  if (modifier) hint.modifier = modifier;
  return hint;
}
