import type { Context, Hono } from 'hono';
import type { Directory, DirectoryUser } from '../directory/types.ts';
import { isGuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import { userReadAccess } from './auth.ts';
import type { GraphEnv } from './env.ts';
import { badRequest, directoryBadRequest, resourceNotFound, unsupportedQuery } from './errors.ts';
import { exactKeys, matchesFilter, parseFilter, type FilterNode } from './filter.ts';
import { graphJson } from './middleware.ts';
import { isEventual, parseCount, parseTop, queryOptions, queryWithoutSkipToken } from './query.ts';
import { matchesSearch, parseSearch, type SearchNode } from './search.ts';
import { openToken, queryHash, sealToken } from './state-tokens.ts';
import { DEFAULT_PROPERTIES, parseSelect, serializeUser, usersContext } from './user-properties.ts';

/**
 * `GET /users` (https://learn.microsoft.com/graph/api/user-list), `GET /users/{id | userPrincipalName}` and
 * `GET /me` (user-get), `/manager` (user-list-manager), `/directReports` (user-list-directreports),
 * `GET /users/$count` (aad-advanced-queries). Paging per https://learn.microsoft.com/graph/paging:
 * default page 100, `$top` up to 999, `@odata.nextLink` carrying an opaque `$skiptoken`.
 * The list walks the directory lazily from the token's position, so 500,000 users never sit in memory.
 */

/** A user by object ID or UPN (user-get: `/users/{id | userPrincipalName}`). */
export function findUser(directory: Directory, key: string): DirectoryUser | undefined {
  return isGuid(key) ? directory.getById(key.toLowerCase()) : directory.getByUpn(key);
}

const meOnlyDelegated = () => badRequest('/me request is only valid with delegated authentication flow.');

interface ListToken {
  k: 'u';
  /** Hash of the query options the token belongs to. */
  q: string;
  /** Where the next page starts: a directory position, an offset in the sorted index, or in the key list. */
  at: number;
  /** `@odata.count` computed on the first page. */
  n?: number;
}

interface ListQuery {
  filter?: FilterNode;
  search?: SearchNode;
  orderBy?: { property: 'displayName' | 'userPrincipalName'; descending: boolean };
}

function parseOrderBy(raw: string | undefined): ListQuery['orderBy'] {
  if (raw === undefined || raw.trim() === '') return undefined;
  const match = /^\s*(displayName|userPrincipalName)(?:\s+(asc|desc))?\s*$/i.exec(raw);
  // aad-advanced-queries: users sort by displayName and userPrincipalName by default; others need
  // advanced queries and are not modelled here.
  if (!match) throw unsupportedQuery('Sorting not supported for current query.');
  return { property: match[1]!.toLowerCase() === 'displayname' ? 'displayName' : 'userPrincipalName', descending: match[2]?.toLowerCase() === 'desc' };
}

/** Positions of existing users sorted by a property, cached until the directory changes. */
function sortedIndex(state: EmulatorState, directory: Directory, property: 'displayName' | 'userPrincipalName'): Int32Array {
  const key = `${directory.tenantId}/${property}`;
  const cached = state.graph.sortedIndexes.get(key);
  if (cached && cached.seq === directory.seq) return cached.positions;
  const rows: { position: number; key: string }[] = [];
  for (const { position, user } of directory.iterate(0)) rows.push({ position, key: user[property].toLowerCase() });
  rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.position - b.position));
  const positions = Int32Array.from(rows, (row) => row.position);
  state.graph.sortedIndexes.set(key, { seq: directory.seq, positions });
  return positions;
}

/** Candidates in page order from `from`, each with the cursor value that starts at it. */
function* candidates(state: EmulatorState, directory: Directory, query: ListQuery, from: number): Iterable<{ at: number; user: DirectoryUser }> {
  if (query.orderBy) {
    const positions = sortedIndex(state, directory, query.orderBy.property);
    const n = positions.length;
    for (let i = from; i < n; i += 1) {
      const position = query.orderBy.descending ? positions[n - 1 - i]! : positions[i]!;
      const user = directory.atPosition(position);
      if (user) yield { at: i, user };
    }
    return;
  }
  const keys = query.filter && !query.search ? exactKeys(query.filter) : undefined;
  if (keys) {
    // Lookups by ID or UPN: answer from the indexes instead of scanning (the filter still decides).
    const seen = new Set<string>();
    const users: DirectoryUser[] = [];
    for (const key of keys) {
      const user = key.property === 'id' ? (isGuid(key.value) ? directory.getById(key.value.toLowerCase()) : undefined) : directory.getByUpn(key.value);
      if (user && !seen.has(user.id)) {
        seen.add(user.id);
        users.push(user);
      }
    }
    for (let i = from; i < users.length; i += 1) yield { at: i, user: users[i]! };
    return;
  }
  for (const { position, user } of directory.iterate(from)) yield { at: position, user };
}

