import { describe, expect, it } from 'vitest';
import { contactIdFromHash, isStale, keyAction, type KeyContext, type KeyLike, moveActive, noticesFor, scrollTopFor, visibleRange } from '../../extension/lib/ui/popup-state.ts';
import { freshStatus, NOW, signedIn } from './ui-fakes.ts';

const k = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
const list: KeyContext = { view: 'list', hasSelection: false };
const card: KeyContext = { view: 'card', hasSelection: false };

describe('keyAction', () => {
  it.each([
    ['ArrowDown', k('ArrowDown'), list, 'next'],
    ['ArrowUp', k('ArrowUp'), list, 'previous'],
    ['PageDown', k('PageDown'), list, 'pageDown'],
    ['PageUp', k('PageUp'), list, 'pageUp'],
    ['Enter', k('Enter'), list, 'open'],
    ['Escape', k('Escape'), list, 'escape'],
    ['Escape on a card', k('Escape'), card, 'escape'],
    ['Ctrl+C', k('c', { ctrlKey: true, code: 'KeyC' }), list, 'copy'],
    ['Cmd+C', k('c', { metaKey: true, code: 'KeyC' }), list, 'copy'],
    ['Ctrl+C on a card', k('c', { ctrlKey: true }), card, 'copy'],
    ['Alt+C (macOS types ç)', k('ç', { altKey: true, code: 'KeyC' }), list, 'copy'],
    ['Alt+C with a selection', k('c', { altKey: true, code: 'KeyC' }), { view: 'list', hasSelection: true }, 'copy'],
    ['Ctrl+C with a selection: the browser copies it', k('c', { ctrlKey: true }), { view: 'list', hasSelection: true }, null],
    ['Ctrl+Shift+C (devtools)', k('C', { ctrlKey: true, shiftKey: true }), list, null],
    ['Ctrl+Alt+C', k('c', { ctrlKey: true, altKey: true }), list, null],
    ['Ctrl+Meta+C', k('c', { ctrlKey: true, metaKey: true }), list, null],
    ['Shift+ArrowDown (selects text)', k('ArrowDown', { shiftKey: true }), list, null],
    ['ArrowDown on a card (scrolls)', k('ArrowDown'), card, null],
    ['Enter on a card (activates the focused button)', k('Enter'), card, null],
    ['Enter while an IME composes', k('Enter', { isComposing: true }), list, null],
    ['a letter', k('a'), list, null],
    ['Home (moves the caret)', k('Home'), list, null],
  ] as const)('%s', (_name, event, context, expected) => {
    expect(keyAction(event, context)).toBe(expected);
  });
});

describe('moveActive', () => {
  it.each([
    [-1, 10, 'next', 0],
    [0, 10, 'next', 1],
    [9, 10, 'next', 9],
    [-1, 10, 'previous', 9],
    [5, 10, 'previous', 4],
    [0, 10, 'previous', 0],
    [-1, 10, 'pageDown', 6],
    [2, 10, 'pageDown', 9],
    [8, 10, 'pageUp', 1],
    [3, 10, 'pageUp', 0],
    [-1, 0, 'next', -1],
    [4, 0, 'previous', -1],
  ] as const)('from %i of %i, %s → %i', (active, count, action, expected) => {
    expect(moveActive(active, count, action, 7)).toBe(expected);
  });
});

describe('visibleRange', () => {
  it.each([
    ['top', 0, 420, 60, 10_000, 3, { start: 0, end: 10 }],
    ['middle', 6000, 420, 60, 10_000, 3, { start: 97, end: 110 }],
    ['part rows', 6030, 420, 60, 10_000, 3, { start: 97, end: 111 }],
    ['end', 599_580, 420, 60, 10_000, 3, { start: 9990, end: 10_000 }],
    ['past the end', 9_999_999, 420, 60, 10_000, 3, { start: 9990, end: 10_000 }],
    ['fewer rows than fit', 0, 420, 60, 3, 3, { start: 0, end: 3 }],
    ['empty', 0, 420, 60, 0, 3, { start: 0, end: 0 }],
    ['no layout height', 0, 0, 60, 100, 0, { start: 0, end: 1 }],
    ['negative scroll (rubber band)', -50, 420, 60, 100, 0, { start: 0, end: 7 }],
  ])('%s', (_name, scrollTop, height, row, count, overscan, expected) => {
    expect(visibleRange(scrollTop, height, row, count, overscan)).toEqual(expected);
  });
});

