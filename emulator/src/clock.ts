/**
 * The emulator's notion of "now". Tests move it forward to reach token expiry, refresh-token
 * lifetimes and delta-token expiry without waiting.
 */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now() but shifted by every advance(). */
  now(): number;
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void;
}

export function createClock(base: () => number = Date.now): Clock {
  let offset = 0;
  return {
    now: () => base() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('clock.advance takes a non-negative number of milliseconds');
      offset += ms;
    },
  };
}

/** Seconds since the epoch, as JWT `iat`/`nbf`/`exp` want them. */
export const epochSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);