function parseListQuery(c: Context<GraphEnv>, options: Map<string, string>, advanced: boolean): ListQuery {
  const query: ListQuery = {};
  const filter = options.get('$filter');
  if (filter !== undefined && filter.trim() !== '') query.filter = parseFilter(filter, { advanced });
  const search = options.get('$search');
  if (search !== undefined) {
    // aad-advanced-queries, "Error handling": $search on directory objects needs the header.
    if (!isEventual(c)) {
      throw unsupportedQuery("Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'");
    }
    query.search = parseSearch(search);
  }
  query.orderBy = parseOrderBy(options.get('$orderby'));
  // "Using $filter and $orderby together is supported only with advanced queries."
  if (query.orderBy && (query.filter || query.search) && !advanced) throw unsupportedQuery('Sorting not supported for current query.');
  if (options.has('$skip')) {
    throw directoryBadRequest("The query specified in the URI is not valid. Query option 'Skip' is not allowed.");
  }
  if (options.has('$expand')) throw unsupportedQuery('$expand on the users collection is not supported by the emulator.');
  return query;
}

function countMatches(directory: Directory, query: ListQuery, matches: (user: DirectoryUser) => boolean): number {
  if (!query.filter && !query.search) return directory.size;
  let n = 0;
  for (const { user } of directory.iterate(0)) if (matches(user)) n += 1;
  return n;
}

function listUsers(state: EmulatorState, c: Context<GraphEnv>): Response {
  const access = userReadAccess(state, c);
  const { tenant } = c.get('caller');
  const directory = tenant.directory;
  const url = new URL(c.req.url);
  const options = queryOptions(url);
  const countRequested = parseCount(options.get('$count'));
  // "$count=true" without ConsistencyLevel is silently ignored (aad-advanced-queries, "Error handling").
  const advanced = countRequested && isEventual(c);
  const pageSize = parseTop(options.get('$top'), 100);
  const select = parseSelect(options.get('$select'));
  const query = parseListQuery(c, options, advanced);
  const matches = (user: DirectoryUser) => (!query.filter || matchesFilter(query.filter, user)) && (!query.search || matchesSearch(query.search, user));

  const hash = queryHash([options.get('$filter'), options.get('$search'), options.get('$orderby'), select, pageSize, advanced]);
  let from = 0;
  let carriedCount: number | undefined;
  const skipToken = options.get('$skiptoken');
  if (skipToken !== undefined) {
    const token = openToken<ListToken>(tenant.config.id, skipToken);
    if (!token || token.k !== 'u' || token.q !== hash || !Number.isInteger(token.at) || token.at < 0) {
      throw directoryBadRequest('The $skiptoken is not valid for this query. Follow @odata.nextLink exactly as returned.');
    }
    from = token.at;
    carriedCount = token.n;
  }

  const page: DirectoryUser[] = [];
  let next: number | undefined;
  for (const { at, user } of candidates(state, directory, query, from)) {
    if (!matches(user)) continue;
    if (page.length < pageSize) {
      page.push(user);
    } else {
      next = at;
      break;
    }
  }

  const count = advanced ? (carriedCount ?? countMatches(directory, query, matches)) : undefined;
  const properties = select ?? DEFAULT_PROPERTIES;
  const body: Record<string, unknown> = { '@odata.context': usersContext(state.origin, select) };
  if (count !== undefined) body['@odata.count'] = count;
  if (next !== undefined) {
    const token: ListToken = { k: 'u', q: hash, at: next, ...(count !== undefined ? { n: count } : {}) };
    const rest = queryWithoutSkipToken(url);
    body['@odata.nextLink'] = `${state.origin}/v1.0/users?${rest ? `${rest}&` : ''}$skiptoken=${sealToken(tenant.config.id, token)}`;
  }
  body.value = page.map((user) => serializeUser(user, { properties, basicOnly: access === 'basic' }));
  return graphJson(c, body);
}

function countUsers(state: EmulatorState, c: Context<GraphEnv>): Response {
  userReadAccess(state, c);
  // aad-advanced-queries: the `$count` segment without ConsistencyLevel is an error.
  if (!isEventual(c)) throw directoryBadRequest('$count is not currently supported.');
  const options = queryOptions(new URL(c.req.url));
  const query = parseListQuery(c, options, true);
  const directory = c.get('caller').tenant.directory;
  const n = countMatches(directory, query, (user) => (!query.filter || matchesFilter(query.filter, user)) && (!query.search || matchesSearch(query.search, user)));
  return c.body(String(n), 200, { 'content-type': 'text/plain;charset=utf-8' });
}

