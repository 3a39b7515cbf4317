/**
 * Text folding for search: what the popup's index stores and what it looks up are both passed through
 * these functions, so "jose" meets "José", "muller" and "mueller" meet "Müller", and "4255550" meets
 * "+1 (425) 555-0142". Pure functions, no browser or Node APIs (../shared/design.md, flow 4 "Lookup").
 *
 * Folding rules, in order:
 * 1. Unicode compatibility decomposition (NFKD): splits accented letters into base + combining mark and
 *    maps compatibility forms (ligature "ﬁ", full-width "Ａ", half-width katakana, ideographic space).
 * 2. Lower case (`toLowerCase`: locale-independent full case mapping; Greek and Cyrillic fold too).
 * 3. Drop the marks that are accents: the combining-diacritics blocks (Latin, Greek, Cyrillic, Vietnamese)
 *    and the optional vowel points of Hebrew and Arabic. Marks that are part of a letter elsewhere stay
 *    (Indic vowel signs, the kana voicing marks that NFC puts back into が), so other scripts don't blur.
 * 4. Letters that carry their "accent" in the letter itself and have no decomposition: ß→ss, æ→ae, œ→oe,
 *    ø→o, đ/ð→d, þ→th, ł→l, ı→i, ħ→h, and Greek final ς→σ.
 * 5. NFC, so what's left (kana with voicing, Hangul syllables) is one code point again.
 */

/** The combining marks treated as accents (see rule 3), as [first, last] code point ranges. */
const ACCENT_RANGES: readonly (readonly [number, number])[] = [
  [0x0300, 0x036f], // Combining Diacritical Marks
  [0x1ab0, 0x1aff], // … Extended
  [0x1dc0, 0x1dff], // … Supplement
  [0x20d0, 0x20ff], // … for Symbols
  [0xfe20, 0xfe2f], // Combining Half Marks
  [0x0591, 0x05c7], // Hebrew cantillation and vowel points (the block's punctuation is not a mark)
  [0x064b, 0x065f], // Arabic harakat
  [0x0670, 0x0670], // Arabic superscript alef
];
/** The combining marks (`\p{M}`) inside ACCENT_RANGES, as one character class built once. */
const ACCENT_MARKS = (() => {
  const isMark = /^\p{M}$/u;
  const hex = (code: number): string => `\\u${code.toString(16).padStart(4, '0')}`;
  let members = '';
  for (const [first, last] of ACCENT_RANGES) {
    for (let code = first; code <= last; code++) if (isMark.test(String.fromCharCode(code))) members += hex(code);
  }
  return new RegExp(`[${members}]`, 'g');
})();

/** Letters with no canonical decomposition that readers treat as accented forms (rule 4). */
const LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ł: 'l',
  ı: 'i',
  ħ: 'h',
  ς: 'σ',
};
const LETTER_PATTERN = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'g');

/** Printable ASCII plus tab and newline: the common case, folded by `toLowerCase` alone. */
const ASCII = /^[\t\n\r\x20-\x7e]*$/;

/** Case- and accent-folds `text` (rules above). Separators and punctuation are kept. */
export function fold(text: string): string {
  if (ASCII.test(text)) return text.toLowerCase();
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(ACCENT_MARKS, '')
    .replace(LETTER_PATTERN, (letter) => LETTERS[letter] ?? letter)
    .normalize('NFC');
}

/**
 * The spelling German, Danish, Norwegian and Swedish writers use when they can't type the letter:
 * ä→ae, ö→oe, ü→ue, ø→oe, å→aa. Indexed beside the plain fold, so "mueller" finds "Müller" as well as
 * "muller" does. `null` when the text has none of these letters.
 */
const TRANSLITERATED = /[äöüøå]/g;
const HAS_TRANSLITERATED = /[äöüøå]/;
const TRANSLITERATION: Readonly<Record<string, string>> = { ä: 'ae', ö: 'oe', ü: 'ue', ø: 'oe', å: 'aa' };
export function foldTransliterated(text: string): string | null {
  if (ASCII.test(text)) return null;
  const lower = text.normalize('NFC').toLowerCase();
  if (!HAS_TRANSLITERATED.test(lower)) return null;
  return fold(lower.replace(TRANSLITERATED, (letter) => TRANSLITERATION[letter] ?? letter));
}

/**
 * Scripts written without spaces between words, so a name like 山田太郎 is one run: the index keeps every
 * suffix of such a run, which turns prefix search into substring search (typing 太郎 finds 山田太郎).
 * Includes the katakana prolonged-sound mark and the iteration mark, which are script "Common".
 */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005]/u;
const UNSPACED_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005]+|[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005]+/gu;
/** Spaces between two unspaced-script characters: "山田 太郎" is also indexed as 山田太郎. */
const SPACE_IN_UNSPACED = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005])\s+(?=[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30fc\u3005])/gu;

