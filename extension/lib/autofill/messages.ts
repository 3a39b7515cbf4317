import { z } from 'zod';
import type { Contact } from '../../../shared/contact.ts';
import { displayNameOf } from '../../../shared/display-name.ts';
import {
  AUTOFILL_CONFIG,
  AUTOFILL_INLINE,
  AUTOFILL_OPEN,
  AUTOFILL_QUERY_MAX,
  AUTOFILL_RESULT_LIMIT,
  AUTOFILL_SEARCH,
  AUTOFILL_UNDO,
  AUTOFILL_VALUES,
  type AutofillConfig,
  type Colleague,
  type FillValues,
} from './protocol.ts';

/**
 * The background's half of the autofill contract (protocol.ts): zod schemas for every message, and the
 * handlers the background router calls. Only the background imports this file; the content script stays
 * zod-free.
 *
 * Content scripts run inside pages the extension does not trust (research.md, "Extension security
 * norms"): every request is checked for its sender (this extension, from a tab) and shape, searches are
 * rate-limited per tab, answers are re-parsed so that nothing but the listed fields ever leaves (a
 * search callback that returns whole contacts still sends four fields), and values are given only for
 * colleagues a search showed that same tab.
 */

/** The router's default target (extension/lib/messages.ts); accepted, never required. */
const target = z.literal('background').optional();

export const autofillSearchRequestSchema = z.strictObject({ type: z.literal(AUTOFILL_SEARCH), target, query: z.string().max(AUTOFILL_QUERY_MAX) });
export const autofillValuesRequestSchema = z.strictObject({ type: z.literal(AUTOFILL_VALUES), target, id: z.string().min(1).max(200) });
export const autofillConfigRequestSchema = z.strictObject({ type: z.literal(AUTOFILL_CONFIG), target });
export const autofillRequestSchema = z.discriminatedUnion('type', [autofillSearchRequestSchema, autofillValuesRequestSchema, autofillConfigRequestSchema]);

/** What the background sends the content script (`tabs.sendMessage`). */
export const autofillCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal(AUTOFILL_OPEN) }),
  z.strictObject({ type: z.literal(AUTOFILL_UNDO) }),
  z.strictObject({ type: z.literal(AUTOFILL_INLINE), enabled: z.boolean() }),
]);

const text = z.string().max(1024).nullable();

/** Parsing strips every key not listed (zod objects do by default). */
export const colleagueSchema = z.object({ id: z.string().min(1), displayName: z.string().max(1024), jobTitle: text, mail: text }) satisfies z.ZodType<Colleague>;
export const fillValuesSchema = z.object({
  name: text,
  givenName: text,
  familyName: text,
  email: text,
  phone: text,
  mobile: text,
  organization: text,
  jobTitle: text,
  department: text,
}) satisfies z.ZodType<FillValues>;

/** `cannot_fill`: the background could not reach the page (lib/autofill/triggers.ts). */
export type AutofillErrorCode = 'forbidden' | 'bad_request' | 'throttled' | 'unknown_colleague' | 'cannot_fill';

/** A refused autofill request; the router sends `code` back to the content script. */
export class AutofillError extends Error {
  constructor(
    readonly code: AutofillErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AutofillError';
  }
}

/** A search result as the directory holds it: a whole contact is fine, only four fields are sent. */
export type ColleagueSource = Pick<Contact, 'id' | 'displayName' | 'jobTitle' | 'mail'> & Partial<Contact>;

/** The parts of `runtime.MessageSender` the checks read. */
export interface AutofillSender {
  id?: string;
  tab?: { id?: number } | undefined;
  frameId?: number;
  url?: string;
}

export interface AutofillDeps {
  /** The best `limit` matches for `query` from the local directory (extension/lib/directory-search.ts). */
  search(query: string, limit: number): Promise<readonly ColleagueSource[]>;
  /** One colleague's values (`toFillValues(contact)`), `null` when the id is unknown. */
  values(id: string): Promise<FillValues | null>;
  /** Whether inline mode is on for the sender's site (the setting, and a granted or policy-listed host). */
  inline?(sender: AutofillSender): Promise<boolean>;
  /** `browser.runtime.id`. */
  runtimeId: string;
  /** Clock for the rate limits (default `Date.now`). */
  now?: () => number;
  /** Searches per tab per window (default 40 per 10 s: a fast typist with the picker's debounce). */
  searchLimit?: { count: number; windowMs: number };
}

export interface AutofillHandlers {
  [AUTOFILL_SEARCH](raw: unknown, sender: AutofillSender): Promise<Colleague[]>;
  [AUTOFILL_VALUES](raw: unknown, sender: AutofillSender): Promise<FillValues>;
  [AUTOFILL_CONFIG](raw: unknown, sender: AutofillSender): Promise<AutofillConfig>;
}

