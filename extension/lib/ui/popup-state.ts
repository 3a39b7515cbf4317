import { formatLastSync } from './contact-format.ts';
import type { AuthState, SyncStatus } from './deps.ts';

/** Pure decisions behind the popup: keys to actions, the active row, the rendered window, notices. */

// ---- Keyboard

export type KeyAction = 'next' | 'previous' | 'pageDown' | 'pageUp' | 'open' | 'copy' | 'escape';

export interface KeyLike {
  key: string;
  /** Physical key: Alt+C is matched by `code` because Alt changes `key` on macOS (Alt+C types "ç"). */
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  isComposing?: boolean;
}

export interface KeyContext {
  view: 'list' | 'card';
  /** Text is selected (in the search box or on the card): Ctrl/Cmd+C then copies that, as usual. */
  hasSelection: boolean;
}

/**
 * The popup's shortcuts: ↑/↓ and Page Up/Down move the active result, Enter opens its card, Escape
 * clears the search or goes back from a card, and Ctrl+C (⌘C on macOS) with no text selected, or
 * Alt+C always, copies the colleague's email. `null`: let the browser handle the key.
 */
export function keyAction(event: KeyLike, context: KeyContext): KeyAction | null {
  if (event.isComposing) return null; // an IME is composing: Enter and arrows are the IME's
  const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
  if (event.key === 'Escape' && plain && !event.shiftKey) return 'escape';
  const copyByCtrl = (event.ctrlKey !== event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === 'c' && !context.hasSelection;
  const copyByAlt = event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey && (event.code === 'KeyC' || event.key.toLowerCase() === 'c');
  if (copyByCtrl || copyByAlt) return 'copy';
  if (context.view !== 'list' || !plain || event.shiftKey) return null;
  switch (event.key) {
    case 'ArrowDown':
      return 'next';
    case 'ArrowUp':
      return 'previous';
    case 'PageDown':
      return 'pageDown';
    case 'PageUp':
      return 'pageUp';
    case 'Enter':
      return 'open';
    default:
      return null;
  }
}

/**
 * The active row after a move, -1 for none. No wrapping; ↑ with nothing active goes to the last row,
 * as in the ARIA combobox pattern (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/).
 */
export function moveActive(active: number, count: number, action: 'next' | 'previous' | 'pageDown' | 'pageUp', pageSize: number): number {
  if (count <= 0) return -1;
  const last = count - 1;
  switch (action) {
    case 'next':
      return active < 0 ? 0 : Math.min(active + 1, last);
    case 'previous':
      return active < 0 ? last : Math.max(active - 1, 0);
    case 'pageDown':
      return active < 0 ? Math.min(pageSize - 1, last) : Math.min(active + pageSize, last);
    case 'pageUp':
      return active < 0 ? 0 : Math.max(active - pageSize, 0);
  }
}

// ---- Virtualized list

export interface Range {
  /** First rendered index. */
  start: number;
  /** One past the last rendered index. */
  end: number;
}

/** The rows a scroll position shows, plus `overscan` on each side, within [0, count). */
export function visibleRange(scrollTop: number, viewportHeight: number, rowHeight: number, count: number, overscan = 3): Range {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const top = Math.max(0, Math.min(scrollTop, count * rowHeight - viewportHeight));
  const first = Math.floor(top / rowHeight);
  const last = Math.ceil((top + Math.max(viewportHeight, 0)) / rowHeight);
  return { start: Math.max(0, first - overscan), end: Math.min(count, Math.max(last, first + 1) + overscan) };
}

/** The scrollTop that shows row `index` whole, moving as little as possible. */
export function scrollTopFor(index: number, scrollTop: number, viewportHeight: number, rowHeight: number): number {
  const top = index * rowHeight;
  const bottom = top + rowHeight;
  if (top < scrollTop) return top;
  if (bottom > scrollTop + viewportHeight) return Math.max(0, bottom - viewportHeight);
  return scrollTop;
}

// ---- Sync freshness and notices

/** The local copy is older than the sync interval (or was never synced): the popup asks for a sync. */
export function isStale(lastSyncAt: number | null, intervalMinutes: number, now: number): boolean {
  if (lastSyncAt === null) return true;
  return now - lastSyncAt > Math.max(1, intervalMinutes) * 60_000;
}

export type Notice =
  | { kind: 'setup'; text: string }
  | { kind: 'signed-out'; text: string }
  | { kind: 'offline'; text: string }
  | { kind: 'syncing'; text: string }
  | { kind: 'error'; text: string };

export interface NoticeInput {
  /** Proxy URL and tenant are set (by the admin or by policy). */
  configured: boolean;
  /** `null` while unknown. */
  auth: AuthState | null;
  status: SyncStatus | null;
  online: boolean;
  now: number;
}

/**
 * The banners above the results, most important first. Search keeps working under every one of them:
 * the local copy answers offline, signed out (until sign-out clears it) and when the proxy fails.
 */
export function noticesFor({ configured, auth, status, online, now }: NoticeInput): Notice[] {
  if (!configured) return [{ kind: 'setup', text: "Peoplebook isn't connected to your organisation's directory yet." }];
  const notices: Notice[] = [];
  const signedOut = (auth !== null && !auth.signedIn) || status?.error?.code === 'not_signed_in';
  // Signed out, no sync can run: its last error is stale or a consequence, and signing in is the step.
  const code = signedOut ? undefined : status?.error?.code;
  const asOf = status ? `Showing the directory as of ${formatLastSync(status.lastSyncAt, now)}.` : '';
  if (signedOut) notices.push({ kind: 'signed-out', text: 'Sign in with your work account to search the directory.' });
  if (code === 'tenant_not_set_up') {
    // Configured here, but the proxy doesn't know the tenant: the admin's setup isn't finished.
    notices.push({ kind: 'setup', text: status?.error?.message || "Your organisation's Peoplebook server isn't set up for this tenant yet." });
  } else if (!online) {
    notices.push({ kind: 'offline', text: status?.lastSyncAt ? `You're offline. Last synced ${formatLastSync(status.lastSyncAt, now)}.` : "You're offline, and the directory hasn't been downloaded yet." });
  } else if (code === 'proxy_unreachable') {
    notices.push({ kind: 'error', text: `Can't reach the Peoplebook server. ${asOf}`.trim() });
  } else if (code === 'consent_missing') {
    notices.push({ kind: 'error', text: status?.error?.message || 'Your administrator has to grant Peoplebook consent before it can sync.' });
  } else if (code) {
    notices.push({ kind: 'error', text: status?.error?.message || 'The last sync failed.' });
  }
  if (!signedOut && online && status?.syncing && status.count === 0) notices.push({ kind: 'syncing', text: 'Downloading your company directory…' });
  return notices;
}

/** `#contact=<id>`: the omnibox and other pages open a card by linking to popup.html with it. */
export function contactIdFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const id = params.get('contact')?.trim();
  return id ? id : null;
}
