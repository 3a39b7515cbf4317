import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import { largestPhotoSize, PHOTO_SIZES } from '../../emulator/src/graph/photos.ts';
import { createGraphFixture, type GraphFixture } from './graph-fixture.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

let f: GraphFixture;
let token: string;
let withPhoto: DirectoryUser;
let small: DirectoryUser;
let without: DirectoryUser;

beforeAll(async () => {
  f = await createGraphFixture({ users: 200 });
  token = await f.appToken();
  const users = [...f.directory.iterate(0)].map((entry) => entry.user);
  withPhoto = users.find((user) => user.hasPhoto && largestPhotoSize(user) === 648)!;
  small = users.find((user) => user.hasPhoto && largestPhotoSize(user) === 240)!;
  without = users.find((user) => !user.hasPhoto)!;
});

describe('profile photos', () => {
  it('describes the largest photo at /photo', async () => {
    const { status, body } = await f.json<Record<string, unknown>>(`/v1.0/users/${withPhoto.id}/photo`, token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      '@odata.mediaContentType': 'image/png',
      id: '648X648',
      width: 648,
      height: 648,
    });
    expect(body['@odata.mediaEtag']).toMatch(/^"[0-9A-F]{8}"$/);
  });

  it.each(PHOTO_SIZES.map((size) => [size]))('serves a %ipx PNG that decodes at that size', async (size) => {
    const response = await f.get(`/v1.0/users/${withPhoto.id}/photos/${size}x${size}/$value`, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await response.arrayBuffer()));
    expect([png.width, png.height]).toEqual([size, size]);
  });

  it('serves the largest size at /photo/$value and for /me', async () => {
    const response = await f.get(`/v1.0/users/${encodeURIComponent(small.userPrincipalName)}/photo/$value`, token);
    expect(PNG.sync.read(Buffer.from(await response.arrayBuffer())).width).toBe(240);
    const me = f.directory.atPosition(1)!;
    const mine = await f.get('/v1.0/me/photo/$value', await f.userToken());
    expect(mine.status).toBe(me.hasPhoto ? 200 : 404);
  });

  it('lists the available sizes at /photos, and refuses larger or unknown ones', async () => {
    const { body } = await f.json<{ value: { id: string }[] }>(`/v1.0/users/${small.id}/photos`, token);
    expect(body.value.map((photo) => photo.id)).toEqual(['48X48', '64X64', '96X96', '120X120', '240X240']);
    for (const size of ['360x360', '50x50', 'big']) {
      const { status, body: error } = await f.json<ErrorBody>(`/v1.0/users/${small.id}/photos/${size}/$value`, token);
      expect(status).toBe(404);
      expect(error.error.code).toBe('ImageNotFound');
    }
    expect((await f.json(`/v1.0/users/${small.id}/photos/96x96`, token)).body).toMatchObject({ width: 96, id: '96X96' });
  });

  it('answers 304 to If-None-Match with the current ETag, and a new ETag after the photo changes', async () => {
    const path = `/v1.0/users/${withPhoto.id}/photos/96x96/$value`;
    const first = await f.get(path, token);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9A-F]{8}"$/);
    const again = await f.get(path, token, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    f.directory.update(withPhoto.id, { photoVersion: withPhoto.photoVersion + 1 });
    const changed = await f.get(path, token, { 'If-None-Match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('answers 404 ImageNotFound for a user without a photo', async () => {
    for (const path of ['photo', 'photo/$value', 'photos', 'photos/48x48/$value']) {
      const { status, body } = await f.json<ErrorBody>(`/v1.0/users/${without.id}/${path}`, token);
      expect(status).toBe(404);
      expect(body.error).toEqual({
        code: 'ImageNotFound',
        message: "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
        innerError: expect.any(Object),
      });
    }
  });

  it('needs a token and a reading permission like the user itself', async () => {
    expect((await f.get(`/v1.0/users/${withPhoto.id}/photo/$value`, undefined)).status).toBe(401);
    const bearer = await f.appToken({ roles: ['Mail.Read'] });
    expect((await f.get(`/v1.0/users/${withPhoto.id}/photo/$value`, bearer)).status).toBe(403);
  });
});
