import type { Context } from 'hono';
import type { GraphEnv } from './env.ts';
import { directoryBadRequest, unsupportedQuery } from './errors.ts';

/**
 * Query options as Graph reads them: names are case-insensitive (`$skipToken` = `$skiptoken`), the
 * `$` prefix is optional on v1.0 (https://learn.microsoft.com/graph/query-parameters), and only the
 * first occurrence counts.
 */
export function queryOptions(url: URL): Map<string, string> {
  const options = new Map<string, string>();
  for (const [rawKey, value] of url.searchParams) {
    let key = rawKey.toLowerCase();
    if (!key.startsWith('$') && ['select', 'filter', 'top', 'count', 'search', 'orderby', 'expand', 'skip', 'skiptoken', 'deltatoken'].includes(key)) {
      key = `$${key}`;
    }
    if (!options.has(key)) options.set(key, value);
  }
  return options;
}

/** `ConsistencyLevel: eventual`, the header that turns on advanced queries (aad-advanced-queries). */
export const isEventual = (c: Context<GraphEnv>): boolean => (c.req.header('consistencylevel') ?? '').trim().toLowerCase() === 'eventual';

/** `$top`: 1–999 for users (user-list), else Graph's 400. */
export function parseTop(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\s*-?\d+\s*$/.test(raw) || value < 1 || value > 999) {
    throw unsupportedQuery(`Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`);
  }
  return value;
}

/** `$count=true|false`; anything else is a syntax error. */
export function parseCount(raw: string | undefined): boolean {
  if (raw === undefined) return false;
  const value = raw.trim().toLowerCase();
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw directoryBadRequest(`Invalid value '${raw}' for $count; use true or false.`);
}

/** Prefer header parts: `odata.maxpagesize=N` and `return=minimal` (RFC 7240; OData 4.01 §8.2.8). */
export function parsePrefer(header: string | undefined): { maxPageSize?: number; minimal: boolean } {
  const result: { maxPageSize?: number; minimal: boolean } = { minimal: false };
  for (const part of (header ?? '').split(',')) {
    const [name, value] = part.split('=').map((s) => s.trim().replace(/^"|"$/g, ''));
    if (!name) continue;
    if (name.toLowerCase() === 'odata.maxpagesize' && value && /^\d+$/.test(value) && Number(value) > 0) result.maxPageSize = Number(value);
    if (name.toLowerCase() === 'return' && value?.toLowerCase() === 'minimal') result.minimal = true;
  }
  return result;
}

/**
 * The raw query string without `$skiptoken`, so a nextLink repeats the client's own options as Graph's
 * nextLinks do (user-list, https://learn.microsoft.com/graph/paging).
 */
export function queryWithoutSkipToken(url: URL): string {
  return url.search
    .replace(/^\?/, '')
    .split('&')
    .filter((part) => part !== '' && !/^\$?skiptoken=/i.test(part) && !/^%24skiptoken=/i.test(part))
    .join('&');
}
