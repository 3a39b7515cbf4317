import { decodeJwt } from 'jose';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { EXTENSION_ID } from '../../wxt.config.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { buildExtension, chromiumRedirectUri, completeSignIn, emulatorSettings, launchExtension, registerSpaRedirect, writeSettings, type Envelope, type ExtensionSession } from '../helpers/extension.ts';

/**
 * Employee sign-in in the real extension, in Debian's Chromium, against the tenant emulator:
 * identity.launchWebAuthFlow opens the emulator's sign-in page in a window (headless Chromium shows it
 * as an ordinary page of the profile, which Playwright fills in like a user would), MSAL redeems the
 * code in Chrome's offscreen document, and the background hands out ID tokens from there. Renewal is
 * driven by the emulator's clock: the refresh token path, the proactive prompt=none renewal before the
 * 24-hour SPA limit, and the prompt=none renewal after the platform refused the refresh token (both
 * silent: launchWebAuthFlow({ interactive: false }) with the emulator's session cookie, no window).
 * The tests run in order on one browser and one emulator whose clock only moves forward.
 */

interface AccountSummary {
  username: string;
  name: string | null;
  tenantId: string;
  homeAccountId: string;
}
interface AuthState {
  configured: boolean;
  signedIn: boolean;
  account: AccountSummary | null;
}
interface IdTokenResult {
  idToken: string;
  expiresOn: number;
  account: AccountSummary;
}

const HOUR_S = 3600;
let emulator: Emulator;
let ext: ExtensionSession;

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};
const token = async (options: { forceRefresh?: boolean } = {}) => value(await ext.send<IdTokenResult>({ type: 'auth/token', ...options }));
const emulatorNow = () => emulator.state.clock.now();
const advance = (seconds: number) => control(emulator, 'POST', '/clock/advance', { seconds });
const employee = () => emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
/** Authorization codes the emulator issued since `since` (clock ms): each one is a round trip through /authorize. */
const codesSince = (since: number) => [...emulator.state.identity.codes.values()].filter((code) => code.issuedAt >= since && code.clientId === emulator.clientId);
/** The newest refresh token the emulator issued to the extension for the employee. */
const newestRefreshToken = () =>
  [...emulator.state.identity.refreshTokens.values()].filter((record) => record.clientId === emulator.clientId && record.userId === employee().id).sort((a, b) => b.issuedAt - a.issuedAt)[0]!;
const msalKeys = () => ext.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('msal.')));

beforeAll(async () => {
  const [extensionDir, started] = await Promise.all([buildExtension({ entrypoints: ['background', 'offscreen'] }), startTestEmulator({ users: 200, adminConsent: true })]);
  emulator = started;
  ext = await launchExtension({ spki: emulator.spki, extensionDir });
  await registerSpaRedirect(emulator, chromiumRedirectUri(ext.id));
}, 60_000);

afterAll(async () => {
  await ext?.close();
  await emulator?.close();
});

