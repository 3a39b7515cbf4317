import { fakeBrowser } from 'wxt/testing/fake-browser';
import { describe, expect, it, vi } from 'vitest';

// @wxt-dev/browser reads globalThis.browser once, when first imported: install the fake first.
Object.assign(globalThis, { browser: fakeBrowser, chrome: fakeBrowser });
const { MessageError, onMessage, sendMessage, unwrapResponse, validateMessage } = await import('../../extension/lib/messages.ts');

const ID = 'enjganhiikhcohbgfkpldncaimpaging';
const ORIGIN = `chrome-extension://${ID}/`;
const self = { runtimeId: ID, extensionOrigin: ORIGIN };
const popup = { id: ID, url: `${ORIGIN}popup.html` };
const optionsTab = { id: ID, url: `${ORIGIN}options.html`, tab: { id: 4 } };
const offscreen = { id: ID, url: `${ORIGIN}offscreen.html` };
const serviceWorker = { id: ID, url: `${ORIGIN}background.js` };
const contentScript = { id: ID, url: 'https://intranet.contoso.com/form', tab: { id: 7 }, frameId: 0 };
const TENANT = { proxyUrl: 'https://p.contoso.com', tenantId: '2ed01029-4dd8-4be2-b13a-70a4449f51cb', clientId: 'ce6dce45-cfa7-4c17-bf55-56234eb41b46', authorityHost: 'https://login.microsoftonline.com', customAuthority: false };

