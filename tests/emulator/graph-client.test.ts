import { Client, GraphError, PageIterator, ResponseType, RetryHandlerOptions, type PageCollection } from '@microsoft/microsoft-graph-client';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { mulberry32 } from '../../emulator/src/directory/prng.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';

/**
 * The real @microsoft/microsoft-graph-client v3 against the HTTPS emulator, unchanged: PageIterator,
 * delta links, RetryHandler and error parsing all have to work as they do against graph.microsoft.com.
 */

let emulator: Emulator;
let token: string;
let client: Client;

const clientFor = (accessToken: string): Client =>
  Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => accessToken },
    baseUrl: `${emulator.url}/`,
    // The auth handler adds the token only for Graph's hosts or these (bare host names, https only).
    customHosts: new Set(['localhost']),
  });

async function appToken(tenantIndex = 0): Promise<string> {
  const info = emulator.tenants[tenantIndex]!;
  const tenant = emulator.state.registry.get(info.tenantId)!;
  emulator.state.registry.consent(tenant, info.clientId).adminApplication.add('User.Read.All');
  return emulator.state.tokens.graphToken({ subject: { tenantId: info.tenantId }, clientId: info.clientId, roles: ['User.Read.All'] });
}

const directory = () => emulator.state.registry.get(emulator.tenantId)!.directory;

async function collect(first: PageCollection, api: Client = client): Promise<{ items: Record<string, unknown>[]; deltaLink?: string }> {
  const items: Record<string, unknown>[] = [];
  const iterator = new PageIterator(api, first, (item: Record<string, unknown>) => {
    items.push(item);
    return true;
  });
  await iterator.iterate();
  return { items, deltaLink: iterator.getDeltaLink() };
}

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 200, graph: { deltaPageSize: 40, emptyDeltaPages: true } });
  token = await appToken();
  client = clientFor(token);
});

afterAll(async () => {
  await emulator?.close();
});

