/**
 * Telephone numbers for form fields: a directory number ("+49 (0)30 1234 5678", "(425) 555-0100",
 * "+1 425 555 0100 x12") written the way the field asks. Pure string code, no DOM.
 *
 * Directory numbers are free text (Graph `businessPhones`, `mobilePhone`). International ones keep their
 * E.164 form ("+493012345678") unless the field says otherwise: its placeholder shows a national number
 * ("030 1234567", "(555) 555-5555") or a mask, or its `pattern`/`maxlength` refuse the international
 * form. A number without a country code can't be made international (that needs the country): it is
 * filled as written, or as digits.
 */

export interface PhoneField {
  /** The classifier's field: a whole number, only the country code, or the number without it. */
  field: 'tel' | 'tel-country-code' | 'tel-national';
  /** The control's `pattern` attribute (HTML: the whole value must match). */
  pattern?: string | null;
  /** The control's `maxlength` (negative or absent: no limit). */
  maxLength?: number;
  placeholder?: string | null;
}

export interface ParsedPhone {
  /** Written with a country code (`+…` or `00…`). */
  international: boolean;
  /** Every digit, country code included when international. */
  digits: string;
  /** ITU-T E.164 country calling code, when international. */
  countryCode?: string;
  /** The national significant number (after the country code), when international. */
  nsn?: string;
  /** The text without its extension, `(0)` dropped. */
  text: string;
  extension?: string;
}

/**
 * Country calling codes of one and two digits (ITU-T E.164 assignments); every other code has three.
 * The codes form a prefix code, so the first match from the left is the country code.
 */
