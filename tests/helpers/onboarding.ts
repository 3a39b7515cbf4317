import type { Emulator } from '../../emulator/src/server.ts';
import { signInThroughPages, type SignInOptions } from './sign-in.ts';
import type { SetupStarted, TenantStatus } from '../../extension/lib/proxy-client.ts';

/**
 * Drives the proxy's onboarding the way the options page and the admin's browser do: POST
 * /api/azure/setup, sign in and consent on the emulator's pages, then open the callback URL Microsoft
 * redirects to (the proxy answers with an HTML page).
 */

export interface SetupBody {
  cloud?: string;
  tenant: string;
  clientId: string;
  clientSecret: string;
  graphAuth?: 'delegated' | 'application';
}

/** The proxy's answers to setup and status (the shapes the extension's client validates). */
export type { SetupStarted, TenantStatus };

/** POST /api/azure/setup; returns the raw response (tests of refusals read it). */
export function postSetup(proxyUrl: string, body: SetupBody | string): Promise<Response> {
  return fetch(`${proxyUrl}/api/azure/setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify({ cloud: 'custom', graphAuth: 'delegated', ...body }),
  });
}

/** POST /api/azure/setup that must succeed. */
export async function startSetup(proxyUrl: string, body: SetupBody): Promise<SetupStarted> {
  const response = await postSetup(proxyUrl, body);
  const text = await response.text();
  if (response.status !== 201) throw new Error(`setup answered ${response.status}: ${text}`);
  return JSON.parse(text) as SetupStarted;
}

/** The setup body for one of the emulator's seeded tenants (index 0 = primary). */
export function setupFor(emulator: Emulator, index = 0, overrides: Partial<SetupBody> = {}): SetupBody {
  const tenant = emulator.tenants[index]!;
  return { cloud: 'custom', tenant: tenant.tenantId, clientId: tenant.clientId, clientSecret: tenant.clientSecret, graphAuth: 'delegated', ...overrides };
}

/** UPN of a seeded tenant's Global Administrator (the first user of each seeded directory). */
export function adminUpnOf(emulator: Emulator, index = 0): string {
  const tenant = emulator.state.registry.get(emulator.tenants[index]!.tenantId)!;
  return tenant.directory.atPosition(0)!.userPrincipalName;
}

export interface CallbackResult {
  /** The callback URL the emulator redirected to. */
  url: URL;
  status: number;
  headers: Headers;
  html: string;
}

/** Opens the callback URL in "the browser" (a plain GET) and reads the page the proxy renders. */
export async function openCallback(url: URL | string): Promise<CallbackResult> {
  const response = await fetch(url, { redirect: 'manual' });
  return { url: new URL(url), status: response.status, headers: response.headers, html: await response.text() };
}

/**
 * Full onboarding: setup, sign-in and consent as `sign` says (default: the tenant's admin, consenting
 * for the organization in delegated mode), then the callback.
 */
export async function onboard(
  emulator: Emulator,
  proxyUrl: string,
  options: { index?: number; setup?: Partial<SetupBody>; sign?: Partial<SignInOptions> } = {},
): Promise<{ started: SetupStarted; callback: CallbackResult }> {
  const index = options.index ?? 0;
  const body = setupFor(emulator, index, options.setup);
  const started = await startSetup(proxyUrl, body);
  const delegated = (body.graphAuth ?? 'delegated') === 'delegated';
  const url = await signInThroughPages(started.authorizeUrl, {
    username: adminUpnOf(emulator, index),
    password: emulator.password,
    // The admin consent endpoint consents for the organization by itself (no checkbox).
    consentForOrganization: delegated,
    ...options.sign,
  });
  return { started, callback: await openCallback(url) };
}

export async function tenantStatus(proxyUrl: string, tenantId: string): Promise<TenantStatus> {
  const response = await fetch(`${proxyUrl}/api/v1/tenants/${tenantId}/status`);
  if (!response.ok) throw new Error(`status answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as TenantStatus;
}

/** Polls the tenant's status until `done` holds, or fails after `timeoutMs` with the last status seen. */
export async function waitForStatus(proxyUrl: string, tenantId: string, done: (status: TenantStatus) => boolean, timeoutMs = 10_000): Promise<TenantStatus> {
  const deadline = Date.now() + timeoutMs;
  let status = await tenantStatus(proxyUrl, tenantId);
  // Backs off from 20 ms to 250 ms: the status route allows 120 requests a minute per address.
  for (let delay = 20; !done(status); delay = Math.min(delay * 2, 250)) {
    if (Date.now() > deadline) throw new Error(`tenant ${tenantId} did not reach the expected status within ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, delay));
    status = await tenantStatus(proxyUrl, tenantId);
  }
  return status;
}

/** A finished first sync: the mirror holds users and the round ended well. */
export const synced = (status: TenantStatus): boolean => status.state === 'active' && !status.syncing && status.lastSync.outcome === 'ok' && status.usersMirrored > 0;

/** Users the mirror should hold with the default filters: enabled members. */
export function expectedMirrorSize(emulator: Emulator, index = 0): number {
  const tenant = emulator.state.registry.get(emulator.tenants[index]!.tenantId)!;
  let count = 0;
  for (const { user } of tenant.directory.iterate()) if (user.accountEnabled && user.userType === 'Member') count++;
  return count;
}

/** The text a person reads on a page: tags dropped, entities decoded, whitespace collapsed. */
export function pageText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (entity) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" })[entity] ?? entity)
    .replace(/\s+/g, ' ')
    .trim();
}
