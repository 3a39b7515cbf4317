import type { Principal } from './auth/verify-token.ts';
import type { Logger } from './logger.ts';

/** Hono environment of the proxy: what middleware puts on the context for handlers (`c.var`). */
export interface ProxyEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** Set by requireAuth on authenticated routes. */
    principal: Principal;
  };
}
