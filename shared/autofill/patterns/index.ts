import { de } from './de.ts';
import { en } from './en.ts';
import { es } from './es.ts';
import { fr } from './fr.ts';
import { it } from './it.ts';
import { ja } from './ja.ts';
import { nl } from './nl.ts';
import type { PatternTable } from './pattern-table.ts';
import { pt } from './pt.ts';
import { zh } from './zh.ts';

export { de, en, es, fr, it, ja, nl, pt, zh };
export { HARD_EXCLUSIONS, KIND_PRIORITY, type PatternKind, type PatternTable } from './pattern-table.ts';

/** Every language the classifier knows, tried together (a page's labels and its attributes rarely share a language). */
export const PATTERN_TABLES: readonly PatternTable[] = [en, de, fr, es, it, pt, nl, ja, zh];
