import { createHash } from 'node:crypto';
import type { Context, Hono } from 'hono';
import type { DirectoryUser } from '../directory/types.ts';
import type { EmulatorState } from '../state.ts';
import { initialsOf, renderAvatar } from './avatar.ts';
import type { GraphEnv } from './env.ts';
import { imageNotFound } from './errors.ts';
import { graphJson } from './middleware.ts';
import { targetUser } from './users.ts';

/**
 * Profile photos, https://learn.microsoft.com/graph/api/profilephoto-get:
 * - `/photo` is the metadata of the largest available size (`@odata.mediaEtag`, `width`, `height`),
 *   `/photo/$value` its bytes; `/photos` lists the sizes; `/photos/{size}` and `/photos/{size}/$value`
 *   one size. HD sizes are 48, 64, 96, 120, 240, 360, 432, 504 and 648 pixels square.
 * - "If the size you request is not available, you can still get a smaller size": each user's upload
 *   has a largest size (648 for most, 240 or 504 for some, chosen from the user ID); larger sizes are 404.
 * - No photo: 404 ImageNotFound.
 * - The bytes carry an ETag derived from the user and photo version; `If-None-Match` gives 304.
 * Differences: PNG instead of JPEG (Content-Type says so), and photos cost identity resource units here
 * although Graph serves them from Exchange with its own limits.
 */

export const PHOTO_SIZES = [48, 64, 96, 120, 240, 360, 432, 504, 648] as const;

/** Largest size the user "uploaded": deterministic from the ID. */
export function largestPhotoSize(user: DirectoryUser): number {
  const byte = createHash('sha256').update(`photo:${user.id}`).digest()[0]!;
  if (byte < 26) return 240;
  if (byte < 52) return 504;
  return 648;
}

/** The photo's ETag value (quoted), shared by the metadata's `@odata.mediaEtag` and the bytes. */
export function photoEtag(user: DirectoryUser): string {
  return `"${createHash('sha256').update(`${user.id}:${user.photoVersion}`).digest('hex').slice(0, 8).toUpperCase()}"`;
}

function parseSize(raw: string): number | undefined {
  const match = /^(\d+)x(\d+)$/i.exec(raw);
  if (!match || match[1] !== match[2]) return undefined;
  const size = Number(match[1]);
  return (PHOTO_SIZES as readonly number[]).includes(size) ? size : undefined;
}

function photoUser(state: EmulatorState, c: Context<GraphEnv>, key: string | undefined): DirectoryUser {
  const { user } = targetUser(state, c, key);
  if (!user.hasPhoto) throw imageNotFound();
  return user;
}

function metadata(state: EmulatorState, user: DirectoryUser, size: number, context: string): Record<string, unknown> {
  return {
    '@odata.context': context,
    '@odata.mediaContentType': 'image/png',
    '@odata.mediaEtag': photoEtag(user),
    id: `${size}X${size}`,
    width: size,
    height: size,
  };
}

function sizeOrNotFound(user: DirectoryUser, raw: string | undefined): number {
  const largest = largestPhotoSize(user);
  if (raw === undefined) return largest;
  const size = parseSize(raw);
  if (size === undefined || size > largest) throw imageNotFound();
  return size;
}

function photoBytes(state: EmulatorState, c: Context<GraphEnv>, user: DirectoryUser, size: number): Response {
  const etag = photoEtag(user);
  const headers = { ETag: etag, 'Cache-Control': 'private, max-age=3600' };
  const ifNoneMatch = c.req.header('if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}` || tag.trim() === '*')) {
    return c.body(null, 304, headers);
  }
  const tenantId = c.get('caller').tenant.config.id;
  const png = state.graph.photos.get(`${tenantId}/${user.id}/${user.photoVersion}/${size}`, () =>
    renderAvatar({ key: user.id, initials: initialsOf(user), size }),
  );
  return c.body(new Uint8Array(png), 200, { ...headers, 'Content-Type': 'image/png', 'Content-Length': String(png.length) });
}

export function registerPhotoRoutes(app: Hono<GraphEnv>, state: EmulatorState): void {
  const routes: [string, (c: Context<GraphEnv>) => string | undefined][] = [
    ['/me', () => undefined],
    ['/users/:key', (c) => c.req.param('key')],
  ];
  for (const [prefix, keyOf] of routes) {
    const contextBase = (c: Context<GraphEnv>, user: DirectoryUser) =>
      `${state.origin}/v1.0/$metadata#users('${encodeURIComponent(keyOf(c) ?? user.id)}')`;
    app.get(`${prefix}/photo`, (c) => {
      const user = photoUser(state, c, keyOf(c));
      return graphJson(c, metadata(state, user, largestPhotoSize(user), `${contextBase(c, user)}/photo/$entity`));
    });
    app.get(`${prefix}/photo/$value`, (c) => {
      const user = photoUser(state, c, keyOf(c));
      return photoBytes(state, c, user, largestPhotoSize(user));
    });
    app.get(`${prefix}/photos`, (c) => {
      const user = photoUser(state, c, keyOf(c));
      const largest = largestPhotoSize(user);
      const context = `${contextBase(c, user)}/photos`;
      return graphJson(c, {
        '@odata.context': context,
        value: PHOTO_SIZES.filter((size) => size <= largest).map((size) => {
          const { '@odata.context': _unused, ...entry } = metadata(state, user, size, context);
          return entry;
        }),
      });
    });
    app.get(`${prefix}/photos/:size`, (c) => {
      const user = photoUser(state, c, keyOf(c));
      const size = sizeOrNotFound(user, c.req.param('size'));
      return graphJson(c, metadata(state, user, size, `${contextBase(c, user)}/photos/$entity`));
    });
    app.get(`${prefix}/photos/:size/$value`, (c) => {
      const user = photoUser(state, c, keyOf(c));
      return photoBytes(state, c, user, sizeOrNotFound(user, c.req.param('size')));
    });
  }
}
