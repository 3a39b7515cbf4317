import { generateKeyPair, decodeJwt, exportSPKI, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { adminUpnOf, expectedMirrorSize, onboard, synced, waitForStatus } from '../helpers/onboarding.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';

/**
 * The Bearer tokens extensions present to the proxy: only a Microsoft-issued token for the tenant's
 * Peoplebook app, of an active tenant, unexpired, signed by a key of that tenant's JWKS is accepted;
 * and a token of one tenant never reads another tenant's data.
 */

let emulator: Emulator;
let proxy: TestProxy;

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 300 });
  // The primary tenant comes from the environment (application mode, the admin granted consent in the
  // portal); the secondary is not set up yet.
  await control(emulator, 'PUT', `/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { application: ['User.Read.All'] });
  proxy = await startTestProxy(emulator, envTenant(emulator));
  await waitForStatus(proxy.url, emulator.tenantId, synced);
});
afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function get(path: string, authorization?: string): Promise<Response> {
  return fetch(`${proxy.url}${path}`, { headers: authorization === undefined ? {} : { authorization } });
}

/** The claims of a genuine ID token of a user of the primary tenant (the employee by default). */
async function genuineClaims(upn = emulator.employeeUpn, tenantIndex = 0): Promise<JWTPayload> {
  return decodeJwt(await idTokenFor(emulator, upn, tenantIndex));
}

/**
 * A token with the genuine claims changed by `overrides` (a key set to undefined is removed), signed
 * with the emulator's current key unless told otherwise.
 */
async function forge(overrides: Record<string, unknown>, options: { key?: CryptoKey | Uint8Array; kid?: string; alg?: string } = {}): Promise<string> {
  const claims: Record<string, unknown> = { ...(await genuineClaims()), ...overrides };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  const current = emulator.state.keys.current();
  return new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: options.alg ?? 'RS256', typ: 'JWT', kid: options.kid ?? current.kid }).sign(options.key ?? current.privateKey);
}

/** The tenant's current public signing key as published in its JWKS (what an attacker can fetch). */
async function publishedJwk(): Promise<JWK> {
  const response = await fetch(`${emulator.url}/${emulator.tenantId}/discovery/v2.0/keys`);
  const { keys } = (await response.json()) as { keys: JWK[] };
  const jwk = keys.find((key) => key.kid === emulator.state.keys.current().kid);
  if (!jwk) throw new Error('the current key is not in the JWKS');
  return jwk;
}

/** HS256 with the public key's bytes as the HMAC secret: the classic RS256/HS256 confusion attack. */
async function hs256WithPublicKey(encode: (jwk: JWK) => Promise<Uint8Array>): Promise<string> {
  const jwk = await publishedJwk();
  return forge({}, { alg: 'HS256', key: await encode(jwk), kid: jwk.kid });
}

async function pemOf(jwk: JWK): Promise<string> {
  return exportSPKI((await importJWK(jwk, 'RS256', { extractable: true })) as CryptoKey);
}

interface ForgedCase {
  name: string;
  status: 401 | 403;
  code: string;
  authorization: () => Promise<string | undefined>;
}

const forgedCases: ForgedCase[] = [
  { name: 'no Authorization header', status: 401, code: 'missing_token', authorization: async () => undefined },
  { name: 'a Basic Authorization header', status: 401, code: 'missing_token', authorization: async () => `Basic ${Buffer.from('user:pass').toString('base64')}` },
  { name: 'a Bearer token that is not a JWT', status: 401, code: 'invalid_token', authorization: async () => 'Bearer not-a-jwt' },
  { name: 'a Bearer token of three garbage segments', status: 401, code: 'invalid_token', authorization: async () => 'Bearer aGVsbG8.d29ybGQ.Zm9v' },
  {
    name: 'an unsigned token (alg none) with genuine claims',
    status: 401,
    code: 'invalid_token',
    authorization: async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(await genuineClaims())}.`,
  },
  {
    name: "alg none carrying the genuine token's signature",
    status: 401,
    code: 'invalid_token',
    authorization: async () => {
      const genuine = await idTokenFor(emulator, emulator.employeeUpn);
      const [, payload, signature] = genuine.split('.');
      return `Bearer ${b64({ alg: 'none', typ: 'JWT', kid: emulator.state.keys.current().kid })}.${payload}.${signature}`;
    },
  },
  {
    name: "HS256 signed with the tenant's RSA public key as PEM",
    status: 401,
    code: 'invalid_token',
    authorization: async () => `Bearer ${await hs256WithPublicKey(async (jwk) => new TextEncoder().encode(await pemOf(jwk)))}`,
  },
  {
    name: "HS256 signed with the tenant's RSA public key as DER",
    status: 401,
    code: 'invalid_token',
    authorization: async () =>
      `Bearer ${await hs256WithPublicKey(async (jwk) => Buffer.from((await pemOf(jwk)).replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'))}`,
  },
  {
    name: "HS256 signed with the tenant's published JWK as a string",
    status: 401,
    code: 'invalid_token',
    authorization: async () => `Bearer ${await hs256WithPublicKey(async (jwk) => new TextEncoder().encode(JSON.stringify(jwk)))}`,
  },
  {
    name: "HS256 signed with the RSA modulus bytes",
    status: 401,
    code: 'invalid_token',
    authorization: async () => `Bearer ${await hs256WithPublicKey(async (jwk) => Buffer.from(jwk.n!, 'base64url'))}`,
  },
  { name: 'a tid of a tenant this proxy does not serve', status: 403, code: 'unknown_tenant', authorization: async () => `Bearer ${await forge({ tid: '0f0f0f0f-1111-4222-8333-444444444444' })}` },
  { name: 'no tid', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ tid: undefined })}` },
  { name: 'no oid', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ oid: undefined })}` },
  { name: 'an issuer on another host', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ iss: `https://login.evil.example/${emulator.tenantId}/v2.0` })}` },
  {
    name: "the issuer of another tenant with this tenant's tid",
    status: 401,
    code: 'invalid_token',
    authorization: async () => `Bearer ${await forge({ iss: `${emulator.url}/${emulator.tenants[1]!.tenantId}/v2.0` })}`,
  },
  { name: 'the v1 issuer (sts.windows.net)', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ iss: `https://sts.windows.net/${emulator.tenantId}/` })}` },
  { name: 'the audience of another app', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ aud: emulator.tenants[1]!.clientId })}` },
  {
    name: "a genuine Microsoft Graph access token of the tenant's user",
    status: 401,
    code: 'invalid_token',
    authorization: async () => {
      const tenant = emulator.state.registry.get(emulator.tenantId)!;
      const user = tenant.directory.getByUpn(emulator.employeeUpn)!;
      return `Bearer ${await emulator.state.tokens.graphToken({ subject: { tenantId: emulator.tenantId, user }, clientId: emulator.clientId, scopes: ['User.Read.All'] })}`;
    },
  },
  {
    name: 'an expired token',
    status: 401,
    code: 'token_expired',
    authorization: async () => `Bearer ${await forge({ iat: nowSeconds() - 7200, nbf: nowSeconds() - 7200, exp: nowSeconds() - 3600 })}`,
  },
  { name: 'a token without exp', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ exp: undefined })}` },
  { name: 'a token not valid before an hour from now', status: 401, code: 'invalid_token', authorization: async () => `Bearer ${await forge({ nbf: nowSeconds() + 3600 })}` },
  {
    name: 'a kid the JWKS never published (signed with a key of our own)',
    status: 401,
    code: 'invalid_token',
    authorization: async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return `Bearer ${await forge({}, { key: privateKey, kid: 'forged-kid-0000' })}`;
    },
  },
  {
    name: "the published kid but signed with another key",
    status: 401,
    code: 'invalid_token',
    authorization: async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return `Bearer ${await forge({}, { key: privateKey })}`;
    },
  },
  {
    name: 'a genuine ID token of another tenant that is not set up here',
    status: 403,
    code: 'unknown_tenant',
    authorization: async () => `Bearer ${await idTokenFor(emulator, adminUpnOf(emulator, 1), 1)}`,
  },
  {
    name: "a genuine token whose payload was edited (another user's oid)",
    status: 401,
    code: 'invalid_token',
    authorization: async () => {
      const [header, , signature] = (await idTokenFor(emulator, emulator.employeeUpn)).split('.');
      return `Bearer ${header}.${b64({ ...(await genuineClaims()), oid: (await genuineClaims(emulator.adminUpn)).oid })}.${signature}`;
    },
  },
];

