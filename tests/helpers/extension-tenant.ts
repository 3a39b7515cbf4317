import type { Emulator, EmulatorOptions } from '../../emulator/src/server.ts';
import { control, startTestEmulator } from './emulator.ts';
import { buildExtension, chromiumRedirectUri, completeSignIn, emulatorSettings, launchExtension, registerSpaRedirect, writeSettings, type Envelope, type ExtensionSession } from './extension.ts';
import { synced, waitForStatus } from './onboarding.ts';
import { envTenant, startTestProxy, type TestProxy } from './proxy.ts';

/**
 * An extension pointed at a tenant that is ready for its employees, the way a self-hosted deployment
 * runs: the emulator's primary tenant configured in the proxy's environment (application mode, consent
 * given), the proxy's mirror synced, the extension's redirect URI registered and its settings written as
 * the options page saves them. The proxy allows the extension's origin by CORS
 * (PEOPLEBOOK_ALLOWED_ORIGINS) in place of the host permission an admin grants in the options page.
 * Nobody is signed in yet: `signInEmployee` does that.
 *
 *   const setup = await startTenantExtension({ entrypoints: ['background', 'offscreen'] });
 *   await signInEmployee(setup);
 */

export interface TenantExtension {
  emulator: Emulator;
  proxy: TestProxy;
  ext: ExtensionSession;
  close(): Promise<void>;
}

export interface TenantExtensionOptions {
  /** The emulator's seeded directory size (default 200). */
  users?: number;
  /** Build only these entrypoints (default: all). */
  entrypoints?: string[];
  /** Host permissions the profile has already granted (helpers/extension.ts grantedHostPermissions). */
  grantedOrigins?: string[];
  /**
   * The proxy address the extension is given: where it listens (`http://127.0.0.1:<port>`, the default)
   * or its public URL (`http://localhost:<port>`), e.g. to keep 127.0.0.1 free for a test page's site.
   */
  proxyAddress?: 'listen' | 'public';
  /** Runs once the emulator is up, before the proxy mirrors the directory (e.g. to add colleagues). */
  seed?(emulator: Emulator): Promise<void>;
  emulator?: EmulatorOptions;
}

export async function startTenantExtension(options: TenantExtensionOptions = {}): Promise<TenantExtension> {
  const [extensionDir, emulator] = await Promise.all([
    buildExtension(options.entrypoints ? { entrypoints: options.entrypoints } : {}),
    startTestEmulator({ users: options.users ?? 200, adminConsent: true, ...options.emulator }),
  ]);
  let ext: ExtensionSession | undefined;
  let proxy: TestProxy | undefined;
  try {
    await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { delegated: ['openid', 'profile', 'email', 'offline_access', 'User.Read'], application: ['User.Read.All'] });
    await options.seed?.(emulator);
    ext = await launchExtension({ spki: emulator.spki, extensionDir, ...(options.grantedOrigins ? { grantedOrigins: options.grantedOrigins } : {}) });
    proxy = await startTestProxy(emulator, { ...envTenant(emulator), PEOPLEBOOK_ALLOWED_ORIGINS: `chrome-extension://${ext.id}` });
    await Promise.all([registerSpaRedirect(emulator, chromiumRedirectUri(ext.id)), waitForStatus(proxy.url, emulator.tenantId, synced)]);
    await writeSettings(ext, emulatorSettings(emulator, options.proxyAddress === 'public' ? proxy.config.publicUrl : proxy.url));
  } catch (error) {
    await ext?.close();
    await proxy?.close();
    await emulator.close();
    throw error;
  }
  const [session, running] = [ext, proxy];
  return {
    emulator,
    proxy: running,
    ext: session,
    async close() {
      await session.close();
      await running.close();
      await emulator.close();
    },
  };
}

/**
 * The employee signs in from the extension (`auth/sign-in`, completing the emulator's sign-in page in
 * the window launchWebAuthFlow opens). Resolves with the background's answer.
 */
export async function signInEmployee({ ext, emulator }: Pick<TenantExtension, 'ext' | 'emulator'>): Promise<Envelope<{ signedIn: boolean }>> {
  const window = ext.context.waitForEvent('page', { timeout: 15_000 });
  const signIn = ext.send<{ signedIn: boolean }>({ type: 'auth/sign-in' });
  await completeSignIn(await window, { username: emulator.employeeUpn, password: emulator.password });
  return signIn;
}
