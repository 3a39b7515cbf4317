import { formatLastSync } from './contact-format.ts';
import type { TenantStatus } from './deps.ts';

/**
 * What the options page says about a tenant, from GET /api/v1/tenants/{id}/status or from the error
 * that reading it ended in. Pure, so every state's wording is tested in a table.
 */
export type StatusTone = 'ok' | 'pending' | 'error' | 'unknown';

export interface StatusView {
  tone: StatusTone;
  headline: string;
  rows: readonly (readonly [label: string, value: string])[];
  /** The last error and the step that fixes it (the proxy's AADSTS catalogue, shared/aadsts.ts). */
  problem: { message: string; fix: string } | null;
}

const when = (iso: string | null, now: number): string | null => {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : formatLastSync(at, now);
};

export function describeTenantStatus(status: TenantStatus, now: number): StatusView {
  const rows: [string, string][] = [];
  rows.push(['Users mirrored', status.usersMirrored.toLocaleString('en')]);
  const lastEnd = when(status.lastSync.end, now);
  const outcome = status.lastSync.outcome;
  rows.push(['Last sync', lastEnd ? `${lastEnd}${outcome ? ` (${outcome})` : ''}` : 'not yet']);
  if (status.syncing) rows.push(['Now', 'syncing…']);
  const next = status.nextSync ? Date.parse(status.nextSync) : NaN;
  if (!Number.isNaN(next) && next > now) rows.push(['Next sync', `in ${Math.max(1, Math.round((next - now) / 60_000))} min`]);
  rows.push(['Directory access', status.graphAuth === 'delegated' ? 'delegated (admin’s consent)' : 'application permissions']);
  if (status.secretExpiresAt) {
    const expires = Date.parse(status.secretExpiresAt);
    if (!Number.isNaN(expires)) {
      const days = Math.floor((expires - now) / 86_400_000);
      rows.push(['Client secret', days < 0 ? 'expired' : `expires in ${days} ${days === 1 ? 'day' : 'days'}`]);
    }
  }
  const problem = status.lastError ? { message: status.lastError.message, fix: status.lastError.fix } : status.missingPermissions.length > 0 ? { message: `Missing permission: ${status.missingPermissions.join(', ')}.`, fix: `In the Entra admin center > App registrations > your app > API permissions, add ${status.missingPermissions.join(', ')} (delegated), grant admin consent, then choose Save and Authorize again.` } : null;
  switch (status.state) {
    case 'pending':
      return { tone: 'pending', headline: 'Waiting for an administrator to sign in and consent in the tab that opened.', rows, problem };
    case 'error':
      return { tone: 'error', headline: 'The connection needs attention.', rows, problem };
    case 'active':
      return { tone: problem ? 'error' : 'ok', headline: status.syncing && status.usersMirrored === 0 ? 'Connected: copying the directory for the first time…' : 'Connected.', rows, problem };
  }
}

/** Reading the status failed: `code` is a ProxyError code (lib/proxy-client.ts). */
export function describeStatusFailure(error: { code?: string; message?: string }, proxyUrl: string): StatusView {
  switch (error.code) {
    case 'tenant_not_set_up':
      return { tone: 'unknown', headline: 'This tenant is not set up on the proxy yet: fill in the form and choose Save and Authorize.', rows: [], problem: null };
    case 'proxy_unreachable':
      return { tone: 'error', headline: `Can't reach the proxy at ${proxyUrl}.`, rows: [], problem: { message: error.message ?? 'No answer.', fix: 'Check the proxy URL and that the proxy is running and reachable from this computer.' } };
    case 'rate_limited':
      return { tone: 'unknown', headline: 'The proxy asked to slow down; the status refreshes shortly.', rows: [], problem: null };
    default:
      return { tone: 'error', headline: "Couldn't read the status.", rows: [], problem: { message: error.message ?? 'Unknown error.', fix: 'Check the proxy URL; if it is right, see the proxy’s log (npx peoplebook-proxy doctor).' } };
  }
}