describe('forged tokens are refused on the changes feed', () => {
  it.each(forgedCases)('refuses $name with $status $code', async ({ status, code, authorization }) => {
    const response = await get('/api/v1/directory/changes?since=0&limit=5', await authorization());
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    if (status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    // A refusal never carries directory data.
    expect(JSON.stringify(body)).not.toMatch(/upserts|userPrincipalName/);
  });

  it.each([
    { name: "a genuine ID token of the tenant's user", token: () => idTokenFor(emulator, emulator.employeeUpn) },
    {
      name: 'a genuine access token for the API the app exposes (api://<client-id>/access_as_user)',
      token: async () => {
        const user = emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
        return emulator.state.tokens.apiToken({ subject: { tenantId: emulator.tenantId, user }, clientId: emulator.clientId, audienceClientId: emulator.clientId, scopes: ['access_as_user'] });
      },
    },
    { name: 'a token that expired 30 s ago (clock skew)', token: () => forge({ exp: nowSeconds() - 30 }) },
    { name: 'a token whose tid is upper case', token: () => forge({ tid: emulator.tenantId.toUpperCase() }) },
  ])('accepts $name', async ({ token }) => {
    const response = await get('/api/v1/directory/changes?since=0&limit=5', `Bearer ${await token()}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { upserts: unknown[]; cursor: string; more: boolean };
    expect(body.upserts).toHaveLength(5);
    expect(body.more).toBe(true);
  });

  it("refuses tokens of a tenant whose onboarding failed (it was never connected), with 403 unknown_tenant", async () => {
    const { callback, started } = await onboard(emulator, proxy.url, { index: 1, setup: { clientSecret: 'not-the-secret~value-0123456789abcdefghij' } });
    expect(callback.status).toBe(400);
    expect((await proxy.proxy.store.getTenant(started.tenantId))?.state).toBe('error');
    const response = await get('/api/v1/me', `Bearer ${await idTokenFor(emulator, adminUpnOf(emulator, 1), 1)}`);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_tenant');
  });

  it('keeps serving the mirror of a connected tenant whose sync is failing', async () => {
    const tenant = (await proxy.proxy.store.getTenant(emulator.tenantId))!;
    await proxy.proxy.store.setTenantState(emulator.tenantId, 'error', { code: 'AADSTS7000222', message: 'client secret expired', fix: 'create a new one and paste it', at: new Date() });
    try {
      const response = await get('/api/v1/directory/changes?since=0&limit=5', `Bearer ${await idTokenFor(emulator, emulator.employeeUpn)}`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { upserts: unknown[] }).upserts).toHaveLength(5);
    } finally {
      await proxy.proxy.store.upsertTenant({ ...tenant, state: 'active', lastError: null });
    }
  });

  describe('signing key rollover', () => {
    afterEach(() => {
      vi.useRealTimers();
      vi.restoreAllMocks();
    });

    it('accepts a token signed with a key rotated in after the JWKS was cached (refetch on an unknown kid)', async () => {
      // The proxy has the JWKS cached from the tests above.
      expect((await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${await idTokenFor(emulator, emulator.employeeUpn)}`)).status).toBe(200);
      const oldKid = emulator.state.keys.current().kid;
      const { kid } = await control<{ kid: string }>(emulator, 'POST', '/keys/rotate');
      expect(kid).not.toBe(oldKid);
      // Past the 30 s refetch cooldown (the proxy runs in this process, so faking Date moves its clock).
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      vi.setSystemTime(Date.now() + 31_000);
      const token = await idTokenFor(emulator, emulator.employeeUpn);
      expect((JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid).toBe(kid);
      expect((await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${token}`)).status).toBe(200);
      // Tokens signed with the previous key stay valid while it is published.
      const old = await forge({}, { key: emulator.state.keys.find(oldKid)!.privateKey, kid: oldKid });
      expect((await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${old}`)).status).toBe(200);
    });

    it("refuses a token of a retired key once the proxy's cached JWKS is refreshed", async () => {
      const retiring = emulator.state.keys.current();
      await control(emulator, 'POST', '/keys/rotate');
      const token = await forge({}, { key: retiring.privateKey, kid: retiring.kid });
      await control(emulator, 'POST', '/keys/retire', { kid: retiring.kid });
      // Past the JWKS cache's maximum age (10 minutes): the next verification fetches the key set again.
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      vi.setSystemTime(Date.now() + 601_000);
      const fresh = await idTokenFor(emulator, emulator.employeeUpn);
      expect((await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${fresh}`)).status).toBe(200);
      const refused = await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${token}`);
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    });

    it('forged kids do not make the proxy hammer the JWKS: at most one refetch for many unknown kids', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      // Well past any earlier fetch's cache age and cooldown, so the first unknown kid may refetch.
      vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
      vi.setSystemTime(Date.now() + 40 * 60_000);
      const fetchSpy = vi.spyOn(globalThis, 'fetch');
      const jwksFetches = () => fetchSpy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).includes('/discovery/v2.0/keys')).length;
      for (let i = 0; i < 20; i++) {
        const response = await get('/api/v1/directory/changes?since=0&limit=1', `Bearer ${await forge({}, { key: privateKey, kid: `forged-${i}` })}`);
        expect(response.status).toBe(401);
      }
      expect(jwksFetches()).toBe(1);
    });
  });
});

