import { createMiddleware } from 'hono/factory';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ApiError } from '../errors.ts';
import type { ProxyEnv } from '../env.ts';

/**
 * Token-bucket style limits: per signed-in user on authenticated routes (tenant + object ID), per client
 * address elsewhere. Over the limit → 429 with Retry-After (RFC 6585 §4).
 */
export function rateLimit(options: { points: number; durationSeconds: number; keyPrefix: string }) {
  const limiter = new RateLimiterMemory({ points: options.points, duration: options.durationSeconds, keyPrefix: options.keyPrefix });
  return createMiddleware<ProxyEnv>(async (c, next) => {
    const principal = c.get('principal') as ProxyEnv['Variables']['principal'] | undefined;
    let key: string;
    if (principal) key = `${principal.tenantId}:${principal.oid}`;
    else {
      try {
        key = getConnInfo(c).remote.address ?? 'unknown';
      } catch {
        key = 'unknown';
      }
    }
    try {
      const result = await limiter.consume(key);
      c.header('RateLimit-Remaining', String(result.remainingPoints));
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new ApiError(429, 'rate_limited', `Too many requests: try again in ${retryAfter} s.`, { 'Retry-After': String(retryAfter) });
    }
    await next();
  });
}