/** The user a `/users/{key}` or `/me` path names, after checking the caller may read them. */
export function targetUser(state: EmulatorState, c: Context<GraphEnv>, key: string | undefined): { user: DirectoryUser; access: 'full' | 'basic' } {
  const caller = c.get('caller');
  const directory = caller.tenant.directory;
  if (key === undefined) {
    if (!caller.delegated) throw meOnlyDelegated();
    const me = directory.getById(caller.claims.oid);
    if (!me) throw resourceNotFound(caller.claims.oid);
    return { user: me, access: userReadAccess(state, c, me.id) };
  }
  const user = findUser(directory, key);
  if (!user) {
    userReadAccess(state, c);
    throw resourceNotFound(key);
  }
  return { user, access: userReadAccess(state, c, user.id) };
}

/**
 * `$expand=manager` (optionally `manager($select=…)`) on a single user, as user-list-manager shows
 * ("GET /users/{id | userPrincipalName}/?$expand=manager($select=id,displayName)"); `directReports` the
 * same way. Any other navigation property is refused as Graph refuses an unknown one.
 */
function parseExpand(value: string | undefined): { property: 'manager' | 'directReports'; select: string[] | undefined } | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*(manager|directReports)\s*(?:\(\s*\$select\s*=\s*([^)]*)\))?\s*$/i.exec(value);
  if (!match) {
    throw badRequest(`Could not find a property named '${value.split('(')[0]!.trim()}' on type 'microsoft.graph.user'.`);
  }
  const property = match[1]!.toLowerCase() === 'manager' ? 'manager' : 'directReports';
  return { property, select: match[2] === undefined ? undefined : parseSelect(match[2]) };
}

function getUser(state: EmulatorState, c: Context<GraphEnv>, key: string | undefined): Response {
  const { user, access } = targetUser(state, c, key);
  const options = queryOptions(new URL(c.req.url));
  const select = parseSelect(options.get('$select'));
  const expand = parseExpand(options.get('$expand'));
  const body: Record<string, unknown> = {
    '@odata.context': usersContext(state.origin, select, true),
    ...serializeUser(user, { properties: select ?? DEFAULT_PROPERTIES, basicOnly: access === 'basic' }),
  };
  if (expand) {
    const directory = c.get('caller').tenant.directory;
    const related = (other: DirectoryUser) => ({
      '@odata.type': '#microsoft.graph.user',
      ...serializeUser(other, { properties: expand.select ?? DEFAULT_PROPERTIES, basicOnly: userReadAccess(state, c, other.id) === 'basic' }),
    });
    if (expand.property === 'manager') {
      // A user without a manager comes back without the property (the relationship is empty).
      const manager = user.managerId ? directory.getById(user.managerId) : undefined;
      if (manager) body.manager = related(manager);
    } else {
      body.directReports = directory.directReports(user.id).map(related);
    }
  }
  return graphJson(c, body);
}

function getManager(state: EmulatorState, c: Context<GraphEnv>, key: string | undefined): Response {
  const { user } = targetUser(state, c, key);
  const manager = user.managerId ? c.get('caller').tenant.directory.getById(user.managerId) : undefined;
  // user-list-manager: no manager is a 404.
  if (!manager) throw resourceNotFound('manager');
  const access = userReadAccess(state, c, manager.id);
  const select = parseSelect(queryOptions(new URL(c.req.url)).get('$select'));
  return graphJson(c, {
    '@odata.context': `${state.origin}/v1.0/$metadata#directoryObjects/$entity`,
    '@odata.type': '#microsoft.graph.user',
    ...serializeUser(manager, { properties: select ?? DEFAULT_PROPERTIES, basicOnly: access === 'basic' }),
  });
}

function getDirectReports(state: EmulatorState, c: Context<GraphEnv>, key: string | undefined): Response {
  const { user } = targetUser(state, c, key);
  const access = userReadAccess(state, c);
  const select = parseSelect(queryOptions(new URL(c.req.url)).get('$select'));
  const reports = c.get('caller').tenant.directory.directReports(user.id);
  return graphJson(c, {
    '@odata.context': `${state.origin}/v1.0/$metadata#directoryObjects`,
    value: reports.map((report) => ({
      '@odata.type': '#microsoft.graph.user',
      ...serializeUser(report, { properties: select ?? DEFAULT_PROPERTIES, basicOnly: access === 'basic' }),
    })),
  });
}

export function registerUserRoutes(app: Hono<GraphEnv>, state: EmulatorState): void {
  app.get('/users', (c) => listUsers(state, c));
  app.get('/users/$count', (c) => countUsers(state, c));
  app.get('/me', (c) => getUser(state, c, undefined));
  app.get('/me/manager', (c) => getManager(state, c, undefined));
  app.get('/me/directReports', (c) => getDirectReports(state, c, undefined));
  app.get('/users/:key', (c) => getUser(state, c, c.req.param('key')));
  app.get('/users/:key/manager', (c) => getManager(state, c, c.req.param('key')));
  app.get('/users/:key/directReports', (c) => getDirectReports(state, c, c.req.param('key')));
}
