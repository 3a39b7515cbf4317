/**
 * Turns a person's name into the ASCII an admin would type into a user name: accents stripped
 * (José → jose, Müller → muller, Ærø → aero), Cyrillic and Greek transliterated, apostrophes and
 * hyphens kept, spaces dropped. Scripts that need a dictionary to romanize (Japanese kanji, Chinese
 * hanzi, Korean hangul, Arabic without vowels) give null, and the caller falls back to an ID-like name.
 *
 * Entra user names allow A–Z a–z 0–9 ' . - _ ! # ^ ~ before the @, at most 64 characters there:
 * https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy#username-policies
 */

/** Ukrainian national transliteration (KMU 2010), the table Ukrainian passports use. Applied to lower case. */
const CYRILLIC: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'h', ґ: 'g', д: 'd', е: 'e', є: 'ie', ж: 'zh', з: 'z', и: 'y', і: 'i', ї: 'i',
  й: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh',
  ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ь: '', ю: 'iu', я: 'ia', ё: 'io', ы: 'y', э: 'e', ъ: '',
};

/** Greek, ELOT 743 simplified (the ου digraph is handled before single letters). Applied after accents are stripped. */
const GREEK: Record<string, string> = {
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm', ν: 'n',
  ξ: 'x', ο: 'o', π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
};

/** Latin letters that Unicode does not decompose into base letter + accent. */
const LATIN_EXTRA: Record<string, string> = {
  ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŀ: 'l',
  // Typographic apostrophes (fr "Jeanne d’Arc") become the ASCII one Entra accepts.
  '\u2019': "'", '\u02bc': "'", '`': "'",
};

const COMBINING_MARKS = /\p{M}/gu;
const ALLOWED = /^[a-z'-]*$/;

/** ASCII form of one name, or null when the script cannot be romanized without a dictionary. */
export function romanize(name: string): string | null {
  let text = name.toLowerCase();
  // Cyrillic before NFD: й and ї would otherwise lose the marks that make them distinct letters.
  let out = '';
  for (const ch of text) out += CYRILLIC[ch] ?? ch;
  text = out.normalize('NFD').replace(COMBINING_MARKS, '').replaceAll('ου', 'ou');
  out = '';
  for (const ch of text) {
    if (ch === ' ' || ch === '.' || ch === '\u3000') continue;
    out += GREEK[ch] ?? LATIN_EXTRA[ch] ?? ch;
  }
  // Trim punctuation at the ends: a user name part never starts or ends with ' or -.
  out = out.replace(/^['-]+|['-]+$/g, '');
  return out !== '' && ALLOWED.test(out) ? out : null;
}

const romanizeCache = new Map<string, string | null>();

/** romanize() memoised: seeded names come from finite pools, so the cache stays small (~40,000 entries). */
export function romanizeCached(name: string): string | null {
  let value = romanizeCache.get(name);
  if (value === undefined && !romanizeCache.has(name)) {
    value = romanize(name);
    // Long composed names are unique-ish; don't let them grow the cache.
    if (name.length <= 24) romanizeCache.set(name, value);
  }
  return value ?? null;
}

/** Entra's limit on the part before the @. */
export const MAX_LOCAL_PART = 64;

/**
 * `given.surname`, at most `MAX_LOCAL_PART - reserve` characters (room for a numeric suffix), or null
 * when either part has no ASCII form.
 */
export function localPart(givenName: string, surname: string, reserve = 0): string | null {
  const given = romanizeCached(givenName);
  const family = romanizeCached(surname);
  if (!given || !family) return null;
  const limit = MAX_LOCAL_PART - reserve;
  if (given.length + 1 + family.length <= limit) return `${given}.${family}`;
  // Too long (some names exceed 64 characters): shorten, but always keep the dot and a letter of the
  // surname. Callers rely on the dot to tell these apart from dot-less names such as `admin`.
  const trimEnd = (s: string): string => s.replace(/['-]+$/, '');
  const head = trimEnd(given.slice(0, limit - 2));
  const tail = trimEnd(family.slice(0, limit - head.length - 1)) || family.charAt(0);
  return `${head}.${tail}`;
}
