/**
 * The autofill message contract, without zod: the content script imports only this file (its budget is
 * 30 KB gzipped with the classifier, and zod alone is bigger), the background validates the same shapes
 * with the schemas in messages.ts.
 *
 * Content script → background (`runtime.sendMessage`, answered in the router's envelope
 * `{ ok: true, value } | { ok: false, error: { code, message } }`):
 * - `{ type: 'autofill/search', query }` → `Colleague[]`, at most AUTOFILL_RESULT_LIMIT, best first; an
 *   empty query answers `[]` (the page side never lists the directory).
 * - `{ type: 'autofill/values', id }` → `FillValues` of that one colleague (only ids this tab was shown).
 * - `{ type: 'autofill/config' }` → `AutofillConfig` (inline mode on this site or not).
 *
 * Background → content script (`tabs.sendMessage(tabId, message, { frameId })`, answered in the same
 * envelope):
 * - `{ type: 'autofill/open' }` → `OpenResult`: show the picker at the focused recognised field, else at
 *   the first one (popup "Fill into this page", context menu "Fill with colleague…", keyboard command).
 * - `{ type: 'autofill/undo' }` → `UndoResult`: restore what the last fill replaced.
 * - `{ type: 'autofill/inline', enabled }` → `AutofillConfig`: turn inline mode on or off.
 */

export const AUTOFILL_SEARCH = 'autofill/search';
export const AUTOFILL_VALUES = 'autofill/values';
export const AUTOFILL_CONFIG = 'autofill/config';
export const AUTOFILL_OPEN = 'autofill/open';
export const AUTOFILL_UNDO = 'autofill/undo';
export const AUTOFILL_INLINE = 'autofill/inline';

/** Most colleagues one search answers (the picker shows them all; more would be a directory dump). */
export const AUTOFILL_RESULT_LIMIT = 8;
/** Longest query accepted, in UTF-16 code units. */
export const AUTOFILL_QUERY_MAX = 100;

/** One search result, all the picker shows: no phone, department or manager until the user picks. */
export interface Colleague {
  id: string;
  displayName: string;
  jobTitle: string | null;
  mail: string | null;
}

/**
 * The values of the one colleague the user picked, by what a form asks for. `null` where the directory
 * has nothing. `phone` is the first business phone, `mobile` the mobile phone (Graph `user`).
 */
export interface FillValues {
  name: string | null;
  givenName: string | null;
  familyName: string | null;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  organization: string | null;
  jobTitle: string | null;
  department: string | null;
}

export const FILL_VALUE_KEYS = ['name', 'givenName', 'familyName', 'email', 'phone', 'mobile', 'organization', 'jobTitle', 'department'] as const satisfies readonly (keyof FillValues)[];

export interface AutofillConfig {
  /** Show the picker when a recognised field gets focus (granted or policy-listed sites only). */
  inline: boolean;
}

export interface OpenResult {
  /** Recognised contact fields on the page (0: nothing to fill; the picker did not open). */
  fields: number;
}

export interface UndoResult {
  /** Fields set back to what they held before the last fill. */
  restored: number;
}

export type AutofillSearchRequest = { type: typeof AUTOFILL_SEARCH; query: string };
export type AutofillValuesRequest = { type: typeof AUTOFILL_VALUES; id: string };
export type AutofillConfigRequest = { type: typeof AUTOFILL_CONFIG };
export type AutofillRequest = AutofillSearchRequest | AutofillValuesRequest | AutofillConfigRequest;

export type AutofillCommand = { type: typeof AUTOFILL_OPEN } | { type: typeof AUTOFILL_UNDO } | { type: typeof AUTOFILL_INLINE; enabled: boolean };

export interface AutofillResponseMap {
  [AUTOFILL_SEARCH]: Colleague[];
  [AUTOFILL_VALUES]: FillValues;
  [AUTOFILL_CONFIG]: AutofillConfig;
}

/** The background router's answer envelope (extension/lib/messages.ts). */
export type AutofillEnvelope<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