describe('sign-in from the extension (Chromium, offscreen document)', () => {
  it('loads with the ID pinned by the manifest key, so the redirect URI is stable', () => {
    expect(ext.id).toBe(EXTENSION_ID);
  });

  it('answers tenant_not_set_up before the settings are written, and not_signed_in after', async () => {
    expect(value(await ext.send<AuthState>({ type: 'auth/state' }))).toEqual({ configured: false, signedIn: false, account: null });
    expect(await ext.send({ type: 'auth/sign-in' })).toMatchObject({ ok: false, error: { code: 'tenant_not_set_up' } });

    // Nothing listens on the proxy URL: these tests need no proxy, and the sync that follows sign-in fails quietly.
    await writeSettings(ext, emulatorSettings(emulator, 'http://127.0.0.1:9'));
    expect(value(await ext.send<AuthState>({ type: 'auth/state' }))).toEqual({ configured: true, signedIn: false, account: null });
    expect(await ext.send({ type: 'auth/token' })).toMatchObject({ ok: false, error: { code: 'not_signed_in' } });
  });

  it('signs the employee in through launchWebAuthFlow: the sign-in window is the emulator page, filled like a user', async () => {
    const window = ext.context.waitForEvent('page', { timeout: 15_000 });
    const signIn = ext.send<AuthState>({ type: 'auth/sign-in' });
    const signInPage: Page = await window;
    // The authorize request MSAL built: PKCE, the extension's redirect URI, the emulator's tenant.
    const authorize = new URL(signInPage.url());
    expect(authorize.origin + authorize.pathname).toBe(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`https://${EXTENSION_ID}.chromiumapp.org/`);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(emulator.clientId);

    await completeSignIn(signInPage, { username: emulator.employeeUpn, password: emulator.password });
    const state = value(await signIn);
    expect(state).toMatchObject({ configured: true, signedIn: true, account: { username: emulator.employeeUpn, tenantId: emulator.tenantId } });
    expect(state.account?.name).toBe(employee().displayName);
    expect(value(await ext.send<AuthState>({ type: 'auth/state' }))).toEqual(state);
  });

  it('hands out an ID token from the background (offscreen document) that the emulator issued for the employee', async () => {
    const result = await token();
    const claims = await emulator.state.tokens.verifyIssued(result.idToken, emulator.clientId);
    expect(claims).toMatchObject({ aud: emulator.clientId, iss: `${emulator.url}/${emulator.tenantId}/v2.0`, tid: emulator.tenantId, oid: employee().id, preferred_username: emulator.employeeUpn });
    expect(result.expiresOn).toBe((claims.exp ?? 0) * 1000);

    // The service worker asked Chrome's offscreen document, which holds MSAL.
    const contexts = await ext.evaluate(() =>
      (globalThis as unknown as { chrome: { runtime: { getContexts(filter: object): Promise<{ documentUrl?: string }[]> } } }).chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] }),
    );
    expect(contexts.map((context) => new URL(context.documentUrl ?? '').pathname)).toEqual(['/offscreen.html']);

    // Cached: the same token again. MSAL's cache is in the extension's localStorage, encrypted: the raw
    // token never appears. msal-browser keeps the key in a Secure session cookie, which Chromium refuses
    // on chrome-extension:// pages, so the key stays in the offscreen document's memory (next test).
    expect((await token()).idToken).toBe(result.idToken);
    const storage = await ext.evaluate(() => ({ values: Object.entries(localStorage).filter(([key]) => key.startsWith('msal.')).map(([, v]) => v), cookie: document.cookie }));
    expect(storage.values.length).toBeGreaterThan(0);
    expect(storage.values.some((entry) => entry.includes(result.idToken))).toBe(false);
    expect(storage.cookie).not.toContain('msal.cache.encryption');
  });

  it('renews silently for the remembered account when the offscreen document (and its cache key) is gone, as after a browser restart', async () => {
    const before = await token();
    await ext.evaluate(() => (globalThis as unknown as { chrome: { offscreen: { closeDocument(): Promise<void> } } }).chrome.offscreen.closeDocument());
    // A new offscreen document can't read the cache, but still shows who is signed in.
    expect(value(await ext.send<AuthState>({ type: 'auth/state' }))).toMatchObject({ signedIn: true, account: { username: emulator.employeeUpn } });
    const mark = emulatorNow();
    const pages = ext.context.pages().length;
    const renewed = await token();
    expect(renewed.idToken).not.toBe(before.idToken);
    expect(renewed.account.username).toBe(emulator.employeeUpn);
    // A prompt=none authorize answered from the emulator's session cookie, without a window.
    expect(codesSince(mark)).toHaveLength(1);
    expect(ext.context.pages()).toHaveLength(pages);
  });

  it('renews the ID token with the refresh token after the emulator clock passes its lifetime (no window, no authorize)', async () => {
    const before = await token();
    await advance(2 * HOUR_S);
    const mark = emulatorNow();
    const pages = ext.context.pages().length;
    const renewed = await token({ forceRefresh: true });
    expect(renewed.idToken).not.toBe(before.idToken);
    // The old one is expired at the emulator's time, the new one is valid.
    await expect(emulator.state.tokens.verifyIssued(before.idToken, emulator.clientId)).rejects.toMatchObject({ code: 'expired' });
    const claims = await emulator.state.tokens.verifyIssued(renewed.idToken, emulator.clientId);
    expect((claims.iat ?? 0) * 1000).toBeGreaterThanOrEqual(mark - 1000);
    expect(codesSince(mark)).toHaveLength(0);
    expect(ext.context.pages()).toHaveLength(pages);
  });

  it('renews the 24-hour SPA refresh token well before it ends, with a silent prompt=none authorize', async () => {
    // 19 hours after sign-in the refresh token has 5 left: redeeming it still works, and the emulator
    // says how long the rotated token lives (refresh_token_expires_in), which MSAL records.
    await advance(17 * HOUR_S);
    const signInRefreshToken = newestRefreshToken();
    await token({ forceRefresh: true });
    expect(newestRefreshToken().expiresAt).toBe(signInRefreshToken.expiresAt);

    // Less than RENEW_BEFORE_S (6 h) left: the next renewal gets a new session instead of using it.
    const mark = emulatorNow();
    const pages = ext.context.pages().length;
    const renewed = await token({ forceRefresh: true });
    const [code] = codesSince(mark);
    expect(code, 'a prompt=none authorize round trip').toBeDefined();
    expect(code!.redeemedAt).toBeDefined();
    expect(ext.context.pages()).toHaveLength(pages);
    const fresh = newestRefreshToken();
    expect(fresh.expiresAt! - emulatorNow()).toBeGreaterThan(23 * HOUR_S * 1000);
    await expect(emulator.state.tokens.verifyIssued(renewed.idToken, emulator.clientId)).resolves.toMatchObject({ oid: employee().id });
  });

  it('renews silently after the platform refuses the refresh token (AADSTS700084 past 24 hours)', async () => {
    const before = newestRefreshToken();
    await advance(25 * HOUR_S);
    expect(emulatorNow()).toBeGreaterThan(before.expiresAt!);
    const mark = emulatorNow();
    const pages = ext.context.pages().length;
    const renewed = await token({ forceRefresh: true });
    expect(codesSince(mark)).toHaveLength(1);
    expect(ext.context.pages()).toHaveLength(pages);
    await expect(emulator.state.tokens.verifyIssued(renewed.idToken, emulator.clientId)).resolves.toMatchObject({ preferred_username: emulator.employeeUpn });
    expect(decodeJwt(renewed.idToken).iat! * 1000).toBeGreaterThanOrEqual(mark - 1000);
  });

  it('asks for sign-in again (interaction_required) when the session ended too, without opening a window', async () => {
    await control(emulator, 'POST', `/tenants/${emulator.tenantId}/users/${employee().id}/revoke`);
    const pages = ext.context.pages().length;
    expect(await ext.send({ type: 'auth/token', forceRefresh: true })).toMatchObject({ ok: false, error: { code: 'interaction_required' } });
    expect(ext.context.pages()).toHaveLength(pages);
  });

  it('signs out: MSAL cache, account and cached directory are gone, and no token is handed out', async () => {
    // Sign in again (the revocation ended the emulator session, so the sign-in page shows).
    const window = ext.context.waitForEvent('page', { timeout: 15_000 });
    const signIn = ext.send<AuthState>({ type: 'auth/sign-in' });
    await completeSignIn(await window, { username: emulator.employeeUpn, password: emulator.password });
    expect(value(await signIn).signedIn).toBe(true);
    await token();
    expect((await msalKeys()).length).toBeGreaterThan(0);

    // A colleague in the cached directory (lib/db.ts: database "peoplebook", store "chunks").
    const count = () =>
      ext.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const open = indexedDB.open('peoplebook');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const request = open.result.transaction('chunks').objectStore('chunks').count();
              request.onsuccess = () => {
                open.result.close();
                resolve(request.result);
              };
            };
          }),
      );
    await ext.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('peoplebook');
          open.onsuccess = () => {
            const tx = open.result.transaction('chunks', 'readwrite');
            const contact = { id: 'c0ffee00-0000-4000-8000-000000000001', displayName: 'Cached Colleague', managerId: null };
            tx.objectStore('chunks').put({ contacts: [contact], ids: [contact.id], nameKeys: ['cached colleague'], managerIds: [] });
            tx.oncomplete = () => {
              open.result.close();
              resolve();
            };
            tx.onerror = () => reject(tx.error);
          };
          open.onerror = () => reject(open.error);
        }),
    );
    expect(await count()).toBeGreaterThan(0);

    expect(value(await ext.send<AuthState>({ type: 'auth/sign-out' }))).toEqual({ configured: true, signedIn: false, account: null });
    expect(await msalKeys()).toEqual([]);
    expect(await ext.evaluate(() => localStorage.getItem('peoplebook.auth.accountHint'))).toBeNull();
    expect(await count()).toBe(0);
    expect(value(await ext.send<AuthState>({ type: 'auth/state' }))).toEqual({ configured: true, signedIn: false, account: null });
    expect(await ext.send({ type: 'auth/token' })).toMatchObject({ ok: false, error: { code: 'not_signed_in' } });
  });
});
