/**
 * Text normalisation for matching labels and attributes against the pattern tables: the tables are
 * written in lower case, without diacritics ("prenom", "telefono"), with single spaces between words.
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const NOT_LETTER_OR_DIGIT = /[^\p{L}\p{N}]+/gu;

/**
 * Lower case, compatibility forms folded (full-width "ＴＥＬ" → "tel", "（" → "("), Latin diacritics
 * removed ("Prénom" → "prenom"; Japanese voiced kana keep their marks), punctuation turned into single
 * spaces ("E-Mail-Adresse:" → "e mail adresse").
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(NOT_LETTER_OR_DIGIT, ' ')
    .trim();
}

const CAMEL_BOUNDARY = /(\p{Ll})(\p{Lu})|(\p{Lu})(\p{Lu}\p{Ll})/gu;

/**
 * For `name` and `id` attributes, which are identifiers: camelCase, snake_case, kebab-case and
 * bracketed names become words ("txtFirstName" → "txt first name", "lead[company_name]" →
 * "lead company name", "ctl00$Main$EMailAddress" → "ctl00 main e mail address").
 */
export function normalizeIdentifier(identifier: string): string {
  return normalizeText(identifier.replace(CAMEL_BOUNDARY, (_m, a?: string, b?: string, c?: string, d?: string) => (a ? `${a} ${b}` : `${c} ${d}`)));
}

/** Collapses whitespace in visible text and cuts it to a length fit for a report. */
export function squash(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
