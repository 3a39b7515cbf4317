import { beforeEach, describe, expect, it } from 'vitest';
import { createGraphFixture, type GraphFixture } from './graph-fixture.ts';

let f: GraphFixture;
let token: string;

beforeEach(async () => {
  f = await createGraphFixture({ users: 60 });
  token = await f.appToken();
});

async function control(method: string, route: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await f.app.request(`https://localhost:9443/_emulator/graph${route}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('fault control', () => {
  it('reads and merges fault settings', async () => {
    expect((await control('GET', '/faults')).body).toEqual({ rate: 0, statuses: [429, 500, 502, 503, 504], latencyMs: 0, retryAfterSeconds: 1, seed: 1 });
    const { body } = await control('PUT', '/faults', { rate: 0.5, statuses: [503] });
    expect(body).toMatchObject({ rate: 0.5, statuses: [503], retryAfterSeconds: 1 });
  });

  it.each([
    [{ rate: 3 }, 'rate'],
    [{ statuses: [418] }, 'statuses'],
    [{ statuses: [] }, 'statuses'],
    [{ retryAfterSeconds: 1.5 }, 'retryAfterSeconds'],
    [{ colour: 'red' }, 'colour'],
    ['{not json', 'not valid JSON'],
  ])('refuses %j with a message naming the problem', async (input, word) => {
    const { status, body } = await control('PUT', '/faults', input);
    expect(status).toBe(400);
    expect(String(body.error)).toContain(word);
  });

  it('injects Graph-shaped failures with Retry-After, counted in /stats', async () => {
    await control('PUT', '/faults', { rate: 1, statuses: [503], retryAfterSeconds: 2 });
    const response = await f.get('/v1.0/users', token);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('serviceNotAvailable');
    await control('PUT', '/faults', { rate: 0 });
    expect((await f.get('/v1.0/users', token)).status).toBe(200);
    const { body } = await control('GET', '/stats');
    expect(body).toMatchObject({ requests: 2, faultsInjected: 1, faultsByStatus: { 503: 1 }, responsesByStatus: { 200: 1, 503: 1 } });
    expect((await control('DELETE', '/stats')).body).toMatchObject({ requests: 0, faultsInjected: 0 });
  });

  it('adds latency to every response', async () => {
    await control('PUT', '/faults', { latencyMs: 120 });
    const started = performance.now();
    await f.get('/v1.0/me', token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });
});

describe('throttling control', () => {
  it('throttles an app+tenant pair over its budget with 429 and Retry-After, then lets it through', async () => {
    expect((await control('PUT', '/throttle', { enabled: true, budgetPer10s: 5 })).body).toEqual({ enabled: true, budgetPer10s: 5 });
    const first = await f.get('/v1.0/users', token);
    expect(first.headers.get('x-ms-resource-unit')).toBe('2');
    await f.get('/v1.0/users', token);
    const refused = await f.get('/v1.0/users', token);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.headers.get('x-ms-throttle-scope')).toBe(`Tenant_Application/ReadWrite/${f.clientId}/${f.primary.config.id}`);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    // One unit left: a $select request (cost 1) still fits; other tenants are unaffected.
    expect((await f.get('/v1.0/users?$select=id', token)).status).toBe(200);
    expect((await f.get('/v1.0/users', await f.appToken({ tenant: f.secondary }))).status).toBe(200);
    f.state.clock.advance(10_000);
    expect((await f.get('/v1.0/users', token)).status).toBe(200);
    expect((await control('GET', '/stats')).body.throttled).toBe(1);
  });

  it('validates throttle settings and resets to the tenant-size tiers with null', async () => {
    expect((await control('PUT', '/throttle', { budgetPer10s: 0 })).status).toBe(400);
    expect((await control('PUT', '/throttle', { budgetPer10s: null })).body).toEqual({ enabled: false, budgetPer10s: null });
  });
});

describe('delta expiry control', () => {
  it('refuses an unknown tenant', async () => {
    const { status, body } = await control('POST', '/delta/expire', { tenantId: 'nope.example' });
    expect(status).toBe(400);
    expect(String(body.error)).toContain('nope.example');
  });

  it('expires every tenant without a body', async () => {
    const { body } = await control('POST', '/delta/expire');
    expect(body.expired).toEqual([f.primary.config.id, f.secondary.config.id]);
  });
});
