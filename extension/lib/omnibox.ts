import type { Contact } from '../../shared/contact.ts';
import { displayNameOf } from '../../shared/display-name.ts';
import { emailOf, mailtoUrl } from './ui/contact-format.ts';

/**
 * The address-bar keyword (manifest `omnibox.keyword`, "pb"): type `pb anna` and pick a colleague to open
 * their card, or the "Email …" line to write to them.
 *
 * Chrome parses each suggestion's description as XML with `<match>`, `<dim>` and `<url>` styles
 * (https://developer.chrome.com/docs/extensions/reference/api/omnibox#type-SuggestResult), so directory
 * text is escaped (&, <, >, ', ") and characters XML 1.0 forbids are dropped — a name with "<" or "&"
 * would otherwise break the whole list, or style itself. Firefox shows descriptions as plain text
 * (https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/API/omnibox/SuggestResult): there
 * `markup: false` leaves the text unescaped and unstyled.
 */

export type Disposition = 'currentTab' | 'newForegroundTab' | 'newBackgroundTab';

export interface OmniboxDeps {
  search(query: string, limit: number): Promise<readonly Contact[]>;
  /** Opens the colleague's card (popup.html#contact=<id>, see `cardUrl`). */
  openCard(id: string, disposition?: Disposition): unknown;
  /** Starts an email to the colleague (`mailto:`). */
  mailto(contact: Contact, disposition?: Disposition): unknown;
  /** Chrome: true (XML descriptions); Firefox: false (plain text). Default true. */
  markup?: boolean;
  /** Colleagues suggested (default 5; Chrome shows about six lines). */
  limit?: number;
}

interface EventLike<F> {
  addListener(listener: F): void;
  removeListener(listener: F): void;
}

export interface SuggestResult {
  content: string;
  description: string;
}

/** The part of `browser.omnibox` this uses (tests pass a fake). */
export interface OmniboxLike {
  setDefaultSuggestion(suggestion: { description: string }): unknown;
  onInputChanged: EventLike<(text: string, suggest: (results: SuggestResult[]) => void) => void>;
  onInputEntered: EventLike<(text: string, disposition: Disposition) => void>;
}

// ---- Pure formatting

