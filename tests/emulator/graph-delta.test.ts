import { beforeEach, describe, expect, it } from 'vitest';
import { DELTA_TOKEN_LIFETIME_MS } from '../../emulator/src/graph/delta.ts';
import { createGraphFixture, pathOf, type GraphFixture } from './graph-fixture.ts';

interface DeltaPage {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
  value: Record<string, unknown>[];
}
interface ErrorBody {
  error: { code: string; message: string };
}

interface Round {
  pages: DeltaPage[];
  /** Last entry per ID, as a client applying the pages in order would keep. */
  latest: Map<string, Record<string, unknown>>;
  deltaLink: string;
}

async function round(f: GraphFixture, token: string, start: string, headers: Record<string, string> = {}): Promise<Round> {
  const pages: DeltaPage[] = [];
  const latest = new Map<string, Record<string, unknown>>();
  let next: string | undefined = start;
  for (;;) {
    const { status, body } = await f.json<DeltaPage>(next, token, headers);
    expect(status, JSON.stringify(body)).toBe(200);
    pages.push(body);
    for (const entry of body.value) latest.set(String(entry.id), entry);
    if (body['@odata.deltaLink']) return { pages, latest, deltaLink: pathOf(body['@odata.deltaLink']) };
    expect(body['@odata.nextLink']).toBeDefined();
    next = pathOf(body['@odata.nextLink']!);
  }
}

const ids = (page: DeltaPage) => page.value.map((entry) => String(entry.id));

