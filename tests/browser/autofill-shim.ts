import type { Contact } from '../../shared/contact.ts';
import { emptyContact } from '../../shared/contact.ts';
import { registerAutofillHandlers, toFillValues } from '../../extension/lib/autofill/messages.ts';

/**
 * A stand-in for the extension around the content script in browser tests: `browser.runtime` whose
 * `sendMessage` is answered by the real background handlers (registerAutofillHandlers) over a small
 * in-test directory, in the router's envelope; and a driver for the test to send the background's
 * commands (`autofill/open`, …) and read what was asked. Bundled into the same closure as the content
 * script (tests/browser/autofill-harness.ts), so the page can't reach it.
 */

export interface ShimConfig {
  directory: Partial<Contact>[];
  inline: boolean;
  /** Global name for the driver (the isolated world only, or tests that don't test a hostile page). */
  expose?: string;
  /**
   * Global function told of each answered request (Playwright's exposeFunction): its type, and for a
   * search the query (what the user typed), never an answer.
   */
  notify?: string;
}

export interface Driver {
  send(message: unknown): Promise<unknown>;
  /** Every request the content script made, with what the background answered. */
  log: { message: unknown; answer: unknown }[];
}

const RUNTIME_ID = 'peoplebooktestextensionid';

export function createFakeBrowser(config: ShimConfig): { browser: unknown; driver: Driver } {
  const directory: Contact[] = config.directory.map((c, i) => ({ ...emptyContact(c.id ?? `user-${i}`), ...c }));
  const fold = (s: string | null): string => (s ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  const handlers = registerAutofillHandlers({
    runtimeId: RUNTIME_ID,
    async search(query, limit) {
      const words = fold(query).split(/\s+/).filter(Boolean);
      return directory.filter((c) => words.every((w) => fold(`${c.displayName} ${c.mail}`).split(/[\s@.]+/).some((t) => t.startsWith(w)))).slice(0, limit);
    },
    async values(id) {
      const contact = directory.find((c) => c.id === id);
      return contact ? toFillValues(contact) : null;
    },
    async inline() {
      return config.inline;
    },
  });
  type Listener = (message: unknown, sender: { id?: string }, sendResponse: (r: unknown) => void) => boolean | void;
  const listeners = new Set<Listener>();
  const log: Driver['log'] = [];
  const sender = { id: RUNTIME_ID, tab: { id: 7 }, frameId: 0, url: 'http://page.invalid/' };

  const runtime = {
    id: RUNTIME_ID,
    async sendMessage(message: unknown) {
      const type = (message as { type?: string } | null)?.type ?? '';
      const handler = (handlers as unknown as Record<string, ((m: unknown, s: typeof sender) => Promise<unknown>) | undefined>)[type];
      let answer: unknown;
      if (!handler) answer = { ok: false, error: { code: 'unsupported', message: `${type} is not handled` } };
      else {
        try {
          answer = { ok: true, value: await handler(message, sender) };
        } catch (error) {
          answer = { ok: false, error: { code: (error as { code?: string }).code ?? 'internal', message: String(error) } };
        }
      }
      log.push({ message, answer });
      const notify = config.notify ? (globalThis as unknown as Record<string, unknown>)[config.notify] : undefined;
      const query = (message as { query?: unknown }).query;
      if (typeof notify === 'function') void (notify as (event: string) => unknown)(typeof query === 'string' ? `${type}:${query}` : type);
      return answer;
    },
    onMessage: {
      addListener: (listener: Listener) => void listeners.add(listener),
      removeListener: (listener: Listener) => void listeners.delete(listener),
      hasListener: (listener: Listener) => listeners.has(listener),
    },
    getURL: (path: string) => `chrome-extension://${RUNTIME_ID}${path}`,
  };

  const driver: Driver = {
    log,
    send(message) {
      return new Promise((resolve) => {
        let answered = false;
        for (const listener of listeners) {
          listener(message, { id: RUNTIME_ID }, (response) => {
            answered = true;
            resolve(response);
          });
        }
        if (!answered) setTimeout(() => resolve(undefined), 0);
      });
    },
  };
  return { browser: { runtime }, driver };
}
