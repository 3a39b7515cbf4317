import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Opaque `$skiptoken` / `$deltatoken` values. Graph's state tokens are opaque to clients and encode the
 * query options of the initial request (https://learn.microsoft.com/graph/delta-query-overview,
 * "State tokens"). Here a token is base64url(version ‖ HMAC-SHA256(key)[0..16] ‖ JSON): clients cannot
 * read or forge one, and a token of another tenant fails the MAC (the key derives from the tenant).
 * The key depends only on the tenant ID, so a restarted emulator recognises its tokens and can answer
 * them with a sync reset instead of "garbled".
 */

const VERSION = 1;
const MAC_BYTES = 16;

const keyFor = (tenantId: string): Buffer => createHash('sha256').update(`peoplebook-emulator/graph-state/${tenantId}`).digest();

export function sealToken(tenantId: string, payload: object): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const mac = createHmac('sha256', keyFor(tenantId)).update(body).digest().subarray(0, MAC_BYTES);
  return Buffer.concat([Buffer.from([VERSION]), mac, body]).toString('base64url');
}

/** The payload, or undefined when the token is malformed or was not sealed for this tenant. */
export function openToken<T>(tenantId: string, token: string): T | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64url');
  if (bytes.length <= 1 + MAC_BYTES || bytes[0] !== VERSION) return undefined;
  const mac = bytes.subarray(1, 1 + MAC_BYTES);
  const body = bytes.subarray(1 + MAC_BYTES);
  const expected = createHmac('sha256', keyFor(tenantId)).update(body).digest().subarray(0, MAC_BYTES);
  if (!timingSafeEqual(mac, expected)) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Short stable hash of a query's options, bound into `/users` skip tokens. */
export const queryHash = (parts: readonly unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