/** How long a tab may ask for the values of a colleague its search showed. */
const SHOWN_TTL_MS = 10 * 60_000;
/** Colleagues remembered per tab (8 per search: the last 16 searches). */
const SHOWN_MAX = 128;
/** Tabs remembered (the service worker's restarts forget them all anyway). */
const TABS_MAX = 256;

/** Map insertion order as recency: re-inserts `key` last and drops the oldest beyond `max`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  for (const old of map.keys()) {
    if (map.size <= max) break;
    map.delete(old);
  }
}

/** Graph's "no value" and empty strings alike become `null`. */
const clean = (value: string | null | undefined): string | null => (value?.trim() ? value.trim() : null);

/** A search result as the picker shows it. */
export function toColleague(contact: ColleagueSource): Colleague {
  const displayName = clean(contact.displayName) ?? displayNameOf({ givenName: null, surname: null, userPrincipalName: null, ...contact } as Contact);
  return { id: contact.id, displayName, jobTitle: clean(contact.jobTitle), mail: clean(contact.mail) };
}

/** A contact's values for a form (design flow 5: name, email, phone, company, job title, department). */
export function toFillValues(contact: Contact): FillValues {
  const givenName = clean(contact.givenName);
  const familyName = clean(contact.surname);
  return {
    name: clean(contact.displayName) ?? (clean([givenName, familyName].filter(Boolean).join(' ')) || null),
    givenName,
    familyName,
    email: clean(contact.mail),
    phone: clean(contact.businessPhones[0]),
    mobile: clean(contact.mobilePhone),
    organization: clean(contact.companyName),
    jobTitle: clean(contact.jobTitle),
    department: clean(contact.department),
  };
}

/**
 * The handlers for the background router, keyed by message type. Each checks its sender and payload
 * itself, so it stays safe whatever the router checks:
 *
 *   const autofill = registerAutofillHandlers({ search, values, inline, runtimeId: browser.runtime.id });
 *   // router: case 'autofill/search': return autofill['autofill/search'](message, sender);
 */
export function registerAutofillHandlers(deps: AutofillDeps): AutofillHandlers {
  const now = deps.now ?? Date.now;
  const { count: searchCount, windowMs } = deps.searchLimit ?? { count: 40, windowMs: 10_000 };
  /** Per tab: when its recent searches ran. */
  const searches = new Map<number, number[]>();
  /** Per tab: the colleagues its searches showed, with when. */
  const shown = new Map<number, Map<string, number>>();

  const tabOf = (sender: AutofillSender): number => {
    if (!deps.runtimeId || sender?.id !== deps.runtimeId) throw new AutofillError('forbidden', 'Autofill answers this extension only.');
    const tabId = sender.tab?.id;
    if (typeof tabId !== 'number') throw new AutofillError('forbidden', "Autofill answers the extension's content scripts only (a sender with a tab).");
    return tabId;
  };
  const parse = <T>(schema: z.ZodType<T>, raw: unknown): T => {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new AutofillError('bad_request', z.prettifyError(parsed.error));
    return parsed.data;
  };

  return {
    async [AUTOFILL_SEARCH](raw, sender) {
      const tabId = tabOf(sender);
      const { query } = parse(autofillSearchRequestSchema, raw);
      const trimmed = query.trim();
      if (!trimmed) return [];
      const t = now();
      const recent = (searches.get(tabId) ?? []).filter((at) => t - at < windowMs);
      if (recent.length >= searchCount) throw new AutofillError('throttled', 'Too many searches from this tab; wait a moment.');
      recent.push(t);
      remember(searches, tabId, recent, TABS_MAX);

      const found = await deps.search(trimmed, AUTOFILL_RESULT_LIMIT);
      const results = found.slice(0, AUTOFILL_RESULT_LIMIT).map((contact) => colleagueSchema.parse(toColleague(contact)));
      const seen = shown.get(tabId) ?? new Map<string, number>();
      for (const { id } of results) remember(seen, id, t, SHOWN_MAX);
      remember(shown, tabId, seen, TABS_MAX);
      return results;
    },

    async [AUTOFILL_VALUES](raw, sender) {
      const tabId = tabOf(sender);
      const { id } = parse(autofillValuesRequestSchema, raw);
      const at = shown.get(tabId)?.get(id);
      if (at === undefined || now() - at > SHOWN_TTL_MS) throw new AutofillError('unknown_colleague', 'Pick the colleague from a search first.');
      const values = await deps.values(id);
      if (!values) throw new AutofillError('unknown_colleague', 'That colleague is no longer in the directory.');
      return fillValuesSchema.parse(values);
    },

    async [AUTOFILL_CONFIG](raw, sender) {
      tabOf(sender);
      parse(autofillConfigRequestSchema, raw);
      return { inline: deps.inline ? await deps.inline(sender) : false };
    },
  };
}

export type { AutofillConfig, Colleague, FillValues } from './protocol.ts';