describe('validateMessage', () => {
  it('accepts a request from the popup and fills in the defaults', () => {
    expect(validateMessage('background', { type: 'auth/token' }, popup, self)).toEqual({ ok: true, request: { type: 'auth/token', target: 'background', interactive: false, forceRefresh: false } });
    expect(validateMessage('background', { type: 'auth/state' }, optionsTab, self)).toMatchObject({ ok: true });
  });

  it.each([
    ['another extension', { type: 'auth/state' }, { id: 'abcdefghijklmnopabcdefghijklmnop', url: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop/x.html' }],
    ['a sender without an id (a web page through externally_connectable)', { type: 'auth/state' }, { url: 'https://evil.example/' }],
  ])('refuses %s as forbidden', (_name, message, sender) => {
    expect(validateMessage('background', message, sender, self)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('refuses everything when the receiver has no runtime id (never trusts an empty match)', () => {
    expect(validateMessage('background', { type: 'auth/state' }, { url: 'x' }, { runtimeId: '', extensionOrigin: ORIGIN })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it.each([
    ['an unknown type', { type: 'auth/steal' }],
    ['no type', { interactive: true }],
    ['not an object', 'auth/state'],
    ['null', null],
    ['an extra property', { type: 'auth/state', extra: 1 }],
    ['a wrong option type', { type: 'auth/token', forceRefresh: 'yes' }],
    ['a relay to a non-https URL', { type: 'identity/launch-web-auth-flow', url: 'http://login.example/authorize', interactive: true }],
    ['a relay without a URL', { type: 'identity/launch-web-auth-flow', interactive: true }],
  ])('refuses %s as bad_request', (_name, message) => {
    expect(validateMessage('background', message, popup, self)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });

  it.each(['auth/state', 'auth/sign-in', 'auth/sign-out', 'auth/token', 'sync/now'])('refuses the privileged %s from a content script', (type) => {
    expect(validateMessage('background', { type }, contentScript, self)).toMatchObject({ ok: false, error: { code: 'forbidden', message: expect.stringContaining("extension's own pages") } });
  });

  it('lets a content script read the sync status (no token, no directory data)', () => {
    expect(validateMessage('background', { type: 'sync/status' }, contentScript, self)).toMatchObject({ ok: true });
  });

  it('takes the identity relay from the offscreen document only', () => {
    const relay = { type: 'identity/launch-web-auth-flow', url: 'https://login.microsoftonline.com/t/oauth2/v2.0/authorize?x=1', interactive: false };
    expect(validateMessage('background', relay, offscreen, self)).toMatchObject({ ok: true });
    for (const sender of [popup, contentScript, serviceWorker]) expect(validateMessage('background', relay, sender, self)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('takes offscreen requests from the background service worker only, with a validated tenant', () => {
    expect(validateMessage('offscreen', { type: 'auth/token', target: 'offscreen', tenant: TENANT }, serviceWorker, self)).toMatchObject({ ok: true, request: { tenant: TENANT, interactive: false } });
    expect(validateMessage('offscreen', { type: 'auth/state', target: 'offscreen', tenant: null }, serviceWorker, self)).toMatchObject({ ok: true });
    for (const sender of [popup, offscreen, contentScript]) {
      expect(validateMessage('offscreen', { type: 'auth/token', target: 'offscreen', tenant: TENANT }, sender, self)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    const badTenant = { ...TENANT, authorityHost: 'http://login.evil.example' };
    expect(validateMessage('offscreen', { type: 'auth/token', target: 'offscreen', tenant: badTenant }, serviceWorker, self)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(validateMessage('offscreen', { type: 'sync/now', target: 'offscreen' }, serviceWorker, self)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});

describe('onMessage and sendMessage', () => {
  /** A runtime whose onMessage calls listeners as Chrome does: (message, sender, sendResponse). */
  const fakeRuntime = () => {
    const listeners: ((message: unknown, sender: unknown, sendResponse: (response: unknown) => void) => boolean | undefined)[] = [];
    return {
      id: ID,
      getURL: (path: string) => `${ORIGIN}${path.replace(/^\//, '')}`,
      onMessage: {
        addListener: (listener: (typeof listeners)[number]) => listeners.push(listener),
        removeListener: (listener: (typeof listeners)[number]) => listeners.splice(listeners.indexOf(listener), 1),
      },
      /** Delivers like runtime.sendMessage: the first answer wins; undefined when nobody answered. */
      deliver: (message: unknown, sender: object) =>
        new Promise<unknown>((resolve) => {
          let pending = false;
          for (const listener of listeners) if (listener(message, sender, resolve) === true) pending = true;
          if (!pending) setTimeout(() => resolve(undefined), 10);
        }),
      listeners,
    };
  };

  it('answers with the handler value in an envelope, and with its code when it throws', async () => {
    const runtime = fakeRuntime();
    const failure = Object.assign(new Error('Open Peoplebook and sign in.'), { code: 'not_signed_in' });
    onMessage(
      'background',
      {
        'auth/state': async () => ({ configured: true, signedIn: false, account: null }),
        'auth/token': () => Promise.reject(failure),
      },
      runtime as never,
    );
    await expect(runtime.deliver({ type: 'auth/state' }, popup)).resolves.toEqual({ ok: true, value: { configured: true, signedIn: false, account: null } });
    await expect(runtime.deliver({ type: 'auth/token' }, popup)).resolves.toEqual({ ok: false, error: { code: 'not_signed_in', message: 'Open Peoplebook and sign in.' } });
    await expect(runtime.deliver({ type: 'sync/now' }, popup)).resolves.toMatchObject({ ok: false, error: { code: 'unsupported' } });
  });

  it('never runs a handler for a refused message', async () => {
    const runtime = fakeRuntime();
    const signOut = vi.fn();
    onMessage('background', { 'auth/sign-out': signOut }, runtime as never);
    await expect(runtime.deliver({ type: 'auth/sign-out' }, contentScript)).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await expect(runtime.deliver({ type: 'auth/sign-out' }, { ...popup, id: 'other' })).resolves.toMatchObject({ ok: false, error: { code: 'forbidden' } });
    await expect(runtime.deliver({ type: 'auth/sign-out', now: true }, popup)).resolves.toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(signOut).not.toHaveBeenCalled();
  });

  it('leaves messages for another target to their own listener', async () => {
    const runtime = fakeRuntime();
    const background = vi.fn(async () => ({ configured: false, signedIn: false, account: null }));
    const offscreenState = vi.fn(async () => ({ configured: true, signedIn: true, account: null }));
    onMessage('background', { 'auth/state': background }, runtime as never);
    onMessage('offscreen', { 'auth/state': offscreenState }, runtime as never);
    await expect(runtime.deliver({ type: 'auth/state', target: 'offscreen', tenant: null }, serviceWorker)).resolves.toMatchObject({ ok: true, value: { signedIn: true } });
    expect(background).not.toHaveBeenCalled();
    await expect(runtime.deliver({ type: 'unrelated/thing', target: 'popup' }, popup)).resolves.toBeUndefined();
  });

  it('leaves types it does not know to the other listeners of its context', async () => {
    const runtime = fakeRuntime();
    onMessage('background', { 'auth/state': async () => ({ configured: false, signedIn: false, account: null }) }, runtime as never);
    runtime.onMessage.addListener((message, _sender, sendResponse) => {
      if ((message as { type?: string }).type !== 'other/ping') return false;
      sendResponse({ ok: true, value: 'pong' });
      return true;
    });
    await expect(runtime.deliver({ type: 'other/ping' }, contentScript)).resolves.toEqual({ ok: true, value: 'pong' });
    await expect(runtime.deliver({ type: 'auth/steal' }, popup)).resolves.toBeUndefined();
  });

  it('stops answering once removed', async () => {
    const runtime = fakeRuntime();
    const remove = onMessage('background', { 'sync/status': async () => ({ lastSyncAt: null, syncing: false, error: null, count: 0 }) }, runtime as never);
    remove();
    expect(runtime.listeners).toHaveLength(0);
  });

  it('sendMessage returns the value, or throws a MessageError with the code', async () => {
    const answering = (response: unknown) => ({ sendMessage: vi.fn(async () => response) });
    await expect(sendMessage({ type: 'sync/status' }, answering({ ok: true, value: { count: 3 } }) as never)).resolves.toEqual({ count: 3 });
    const refused = sendMessage({ type: 'auth/token' }, answering({ ok: false, error: { code: 'consent_missing', message: 'Ask your administrator.' } }) as never);
    await expect(refused).rejects.toBeInstanceOf(MessageError);
    await expect(refused).rejects.toMatchObject({ code: 'consent_missing', message: 'Ask your administrator.' });
    await expect(sendMessage({ type: 'auth/state' }, answering(undefined) as never)).rejects.toMatchObject({ code: 'no_receiver' });
    await expect(sendMessage({ type: 'auth/state' }, { sendMessage: () => Promise.reject(new Error('Could not establish connection. Receiving end does not exist.')) } as never)).rejects.toMatchObject({ code: 'no_receiver' });
    expect(() => unwrapResponse({ ok: 'yes' }, 'auth/state')).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});