describe('tenant isolation', () => {
  const second = () => emulator.tenants[1]!;
  const bearer = (token: string) => `Bearer ${token}`;

  beforeAll(async () => {
    // The second tenant is connected through onboarding (application mode, admin consent).
    const { callback } = await onboard(emulator, proxy.url, { index: 1, setup: { graphAuth: 'application' } });
    if (callback.status !== 200) throw new Error(`onboarding the second tenant failed: ${callback.html}`);
    await waitForStatus(proxy.url, second().tenantId, synced);
  });

  async function allChanges(authorization: string): Promise<{ id: string; userPrincipalName: string | null }[]> {
    const users: { id: string; userPrincipalName: string | null }[] = [];
    let cursor = '0';
    for (;;) {
      const response = await get(`/api/v1/directory/changes?since=${cursor}&limit=100`, authorization);
      expect(response.status).toBe(200);
      const page = (await response.json()) as { cursor: string; more: boolean; upserts: { id: string; userPrincipalName: string | null }[] };
      users.push(...page.upserts);
      cursor = page.cursor;
      if (!page.more) return users;
    }
  }

  it("a token of one tenant reads only its own tenant's directory from the changes feed", async () => {
    const a = await allChanges(bearer(await idTokenFor(emulator, emulator.employeeUpn, 0)));
    const b = await allChanges(bearer(await idTokenFor(emulator, adminUpnOf(emulator, 1), 1)));
    expect(a).toHaveLength(expectedMirrorSize(emulator, 0));
    expect(b).toHaveLength(expectedMirrorSize(emulator, 1));
    const aIds = new Set(a.map((user) => user.id));
    expect(b.filter((user) => aIds.has(user.id))).toEqual([]);
    const bDomains = emulator.tenants[1]!.domains;
    for (const user of b) expect(bDomains.some((domain) => user.userPrincipalName?.toLowerCase().endsWith(`@${domain}`))).toBe(true);
    for (const user of a) expect(bDomains.some((domain) => user.userPrincipalName?.toLowerCase().endsWith(`@${domain}`))).toBe(false);
  });

  it("a token of one tenant gets 404 for another tenant's colleague's photo, which the colleague's own tenant can fetch", async () => {
    const directory = emulator.state.registry.get(emulator.tenantId)!.directory;
    let withPhoto: string | undefined;
    for (const { user } of directory.iterate()) {
      if (user.hasPhoto && user.accountEnabled && user.userType === 'Member') {
        withPhoto = user.id;
        break;
      }
    }
    expect(withPhoto).toBeDefined();
    const own = await get(`/api/v1/directory/users/${withPhoto}/photo`, bearer(await idTokenFor(emulator, emulator.employeeUpn, 0)));
    expect(own.status).toBe(200);
    expect(own.headers.get('content-type')).toMatch(/^image\//);
    const other = await get(`/api/v1/directory/users/${withPhoto}/photo`, bearer(await idTokenFor(emulator, adminUpnOf(emulator, 1), 1)));
    expect(other.status).toBe(404);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('user_not_found');
    expect(other.headers.get('content-type')).not.toMatch(/^image\//);
  });

  it('/api/v1/me returns the caller: their own contact, tenant and admin flag', async () => {
    for (const [index, upn, admin] of [
      [0, emulator.employeeUpn, false],
      [1, adminUpnOf(emulator, 1), true],
    ] as const) {
      const claims = await genuineClaims(upn, index);
      const response = await get('/api/v1/me', bearer(await idTokenFor(emulator, upn, index)));
      expect(response.status).toBe(200);
      const me = (await response.json()) as { tenantId: string; oid: string; username: string; isAdmin: boolean; contact: { id: string; userPrincipalName: string } | null; tenant: { tenantId: string; state: string } };
      expect(me).toMatchObject({ tenantId: emulator.tenants[index]!.tenantId, oid: claims.oid, username: upn, isAdmin: admin });
      expect(me.contact).toMatchObject({ id: claims.oid, userPrincipalName: upn });
      expect(me.tenant).toMatchObject({ tenantId: emulator.tenants[index]!.tenantId, state: 'active' });
    }
  });

  it("an administrator of one tenant cannot start a sync of another tenant; an employee cannot start their own tenant's", async () => {
    const secondAdmin = bearer(await idTokenFor(emulator, adminUpnOf(emulator, 1), 1));
    const post = (tenantId: string, authorization: string) => fetch(`${proxy.url}/api/v1/tenants/${tenantId}/sync`, { method: 'POST', headers: { authorization } });
    const across = await post(emulator.tenantId, secondAdmin);
    expect(across.status).toBe(403);
    expect(((await across.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const employee = await post(emulator.tenantId, bearer(await idTokenFor(emulator, emulator.employeeUpn, 0)));
    expect(employee.status).toBe(403);
    const own = await post(second().tenantId, secondAdmin);
    expect(own.status).toBe(202);
  });
});
