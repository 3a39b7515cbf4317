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

  it('reports a change only to rounds that select the changed property (no $select tracks every property)', async () => {
    const withTitle = await round(f, token, '/v1.0/users/delta?$select=displayName,jobTitle');
    const nameOnly = await round(f, token, '/v1.0/users/delta?$select=displayName');
    const idOnly = await round(f, token, '/v1.0/users/delta?$select=id');
    const everything = await round(f, token, '/v1.0/users/delta');
    const proxies = await round(f, token, '/v1.0/users/delta?$select=proxyAddresses');
    const promoted = f.directory.update(f.directory.atPosition(7)!.id, { jobTitle: 'Head of Deltas' });
    const moved = f.directory.update(f.directory.atPosition(8)!.id, { city: 'Tromsø' });
    const renamed = f.directory.update(f.directory.atPosition(9)!.id, { mail: 'renamed@lakeside.example' });

    expect([...(await round(f, token, withTitle.deltaLink)).latest.keys()]).toEqual([promoted.id]);
    expect((await round(f, token, withTitle.deltaLink)).latest.get(promoted.id)).toEqual({ displayName: promoted.displayName, jobTitle: 'Head of Deltas', id: promoted.id });
    expect((await round(f, token, nameOnly.deltaLink)).latest.size).toBe(0);
    expect((await round(f, token, idOnly.deltaLink)).latest.size).toBe(0);
    // city is no default property, but without $select every property is tracked.
    expect([...(await round(f, token, everything.deltaLink)).latest.keys()]).toEqual([promoted.id, moved.id, renamed.id]);
    // proxyAddresses derives from mail.
    expect((await round(f, token, proxies.deltaLink)).latest.get(renamed.id)).toEqual({ proxyAddresses: ['SMTP:renamed@lakeside.example'], id: renamed.id });
    // $select=displayName still shows users that were added or removed.
    const hire = f.directory.add({ displayName: 'Dana Delta' });
    const leaver = f.directory.atPosition(20)!.id;
    f.directory.remove(leaver);
    const nameRound = await round(f, token, nameOnly.deltaLink);
    expect(nameRound.latest.get(hire.id)).toEqual({ displayName: 'Dana Delta', id: hire.id });
    expect(nameRound.latest.get(leaver)).toEqual({ id: leaver, '@removed': { reason: 'changed' } });
  });

  it('does not report photo-only changes, even with $select=photo', async () => {
    const plain = await round(f, token, '/v1.0/users/delta');
    const photo = await round(f, token, '/v1.0/users/delta?$select=displayName,photo');
    const user = f.directory.atPosition(1)!;
    f.directory.update(user.id, { hasPhoto: !user.hasPhoto });
    f.directory.update(user.id, { photoVersion: 7 });
    expect((await round(f, token, plain.deltaLink)).latest.size).toBe(0);
    expect((await round(f, token, photo.deltaLink)).latest.size).toBe(0);
  });

  it('sends the old manager as a removed manager@delta link when a manager is unset', async () => {
    const first = await round(f, token, '/v1.0/users/delta?$select=displayName,manager');
    const employee = f.directory.atPosition(30)!;
    const oldManager = employee.managerId!;
    expect(oldManager).toBeTruthy();
    f.directory.update(employee.id, { managerId: null });
    const second = await round(f, token, first.deltaLink);
    expect(second.latest.get(employee.id)).toEqual({
      displayName: employee.displayName,
      id: employee.id,
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: oldManager, '@removed': { reason: 'deleted' } }],
    });
    // A new manager is sent as the link, without the removed one.
    const newManager = f.directory.atPosition(2)!.id;
    f.directory.update(employee.id, { managerId: newManager });
    const third = await round(f, token, second.deltaLink);
    expect(third.latest.get(employee.id)!['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: newManager }]);
    // Without manager in $select, a manager change is not tracked.
    const untracked = await round(f, token, '/v1.0/users/delta?$select=displayName');
    f.directory.update(employee.id, { managerId: null });
    expect((await round(f, token, untracked.deltaLink)).latest.size).toBe(0);
  });

  it("reports every direct report's manager removal when their manager is deleted or purged", async () => {
    const first = await round(f, token, '/v1.0/users/delta?$select=displayName,manager');
    const nameOnly = await round(f, token, '/v1.0/users/delta?$select=displayName');
    const manager = f.directory.atPosition(3)!;
    const reports = f.directory.directReports(manager.id);
    expect(reports.length).toBeGreaterThan(0);
    f.directory.remove(manager.id);
    const purged = f.directory.atPosition(4)!;
    const purgedReports = f.directory.directReports(purged.id);
    f.directory.remove(purged.id, { permanent: true });

    const second = await round(f, token, first.deltaLink);
    expect(second.latest.get(manager.id)).toEqual({ id: manager.id, '@removed': { reason: 'changed' } });
    expect(second.latest.get(purged.id)).toEqual({ id: purged.id, '@removed': { reason: 'deleted' } });
    for (const [report, old] of [...reports.map((r) => [r, manager.id] as const), ...purgedReports.map((r) => [r, purged.id] as const)]) {
      expect(second.latest.get(report.id)).toEqual({
        displayName: report.displayName,
        id: report.id,
        'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: old, '@removed': { reason: 'deleted' } }],
      });
    }
    expect(second.latest.size).toBe(2 + reports.length + purgedReports.length);
    // Not selecting manager: only the removed users themselves.
    expect([...(await round(f, token, nameOnly.deltaLink)).latest.keys()].sort()).toEqual([manager.id, purged.id].sort());
    // Restoring the manager gives the reports their manager back.
    f.directory.restore(manager.id);
    const third = await round(f, token, second.deltaLink);
    expect(third.latest.get(reports[0]!.id)!['manager@delta']).toEqual([{ '@odata.type': '#microsoft.graph.user', id: manager.id }]);
  });

  it('answers Prefer: return=minimal with the id and the changed selected properties only', async () => {
    const minimal = { Prefer: 'return=minimal' };
    const first = await round(f, token, '/v1.0/users/delta?$select=displayName,jobTitle,mobilePhone,manager');
    // Members with a job title and a manager (guests have no job title).
    const staff = [...f.directory.iterate(40)].map((e) => e.user).filter((u) => u.jobTitle !== null && u.managerId !== null);
    const [a, b, c] = [staff[0]!, staff[1]!, staff[2]!];
    f.directory.update(a.id, { jobTitle: null, city: 'Oslo' });
    f.directory.update(b.id, { managerId: f.directory.atPosition(2)!.id });
    f.directory.update(c.id, { managerId: null, displayName: 'Cleo Minimal' });
    const hire = f.directory.add({ displayName: 'Minnie Mal', jobTitle: 'Intern', managerId: a.id });

    const response = await f.get(first.deltaLink, token, minimal);
    expect(response.headers.get('preference-applied')).toBe('return=minimal');
    const second = await round(f, token, first.deltaLink, minimal);
    expect(second.latest.get(a.id)).toEqual({ jobTitle: null, id: a.id });
    expect(second.latest.get(b.id)).toEqual({ id: b.id, 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: f.directory.atPosition(2)!.id }] });
    expect(second.latest.get(c.id)).toEqual({
      displayName: 'Cleo Minimal',
      id: c.id,
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: c.managerId, '@removed': { reason: 'deleted' } }],
    });
    // A new user comes in full.
    expect(second.latest.get(hire.id)).toEqual({
      displayName: 'Minnie Mal',
      jobTitle: 'Intern',
      mobilePhone: null,
      id: hire.id,
      'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: a.id }],
    });
    // Without the header: every selected property, changed or not.
    const full = await round(f, token, first.deltaLink);
    expect(full.latest.get(a.id)).toEqual({ displayName: a.displayName, jobTitle: null, mobilePhone: a.mobilePhone, id: a.id, 'manager@delta': [{ '@odata.type': '#microsoft.graph.user', id: a.managerId }] });
    // Both preferences together.
    const both = await f.get(first.deltaLink, token, { Prefer: 'odata.maxpagesize=2, return=minimal' });
    expect(both.headers.get('preference-applied')).toBe('odata.maxpagesize=2, return=minimal');
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
