/**
 * What "the mirror is exact" means, in one place, for the sync, crash, feed and export tests:
 * the live users of the proxy's store are exactly the emulator's users that pass the mirror filters,
 * each with every Contact field equal to the emulator's user.
 */
import http from 'node:http';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { Directory, DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import { toContact } from '../../emulator/src/directory/to-contact.ts';
import type { Contact } from '../../shared/contact.ts';
import type { Store } from '../../proxy/src/store/types.ts';
import type { MirrorFilters } from '../../proxy/src/sync/delta-mapping.ts';

export const DEFAULT_FILTERS: MirrorFilters = { includeGuests: false, includeDisabled: false };

export function directoryOf(emulator: Emulator, tenantId = emulator.tenantId): Directory {
  const tenant = emulator.state.registry.get(tenantId);
  if (!tenant) throw new Error(`no tenant ${tenantId} in the emulator`);
  return tenant.directory;
}

export { toContact };

export function passesFilters(user: DirectoryUser, filters: MirrorFilters = DEFAULT_FILTERS): boolean {
  return (filters.includeDisabled || user.accountEnabled !== false) && (filters.includeGuests || user.userType !== 'Guest');
}

/** The emulator's directory as the mirror must hold it, by id. */
export function expectedMirror(emulator: Emulator, tenantId = emulator.tenantId, filters: MirrorFilters = DEFAULT_FILTERS): Map<string, Contact> {
  const expected = new Map<string, Contact>();
  for (const { user } of directoryOf(emulator, tenantId).iterate()) if (passesFilters(user, filters)) expected.set(user.id, toContact(user));
  return expected;
}

/** Every live user of the mirror, by id; fails on a duplicate id. */
export async function mirrorOf(store: Store, tenantId: string): Promise<Map<string, Contact>> {
  const mirror = new Map<string, Contact>();
  const duplicates: string[] = [];
  for await (const contact of store.listUsers(tenantId)) {
    if (mirror.has(contact.id)) duplicates.push(contact.id);
    mirror.set(contact.id, contact);
  }
  expect(duplicates, 'duplicate ids in the mirror').toEqual([]);
  return mirror;
}

/**
 * The mirror equals the emulator's directory: same ids, every Contact field equal, no duplicates, and
 * the counters (countUsers, sync state's usersMirrored) agree. Returns the mirror.
 */
export async function expectMirrorEqualsDirectory(store: Store, emulator: Emulator, tenantId = emulator.tenantId, filters: MirrorFilters = DEFAULT_FILTERS): Promise<Map<string, Contact>> {
  const expected = expectedMirror(emulator, tenantId, filters);
  const mirror = await mirrorOf(store, tenantId);
  const missing = [...expected.keys()].filter((id) => !mirror.has(id));
  const extra = [...mirror.keys()].filter((id) => !expected.has(id));
  const differing = [...expected.entries()]
    .filter(([id, contact]) => mirror.has(id) && JSON.stringify(sorted(mirror.get(id)!)) !== JSON.stringify(sorted(contact)))
    .slice(0, 5)
    .map(([id, contact]) => ({ id, mirror: mirror.get(id), directory: contact }));
  expect({ missing: missing.slice(0, 10), extra: extra.slice(0, 10), differing }, `mirror of ${tenantId} vs the emulator (${missing.length} missing, ${extra.length} extra)`).toEqual({
    missing: [],
    extra: [],
    differing: [],
  });
  // Field by field, so a difference in a key the JSON comparison can't see (undefined) shows too.
  for (const [id, contact] of expected) expect(mirror.get(id)).toStrictEqual(contact);
  expect(await store.countUsers(tenantId)).toBe(expected.size);
  expect((await store.getSyncState(tenantId))?.usersMirrored).toBe(expected.size);
  return mirror;
}

const sorted = (contact: Contact): Record<string, unknown> => Object.fromEntries(Object.entries(contact).sort(([a], [b]) => a.localeCompare(b)));

// ---- The changes feed over HTTP -----------------------------------------------------------------

export interface FeedPage {
  cursor: string;
  more: boolean;
  upserts: Contact[];
  deletions: string[];
}

export async function getChanges(baseUrl: string, token: string, since: number | string, limit?: number): Promise<FeedPage | { resync: true }> {
  const query = new URLSearchParams({ since: String(since), ...(limit === undefined ? {} : { limit: String(limit) }) });
  const response = await fetch(`${baseUrl}/api/v1/directory/changes?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`changes?${query} answered ${response.status}: ${text}`);
  return JSON.parse(text) as FeedPage | { resync: true };
}

/** Follows `more`/`cursor` from `since` to the end; returns every page and the final cursor. */
export async function readFeed(baseUrl: string, token: string, since: number | string, limit?: number): Promise<{ pages: FeedPage[]; cursor: string }> {
  const pages: FeedPage[] = [];
  let cursor = String(since);
  for (let i = 0; i < 10_000; i++) {
    const page = await getChanges(baseUrl, token, cursor, limit);
    if ('resync' in page) throw new Error(`the feed asked for a resync from cursor ${cursor}`);
    pages.push(page);
    const position = (c: string) => Number(c.split('.')[0]);
    expect(position(page.cursor), 'the cursor never goes back').toBeGreaterThanOrEqual(position(cursor));
    cursor = page.cursor;
    if (!page.more) return { pages, cursor };
  }
  throw new Error('the feed did not end');
}

/** The seq of every row (live or tombstone) of a tenant, read from the SQLite file. */
export function seqsOf(dbFile: string, tenantId: string): Map<string, number> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare<[string], { id: string; seq: number }>('SELECT id, seq FROM users WHERE tenant_id = ?').all(tenantId);
    return new Map(rows.map((row) => [row.id, row.seq]));
  } finally {
    db.close();
  }
}

// ---- Raw HTTP, for bytes on the wire -------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Status line + header lines + blank line, as received (HTTP/1.1 framing). */
  headBytes: number;
  /** Body bytes as received (compressed and chunk-framed if so). */
  wireBodyBytes: number;
  /** Bytes the socket read for this response (fresh connection). */
  socketBytes: number;
  body: Buffer;
}

/** One GET on a fresh connection, counting what came over the wire. */
export function rawGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'GET', headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const statusLine = `HTTP/${response.httpVersion} ${response.statusCode} ${response.statusMessage}\r\n`;
        let head = statusLine;
        for (let i = 0; i < response.rawHeaders.length; i += 2) head += `${response.rawHeaders[i]}: ${response.rawHeaders[i + 1]}\r\n`;
        head += '\r\n';
        const body = Buffer.concat(chunks);
        const chunked = /chunked/i.test(String(response.headers['transfer-encoding'] ?? ''));
        // Chunk framing: "<hex size>\r\n<data>\r\n" per chunk and "0\r\n\r\n" at the end (RFC 9112 §7.1);
        // node hands over one chunk per data event at most, so this is an upper bound.
        const framing = chunked ? chunks.reduce((sum, chunk) => sum + chunk.length.toString(16).length + 4, 0) + 5 : 0;
        const socket = response.socket;
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          headBytes: Buffer.byteLength(head, 'latin1'),
          wireBodyBytes: body.length + framing,
          socketBytes: socket?.bytesRead ?? 0,
          body,
        });
        socket?.destroy();
      });
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
