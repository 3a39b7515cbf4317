import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';
import { createGraphFixture, pathOf, type GraphFixture } from './graph-fixture.ts';

interface Page {
  '@odata.context': string;
  '@odata.nextLink'?: string;
  '@odata.count'?: number;
  value: Record<string, unknown>[];
}
interface ErrorBody {
  error: { code: string; message: string; innerError: Record<string, string> };
}

let f: GraphFixture;
let token: string;
let everyone: DirectoryUser[];

beforeAll(async () => {
  f = await createGraphFixture({ users: 120 });
  token = await f.appToken();
  everyone = [...f.directory.iterate(0)].map((entry) => entry.user);
});

/** Follows nextLinks from `path`, returning every page. */
async function allPages(path: string, headers: Record<string, string> = {}, bearer = token): Promise<Page[]> {
  const pages: Page[] = [];
  let next: string | undefined = path;
  while (next) {
    const { status, body }: { status: number; body: Page } = await f.json<Page>(next, bearer, headers);
    expect(status).toBe(200);
    pages.push(body);
    next = body['@odata.nextLink'] ? pathOf(body['@odata.nextLink']) : undefined;
  }
  return pages;
}

describe('authentication', () => {
  it.each([
    ['no token', undefined, 'Access token is empty.'],
    ['a garbage token', 'garbage', 'JWT is not well formed'],
  ])('answers 401 InvalidAuthenticationToken to %s, with the Bearer challenge and request IDs', async (_name, bearer, message) => {
    const response = await f.get('/v1.0/users', bearer, { 'client-request-id': 'my-client-id' });
    const body = (await response.json()) as ErrorBody;
    expect(response.status).toBe(401);
    expect(body.error.code).toBe('InvalidAuthenticationToken');
    expect(body.error.message).toContain(message);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="", authorization_uri=".*", client_id="00000003-0000-0000-c000-000000000000"$/);
    expect(response.headers.get('client-request-id')).toBe('my-client-id');
    expect(body.error.innerError['client-request-id']).toBe('my-client-id');
    expect(body.error.innerError['request-id']).toBe(response.headers.get('request-id'));
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('answers 401 to an expired token', async () => {
    const fixture = await createGraphFixture({ users: 10 });
    const old = await fixture.appToken();
    fixture.state.clock.advance(2 * 60 * 60 * 1000);
    const { status, body } = await fixture.json<ErrorBody>('/v1.0/users', old);
    expect(status).toBe(401);
    expect(body.error.message).toContain('expired');
  });

  it('answers 401 to a token issued before the user revoked their sessions', async () => {
    const fixture = await createGraphFixture({ users: 10 });
    const before = await fixture.userToken();
    fixture.state.tokens.revokeUser(fixture.primary.config.id, fixture.directory.atPosition(1)!.id);
    expect((await fixture.get('/v1.0/me', before)).status).toBe(401);
    expect((await fixture.get('/v1.0/me', await fixture.userToken())).status).toBe(200);
  });
});

describe('permissions', () => {
  const denied = async (bearer: string, path = '/v1.0/users') => {
    const { status, body } = await f.json<ErrorBody>(path, bearer);
    expect(status).toBe(403);
    expect(body.error).toMatchObject({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' });
  };

  it('refuses an app token whose role the tenant never consented to', async () => {
    await denied(await f.appToken({ roles: ['Directory.Read.All'], consent: false }));
  });

  it('refuses an app token without a user-reading role', async () => {
    await denied(await f.appToken({ roles: ['Mail.Read'] }));
  });

  it('counts only admin consent for delegated User.Read.All', async () => {
    const fixture = await createGraphFixture({ users: 10 });
    const userConsented = await fixture.userToken({ consent: 'user' });
    const { status } = await fixture.json('/v1.0/users', userConsented);
    expect(status).toBe(403);
    const adminConsented = await fixture.userToken({ consent: 'admin' });
    expect((await fixture.get('/v1.0/users', adminConsented)).status).toBe(200);
  });

  it('lets User.Read read only the signed-in user', async () => {
    const fixture = await createGraphFixture({ users: 10 });
    const bearer = await fixture.userToken({ scopes: ['User.Read'], consent: 'user' });
    const me = fixture.directory.atPosition(1)!;
    expect((await fixture.json<Record<string, unknown>>('/v1.0/me', bearer)).body.id).toBe(me.id);
    expect((await fixture.get(`/v1.0/users/${me.id}`, bearer)).status).toBe(200);
    expect((await fixture.get(`/v1.0/users/${fixture.directory.atPosition(2)!.id}`, bearer)).status).toBe(403);
    expect((await fixture.get('/v1.0/users', bearer)).status).toBe(403);
  });

  it('returns only the basic profile under User.ReadBasic.All', async () => {
    const fixture = await createGraphFixture({ users: 10 });
    const bearer = await fixture.userToken({ scopes: ['User.ReadBasic.All'], consent: 'user' });
    const other = fixture.directory.atPosition(2)!;
    const { status, body } = await fixture.json<Record<string, unknown>>(`/v1.0/users/${other.id}?$select=displayName,jobTitle`, bearer);
    expect(status).toBe(200);
    expect(body).toMatchObject({ displayName: other.displayName, jobTitle: null });
  });

  it('answers 400 to /me with an app-only token', async () => {
    const { status, body } = await f.json<ErrorBody>('/v1.0/me', token);
    expect(status).toBe(400);
    expect(body.error.message).toBe('/me request is only valid with delegated authentication flow.');
  });
});

describe('tenant isolation', () => {
  it("never shows a token of one tenant the other tenant's users", async () => {
    const other = await f.appToken({ tenant: f.secondary });
    const pages = await allPages('/v1.0/users?$select=id', {}, other);
    const ids = new Set(pages.flatMap((page) => page.value.map((user) => user.id)));
    expect(ids.size).toBe(f.secondary.directory.size);
    for (const user of everyone) expect(ids.has(user.id)).toBe(false);
    expect((await f.get(`/v1.0/users/${everyone[5]!.id}`, other)).status).toBe(404);
  });
});

describe('GET /users', () => {
  it('returns the default properties, 100 a page, and pages with opaque skip tokens through every user once', async () => {
    const pages = await allPages('/v1.0/users');
    expect(pages.map((page) => page.value.length)).toEqual([100, 20]);
    expect(pages[0]!['@odata.context']).toBe('https://localhost:9443/v1.0/$metadata#users');
    expect(Object.keys(pages[0]!.value[0]!)).toEqual([
      'businessPhones',
      'displayName',
      'givenName',
      'jobTitle',
      'mail',
      'mobilePhone',
      'officeLocation',
      'preferredLanguage',
      'surname',
      'userPrincipalName',
      'id',
    ]);
    expect(pages.flatMap((page) => page.value.map((user) => user.id))).toEqual(everyone.map((user) => user.id));
    expect(pages[0]!['@odata.nextLink']).toMatch(/^https:\/\/localhost:9443\/v1\.0\/users\?\$skiptoken=[A-Za-z0-9_-]+$/);
  });

  it('keeps the query options in nextLinks and honours $top and $select', async () => {
    const pages = await allPages('/v1.0/users?$top=7&$select=displayName,mail');
    expect(pages).toHaveLength(Math.ceil(everyone.length / 7));
    expect(pages[0]!['@odata.context']).toBe('https://localhost:9443/v1.0/$metadata#users(displayName,mail)');
    expect(pages[0]!['@odata.nextLink']).toContain('$top=7&$select=displayName,mail&$skiptoken=');
    expect(pages[0]!.value[0]).toEqual({ displayName: everyone[0]!.displayName, mail: everyone[0]!.mail });
  });

  it('refuses a skip token used with other query options, or tampered with', async () => {
    const first = (await f.json<Page>('/v1.0/users?$top=5', token)).body;
    const link = pathOf(first['@odata.nextLink']!);
    expect((await f.get(link.replace('$top=5', '$top=6'), token)).status).toBe(400);
    expect((await f.get(`${link.slice(0, -3)}xyz`, token)).status).toBe(400);
  });

  const eventual = { ConsistencyLevel: 'eventual' };
  const count = (predicate: (user: DirectoryUser) => boolean) => everyone.filter(predicate).length;

  it.each([
    ['accountEnabled eq false', (u: DirectoryUser) => !u.accountEnabled],
    ["userType eq 'Guest'", (u: DirectoryUser) => u.userType === 'Guest'],
    ["startswith(displayName,'a')", (u: DirectoryUser) => u.displayName.toLowerCase().startsWith('a')],
    ["startswith(surname,'S') or startswith(givenName,'M')", (u: DirectoryUser) => !!u.surname?.startsWith('S') || !!u.givenName?.startsWith('M')],
    ["accountEnabled eq true and (userType eq 'Member')", (u: DirectoryUser) => u.accountEnabled && u.userType === 'Member'],
    ["userPrincipalName eq 'EMPLOYEE@lakeside.example'", (u: DirectoryUser) => u.userPrincipalName === 'employee@lakeside.example'],
  ])('filters %s', async (filter, predicate) => {
    const pages = await allPages(`/v1.0/users?$top=9&$select=id&$filter=${encodeURIComponent(filter)}`);
    const expected = everyone.filter(predicate).map((user) => user.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(pages.flatMap((page) => page.value.map((user) => user.id))).toEqual(expected);
  });

  it('finds users by id with eq and in', async () => {
    const [a, b] = [everyone[3]!, everyone[77]!];
    const filter = encodeURIComponent(`id in ('${b.id}', '${a.id}') or id eq '${a.id}'`);
    const { body } = await f.json<Page>(`/v1.0/users?$filter=${filter}&$select=id`, token);
    expect(body.value.map((user) => user.id)).toEqual([b.id, a.id]);
  });

  it.each([
    ['$top=1000', 400, 'Request_UnsupportedQuery', "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."],
    ['$top=0', 400, 'Request_UnsupportedQuery', "Invalid page size specified: '0'."],
    ['$select=displayName,shoeSize', 400, 'BadRequest', "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'."],
    ['$filter=endswith(mail,\'.example\')', 400, 'Request_UnsupportedQuery', "Operator 'endsWith' is not supported"],
    ['$filter=createdDateTime ge 2021-01-01', 400, 'Request_UnsupportedQuery', "property 'createdDateTime' of resource 'User'"],
    ['$search="displayName:a"', 400, 'Request_UnsupportedQuery', "only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"],
    ["$orderby=displayName&$filter=startswith(displayName,'a')", 400, 'Request_UnsupportedQuery', 'Sorting not supported for current query.'],
    ['$orderby=createdDateTime', 400, 'Request_UnsupportedQuery', 'Sorting not supported'],
    ['$skip=5', 400, 'Request_BadRequest', "Query option 'Skip' is not allowed"],
  ])('answers GET /users?%s with %i %s', async (query, status, code, message) => {
    const { status: actual, body } = await f.json<ErrorBody>(`/v1.0/users?${query}`, token);
    expect(actual).toBe(status);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toContain(message);
  });

  it('adds @odata.count with $count=true and ConsistencyLevel: eventual, and ignores $count without the header', async () => {
    const filter = encodeURIComponent('accountEnabled eq true');
    const pages = await allPages(`/v1.0/users?$count=true&$top=50&$filter=${filter}`, eventual);
    const expected = count((u) => u.accountEnabled);
    expect(pages.map((page) => page['@odata.count'])).toEqual(pages.map(() => expected));
    const plain = (await f.json<Page>('/v1.0/users?$count=true', token)).body;
    expect(plain['@odata.count']).toBeUndefined();
  });

  it('allows advanced operators with the advanced query parameters', async () => {
    const filter = encodeURIComponent("endswith(mail,'@lakeside.example') and userType ne 'Member'");
    const { status, body } = await f.json<Page>(`/v1.0/users?$count=true&$filter=${filter}`, token, eventual);
    expect(status).toBe(200);
    expect(body['@odata.count']).toBe(count((u) => !!u.mail?.endsWith('@lakeside.example') && u.userType !== 'Member'));
  });

  it('searches display names by token prefix with ConsistencyLevel: eventual', async () => {
    const target = everyone[42]!;
    const word = target.surname!.slice(0, 3);
    const pages = await allPages(`/v1.0/users?$search=${encodeURIComponent(`"displayName:${word}"`)}&$select=id,displayName`, eventual);
    const found = pages.flatMap((page) => page.value);
    expect(found.map((user) => user.id)).toContain(target.id);
    for (const user of found) expect(String(user.displayName).toLowerCase()).toMatch(new RegExp(`(^|[^\\p{L}])${word.toLowerCase()}`, 'u'));
  });

  it('sorts by displayName, ascending and descending, across pages', async () => {
    const sorted = [...everyone].sort((a, b) => (a.displayName.toLowerCase() < b.displayName.toLowerCase() ? -1 : 1));
    const up = (await allPages('/v1.0/users?$orderby=displayName&$top=40&$select=displayName')).flatMap((p) => p.value.map((u) => u.displayName));
    expect(up).toEqual(sorted.map((u) => u.displayName));
    const down = (await allPages('/v1.0/users?$orderby=displayName desc&$top=40&$select=displayName')).flatMap((p) => p.value.map((u) => u.displayName));
    expect(down).toEqual(sorted.map((u) => u.displayName).reverse());
  });

  it('counts with /users/$count only with ConsistencyLevel: eventual', async () => {
    const response = await f.get('/v1.0/users/$count', token, eventual);
    expect(await response.text()).toBe(String(everyone.length));
    const { status, body } = await f.json<ErrorBody>('/v1.0/users/$count', token);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'Request_BadRequest', message: '$count is not currently supported.' });
  });
});

describe('GET /users/{id | userPrincipalName}, /me, manager, directReports', () => {
  it('finds a user by ID or UPN (any case), with $select', async () => {
    const user = everyone[9]!;
    const byId = await f.json<Record<string, unknown>>(`/v1.0/users/${user.id.toUpperCase()}`, token);
    expect(byId.body).toMatchObject({ id: user.id, displayName: user.displayName, '@odata.context': 'https://localhost:9443/v1.0/$metadata#users/$entity' });
    const byUpn = await f.json<Record<string, unknown>>(`/v1.0/users/${encodeURIComponent(user.userPrincipalName.toUpperCase())}?$select=jobTitle`, token);
    expect(byUpn.body).toEqual({ '@odata.context': 'https://localhost:9443/v1.0/$metadata#users(jobTitle)/$entity', jobTitle: user.jobTitle });
  });

  it('answers 404 Request_ResourceNotFound for an unknown user', async () => {
    const { status, body } = await f.json<ErrorBody>('/v1.0/users/nobody@lakeside.example', token);
    expect(status).toBe(404);
    expect(body.error).toMatchObject({
      code: 'Request_ResourceNotFound',
      message: "Resource 'nobody@lakeside.example' does not exist or one of its queried reference-property objects are not present.",
    });
  });

  it('returns /me for a delegated token', async () => {
    const bearer = await f.userToken();
    const { body } = await f.json<Record<string, unknown>>('/v1.0/me?$select=id,userPrincipalName', bearer);
    expect(body).toMatchObject({ id: everyone[1]!.id, userPrincipalName: 'employee@lakeside.example' });
  });

  it('returns the manager, or 404 at the top of the tree, and direct reports', async () => {
    const employee = everyone[1]!;
    const manager = await f.json<Record<string, unknown>>(`/v1.0/users/${employee.id}/manager`, token);
    expect(manager.body).toMatchObject({ '@odata.type': '#microsoft.graph.user', id: employee.managerId });
    const top = await f.json<ErrorBody>(`/v1.0/users/${everyone[0]!.id}/manager`, token);
    expect(top.status).toBe(404);
    expect(top.body.error.code).toBe('Request_ResourceNotFound');
    const reports = await f.json<Page>(`/v1.0/users/${everyone[0]!.id}/directReports?$select=id`, token);
    const expected = everyone.filter((u) => u.managerId === everyone[0]!.id).map((u) => u.id);
    expect(reports.body.value.map((u) => u.id)).toEqual(expected);
    expect(reports.body.value[0]).toMatchObject({ '@odata.type': '#microsoft.graph.user' });
  });

  it('expands the manager (with its own $select) and direct reports on a single user, and refuses other expansions', async () => {
    const employee = everyone[1]!;
    const expanded = await f.json<Record<string, unknown>>(`/v1.0/users/${employee.id}?$select=id,displayName&$expand=manager($select=id,jobTitle)`, token);
    expect(expanded.body).toMatchObject({ id: employee.id, displayName: employee.displayName });
    expect(expanded.body.manager).toEqual({ '@odata.type': '#microsoft.graph.user', id: employee.managerId, jobTitle: everyone.find((u) => u.id === employee.managerId)!.jobTitle });
    const top = await f.json<Record<string, unknown>>(`/v1.0/users/${everyone[0]!.id}?$select=id&$expand=manager`, token);
    expect(top.body).not.toHaveProperty('manager');
    const reports = await f.json<{ directReports: { id: string }[] }>(`/v1.0/users/${everyone[0]!.id}?$select=id&$expand=directReports($select=id)`, token);
    expect(reports.body.directReports.map((u) => u.id)).toEqual(everyone.filter((u) => u.managerId === everyone[0]!.id).map((u) => u.id));
    const bad = await f.json<ErrorBody>(`/v1.0/users/${employee.id}?$expand=memberOf`, token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe("Could not find a property named 'memberOf' on type 'microsoft.graph.user'.");
  });

  it('answers 405 to methods other than GET', async () => {
    const response = await f.app.request('https://localhost:9443/v1.0/users', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(405);
    expect(((await response.json()) as ErrorBody).error.code).toBe('Request_BadRequest');
  });

  it('answers 400 for an unknown segment', async () => {
    const { status, body } = await f.json<ErrorBody>('/v1.0/groups', token);
    expect(status).toBe(400);
    expect(body.error.message).toBe("Resource not found for the segment 'groups'.");
  });
});
