import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { buildExtension, chromiumRedirectUri, completeSignIn, emulatorSettings, launchExtension, registerSpaRedirect, writeSettings, type Envelope, type ExtensionSession } from '../helpers/extension.ts';
import { expectedMirrorSize, synced, waitForStatus } from '../helpers/onboarding.ts';
import { envTenant, startTestProxy, type TestProxy } from '../helpers/proxy.ts';

/**
 * The background's wiring end to end: after the employee signs in, the background syncs the directory
 * from a real proxy into IndexedDB with the ID token it gets from the offscreen document
 * (lib/sync.ts syncDirectory + lib/proxy-client.ts), reports it through `sync/status`, and sign-out
 * empties the local copy. The proxy allows the extension's origin by CORS (PEOPLEBOOK_ALLOWED_ORIGINS)
 * in place of the host permission an admin grants in the options page.
 */

interface SyncStatus {
  lastSyncAt: number | null;
  syncing: boolean;
  error: { code: string; message: string } | null;
  count: number;
}

let emulator: Emulator;
let proxy: TestProxy;
let ext: ExtensionSession;

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};

beforeAll(async () => {
  const [extensionDir, started] = await Promise.all([buildExtension({ entrypoints: ['background', 'offscreen'] }), startTestEmulator({ users: 200, adminConsent: true })]);
  emulator = started;
  // The tenant is configured in the proxy's environment, application mode, as a self-hosted deployment would.
  await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { delegated: ['openid', 'profile', 'email', 'offline_access', 'User.Read'], application: ['User.Read.All'] });
  ext = await launchExtension({ spki: emulator.spki, extensionDir });
  proxy = await startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_ALLOWED_ORIGINS: `chrome-extension://${ext.id}` });
  await Promise.all([registerSpaRedirect(emulator, chromiumRedirectUri(ext.id)), waitForStatus(proxy.url, emulator.tenantId, synced)]);
  await writeSettings(ext, emulatorSettings(emulator, proxy.url));
}, 60_000);

afterAll(async () => {
  await ext?.close();
  await proxy?.close();
  await emulator?.close();
});

describe('background sync (Chromium)', () => {
  it('says why nothing synced before sign-in', async () => {
    // The round the background started at install read the settings before they were written: let it end.
    await expect.poll(async () => value(await ext.send<SyncStatus>({ type: 'sync/status' })).syncing, { timeout: 10_000 }).toBe(false);
    expect(value(await ext.send<SyncStatus>({ type: 'sync/now' }))).toMatchObject({ count: 0, syncing: false, lastSyncAt: null, error: { code: 'not_signed_in' } });
  });

  it('syncs the directory from the proxy into IndexedDB once the employee signs in', async () => {
    const window = ext.context.waitForEvent('page', { timeout: 15_000 });
    const signIn = ext.send({ type: 'auth/sign-in' });
    await completeSignIn(await window, { username: emulator.employeeUpn, password: emulator.password });
    expect(value(await signIn)).toMatchObject({ signedIn: true });

    // Sign-in starts a sync; sync/now joins it (or runs the next one).
    const status = value(await ext.send<SyncStatus>({ type: 'sync/now' }));
    expect(status).toMatchObject({ error: null, syncing: false, count: expectedMirrorSize(emulator) });
    expect(status.lastSyncAt).toBeGreaterThan(Date.now() - 60_000);
  });

  it('empties the local copy on sign-out', async () => {
    value(await ext.send({ type: 'auth/sign-out' }));
    expect(value(await ext.send<SyncStatus>({ type: 'sync/status' }))).toMatchObject({ count: 0, lastSyncAt: null });
  });
});
