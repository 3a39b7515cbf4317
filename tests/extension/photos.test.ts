/**
 * Cached photos for the contact card (extension/lib/photos.ts): fresh from the cache, revalidated with the
 * ETag when old, misses cached too, and a cached photo of any age when the proxy cannot be reached.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { clearDirectory, getPhoto, openDirectoryDb, putPhoto, setMeta } from '../../extension/lib/db.ts';
import { loadPhoto, PHOTO_MAX_AGE_MS } from '../../extension/lib/photos.ts';
import { ProxyError, type PhotoResult, type ProxyClient } from '../../extension/lib/proxy-client.ts';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
const open = () => openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
const clientAnswering = (...answers: (PhotoResult | Error)[]) => {
  const photo = vi.fn(async (_id: string, _options?: { etag?: string | null }): Promise<PhotoResult> => {
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { photo } satisfies Pick<ProxyClient, 'photo'>;
};
const bytesOf = async (blob: Blob | null) => (blob ? new Uint8Array(await blob.arrayBuffer()) : null);

describe('loadPhoto', () => {
  it('fetches once, then answers from the cache while fresh', async () => {
    const db = await open();
    const client = clientAnswering({ status: 'ok', bytes: JPEG, contentType: 'image/jpeg', etag: '"v1"' });
    const first = await loadPhoto({ db, client, id: 'a', now: () => 1_000 });
    expect(first?.type).toBe('image/jpeg');
    expect(await bytesOf(first)).toEqual(JPEG);
    expect(await bytesOf(await loadPhoto({ db, client, id: 'a', now: () => 1_000 + PHOTO_MAX_AGE_MS - 1 }))).toEqual(JPEG);
    expect(client.photo).toHaveBeenCalledTimes(1);
  });

  it('revalidates an old copy with its ETag; a 304 keeps the bytes and renews the date', async () => {
    const db = await open();
    await putPhoto(db, 'a', '96x96', { bytes: JPEG, contentType: 'image/jpeg', etag: '"v1"', fetchedAt: 0, missing: false });
    const client = clientAnswering({ status: 'not_modified' });
    expect(await bytesOf(await loadPhoto({ db, client, id: 'a', now: () => PHOTO_MAX_AGE_MS + 5 }))).toEqual(JPEG);
    expect(client.photo.mock.calls[0]![1]).toMatchObject({ etag: '"v1"' });
    expect((await getPhoto(db, 'a', '96x96'))?.fetchedAt).toBe(PHOTO_MAX_AGE_MS + 5);
  });

  it('caches "no photo" so the card does not ask again today', async () => {
    const db = await open();
    const client = clientAnswering({ status: 'missing' });
    expect(await loadPhoto({ db, client, id: 'b', now: () => 10 })).toBeNull();
    expect(await loadPhoto({ db, client, id: 'b', now: () => 20 })).toBeNull();
    expect(client.photo).toHaveBeenCalledTimes(1);
  });

  it('offline: an old cached photo is better than none; without one the error is passed on', async () => {
    const db = await open();
    await putPhoto(db, 'a', '96x96', { bytes: JPEG, contentType: 'image/jpeg', etag: '"v1"', fetchedAt: 0, missing: false });
    const down = () => new ProxyError('proxy_unreachable', 'down');
    expect(await bytesOf(await loadPhoto({ db, client: clientAnswering(down()), id: 'a', now: () => 1e12 }))).toEqual(JPEG);
    await expect(loadPhoto({ db, client: clientAnswering(down()), id: 'zz' })).rejects.toMatchObject({ code: 'proxy_unreachable' });
    await expect(loadPhoto({ db, client: clientAnswering(new ProxyError('not_signed_in', 'sign in')), id: 'a', now: () => 1e12 })).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('a 304 for a copy that vanished meanwhile asks again without an ETag', async () => {
    const db = await open();
    const client = clientAnswering({ status: 'not_modified' }, { status: 'ok', bytes: JPEG, contentType: 'image/png', etag: null });
    expect((await loadPhoto({ db, client, id: 'c' }))?.type).toBe('image/png');
    expect(client.photo.mock.calls[1]![1]?.etag).toBeUndefined();
  });

  it('a photo that arrives after a sign-out emptied the copy is shown but not cached', async () => {
    const db = await open();
    await setMeta(db, 'cursor', '42');
    const photo = vi.fn(async (): Promise<PhotoResult> => {
      await clearDirectory(db); // the employee signs out while the request is on its way
      return { status: 'ok', bytes: JPEG, contentType: 'image/jpeg', etag: '"v1"' };
    });
    expect(await bytesOf(await loadPhoto({ db, client: { photo }, id: 'a' }))).toEqual(JPEG);
    expect(await getPhoto(db, 'a', '96x96')).toBeUndefined();
    // Synced, and still synced when it arrives: cached as before.
    await setMeta(db, 'cursor', '43');
    await loadPhoto({ db, client: clientAnswering({ status: 'ok', bytes: JPEG, contentType: 'image/jpeg', etag: '"v1"' }), id: 'a' });
    expect((await getPhoto(db, 'a', '96x96'))?.etag).toBe('"v1"');
  });
});