const SHORT_CODES = new Set(['1', '7', ...'20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' ')]);

/**
 * Trunk prefixes dialled before a national number where it isn't "0" (ITU-T E.164 supplement, national
 * numbering plans). Countries listed with "" dial no prefix: the NANP (its "1" is not written in
 * national form), Italy and San Marino (the 0 belongs to the number), Spain, Portugal, Greece, Denmark,
 * Norway, Poland, Czechia, Mexico, Luxembourg, Iceland, Malta, Cyprus, Latvia, Estonia, Andorra, Monaco,
 * Singapore, Hong Kong, Macao, Qatar, Bahrain, Kuwait, Oman.
 */
const TRUNK: Record<string, string> = {
  ...Object.fromEntries('1 30 34 39 45 47 48 52 65 351 352 354 356 357 371 372 376 377 378 420 852 853 965 968 973 974'.split(' ').map((code) => [code, ''])),
  7: '8',
  36: '06',
};

const EXTENSION = /\s*(?:ext\.?|extension|x|#|durchwahl|poste)\s*(\d{1,6})\s*$/i;

/** Reads a directory number; `null` when it holds fewer than 3 digits or letters beyond an extension. */
export function parsePhone(number: string): ParsedPhone | null {
  let text = number.trim();
  let extension: string | undefined;
  const ext = EXTENSION.exec(text);
  if (ext) {
    extension = ext[1];
    text = text.slice(0, ext.index).trim();
  }
  if (/\p{L}/u.test(text)) return null;
  // "+49 (0)30 …": the (0) is the trunk prefix, dialled only from inside the country.
  text = text.replace(/^(\+\d{1,3})\s*\(0\)\s*/, '$1 ');
  let digits = text.replace(/\D/g, '');
  const international = text.startsWith('+') || (text.startsWith('00') && !text.startsWith('000'));
  if (text.startsWith('00') && international) digits = digits.slice(2);
  if (digits.length < 3) return null;
  const parsed: ParsedPhone = { international, digits, text };
  if (extension) parsed.extension = extension;
  if (international) {
    const code = SHORT_CODES.has(digits.slice(0, 1)) ? digits.slice(0, 1) : SHORT_CODES.has(digits.slice(0, 2)) ? digits.slice(0, 2) : digits.slice(0, 3);
    parsed.countryCode = code;
    parsed.nsn = digits.slice(code.length);
  }
  return parsed;
}

/** The number as dialled inside its country ("030 …" for "+49 30 …"); `null` when not international. */
export function nationalDigits(phone: ParsedPhone): string | null {
  if (!phone.international || phone.countryCode === undefined || phone.nsn === undefined) return null;
  return (TRUNK[phone.countryCode] ?? '0') + phone.nsn;
}

/** HTML's pattern attribute: the whole value must match, compiled with the `v` flag (`u` before it existed). */
function compilePattern(pattern: string): RegExp | null {
  for (const flags of ['v', 'u']) {
    try {
      return new RegExp(`^(?:${pattern})$`, flags);
    } catch {
      // An invalid pattern is ignored by browsers too (HTML: "the element has no pattern").
    }
  }
  return null;
}

const MASK = /^[\d#Xx_•*+\s()./-]+$/;
const SLOT = /[\d#Xx_•*]/g;

/**
 * A placeholder that shows the format ("(555) 555-5555", "+1 (XXX) XXX-XXXX", "030 1234567"): `digits`
 * laid into its digit slots, or `null` when it isn't a mask or the counts differ.
 */
export function applyMask(mask: string, digits: string): string | null {
  const trimmed = mask.trim();
  if (!MASK.test(trimmed)) return null;
  const slots = trimmed.match(SLOT)?.length ?? 0;
  if (slots < 6 || slots !== digits.length) return null;
  let i = 0;
  return trimmed.replace(SLOT, () => digits[i++]!);
}

/** What the placeholder suggests: 'international' ("+49 …", "0049 …"), 'national' ("030 …", "(555) …"), or nothing. */
export function placeholderStyle(placeholder: string | null | undefined): 'international' | 'national' | null {
  if (!placeholder) return null;
  const sample = /(?:\+|\b00)?\(?\d[\d\s()./-]{4,}\d|\+?\(?[#Xx_]{2,}[#Xx_\s()./-]{4,}/.exec(placeholder)?.[0];
  if (!sample) return null;
  return sample.startsWith('+') || sample.startsWith('00') ? 'international' : 'national';
}

/**
 * The value to write into a telephone field, or `null` when no form of the number fits (a phone number
 * is never cut short: a truncated number reaches someone else). Candidates in order of preference, the
 * first that matches the field's pattern and fits its maxlength wins:
 * - `tel-country-code`: "+49", then "49";
 * - `tel-national`: the national digits ("03012345678"), then the number as written if national;
 * - `tel`: the placeholder's mask filled in, then E.164 ("+493012345678") — national digits first
 *   when the placeholder shows a national number — then the national digits, the number without its
 *   trunk prefix, the number as written.
 */
export function formatPhoneForField(number: string, field: PhoneField): string | null {
  const phone = parsePhone(number);
  if (!phone) return null;
  const e164 = phone.international ? `+${phone.digits}` : null;
  const national = nationalDigits(phone);
  const asWritten = phone.text.replace(/\s+/g, ' ');

  let candidates: (string | null)[];
  if (field.field === 'tel-country-code') {
    candidates = phone.countryCode ? [`+${phone.countryCode}`, phone.countryCode] : [];
  } else if (field.field === 'tel-national') {
    candidates = phone.international ? [national, phone.nsn ?? null] : [asWritten, phone.digits];
  } else {
    const style = placeholderStyle(field.placeholder);
    const masked = field.placeholder ? [e164 && applyMask(field.placeholder, phone.digits), national && applyMask(field.placeholder, national), phone.international ? null : applyMask(field.placeholder, phone.digits)] : [];
    const internationalFirst = [e164, national, phone.nsn ?? null];
    const nationalFirst = [national, e164, phone.nsn ?? null];
    candidates = [...masked, ...(style === 'national' ? nationalFirst : internationalFirst), asWritten, phone.digits];
  }

  const pattern = field.pattern ? compilePattern(field.pattern) : null;
  const maxLength = field.maxLength ?? -1;
  for (const candidate of candidates) {
    if (!candidate) continue;
    if (maxLength >= 0 && candidate.length > maxLength) continue;
    if (pattern && !pattern.test(candidate)) continue;
    return candidate;
  }
  return null;
}
