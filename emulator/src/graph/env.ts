import type { GraphTokenClaims } from '../tokens.ts';
import type { Tenant } from '../tenants.ts';

/** The caller Graph authenticated: token claims and the one tenant the token can read. */
export interface GraphCaller {
  claims: GraphTokenClaims;
  tenant: Tenant;
  /** Delegated (a signed-in user) or app-only. */
  delegated: boolean;
}

export interface GraphEnv {
  Variables: {
    requestId: string;
    clientRequestId: string;
    caller: GraphCaller;
  };
}
