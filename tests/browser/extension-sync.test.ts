import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import type { Envelope, ExtensionSession } from '../helpers/extension.ts';
import { signInEmployee, startTenantExtension, type TenantExtension } from '../helpers/extension-tenant.ts';
import { expectedMirrorSize } from '../helpers/onboarding.ts';

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

let setup: TenantExtension;
let emulator: Emulator;
let ext: ExtensionSession;

const value = <T>(envelope: Envelope<T>): T => {
  if (!envelope.ok) throw new Error(`${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value;
};

beforeAll(async () => {
  // The tenant is configured in the proxy's environment, application mode, as a self-hosted deployment would.
  setup = await startTenantExtension({ users: 200, entrypoints: ['background', 'offscreen'] });
  ({ emulator, ext } = setup);
}, 60_000);

afterAll(async () => {
  await setup?.close();
});

describe('background sync (Chromium)', () => {
  it('says why nothing synced before sign-in', async () => {
    // The round the background started at install read the settings before they were written: let it end.
    await expect.poll(async () => value(await ext.send<SyncStatus>({ type: 'sync/status' })).syncing, { timeout: 10_000 }).toBe(false);
    expect(value(await ext.send<SyncStatus>({ type: 'sync/now' }))).toMatchObject({ count: 0, syncing: false, lastSyncAt: null, error: { code: 'not_signed_in' } });
  });

  it('syncs the directory from the proxy into IndexedDB once the employee signs in', async () => {
    expect(value(await signInEmployee(setup))).toMatchObject({ signedIn: true });

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