/** XML 1.0 forbids C0 controls other than tab, LF, CR; a lone surrogate is no character at all. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' };

/** Text safe inside an omnibox XML description: the five XML specials escaped, line breaks as spaces. */
export function escapeOmniboxXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/[\t\r\n\u2028\u2029]+/g, ' ')
    .replace(/[&<>'"]/g, (c) => ENTITIES[c] ?? c);
}

/** Plain-text descriptions (Firefox): one line, no control characters. */
function plain(text: string): string {
  return text.replace(NOT_XML, '').replace(/[\t\r\n\u2028\u2029]+/g, ' ');
}

/**
 * A suggestion's `content` is what the address bar shows while it is highlighted and what Enter hands
 * back, so it is readable ("Anna Schmidt <anna@contoso.com>", "mailto:anna@contoso.com") rather than an
 * id; `registerOmnibox` maps it back to the colleague it came from.
 */
export function cardContent(contact: Contact): string {
  return plain(`${displayNameOf(contact)} <${emailOf(contact) ?? contact.id}>`);
}

export function cardSuggestion(contact: Contact, markup = true): SuggestResult {
  const name = displayNameOf(contact);
  const details = [contact.jobTitle?.trim(), contact.department?.trim(), emailOf(contact)].filter((part): part is string => Boolean(part)).join(' · ');
  const description = markup ? `<match>${escapeOmniboxXml(name)}</match>${details ? `<dim> — ${escapeOmniboxXml(details)}</dim>` : ''}` : plain(details ? `${name} — ${details}` : name);
  return { content: cardContent(contact), description };
}

/** `null` when the colleague has no address. */
export function mailSuggestion(contact: Contact, markup = true): SuggestResult | null {
  const email = emailOf(contact);
  if (!email) return null;
  const name = displayNameOf(contact);
  const description = markup ? `Email <match>${escapeOmniboxXml(name)}</match> <url>${escapeOmniboxXml(email)}</url>` : plain(`Email ${name} <${email}>`);
  return { content: `mailto:${plain(email)}`, description };
}

export function defaultSuggestion(text: string, markup = true): string {
  const query = text.trim();
  if (query === '') return 'Find a colleague: type a name, email, title, department or phone number';
  return markup ? `Open the best match for <match>${escapeOmniboxXml(query)}</match> in Peoplebook` : plain(`Open the best match for “${query}” in Peoplebook`);
}

/** A colleague's card for each match, with an "Email …" line after the best one. */
export function suggestionsFor(contacts: readonly Contact[], markup = true): SuggestResult[] {
  const results: SuggestResult[] = [];
  const seen = new Set<string>();
  contacts.forEach((contact, index) => {
    const card = cardSuggestion(contact, markup);
    if (seen.has(card.content)) return; // Chrome needs distinct contents
    seen.add(card.content);
    results.push(card);
    if (index === 0) {
      const mail = mailSuggestion(contact, markup);
      if (mail) results.push(mail);
    }
  });
  return results;
}

export type EnteredAction = { kind: 'card'; contact: Contact } | { kind: 'mail'; contact: Contact } | { kind: 'search'; query: string; mail: boolean };

/**
 * What Enter on `text` means. A suggestion's content maps to the colleague it was made for (`shown`);
 * one from before a restart of the background (`shown` empty) becomes a search for the address in it;
 * free text opens the best match.
 */
export function enteredAction(text: string, shown: ReadonlyMap<string, Contact> = new Map()): EnteredAction {
  const mail = /^mailto:(.+)$/i.exec(text.trim());
  if (mail) {
    const address = mail[1]!.trim();
    const contact = [...shown.values()].find((candidate) => emailOf(candidate)?.toLowerCase() === address.toLowerCase());
    return contact ? { kind: 'mail', contact } : { kind: 'search', query: address, mail: true };
  }
  const contact = shown.get(text);
  if (contact) return { kind: 'card', contact };
  const address = /<([^<>\s]+)>\s*$/.exec(text);
  return { kind: 'search', query: (address ? address[1]! : text).trim(), mail: false };
}

/** The page a card opens in: the popup page in a tab, told which card by its fragment. */
export function cardUrl(popupUrl: string, id: string): string {
  return `${popupUrl.replace(/#.*$/, '')}#contact=${encodeURIComponent(id)}`;
}

// ---- Wiring

/** Listens on `omnibox`; returns the function that stops listening. */
export function registerOmnibox(omnibox: OmniboxLike, deps: OmniboxDeps): () => void {
  const markup = deps.markup ?? true;
  const limit = deps.limit ?? 5;
  let sequence = 0;
  /** The colleagues behind the last suggestions, by content, so Enter needs no second lookup. */
  let shown = new Map<string, Contact>();

  const onChanged = (text: string, suggest: (results: SuggestResult[]) => void): void => {
    const mine = ++sequence;
    void omnibox.setDefaultSuggestion({ description: defaultSuggestion(text, markup) });
    const query = text.trim();
    if (query === '') {
      suggest([]);
      return;
    }
    deps.search(query, limit).then(
      (contacts) => {
        if (mine !== sequence) return; // a later keystroke's answer is coming
        shown = new Map(contacts.map((contact) => [cardContent(contact), contact]));
        suggest(suggestionsFor(contacts, markup));
      },
      () => {
        if (mine === sequence) suggest([]);
      },
    );
  };

  const onEntered = (text: string, disposition: Disposition): void => {
    const action = enteredAction(text, shown);
    void (async () => {
      if (action.kind === 'card') return await deps.openCard(action.contact.id, disposition);
      if (action.kind === 'mail') return await deps.mailto(action.contact, disposition);
      if (action.query === '') return;
      const [best] = await deps.search(action.query, 1);
      if (!best) return;
      await (action.mail ? deps.mailto(best, disposition) : deps.openCard(best.id, disposition));
    })().catch((error: unknown) => console.warn('Peoplebook omnibox:', error));
  };

  omnibox.onInputChanged.addListener(onChanged);
  omnibox.onInputEntered.addListener(onEntered);
  void omnibox.setDefaultSuggestion({ description: defaultSuggestion('', markup) });
  return () => {
    omnibox.onInputChanged.removeListener(onChanged);
    omnibox.onInputEntered.removeListener(onEntered);
  };
}

// ---- Browser adapter (the background calls `registerOmnibox(browser.omnibox, browserOmniboxDeps(…))`)

/** The part of `browser.tabs` the adapter uses. */
export interface TabsLike {
  create(properties: { url: string; active?: boolean }): Promise<unknown>;
  /** Without a tab id: the current tab. */
  update(properties: { url: string }): Promise<unknown>;
}

/** Opens `url` where the omnibox disposition says (Enter: this tab; Alt+Enter: a new tab; …). */
export function openUrl(tabs: TabsLike, url: string, disposition: Disposition = 'currentTab'): Promise<unknown> {
  if (disposition === 'currentTab') return tabs.update({ url });
  return tabs.create({ url, active: disposition === 'newForegroundTab' });
}

export interface BrowserOmniboxOptions {
  tabs: TabsLike;
  /** `browser.runtime.getURL('/popup.html')`. */
  popupUrl: string;
  /** lib/directory-search.ts `search(query, { limit })`. */
  search(query: string, limit: number): Promise<readonly Contact[]>;
  /** `false` on Firefox (`import.meta.env.FIREFOX`): it shows descriptions as plain text. */
  markup: boolean;
}

export function browserOmniboxDeps(options: BrowserOmniboxOptions): OmniboxDeps {
  return {
    search: options.search,
    markup: options.markup,
    openCard: (id, disposition) => openUrl(options.tabs, cardUrl(options.popupUrl, id), disposition),
    // A mailto: hands over to the mail client; the tab stays where it was, so never open an empty one.
    mailto: (contact) => {
      const url = mailtoUrl(emailOf(contact));
      return url ? openUrl(options.tabs, url, 'currentTab') : openUrl(options.tabs, cardUrl(options.popupUrl, contact.id), 'newForegroundTab');
    },
  };
}