describe('the Graph client against the emulator', () => {
  it('sends the token to the custom host and pages /users to the end, seeing every user once', async () => {
    const first = (await client.api('/users').top(30).select(['id', 'displayName']).get()) as PageCollection;
    expect(first['@odata.nextLink']).toBeDefined();
    const { items } = await collect(first);
    const expected = [...directory().iterate(0)].map((entry) => entry.user.id);
    expect(items.map((user) => user.id)).toEqual(expected);
  });

  it('follows a delta round to its deltaLink, then sees exactly the changes made since', async () => {
    const first = (await client.api('/users/delta').select(['displayName', 'jobTitle', 'accountEnabled']).get()) as PageCollection;
    const initial = await collect(first);
    const everyone = new Set(initial.items.map((item) => item.id));
    expect(everyone.size).toBe(directory().size);
    expect(initial.items.length).toBeGreaterThan(everyone.size); // replays happen, and the client must dedupe
    expect(initial.deltaLink).toMatch(/\/v1\.0\/users\/delta\?\$deltatoken=/);

    const dir = directory();
    const added = dir.add({ displayName: 'Client Newcomer' });
    const updated = dir.update(dir.atPosition(20)!.id, { jobTitle: 'Renamed' });
    const disabled = dir.update(dir.atPosition(21)!.id, { accountEnabled: false });
    const soft = dir.atPosition(22)!.id;
    dir.remove(soft);
    const purged = dir.atPosition(23)!.id;
    dir.remove(purged, { permanent: true });

    const next = await collect((await client.api(initial.deltaLink!).get()) as PageCollection);
    const byId = new Map(next.items.map((item) => [item.id, item]));
    expect([...byId.keys()].sort()).toEqual([added.id, updated.id, disabled.id, soft, purged].sort());
    expect(byId.get(updated.id)).toMatchObject({ jobTitle: 'Renamed' });
    expect(byId.get(disabled.id)).toMatchObject({ accountEnabled: false });
    expect(byId.get(soft)).toEqual({ id: soft, '@removed': { reason: 'changed' } });
    expect(byId.get(purged)).toEqual({ id: purged, '@removed': { reason: 'deleted' } });
  });

  it('starts from now with $deltatoken=latest', async () => {
    const latest = (await client.api('/users/delta?$deltatoken=latest').get()) as PageCollection;
    expect(latest.value).toEqual([]);
    const changed = directory().update(directory().atPosition(30)!.id, { department: 'Latest' });
    const next = await collect((await client.api(latest['@odata.deltaLink']!).get()) as PageCollection);
    expect(next.items.map((item) => item.id)).toEqual([changed.id]);
  });

  it('gets 410 Gone, syncStateNotFound and a Location after the delta tokens expire', async () => {
    const latest = (await client.api('/users/delta?$deltatoken=latest').select('displayName').get()) as PageCollection;
    await control(emulator, 'POST', '/graph/delta/expire', { tenantId: emulator.tenantId });
    const error = (await client
      .api(latest['@odata.deltaLink']!)
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect(error).toBeInstanceOf(GraphError);
    expect(error.statusCode).toBe(410);
    expect(error.code).toBe('syncStateNotFound');
    expect(error.headers?.get('location')).toBe(`${emulator.url}/v1.0/users/delta?$select=displayName&$deltatoken=`);
  });

  it('gets 410 for a delta token older than seven days', async () => {
    const latest = (await client.api('/users/delta?$deltatoken=latest').get()) as PageCollection;
    emulator.state.clock.advance(8 * 24 * 60 * 60 * 1000);
    const fresh = clientFor(await appToken());
    const error = (await fresh
      .api(latest['@odata.deltaLink']!)
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect([error.statusCode, error.code]).toEqual([410, 'syncStateNotFound']);
    token = await appToken();
    client = clientFor(token);
  });

  it('retries an injected 429 after Retry-After, and gives up after maxRetries', async () => {
    // A seed whose first request fails and whose second succeeds (two draws per request).
    const seed = Array.from({ length: 1000 }, (_, s) => s).find((s) => {
      const random = mulberry32(s);
      const [a, , c] = [random(), random(), random()];
      return a < 0.5 && c >= 0.5;
    })!;
    await control(emulator, 'PUT', '/graph/faults', { rate: 0.5, statuses: [429], retryAfterSeconds: 1, seed });
    try {
      const started = performance.now();
      const me = (await client.api(`/users/${emulator.employeeUpn}`).select('id').get()) as { id: string };
      const waited = performance.now() - started;
      expect(me.id).toBe(directory().getByUpn(emulator.employeeUpn)!.id);
      expect(waited).toBeGreaterThanOrEqual(950);
      expect(waited).toBeLessThan(2_500);

      await control(emulator, 'PUT', '/graph/faults', { rate: 1, statuses: [429], retryAfterSeconds: 0 });
      const before = await control<{ faultsInjected: number }>(emulator, 'GET', '/graph/stats');
      const error = (await client
        .api('/users')
        .middlewareOptions([new RetryHandlerOptions(0, 2)])
        .get()
        .catch((e: unknown) => e)) as GraphError;
      expect(error.statusCode).toBe(429);
      expect(error.code).toBe('TooManyRequests');
      const after = await control<{ faultsInjected: number }>(emulator, 'GET', '/graph/stats');
      expect(after.faultsInjected - before.faultsInjected).toBe(3);
    } finally {
      await control(emulator, 'PUT', '/graph/faults', { rate: 0, retryAfterSeconds: 1 });
    }
  });

  it('gets 429 with Retry-After from the resource-unit budget', async () => {
    await control(emulator, 'PUT', '/graph/throttle', { enabled: true, budgetPer10s: 4 });
    try {
      const noRetry = [new RetryHandlerOptions(0, 0)];
      await client.api('/users').middlewareOptions(noRetry).get();
      await client.api('/users').middlewareOptions(noRetry).get();
      const error = (await client
        .api('/users')
        .middlewareOptions(noRetry)
        .get()
        .catch((e: unknown) => e)) as GraphError;
      expect(error.statusCode).toBe(429);
      expect(Number(error.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(error.headers?.get('x-ms-throttle-scope')).toContain(emulator.tenantId);
    } finally {
      await control(emulator, 'PUT', '/graph/throttle', { budgetPer10s: null });
    }
  });

  it('downloads a photo that decodes at the requested size', async () => {
    const user = [...directory().iterate(0)].find((entry) => entry.user.hasPhoto)!.user;
    const bytes = (await client.api(`/users/${user.id}/photos/64x64/$value`).responseType(ResponseType.ARRAYBUFFER).get()) as ArrayBuffer;
    const png = PNG.sync.read(Buffer.from(bytes));
    expect([png.width, png.height]).toEqual([64, 64]);
  });

  it('parses Graph errors: 401 for a garbage token, 404 for an unknown user', async () => {
    const unauthenticated = (await clientFor('garbage')
      .api('/users')
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect([unauthenticated.statusCode, unauthenticated.code]).toEqual([401, 'InvalidAuthenticationToken']);
    const missing = (await client
      .api('/users/nobody@lakeside.example')
      .get()
      .catch((e: unknown) => e)) as GraphError;
    expect([missing.statusCode, missing.code]).toEqual([404, 'Request_ResourceNotFound']);
    expect(missing.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps tenants apart: the secondary tenant's token lists only its users", async () => {
    const other = clientFor(await appToken(1));
    const { items } = await collect((await other.api('/users').select('id').get()) as PageCollection, other);
    expect(items).toHaveLength(emulator.tenants[1]!.users);
    const primaryIds = new Set([...directory().iterate(0)].map((entry) => entry.user.id));
    expect(items.some((item) => primaryIds.has(String(item.id)))).toBe(false);
  });
});
