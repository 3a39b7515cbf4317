import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { EmulatorState } from '../state.ts';
import { ADMIN_ONLY_DELEGATED, GRAPH_APP_ID } from '../tenants.ts';
import { TokenError } from '../tokens.ts';
import type { GraphCaller, GraphEnv } from './env.ts';
import { GraphError, insufficientPrivileges } from './errors.ts';

/**
 * Authentication and permissions for the users API.
 * - 401 InvalidAuthenticationToken for a missing, malformed, expired or revoked token, with the
 *   `WWW-Authenticate: Bearer` challenge Graph sends (https://learn.microsoft.com/graph/errors,
 *   https://learn.microsoft.com/graph/resolve-auth-errors).
 * - A token reads only its own tenant (`tid`).
 * - Reading other users (https://learn.microsoft.com/graph/api/user-list, user-get, user-delta
 *   "Permissions"): delegated User.ReadBasic.All (basic profile only), User.Read.All, User.ReadWrite.All,
 *   Directory.Read.All, Directory.ReadWrite.All, Directory.AccessAsUser.All; application User.Read.All,
 *   User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All. The signed-in user's own profile
 *   needs only User.Read. A permission counts only when the tenant has consented to it for the app:
 *   an administrator's grant, or (for permissions users may consent to) the user's own
 *   (https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview).
 *   Otherwise 403 Authorization_RequestDenied "Insufficient privileges to complete the operation."
 */

const FULL_DELEGATED = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'];
const BASIC_DELEGATED = ['User.ReadBasic.All'];
const SELF_DELEGATED = ['User.Read', 'User.ReadWrite'];
const FULL_APPLICATION = ['User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

function unauthenticated(origin: string, message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, {
    'WWW-Authenticate': `Bearer realm="", authorization_uri="${origin}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
  });
}

export function authentication(state: EmulatorState) {
  return createMiddleware<GraphEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthenticated(state.origin, 'Access token is empty.');
    let claims;
    try {
      claims = await state.tokens.verifyGraphToken(match[1]!);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      const messages: Record<TokenError['code'], string> = {
        invalid_token: 'IDX14100: JWT is not well formed, or its signature, issuer or audience is not valid.',
        expired: 'Lifetime validation failed, the token is expired.',
        revoked: "The user's sessions were revoked after this token was issued; sign in again.",
      };
      throw unauthenticated(state.origin, messages[error.code]);
    }
    const tenant = state.registry.get(claims.tid);
    if (!tenant) throw unauthenticated(state.origin, 'Access token validation failure. The tenant of the token does not exist.');
    c.set('caller', { claims, tenant, delegated: claims.idtyp !== 'app' });
    await next();
  });
}

/** Permissions of the caller that the tenant has consented to. */
function grantedPermissions(state: EmulatorState, caller: GraphCaller): Set<string> {
  const { claims, tenant } = caller;
  const consent = state.registry.consent(tenant, claims.appid);
  const granted = new Set<string>();
  if (caller.delegated) {
    const userGrants = consent.users.get(claims.oid);
    for (const scope of (claims.scp ?? '').split(' ').filter(Boolean)) {
      if (consent.adminDelegated.has(scope) || (!ADMIN_ONLY_DELEGATED.has(scope) && userGrants?.has(scope))) granted.add(scope);
    }
  } else {
    for (const role of claims.roles ?? []) if (consent.adminApplication.has(role)) granted.add(role);
  }
  return granted;
}

/** What the caller may read about a user: everything, or the basic profile (User.ReadBasic.All). */
export type ReadAccess = 'full' | 'basic';

/**
 * Checks the caller may read `targetId` (or, without a target, list users) and says how much.
 * Throws 403 when it may not.
 */
export function userReadAccess(state: EmulatorState, c: Context<GraphEnv>, targetId?: string): ReadAccess {
  const caller = c.get('caller');
  const granted = grantedPermissions(state, caller);
  const has = (list: string[]) => list.some((permission) => granted.has(permission));
  if (!caller.delegated) {
    if (has(FULL_APPLICATION)) return 'full';
    throw insufficientPrivileges();
  }
  if (has(FULL_DELEGATED)) return 'full';
  if (targetId !== undefined && targetId === caller.claims.oid && has(SELF_DELEGATED)) return 'full';
  if (has(BASIC_DELEGATED)) return 'basic';
  throw insufficientPrivileges();
}