describe('GET /users/delta', () => {
  let f: GraphFixture;
  let token: string;

  beforeEach(async () => {
    f = await createGraphFixture({ users: 120, graph: { deltaPageSize: 25 } });
    token = await f.appToken();
  });

  it('returns every current user in the initial round, repeating the previous page’s last entry on each later page', async () => {
    const { pages, latest, deltaLink } = await round(f, token, '/v1.0/users/delta');
    const everyone = [...f.directory.iterate(0)].map((entry) => entry.user);
    expect([...latest.keys()].sort()).toEqual(everyone.map((user) => user.id).sort());
    expect(pages.length).toBe(5);
    for (let n = 1; n < pages.length; n++) expect(ids(pages[n]!)[0]).toBe(ids(pages[n - 1]!).at(-1));
    for (const page of pages) expect(new Set(ids(page)).size).toBe(page.value.length);
    expect(deltaLink).toMatch(/^\/v1\.0\/users\/delta\?\$deltatoken=[A-Za-z0-9_-]+$/);
    expect(pages[0]!.value[0]).toEqual({
      businessPhones: everyone[0]!.businessPhones,
      displayName: everyone[0]!.displayName,
      givenName: everyone[0]!.givenName,
      jobTitle: everyone[0]!.jobTitle,
      mail: everyone[0]!.mail,
      mobilePhone: everyone[0]!.mobilePhone,
      officeLocation: everyone[0]!.officeLocation,
      preferredLanguage: everyone[0]!.preferredLanguage,
      surname: everyone[0]!.surname,
      userPrincipalName: everyone[0]!.userPrincipalName,
      id: everyone[0]!.id,
    });
  });

  it('reports exactly the users added, updated, disabled, soft-deleted and purged since the deltaLink', async () => {
    const first = await round(f, token, '/v1.0/users/delta?$select=displayName,accountEnabled,jobTitle');
    const dir = f.directory;
    const added = dir.add({ displayName: 'Nadia Newcomer', givenName: 'Nadia', surname: 'Newcomer' });
    const updated = dir.update(dir.atPosition(10)!.id, { jobTitle: 'Chief Delta Officer' });
    const disabled = dir.update(dir.atPosition(11)!.id, { accountEnabled: false });
    const softDeleted = dir.atPosition(12)!.id;
    dir.remove(softDeleted);
    const purged = dir.atPosition(13)!.id;
    dir.remove(purged, { permanent: true });

    const second = await round(f, token, first.deltaLink);
    expect([...second.latest.keys()].sort()).toEqual([added.id, updated.id, disabled.id, softDeleted, purged].sort());
    expect(second.latest.get(added.id)).toEqual({ displayName: 'Nadia Newcomer', accountEnabled: true, jobTitle: null, id: added.id });
    expect(second.latest.get(updated.id)).toMatchObject({ jobTitle: 'Chief Delta Officer' });
    expect(second.latest.get(disabled.id)).toMatchObject({ accountEnabled: false });
    expect(second.latest.get(softDeleted)).toEqual({ id: softDeleted, '@removed': { reason: 'changed' } });
    expect(second.latest.get(purged)).toEqual({ id: purged, '@removed': { reason: 'deleted' } });
    expect(second.pages[0]!['@odata.context']).toBe('https://localhost:9443/v1.0/$metadata#users(displayName,accountEnabled,jobTitle)');

    // A restored user comes back as a user; no changes means an empty round.
    dir.restore(softDeleted);
    const third = await round(f, token, second.deltaLink);
    expect([...third.latest.keys()]).toEqual([softDeleted]);
    expect(third.latest.get(softDeleted)).toHaveProperty('displayName');
    const quiet = await round(f, token, third.deltaLink);
    expect(quiet.pages).toHaveLength(1);
    expect(quiet.pages[0]!.value).toEqual([]);
  });

  it('pages through many changes, each user at most once per page', async () => {
    const first = await round(f, token, '/v1.0/users/delta?$select=jobTitle');
    for (let i = 0; i < 60; i++) f.directory.update(f.directory.atPosition(i)!.id, { jobTitle: `Title ${i}` });
    for (let i = 0; i < 30; i++) f.directory.update(f.directory.atPosition(i)!.id, { jobTitle: `Again ${i}` });
    const second = await round(f, token, first.deltaLink);
    expect(second.pages.length).toBeGreaterThan(2);
    for (const page of second.pages) expect(new Set(ids(page)).size).toBe(page.value.length);
    expect(second.latest.size).toBe(60);
    expect(second.latest.get(f.directory.atPosition(5)!.id)).toEqual({ jobTitle: 'Again 5', id: f.directory.atPosition(5)!.id });
    expect(second.latest.get(f.directory.atPosition(45)!.id)).toMatchObject({ jobTitle: 'Title 45' });
  });

  it('reports changes made while the client pages again in the next round', async () => {
    const first = await f.json<DeltaPage>('/v1.0/users/delta', token);
    const late = f.directory.update(f.directory.atPosition(0)!.id, { jobTitle: 'Changed mid-round' });
    const rest = await round(f, token, pathOf(first.body['@odata.nextLink']!));
    const next = await round(f, token, rest.deltaLink);
    expect([...next.latest.keys()]).toEqual([late.id]);
  });

  it('sends manager@delta when manager is selected, and always the id', async () => {
    const { latest } = await round(f, token, '/v1.0/users/delta?$select=displayName,manager');
    const employee = f.directory.atPosition(1)!;
    expect(latest.get(employee.id)).toEqual({
      displayName: employee.displayName,
      id: employee.id,
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: employee.managerId }],
    });
    expect(latest.get(f.directory.atPosition(0)!.id)).not.toHaveProperty('manager@delta');
  });

  it('starts from now with $deltatoken=latest', async () => {
    const { status, body } = await f.json<DeltaPage>('/v1.0/users/delta?$deltatoken=latest', token);
    expect(status).toBe(200);
    expect(body.value).toEqual([]);
    expect(body['@odata.nextLink']).toBeUndefined();
    const changed = f.directory.update(f.directory.atPosition(3)!.id, { department: 'Delta' });
    const next = await round(f, token, pathOf(body['@odata.deltaLink']!));
    expect([...next.latest.keys()]).toEqual([changed.id]);
  });

  it('tracks only the IDs in $filter (at most 50)', async () => {
    const [a, b] = [f.directory.atPosition(4)!, f.directory.atPosition(90)!];
    const filter = encodeURIComponent(`id eq '${a.id}' or id eq '${b.id}'`);
    const first = await round(f, token, `/v1.0/users/delta?$filter=${filter}&$select=jobTitle`);
    expect([...first.latest.keys()].sort()).toEqual([a.id, b.id].sort());
    f.directory.update(a.id, { jobTitle: 'Tracked' });
    f.directory.update(f.directory.atPosition(5)!.id, { jobTitle: 'Not tracked' });
    const second = await round(f, token, first.deltaLink);
    expect([...second.latest.keys()]).toEqual([a.id]);

    const many = Array.from({ length: 51 }, (_, i) => `id eq '${f.directory.atPosition(i)!.id}'`).join(' or ');
    const tooMany = await f.json<ErrorBody>(`/v1.0/users/delta?$filter=${encodeURIComponent(many)}`, token);
    expect(tooMany.status).toBe(400);
    const other = await f.json<ErrorBody>(`/v1.0/users/delta?$filter=${encodeURIComponent("displayName eq 'x'")}`, token);
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe('Request_UnsupportedQuery');
  });

  it('answers 410 Gone with a Location to start over once a delta token is older than seven days', async () => {
    const first = await round(f, token, '/v1.0/users/delta?$select=displayName');
    f.state.clock.advance(DELTA_TOKEN_LIFETIME_MS + 24 * 60 * 60 * 1000);
    const fresh = await f.appToken();
    const response = await f.get(first.deltaLink, fresh);
    expect(response.status).toBe(410);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('syncStateNotFound');
    const location = response.headers.get('location')!;
    expect(location).toBe('https://localhost:9443/v1.0/users/delta?$select=displayName&$deltatoken=');
    const restart = await round(f, fresh, pathOf(location));
    expect(restart.latest.size).toBe(f.directory.size);
  });

  it('answers 410 to outstanding delta and skip tokens after POST /_emulator/graph/delta/expire', async () => {
    const page = await f.json<DeltaPage>('/v1.0/users/delta', token);
    const done = await round(f, token, '/v1.0/users/delta');
    const expire = await f.app.request('https://localhost:9443/_emulator/graph/delta/expire', {
      method: 'POST',
      body: JSON.stringify({ tenantId: f.primary.config.id }),
      headers: { 'content-type': 'application/json' },
    });
    expect(await expire.json()).toEqual({ expired: [f.primary.config.id] });
    expect((await f.get(pathOf(page.body['@odata.nextLink']!), token)).status).toBe(410);
    expect((await f.get(done.deltaLink, token)).status).toBe(410);
  });

  it('answers 410 to tokens from an earlier emulator run of the same seed', async () => {
    const done = await round(f, token, '/v1.0/users/delta');
    const restarted = await createGraphFixture({ users: 120 });
    expect((await restarted.get(done.deltaLink, await restarted.appToken())).status).toBe(410);
  });

  it.each([
    ['/v1.0/users/delta?$deltatoken=garbage', 'Request_BadRequest'],
    ['/v1.0/users/delta?$skiptoken=AAAA', 'Request_BadRequest'],
    ['/v1.0/users/delta?$top=10', 'Request_UnsupportedQuery'],
    ['/v1.0/users/delta?$orderby=displayName', 'Request_UnsupportedQuery'],
    ['/v1.0/users/delta?$expand=manager', 'Request_UnsupportedQuery'],
    ['/v1.0/users/delta?$select=shoeSize', 'BadRequest'],
  ])('answers 400 to %s', async (path, code) => {
    const { status, body } = await f.json<ErrorBody>(path, token);
    expect(status).toBe(400);
    expect(body.error.code).toBe(code);
  });

  it('refuses $select with a $skiptoken, and a token of another tenant', async () => {
    const first = await f.json<DeltaPage>('/v1.0/users/delta', token);
    const next = pathOf(first.body['@odata.nextLink']!);
    expect((await f.get(`${next}&$select=displayName`, token)).status).toBe(400);
    const other = await f.appToken({ tenant: f.secondary });
    expect((await f.get(next, other)).status).toBe(400);
  });

  it('honours Prefer: odata.maxpagesize', async () => {
    const prefer = { Prefer: 'odata.maxpagesize=50' };
    const first = await f.get('/v1.0/users/delta', token, prefer);
    expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=50');
    const body = (await first.json()) as DeltaPage;
    expect(body.value).toHaveLength(50);
    // The size the round started with sticks to the nextLinks.
    const second = (await f.json<DeltaPage>(pathOf(body['@odata.nextLink']!), token)).body;
    expect(second.value).toHaveLength(51);
  });

  it('sends an empty page with a nextLink as the second page when emptyDeltaPages is on', async () => {
    const g = await createGraphFixture({ users: 60, graph: { deltaPageSize: 20, emptyDeltaPages: true } });
    const { pages, latest } = await round(g, await g.appToken(), '/v1.0/users/delta');
    expect(pages[1]!.value).toEqual([]);
    expect(pages[1]!['@odata.nextLink']).toBeDefined();
    expect(ids(pages[2]!)[0]).toBe(ids(pages[0]!).at(-1));
    expect(latest.size).toBe(60);
  });
});
