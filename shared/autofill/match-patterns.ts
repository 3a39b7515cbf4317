import { KIND_PRIORITY, PATTERN_TABLES, type PatternKind, type PatternTable } from './patterns/index.ts';
import { normalizeText } from './text.ts';

export interface PatternMatch {
  kind: PatternKind;
  /** The normalised words that matched. */
  matched: string;
}

/** Pattern tables compiled once into a few regular expressions. */
export interface PatternMatcher {
  /** The highest-priority kind (KIND_PRIORITY) whose patterns match normalised `text`, or `null`. */
  match(text: string, lang?: string): PatternMatch | null;
  /** Whether normalised `text` matches one of `kinds` (the veto check), and which. */
  matchAny(text: string, kinds: ReadonlySet<PatternKind>, lang?: string): PatternMatch | null;
  /** Whether a normalised option text is a salutation ("mr", "frau", "mme"). */
  isHonorific(text: string): boolean;
  /** Whether normalised text names a mobile phone. */
  isMobile(text: string): boolean;
}

interface CompiledKind {
  kind: PatternKind;
  all: RegExp | null;
  byLang: Map<string, RegExp>;
}

/** Whole words only: a pattern never matches inside a longer Latin word ("name" in "username"). */
const words = (sources: readonly string[]): RegExp => new RegExp(`(?<![a-z])(?:${sources.join('|')})(?![a-z])`, 'u');

/** Compiles pattern tables (by default every built-in language). */
export function compilePatterns(tables: readonly PatternTable[] = PATTERN_TABLES): PatternMatcher {
  const kinds: CompiledKind[] = KIND_PRIORITY.map((kind) => {
    const shared = tables.flatMap((t) => t.patterns[kind] ?? []);
    const byLang = new Map<string, RegExp>();
    for (const table of tables) {
      const only = table.langOnly?.[kind];
      if (only && only.length > 0) byLang.set(table.lang, words(only));
    }
    return { kind, all: shared.length > 0 ? words(shared) : null, byLang };
  });
  const everything = tables.flatMap((t) => [...Object.values(t.patterns).flat(), ...Object.values(t.langOnly ?? {}).flat()]);
  // One pass over the text first: most labels on a page ("Message", "Quantity") match nothing.
  const any = words(everything);
  const honorific = new RegExp(`^(?:${tables.flatMap((t) => t.honorifics ?? []).join('|')})$`, 'u');
  const mobile = words(tables.flatMap((t) => t.mobile ?? []));

  const test = (entry: CompiledKind, text: string, lang: string | undefined): string | null => {
    const hit = entry.all?.exec(text) ?? (lang === undefined ? null : (entry.byLang.get(lang)?.exec(text) ?? null));
    return hit ? hit[0] : null;
  };

  return {
    match(text, lang) {
      if (text === '' || !any.test(text)) return null;
      for (const entry of kinds) {
        const matched = test(entry, text, lang);
        if (matched !== null) return { kind: entry.kind, matched };
      }
      return null;
    },
    matchAny(text, wanted, lang) {
      if (text === '' || !any.test(text)) return null;
      for (const entry of kinds) {
        if (!wanted.has(entry.kind)) continue;
        const matched = test(entry, text, lang);
        if (matched !== null) return { kind: entry.kind, matched };
      }
      return null;
    },
    isHonorific: (text) => honorific.test(text),
    isMobile: (text) => mobile.test(text),
  };
}

let defaultMatcher: PatternMatcher | undefined;

/** The built-in tables, compiled on first use and kept. */
export function defaultPatterns(): PatternMatcher {
  return (defaultMatcher ??= compilePatterns());
}

/** Convenience for tests and tools: normalises raw text, then matches it with the built-in tables. */
export function matchText(raw: string, lang?: string): PatternMatch | null {
  return defaultPatterns().match(normalizeText(raw), lang);
}
