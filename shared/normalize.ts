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
const MARK = /\p{M}/gu;
const dropAccent = (mark: string): string => {
  const code = mark.codePointAt(0) ?? 0;
  return ACCENT_RANGES.some(([first, last]) => code >= first && code <= last) ? '' : mark;
};

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
    .replace(MARK, dropAccent)
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

function addWords(folded: string, terms: Set<string>): void {
  for (const match of folded.replace(SPACE_IN_UNSPACED, '$1').matchAll(COMPOUND)) {
    const compound = match[0];
    const parts = compound.split(JOINERS);
    // "o'brien" is also "obrien", "jean-pierre" also "jeanpierre".
    if (parts.length > 1 && JOINER.test(compound)) addWord(parts.join(''), terms);
    for (const part of parts) addWord(part, terms);
  }
}

/** The same as `addWords` for lower-case ASCII, the common case, without the Unicode machinery. */
const ASCII_COMPOUND = /[a-z0-9]+(?:['-][a-z0-9]+)*/g;
function addAsciiWords(folded: string, terms: Set<string>): void {
  for (const compound of folded.match(ASCII_COMPOUND) ?? []) {
    if (compound.includes("'") || compound.includes('-')) {
      const parts = compound.split(/['-]/);
      terms.add(clip(parts.join('')));
      for (const part of parts) terms.add(clip(part));
    } else terms.add(clip(compound));
  }
}

function addWord(word: string, terms: Set<string>): void {
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
  if (ASCII.test(text)) {
    addAsciiWords(text.toLowerCase(), into);
    return into;
  }
  addWords(fold(text), into);
  const transliterated = foldTransliterated(text);
  if (transliterated !== null) addWords(transliterated, into);
  return into;
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
  for (const match of fold(text).replace(SPACE_IN_UNSPACED, '$1').matchAll(COMPOUND)) words.push(...match[0].split(JOINERS));
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
  const dialled = phone.normalize('NFKC').replace(EXTENSION, '');
  let digits = dialled.replace(/[^0-9]/g, '');
  if (digits.length === 0) return [];
  const terms = new Set([digits]);
  const trimmed = dialled.trimStart();
  const international = trimmed.startsWith('+') || trimmed.startsWith('00');
  if (international) {
    if (!trimmed.startsWith('+')) digits = digits.slice(2);
    terms.add(digits);
    const code = digits.slice(0, callingCodeLength(digits));
    const national = digits.slice(code.length);
    if (national) {
      terms.add(national);
      if (code !== '1' && !national.startsWith('0')) terms.add(`0${national}`);
    }
  } else {
    const national = digits.replace(/^0+/, '');
    if (national) terms.add(national);
  }
  return [...terms].filter((term) => term.length > 0).map(clip);
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
