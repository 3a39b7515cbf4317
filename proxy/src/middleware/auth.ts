import { createMiddleware } from 'hono/factory';
import { AuthError, type Principal } from '../auth/verify-token.ts';
import { ApiError } from '../errors.ts';
import type { ProxyEnv } from '../env.ts';

/** Directory role template ID of Global Administrator (the `wids` claim).
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
export const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';

/** Requires a valid Bearer token of an active tenant; puts the caller on `c.var.principal`. */
export function requireAuth(verify: (authorization: string | undefined) => Promise<Principal>) {
  return createMiddleware<ProxyEnv>(async (c, next) => {
    try {
      c.set('principal', await verify(c.req.header('authorization')));
    } catch (error) {
      if (error instanceof AuthError) {
        const status = error.code === 'unknown_tenant' ? 403 : 401;
        // RFC 6750 §3: tell the client why its bearer token was refused.
        throw new ApiError(status, error.code, error.message, status === 401 ? { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${error.code}"` } : {});
      }
      throw error;
    }
    await next();
  });
}

export const isAdmin = (principal: Principal): boolean => principal.roles.includes(GLOBAL_ADMINISTRATOR);
