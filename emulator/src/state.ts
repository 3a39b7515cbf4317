import type { Clock } from './clock.ts';
import type { KeyStore } from './keys.ts';
import type { TenantRegistry } from './tenants.ts';
import type { TokenService } from './tokens.ts';
import type { GraphRuntime } from './graph/runtime.ts';
import type { IdentityRuntime } from './identity/runtime.ts';

/** Everything the emulator's routes share. Built once per emulator by createEmulator(). */
export interface EmulatorState {
  /** `https://localhost:<port>`: the identity host and Graph host (Graph under `/v1.0`). */
  readonly origin: string;
  readonly clock: Clock;
  readonly keys: KeyStore;
  readonly tokens: TokenService;
  readonly registry: TenantRegistry;
  /** Graph's own state: fault injection, throttling budgets, delta-token bookkeeping. */
  readonly graph: GraphRuntime;
  /** The identity platform's own state: authorization codes, refresh tokens, sign-in sessions. */
  readonly identity: IdentityRuntime;
}