/**
 * A word: letters, digits and marks, possibly joined by apostrophes or hyphens ("O'Brien", "Jean-Pierre").
 * Everything else (spaces, dots, @, commas, brackets) separates words.
 */
const COMPOUND = /[\p{L}\p{N}\p{M}]+(?:['’ʼ\-‐‑][\p{L}\p{N}\p{M}]+)*/gu;
const JOINER = /['’ʼ\-‐‑]/;
const JOINERS = /['’ʼ\-‐‑]/g;

/** Longest term kept, in UTF-16 code units; longer words are cut (never inside a surrogate pair). */
export const MAX_TERM_LENGTH = 32;
/** Suffixes kept per unspaced run (names and offices are short; this bounds a pathological field). */
const MAX_SUFFIXES = 24;

function clip(term: string): string {
  if (term.length <= MAX_TERM_LENGTH) return term;
  const code = term.charCodeAt(MAX_TERM_LENGTH - 1);
  return term.slice(0, code >= 0xd800 && code <= 0xdbff ? MAX_TERM_LENGTH - 1 : MAX_TERM_LENGTH);
}

/** Query words: the folded words of `query`, in order, duplicates removed. */
export function queryWords(query: string): string[] {
  const words: string[] = [];
  for (const match of fold(query).matchAll(COMPOUND)) {
    for (const part of match[0].split(JOINERS)) {
      const word = clip(part);
      if (word && !words.includes(word)) words.push(word);
    }
  }
  return words;
}

/** Where terms go: a `Set<string>`, or anything else with an `add` that ignores repeats. */
export interface TermSink {
  add(term: string): unknown;
}

function addWords(folded: string, terms: TermSink): void {
  // Only text with an unspaced-script character can have a space to close up.
  const text = UNSPACED.test(folded) ? folded.replace(SPACE_IN_UNSPACED, '$1') : folded;
  for (const compound of text.match(COMPOUND) ?? []) {
    if (!JOINER.test(compound)) {
      addWord(compound, terms);
      continue;
    }
    // "o'brien" is also "obrien", "jean-pierre" also "jeanpierre".
    const parts = compound.split(JOINERS);
    addWord(parts.join(''), terms);
    for (const part of parts) addWord(part, terms);
  }
}

/** 0-9 and a-z: the word characters of lower-case ASCII. */
const isAsciiWordChar = (code: number): boolean => (code >= 97 && code <= 122) || (code >= 48 && code <= 57);

/**
 * The same as `addWords` for lower-case ASCII, the common case, as a scan without regular expressions:
 * a compound is a run of word characters, continued by an apostrophe or hyphen followed by another run
 * (what `[a-z0-9]+(?:['-][a-z0-9]+)*` matches).
 */
function addAsciiWords(folded: string, terms: TermSink): void {
  const length = folded.length;
  let i = 0;
  while (i < length) {
    if (!isAsciiWordChar(folded.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let joined = false;
    for (;;) {
      do i++;
      while (i < length && isAsciiWordChar(folded.charCodeAt(i)));
      const next = folded.charCodeAt(i);
      if ((next !== 0x27 && next !== 0x2d) || !isAsciiWordChar(folded.charCodeAt(i + 1))) break;
      joined = true;
      i++;
    }
    const compound = folded.slice(start, i);
    if (joined) {
      const parts = compound.split(/['-]/);
      terms.add(clip(parts.join('')));
      for (const part of parts) terms.add(clip(part));
    } else terms.add(clip(compound));
  }
}

function addWord(word: string, terms: TermSink): void {
  if (!UNSPACED.test(word)) {
    terms.add(clip(word));
    return;
  }
  for (const run of word.match(UNSPACED_RUNS) ?? []) {
    if (!UNSPACED.test(run)) {
      terms.add(clip(run));
      continue;
    }
    const chars = Array.from(run);
    const last = Math.min(chars.length, MAX_SUFFIXES);
    for (let start = 0; start < last; start++) terms.add(clip(chars.slice(start).join('')));
  }
}

/**
 * The terms under which a text field is indexed: its folded words, joined forms of apostrophe and hyphen
 * compounds, the transliterated spelling of umlauts, and every suffix of a run in an unspaced script.
 * A query word matches the field when it is a prefix of one of these terms.
 */
export function indexTerms(text: string, into: Set<string> = new Set()): Set<string> {
  addIndexTerms(text, into);
  return into;
}

/** `indexTerms` into any sink (the same terms, possibly some more than once). */
export function addIndexTerms(text: string, into: TermSink): void {
  if (ASCII.test(text)) {
    addAsciiWords(text.toLowerCase(), into);
    return;
  }
  addWords(fold(text), into);
  const transliterated = foldTransliterated(text);
  if (transliterated !== null) addWords(transliterated, into);
}

/**
 * The key for "the name starts with the query": folded words joined by one space (none between
 * unspaced-script characters; apostrophes and hyphens count as spaces, so "jean pi" starts "Jean-Pierre").
 * `nameKey(query)` is a prefix of `nameKey(displayName)` exactly when the display name starts with what
 * was typed.
 */
export function nameKey(text: string): string {
  if (ASCII.test(text)) return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).join(' ');
  const words: string[] = [];
  const folded = fold(text);
  for (const compound of (UNSPACED.test(folded) ? folded.replace(SPACE_IN_UNSPACED, '$1') : folded).match(COMPOUND) ?? []) words.push(...compound.split(JOINERS));
  return words.join(' ');
}

/**
 * E.164 country calling codes are a prefix code: 1 and 7 are one digit, the list below two, all others
 * three (ITU-T E.164 assigned codes list). That is enough to find where the national number starts
 * without a numbering-plan library.
 */
const TWO_DIGIT_CODES = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49', '51', '52', '53',
  '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66', '81', '82', '84', '86', '90', '91', '92', '93', '94',
  '95', '98',
]);

export function callingCodeLength(digits: string): number {
  const first = digits[0];
  if (first === '1' || first === '7') return 1;
  return TWO_DIGIT_CODES.has(digits.slice(0, 2)) ? 2 : 3;
}

/** An extension (`x123`, `ext. 4`, `;ext=5`) ends the part of a phone number that is dialled. */
const EXTENSION = /\s*(?:x|ext\.?|extension|;ext=|#).*$/i;

/**
 * The digit strings a phone number is found by. Typing any prefix of one of them finds the number:
 * - all its digits as written ("+1 (425) 555-0142" → 14255550142; "020 7946 0094" → 02079460094);
 * - for an international number (+ or 00), the national number after the calling code (4255550142),
 *   and, outside the North American plan, that number with the trunk prefix 0 most countries dial
 *   at home (+44 20 7946 0094 → 02079460094);
 * - for a number written nationally with a trunk 0, the digits without it (2079460094).
 * Digits in the middle (typing 5550142 for the subscriber part alone) are not matched: that would need
 * every suffix of every number in the index, for little gain.
 */
export function phoneTerms(phone: string): string[] {
  const terms = new Set<string>();
  addPhoneDigits(phone, terms, false);
  return [...terms].map(clip);
}

/** `phoneTerms` into any sink. */
export function addPhoneTerms(phone: string, into: TermSink): void {
  addPhoneDigits(phone, into, true);
}

/** The digit strings of `phoneTerms`, in its order, none empty; cut to MAX_TERM_LENGTH when `clipped`. */
function addPhoneDigits(phone: string, into: TermSink, clipped: boolean): void {
  // NFKC leaves ASCII as it is, and EXTENSION needs an x, e, ; or #.
  const dialled = ASCII.test(phone) ? (MAY_HAVE_EXTENSION.test(phone) ? phone.replace(EXTENSION, '') : phone) : phone.normalize('NFKC').replace(EXTENSION, '');
  let digits = dialled.replace(NOT_DIGITS, '');
  if (digits.length === 0) return;
  addDigits(digits, into, clipped);
  const trimmed = dialled.trimStart();
  const plus = trimmed.startsWith('+');
  if (plus || trimmed.startsWith('00')) {
    if (!plus) digits = digits.slice(2);
    addDigits(digits, into, clipped);
    const codeLength = callingCodeLength(digits);
    const national = digits.slice(codeLength);
    if (national) {
      addDigits(national, into, clipped);
      if ((codeLength !== 1 || digits[0] !== '1') && national[0] !== '0') addDigits(`0${national}`, into, clipped);
    }
  } else {
    const national = digits.replace(LEADING_ZEROS, '');
    if (national) addDigits(national, into, clipped);
  }
}
const NOT_DIGITS = /[^0-9]/g;
const LEADING_ZEROS = /^0+/;
const MAY_HAVE_EXTENSION = /[xe;#]/i;

function addDigits(digits: string, into: TermSink, clipped: boolean): void {
  if (digits.length > 0) into.add(clipped ? clip(digits) : digits);
}

/** A query made only of digits and the punctuation phone numbers are written with. */
const PHONE_QUERY = /^[\s+()./\-\u2010\u2011\u00a0]*\d[\d\s+()./\-\u2010\u2011\u00a0]*$/;

/**
 * `"+1 (425) 555"` → `"1425555"`: a query that is only digits and phone punctuation is one phone number,
 * however it is grouped. `null` for any other query (then its words are matched one by one).
 */
export function phoneQuery(query: string): string | null {
  const text = query.normalize('NFKC');
  if (!PHONE_QUERY.test(text)) return null;
  let digits = text.replace(/[^0-9]/g, '');
  if (text.trimStart().startsWith('00')) digits = digits.slice(2);
  return digits.length > 0 ? clip(digits) : null;
}
