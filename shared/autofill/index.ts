/**
 * The autofill classifier: which contact field each control of a web form takes. Pure code over DOM
 * nodes passed in (no globals, no DOM library), so the extension's content script and Node tools share
 * it. The Node edges (load-html.ts, cli.ts) are not exported from here on purpose: importing this module
 * never pulls in happy-dom.
 */
export { parseAutocomplete, type AutocompleteHint } from './autocomplete.ts';
export { classifyControls, type ClassifiedControl, type ClassifyOptions, type Reason, type Signal } from './classify-controls.ts';
export { collectControls, type CollectOptions, type FormControl } from './collect-controls.ts';
export { CONTACT_FIELDS, toDesignField, type ContactField, type DesignField } from './contact-field.ts';
export { createLabelIndex, labelText, nearbyText } from './label-text.ts';
export { compilePatterns, defaultPatterns, matchText, type PatternMatch, type PatternMatcher } from './match-patterns.ts';
export { PATTERN_TABLES, KIND_PRIORITY, type PatternKind, type PatternTable } from './patterns/index.ts';
export { normalizeIdentifier, normalizeText } from './text.ts';
