import type { Context } from 'hono';
import { epochSeconds } from '../clock.ts';
import { isGuid, newGuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import type { Tenant } from '../tenants.ts';
import { aadsts, type TraceContext } from './errors.ts';

/** The `{tenant}` path segment, resolved (v2-protocols, "Endpoints"). */
export type TenantTarget =
  | { kind: 'tenant'; segment: string; tenant: Tenant }
  /** `common` (any work account) or `organizations`; there are no personal accounts in the emulator. */
  | { kind: 'generic'; segment: 'common' | 'organizations' };

/** Resolves a tenant ID, verified domain, `common` or `organizations`; anything else is AADSTS90002. */
export function resolveTenantSegment(state: EmulatorState, segment: string): TenantTarget {
  const lower = segment.toLowerCase();
  if (lower === 'common' || lower === 'organizations') return { kind: 'generic', segment: lower };
  const tenant = state.registry.resolve(segment);
  if (!tenant) throw aadsts(90002, { tenant: segment });
  return { kind: 'tenant', segment, tenant };
}

/**
 * Trace and correlation IDs for a request. MSAL sends its correlation ID as the `client-request-id`
 * header (token endpoint) or query parameter (authorize); Entra echoes it as the correlation ID.
 */
export function traceOf(c: Context, state: EmulatorState, params: Record<string, string> = {}): TraceContext {
  const sent = c.req.header('client-request-id') ?? params['client-request-id'] ?? c.req.query('client-request-id');
  return { traceId: newGuid(), correlationId: sent && isGuid(sent) ? sent : newGuid(), now: state.clock.now() };
}

/** Query parameters of a GET, or the form fields of a POST (the authorize endpoint accepts both). */
export async function readParams(c: Context): Promise<Record<string, string>> {
  const params: Record<string, string> = { ...c.req.query() };
  if (c.req.method === 'POST') {
    const body = await c.req.parseBody().catch(() => ({}));
    for (const [name, value] of Object.entries(body)) if (typeof value === 'string') params[name] = value;
  }
  return params;
}

/**
 * Epoch second to stamp on a session or refresh token: never at or before the user's last revocation, so
 * a sign-in in the same second as "Revoke sessions" still counts as after it (as tokens.ts does for JWTs).
 */
export function issueSecond(state: EmulatorState, tenantId: string, userId: string): number {
  const revoked = state.tokens.revokedBefore(tenantId, userId);
  return Math.max(epochSeconds(state.clock), revoked === undefined ? 0 : revoked + 1);
}

/** Whether something stamped `issuedAt` (epoch seconds) predates the user's revocation (refresh-tokens, "Token revocation"). */
export function isRevoked(state: EmulatorState, tenantId: string, userId: string, issuedAt: number): boolean {
  const revoked = state.tokens.revokedBefore(tenantId, userId);
  return revoked !== undefined && issuedAt <= revoked;
}

/** `client_info`: base64url of `{"uid": oid, "utid": tid}`; MSAL builds the account's home ID `<oid>.<tid>` from it. */
export const clientInfo = (userId: string, tenantId: string): string => Buffer.from(JSON.stringify({ uid: userId, utid: tenantId })).toString('base64url');