describe('scrollTopFor', () => {
  it.each([
    ['already visible', 3, 0, 0],
    ['below: aligns its bottom', 10, 0, 11 * 60 - 420],
    ['above: aligns its top', 2, 600, 120],
    ['last visible row', 6, 0, 0],
  ])('%s', (_name, index, scrollTop, expected) => {
    expect(scrollTopFor(index, scrollTop, 420, 60)).toBe(expected);
  });
});

describe('isStale', () => {
  it.each([
    [null, 15, true],
    [NOW - 16 * 60_000, 15, true],
    [NOW - 14 * 60_000, 15, false],
    [NOW - 2 * 60_000, 0, true], // a nonsense interval counts as one minute
  ])('last sync %s, every %i min → %s', (last, interval, expected) => {
    expect(isStale(last, interval, NOW)).toBe(expected);
  });
});

describe('noticesFor', () => {
  const base = { configured: true, auth: signedIn, status: freshStatus, online: true, now: NOW };
  const err = (code: string, message = `message for ${code}`) => ({ ...freshStatus, error: { code, message } });
  it.each([
    ['all well', {}, []],
    ['not configured', { configured: false }, [['setup', "Peoplebook isn't connected to your organisation's directory yet."]]],
    ['tenant_not_set_up from the proxy', { status: err('tenant_not_set_up', 'The proxy does not know this tenant: ask your administrator.') }, [['setup', 'The proxy does not know this tenant: ask your administrator.']]],
    ['signed out: a stale sync error is not shown', { auth: { signedIn: false, account: null }, status: err('tenant_not_set_up') }, [['signed-out', 'Sign in with your work account to search the directory.']]],
    ['signed out', { auth: { signedIn: false, account: null } }, [['signed-out', 'Sign in with your work account to search the directory.']]],
    ['token refused', { status: err('not_signed_in') }, [['signed-out', 'Sign in with your work account to search the directory.']]],
    ['offline', { online: false }, [['offline', "You're offline. Last synced 1 minute ago."]]],
    ['offline, never synced', { online: false, status: { ...freshStatus, lastSyncAt: null } }, [['offline', "You're offline, and the directory hasn't been downloaded yet."]]],
    ['offline hides proxy_unreachable', { online: false, status: err('proxy_unreachable') }, [['offline', "You're offline. Last synced 1 minute ago."]]],
    ['proxy unreachable', { status: err('proxy_unreachable') }, [['error', "Can't reach the Peoplebook server. Showing the directory as of 1 minute ago."]]],
    ['consent missing', { status: err('consent_missing', 'Ask your administrator to consent.') }, [['error', 'Ask your administrator to consent.']]],
    ['storage full', { status: err('storage_full', 'Free some disk space.') }, [['error', 'Free some disk space.']]],
    ['first sync running', { status: { ...freshStatus, syncing: true, count: 0, lastSyncAt: null } }, [['syncing', 'Downloading your company directory…']]],
    ['a later sync running: no banner', { status: { ...freshStatus, syncing: true } }, []],
    ['signed out and offline', { auth: { signedIn: false, account: null }, online: false }, [['signed-out', 'Sign in with your work account to search the directory.'], ['offline', "You're offline. Last synced 1 minute ago."]]],
  ] as const)('%s', (_name, input, expected) => {
    expect(noticesFor({ ...base, ...input }).map((notice) => [notice.kind, notice.text])).toEqual(expected);
  });
});

describe('contactIdFromHash', () => {
  it.each([
    ['#contact=abc', 'abc'],
    ['#contact=a%20b', 'a b'],
    ['contact=x&other=1', 'x'],
    ['#other=1', null],
    ['#contact=', null],
    ['', null],
  ])('%s → %s', (hash, expected) => {
    expect(contactIdFromHash(hash)).toBe(expected);
  });
});
