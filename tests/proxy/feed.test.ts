/**
 * The changes feed extensions sync from (design.md flow 3, target "no-change poll ≤ 1 KB on the wire")
 * and the photo endpoint, against a real proxy that mirrored the emulator's directory:
 * paging from cursor 0, the empty no-change poll measured byte for byte, resync below the history
 * floor, compression, parameter validation; photos with ETag/304, cached misses, and users outside the
 * mirror.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import type { Contact } from '../../shared/contact.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { directoryOf, expectMirrorEqualsDirectory, getChanges, rawGet, readFeed } from './mirror-helpers.ts';

let emulator: Emulator;
let proxy: TestProxy;
let token: string;
let tenantId: string;
let mirror: Map<string, Contact>;

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 1_500, adminConsent: true });
  proxy = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
  tenantId = emulator.tenantId;
  expect(await proxy.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok' });
  mirror = await expectMirrorEqualsDirectory(proxy.proxy.store, emulator);
  token = await idTokenFor(emulator, emulator.employeeUpn);
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

const changesUrl = (query: string) => `${proxy.url}/api/v1/directory/changes?${query}`;
const auth = () => ({ authorization: `Bearer ${token}` });

describe('changes feed', () => {
  it('from cursor 0 lists everyone once, in pages chained by cursor and more', async () => {
    const { pages, cursor } = await readFeed(proxy.url, token, 0, 400);
    expect(pages.length).toBe(Math.ceil(mirror.size / 400));
    expect(pages.slice(0, -1).every((p) => p.more && p.upserts.length === 400)).toBe(true);
    expect(pages.at(-1)!.more).toBe(false);
    const ids = pages.flatMap((p) => p.upserts.map((u) => u.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...mirror.keys()].sort());
    for (const contact of pages.flatMap((p) => p.upserts)) expect(contact).toStrictEqual(mirror.get(contact.id));
    expect(pages.flatMap((p) => p.deletions)).toEqual([]);
    // Cursors strictly increase along the chain and end at the newest change.
    const cursors = pages.map((p) => Number(p.cursor));
    expect(cursors).toEqual([...new Set(cursors)].sort((a, b) => a - b));
    expect(Number(cursor)).toBe(await proxy.proxy.store.latestSeq(tenantId));
  });

  it('a no-change poll is an empty page under 1 KB on the wire, headers included', async ({ annotate }) => {
    const latest = await proxy.proxy.store.latestSeq(tenantId);
    const sizes: Record<string, number> = {};
    for (const [name, encoding] of [
      ['no Accept-Encoding', undefined],
      ['browser Accept-Encoding', 'gzip, deflate, br, zstd'],
    ] as const) {
      const response = await rawGet(changesUrl(`since=${latest}`), { ...auth(), ...(encoding ? { 'accept-encoding': encoding } : {}) });
      expect(response.status).toBe(200);
      // Under compress()'s 1 KB threshold: sent as is, with its length (no gzip framing, no chunks).
      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.headers['content-length']).toBe(String(response.body.length));
      expect(JSON.parse(response.body.toString())).toEqual({ cursor: String(latest), more: false, upserts: [], deletions: [] });
      const onTheWire = response.headBytes + response.wireBodyBytes;
      sizes[name] = onTheWire;
      // The socket's own count of what it read agrees with status line + headers + body.
      expect(response.socketBytes).toBeGreaterThanOrEqual(onTheWire - 16);
      expect(Math.max(onTheWire, response.socketBytes), `${name}: ${JSON.stringify(response.headers)}`).toBeLessThan(1_024);
    }
    await annotate(`no-change poll on the wire: ${JSON.stringify(sizes)} bytes`);
  });

  it('a cursor below the history floor (after pruning) answers resync; at the floor it does not', async () => {
    const directory = directoryOf(emulator);
    const cursorBefore = await proxy.proxy.store.latestSeq(tenantId);
    const victims = [...directory.iterate()]
      .map(({ user }) => user)
      .filter((u) => mirror.has(u.id) && u.userPrincipalName !== emulator.employeeUpn && directory.directReports(u.id).length === 0)
      .slice(0, 3);
    for (const user of victims) directory.remove(user.id);
    expect(await proxy.proxy.scheduler.runNow(tenantId)).toMatchObject({ outcome: 'ok', removed: 3 });
    const feed = await readFeed(proxy.url, token, cursorBefore);
    expect(feed.pages.flatMap((p) => p.deletions).sort()).toEqual(victims.map((u) => u.id).sort());

    // Tombstones older than tomorrow: all of them go, and the floor rises to the newest pruned one.
    expect(await proxy.proxy.store.pruneHistory(tenantId, new Date(Date.now() + 86_400_000))).toBe(3);
    const { historyFloor, latestSeq } = (await proxy.proxy.store.getSyncState(tenantId))!;
    expect(historyFloor).toBeGreaterThan(cursorBefore);
    expect(await getChanges(proxy.url, token, cursorBefore)).toEqual({ resync: true });
    expect(await getChanges(proxy.url, token, 1)).toEqual({ resync: true });
    // A cursor from another (newer) database must start over too.
    expect(await getChanges(proxy.url, token, latestSeq + 1000)).toEqual({ resync: true });
    // A client that already saw the pruned deletions, and a newcomer, carry on.
    expect(await getChanges(proxy.url, token, historyFloor)).toMatchObject({ more: false });
    const fresh = await readFeed(proxy.url, token, 0, 5_000);
    expect(fresh.pages.flatMap((p) => p.upserts).length).toBe(mirror.size - 3);
    // A newcomer paging in small pages is not sent back to 0 by the pruned history: its cursor carries
    // where its download began.
    const small = await readFeed(proxy.url, token, 0, 25);
    expect(small.pages.length).toBeGreaterThan(2);
    expect(small.pages.slice(0, -1).every((p) => /^\d+\.\d+$/.test(p.cursor))).toBe(true);
    expect(small.pages.at(-1)!.cursor).toBe(String(latestSeq));
    expect(new Set(small.pages.flatMap((p) => p.upserts.map((u) => u.id))).size).toBe(mirror.size - 3);
    mirror = await expectMirrorEqualsDirectory(proxy.proxy.store, emulator);
  });

  it('large pages are compressed for clients that accept gzip or deflate', async () => {
    const identity = await rawGet(changesUrl('since=0&limit=1000'), auth());
    expect(identity.headers['content-encoding']).toBeUndefined();
    const plain = JSON.parse(identity.body.toString()) as { upserts: Contact[] };
    expect(plain.upserts).toHaveLength(1000);

    for (const [accept, expected, decode] of [
      ['gzip, deflate, br, zstd', 'gzip', gunzipSync],
      ['gzip', 'gzip', gunzipSync],
      ['deflate', 'deflate', inflateSync],
    ] as const) {
      const response = await rawGet(changesUrl('since=0&limit=1000'), { ...auth(), 'accept-encoding': accept });
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe(expected);
      expect(response.headers.vary).toMatch(/accept-encoding/i);
      expect(JSON.parse(decode(response.body).toString())).toEqual(plain);
      expect(response.body.length).toBeLessThan(identity.body.length / 3);
    }
  });

  it.each([
    ['since=abc', 'since'],
    ['since=-1', 'since'],
    ['since=1.5.3', 'since'],
    ['since=1.', 'since'],
    ['since=0&limit=0', 'limit'],
    ['since=0&limit=99999', 'limit'],
    ['since=0&limit=ten', 'limit'],
  ])('%s → 400 naming the parameter', async (query, parameter) => {
    const response = await fetch(changesUrl(query), { headers: auth() });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(new RegExp(`^${parameter}\\b`));
  });
});

describe('photos', () => {
  interface GraphStats {
    requests: number;
  }
  const graphRequests = async () => (await control<GraphStats>(emulator, 'GET', '/graph/stats')).requests;
  const photoUrl = (id: string, size = '96x96') => `${proxy.url}/api/v1/directory/users/${id}/photo?size=${size}`;
  const mirrored = (test: (u: DirectoryUser) => boolean) => {
    const user = [...directoryOf(emulator).iterate()].map(({ user: u }) => u).find((u) => mirror.has(u.id) && test(u));
    if (!user) throw new Error('no such user in the directory');
    return user;
  };

  it('serves the Graph photo with an ETag, answers If-None-Match with 304, and reads Graph once', async () => {
    const user = mirrored((u) => u.hasPhoto);
    const first = await fetch(photoUrl(user.id), { headers: auth() });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^image\//);
    const bytes = new Uint8Array(await first.arrayBuffer());
    // The emulator draws PNGs: the signature is the proof these are the image's bytes.
    expect([...bytes.slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[^"]+"$/);

    const before = await graphRequests();
    const again = await fetch(photoUrl(user.id), { headers: { ...auth(), 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const cached = await fetch(photoUrl(user.id), { headers: auth() });
    expect(cached.status).toBe(200);
    expect(new Uint8Array(await cached.arrayBuffer())).toEqual(bytes);
    expect(await graphRequests()).toBe(before);
  });

  it('a colleague without a photo: 404 photo_not_found, and the miss is cached (Graph asked once)', async () => {
    const user = mirrored((u) => !u.hasPhoto);
    const first = await fetch(photoUrl(user.id, '48x48'), { headers: auth() });
    expect(first.status).toBe(404);
    expect(((await first.json()) as { error: { code: string } }).error.code).toBe('photo_not_found');
    const before = await graphRequests();
    const second = await fetch(photoUrl(user.id, '48x48'), { headers: auth() });
    expect(second.status).toBe(404);
    expect(((await second.json()) as { error: { code: string } }).error.code).toBe('photo_not_found');
    expect(await graphRequests()).toBe(before);
  });

  it('a user outside the mirror (disabled, or unknown) is a 404 without asking Graph', async () => {
    const disabled = [...directoryOf(emulator).iterate()].map(({ user }) => user).find((u) => !u.accountEnabled);
    const before = await graphRequests();
    for (const id of [disabled?.id, '00000000-0000-4000-8000-000000000000'].filter((x): x is string => Boolean(x))) {
      const response = await fetch(photoUrl(id), { headers: auth() });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('user_not_found');
    }
    expect(await graphRequests()).toBe(before);
  });
});
