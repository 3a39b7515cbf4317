import { getMeta, getPhoto, putPhoto, type DirectoryDb, type StoredPhoto } from './db.ts';
import { ProxyError, type PhotoSize, type ProxyClient } from './proxy-client.ts';

/**
 * A colleague's photo for the contact card: from the `photos` store while fresh, else from the proxy
 * (revalidated with the cached ETag, so an unchanged photo costs a 304), and cached again. A colleague
 * without a photo is cached as `missing` too, so the card asks once a day, not on every open. Offline or
 * with the proxy down, a cached photo of any age is better than none.
 */

export interface LoadPhotoOptions {
  db: DirectoryDb;
  client: Pick<ProxyClient, 'photo'>;
  id: string;
  size?: PhotoSize;
  /** How long a cached answer (photo or "none") is used without asking (default 24 h, as the proxy's). */
  maxAgeMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

export const PHOTO_MAX_AGE_MS = 24 * 3_600_000;

/** The photo as a Blob for `URL.createObjectURL`, or null when the colleague has none. */
export async function loadPhoto(options: LoadPhotoOptions): Promise<Blob | null> {
  const { db, client, id, size = '96x96', maxAgeMs = PHOTO_MAX_AGE_MS, signal } = options;
  const now = options.now ?? Date.now;
  const cached = await getPhoto(db, id, size);
  if (cached && now() - cached.fetchedAt < maxAgeMs) return toBlob(cached);
  // Synced now: if a sign-out empties the copy while the photo is on its way, it is not cached.
  const synced = (await getMeta(db, 'cursor')) !== undefined;
  let fresh: StoredPhoto;
  try {
    let answer = await client.photo(id, { size, etag: cached?.etag ?? null, signal });
    // A 304 for a copy that is gone meanwhile (sign-out, resync): ask once more without an ETag.
    if (answer.status === 'not_modified' && !cached) answer = await client.photo(id, { size, signal });
    if (answer.status === 'ok') fresh = { bytes: answer.bytes, contentType: answer.contentType, etag: answer.etag, fetchedAt: now(), missing: false };
    else if (answer.status === 'missing' || !cached) fresh = { bytes: null, contentType: null, etag: null, fetchedAt: now(), missing: true };
    else fresh = { ...cached, fetchedAt: now() };
  } catch (error) {
    if (cached && error instanceof ProxyError && (error.code === 'proxy_unreachable' || error.code === 'rate_limited')) return toBlob(cached);
    throw error;
  }
  // A full disk must not hide a photo that was fetched fine.
  await putPhoto(db, id, size, fresh, { ifSynced: synced }).catch(() => undefined);
  return toBlob(fresh);
}

function toBlob(photo: StoredPhoto): Blob | null {
  if (photo.missing || !photo.bytes || !photo.contentType) return null;
  return new Blob([photo.bytes as Uint8Array<ArrayBuffer>], { type: photo.contentType });
}
