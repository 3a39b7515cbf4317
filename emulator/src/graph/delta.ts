import type { Context, Hono } from 'hono';
import type { Directory, DirectoryChange, DirectoryUser } from '../directory/types.ts';
import type { EmulatorState } from '../state.ts';
import { userReadAccess, type ReadAccess } from './auth.ts';
import type { GraphEnv } from './env.ts';
import { directoryBadRequest, GraphError, unsupportedQuery } from './errors.ts';
import { parseFilter, type FilterNode } from './filter.ts';
import { graphJson } from './middleware.ts';
import { parsePrefer, queryOptions } from './query.ts';
import { openToken, sealToken } from './state-tokens.ts';
import {
  affectedProperties,
  DEFAULT_PROPERTIES,
  isNavigationProperty,
  parseSelect,
  serializeUser,
  STORED_PROPERTIES,
  usersContext,
} from './user-properties.ts';

/**
 * `GET /users/delta`, https://learn.microsoft.com/graph/api/user-delta and
 * https://learn.microsoft.com/graph/delta-query-overview:
 * - a round of pages linked by `@odata.nextLink` (`$skiptoken`), the last carrying `@odata.deltaLink`
 *   (`$deltatoken`); tokens are opaque and carry the initial `$select` / `$filter`;
 * - the initial round returns the users that exist now; a deltaLink round returns users changed since,
 *   with `@removed: {"reason": "changed"}` (soft-deleted, restorable) or `"deleted"` (gone for good);
 * - `$select` limits the properties (`id` always returned) and may name `manager`, sent as `manager@delta`;
 * - `$filter` only `id eq '…'` joined by `or`, at most 50;
 * - `$expand`, `$top`, `$orderby` are not supported for users; `$select` with `$skiptoken` is not supported;
 * - `$deltatoken=latest` returns no data and a deltaLink from now ("sync from now");
 * - directory delta tokens last seven days ("Token duration"); then, or after a reset, the answer is
 *   410 Gone with a Location header holding the initial request URL with an empty `$deltatoken`
 *   ("Synchronization reset"), error code `syncStateNotFound` (https://learn.microsoft.com/graph/errors);
 * - "Replays": the same change may come again. The emulator makes that happen on purpose and
 *   deterministically: every page after the first repeats the previous page's last entry, and a round's
 *   deltaLink resumes from the change sequence at the round's start, so changes made while the client
 *   pages come again next round. "A page may be empty and still carry a nextLink": the second page of
 *   every multi-page initial round is empty (GraphOptions.emptyDeltaPages), and a page of changes that
 *   scanned its budget without anything to show is empty too.
 * - `Prefer: odata.maxpagesize=N` sets the page size (answered with Preference-Applied).
 * - Tracked properties (delta-query-overview, "Optional query parameters"): "If a change occurs to a
 *   property that is not selected, the resource for which that property changed does not appear in the
 *   delta response after a subsequent request"; without `$select` every property is tracked
 *   (https://learn.microsoft.com/graph/delta-query-users: "If $select isn't specified, all properties
 *   of the object are tracked for changes"). `manager` is tracked only when selected; `id` never changes;
 *   photo changes are not tracked (a photo is stored outside the directory object: delta-query-overview,
 *   "Properties stored outside of the main data store"). A user created, restored or removed always shows.
 * - Resource representation (delta-query-overview, "Resource representation in the delta query
 *   response"): new and restored users in full; updated users by their id with the selected properties,
 *   or, with `Prefer: return=minimal`, only the properties that changed since the deltaLink (user-delta,
 *   "Alternative: return only the changed properties"), echoed in Preference-Applied. The header is read
 *   on every request, not kept in the tokens ("can be added to a deltaLink request at any point in time").
 * - Relationships are `propertyName@delta` annotations; a removed link carries `@removed`, as
 *   `members@delta` does for groups (https://learn.microsoft.com/graph/delta-query-groups):
 *   a user whose manager was removed (unset, or the manager deleted or purged) gets
 *   `"manager@delta": [{"@odata.type": "#microsoft.graph.user", "id": "<old manager>", "@removed": {"reason": "deleted"}}]`.
 */

export const DELTA_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
const MAX_FILTER_IDS = 50;

/** What both tokens carry: the emulator run, the reset epoch, and the issue time. */
interface TokenBase {
  /** Emulator instance. */
  v: string;
  /** Tenant delta epoch. */
  e: number;
  /** Issued at (clock ms). */
  i: number;
  /** `$select` (canonical names), absent for the default properties. */
  s?: string[];
  /** `$filter` object IDs, lower case. */
  f?: string[];
  /** Page size the round started with (Prefer: odata.maxpagesize). */
  ps?: number;
}

interface SkipToken extends TokenBase {
  k: 's';
  /** Round kind: initial (all users) or changes since a deltaLink. */
  p: 'init' | 'chg';
  /** Change sequence the round's deltaLink will resume from. */
  r: number;
  /** init: next directory position (or index in `f`); chg: last change sequence consumed. */
  at: number;
  /** Page number in the round (0 = first). */
  n: number;
  /** Entry to repeat first: a position or filter index (init) or a user ID (chg). */
  rp?: number | string;
  /** chg: the change sequence of the deltaLink the round started from ("changed since the deltaLink"). */
  b?: number;
}

interface DeltaToken extends TokenBase {
  k: 'd';
  seq: number;
}

interface Page {
  entries: Record<string, unknown>[];
  next?: SkipToken;
}

function filterIds(raw: string): string[] {
  // user-delta: "The only supported $filter expression is for tracking changes on a specific object".
  const tree = parseFilter(raw, { advanced: false });
  const ids: string[] = [];
  const collect = (node: FilterNode): void => {
    if (node.kind === 'or') {
      collect(node.left);
      collect(node.right);
    } else if (node.kind === 'compare' && node.op === 'eq' && node.property === 'id' && typeof node.value === 'string') {
      ids.push(node.value.toLowerCase());
    } else if (node.kind === 'in' && node.property === 'id' && node.values.every((v) => typeof v === 'string')) {
      for (const value of node.values) ids.push((value as string).toLowerCase());
    } else {
      throw unsupportedQuery("Unsupported query. Delta query on users supports only $filter=id eq '{id}' clauses joined by 'or'.");
    }
  };
  collect(tree);
  const unique = [...new Set(ids)];
  if (unique.length > MAX_FILTER_IDS) throw unsupportedQuery(`Delta query supports at most ${MAX_FILTER_IDS} object IDs in $filter.`);
  return unique;
}

function userEntry(user: DirectoryUser, select: string[] | undefined, access: ReadAccess): Record<string, unknown> {
  const entry = serializeUser(user, { properties: select ?? DEFAULT_PROPERTIES, basicOnly: access === 'basic' });
  // user-delta: "The id property is always returned."
  if (!('id' in entry)) entry.id = user.id;
  // delta-query-overview: relationships are annotations `propertyName@delta`.
  if (select?.includes('manager') && user.managerId) {
    entry['manager@delta'] = [{ '@odata.type': '#microsoft.graph.user', id: user.managerId }];
  }
  return entry;
}

/**
 * The properties a round tracks (without `id`, which never changes): the selected ones, `manager`
 * included when selected; without `$select`, every stored property (delta-query-users).
 */
function trackedProperties(select: string[] | undefined): Set<string> {
  const tracked = new Set(select ? select.filter((name) => name === 'manager' || !isNavigationProperty(name)) : STORED_PROPERTIES);
  tracked.delete('id');
  return tracked;
}

/** Whether a change shows in a round tracking `tracked` (delta-query-overview, "Optional query parameters"). */
function reportable(change: DirectoryChange, tracked: ReadonlySet<string>): boolean {
  // Removals, changes that don't say what changed, and users coming into existence or back always show.
  if (change.kind !== 'upserted' || !change.fields || change.fields.includes('id')) return true;
  // Photo ('photo') and role ('roles') changes are no tracked property, so they never match.
  return change.fields.some((field) => affectedProperties(field).some((name) => tracked.has(name)));
}

/** What changed for one user over a round's changes. */
interface ChangeSummary {
  /** Properties changed (affectedProperties of the change fields). */
  changed: Set<string>;
  /** Created, restored, or a change that did not say: the full representation. */
  whole: boolean;
  managerChanged: boolean;
  /** The managers it had before each manager change, distinct, oldest first (links removed since). */
  formerManagers: string[];
}

/** Summaries of the changes to `ids` with sequence in (from, to]. */
function summarize(directory: Directory, ids: ReadonlySet<string>, from: number, to: number): Map<string, ChangeSummary> {
  const summaries = new Map<string, ChangeSummary>();
  for (const change of directory.changesSince(from)) {
    if (change.seq > to) break;
    if (!ids.has(change.id) || change.kind !== 'upserted') continue;
    let summary = summaries.get(change.id);
    if (!summary) summaries.set(change.id, (summary = { changed: new Set(), whole: false, managerChanged: false, formerManagers: [] }));
    if (!change.fields || change.fields.includes('id')) summary.whole = true;
    for (const field of change.fields ?? []) for (const name of affectedProperties(field)) summary.changed.add(name);
    if (change.fields?.includes('manager')) {
      summary.managerChanged = true;
      const former = change.previousManagerId;
      if (former && !summary.formerManagers.includes(former)) summary.formerManagers.push(former);
    }
  }
  return summaries;
}

const managerLink = (id: string): Record<string, unknown> => ({ '@odata.type': '#microsoft.graph.user', id });

/**
 * An updated user in a changes round. Default: the selected properties, changed or not (user-delta,
 * "Default: return the same properties as initial delta request"). `minimal` (Prefer: return=minimal):
 * the id and the tracked properties that changed; created and restored users in full
 * (delta-query-overview: "Newly created instances ... using their standard representation").
 * With `manager` selected and no manager now, a manager removed during the round is sent as a removed
 * link, so a client does not read the absent annotation as "unchanged" and keep a stale manager.
 */
function updatedEntry(
  user: DirectoryUser,
  select: string[] | undefined,
  access: ReadAccess,
  tracked: ReadonlySet<string>,
  summary: ChangeSummary | undefined,
  minimal: boolean,
): Record<string, unknown> {
  const managerTracked = tracked.has('manager');
  if (!minimal || !summary || summary.whole) {
    const entry = userEntry(user, select, access);
    if (managerTracked && user.managerId === null && summary && summary.formerManagers.length > 0) {
      entry['manager@delta'] = summary.formerManagers.map((id) => ({ ...managerLink(id), '@removed': { reason: 'deleted' } }));
    }
    return entry;
  }
  const properties = (select ?? STORED_PROPERTIES).filter((name) => name === 'id' || (tracked.has(name) && summary.changed.has(name) && !isNavigationProperty(name)));
  const entry = serializeUser(user, { properties, basicOnly: access === 'basic' });
  if (!('id' in entry)) entry.id = user.id;
  if (managerTracked && summary.managerChanged) {
    if (user.managerId !== null) entry['manager@delta'] = [managerLink(user.managerId)];
    else if (summary.formerManagers.length > 0) {
      entry['manager@delta'] = summary.formerManagers.map((id) => ({ ...managerLink(id), '@removed': { reason: 'deleted' } }));
    }
  }
  return entry;
}

function removedEntry(directory: Directory, id: string): Record<string, unknown> {
  // "changed": deleted but restorable from deletedItems; "deleted": gone for good.
  return { id, '@removed': { reason: directory.getDeleted(id) ? 'changed' : 'deleted' } };
}

function initialPage(directory: Directory, token: SkipToken, pageSize: number, emptyPages: boolean, access: ReadAccess): Page {
  if (emptyPages && token.n === 1 && !token.f) return { entries: [], next: { ...token, n: 2 } };
  const entries: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  const ids = token.f;
  const userAt = (at: number) => (ids ? (ids[at] !== undefined ? directory.getById(ids[at]) : undefined) : directory.atPosition(at));
  if (typeof token.rp === 'number') {
    const repeated = userAt(token.rp);
    if (repeated) {
      entries.push(userEntry(repeated, token.s, access));
      seen.add(repeated.id);
    }
  }
  let added = 0;
  let last: number | undefined;
  let nextAt: number | undefined;
  const visit = (at: number, user: DirectoryUser): boolean => {
    if (seen.has(user.id)) return true;
    if (added >= pageSize) {
      nextAt = at;
      return false;
    }
    entries.push(userEntry(user, token.s, access));
    seen.add(user.id);
    added += 1;
    last = at;
    return true;
  };
  if (ids) {
    for (let at = token.at; at < ids.length; at += 1) {
      const user = directory.getById(ids[at]!);
      if (user && !visit(at, user)) break;
    }
  } else {
    for (const { position, user } of directory.iterate(token.at)) if (!visit(position, user)) break;
  }
  if (nextAt === undefined) return { entries };
  return { entries, next: { ...token, at: nextAt, n: token.n + 1, rp: last ?? token.rp } };
}

function changesPage(directory: Directory, token: SkipToken, pageSize: number, access: ReadAccess, minimal: boolean): Page {
  const tracked = trackedProperties(token.s);
  /** IDs on this page, in order; each at most once. */
  const onPage: string[] = [];
  const seen = new Set<string>();
  if (typeof token.rp === 'string') {
    onPage.push(token.rp);
    seen.add(token.rp);
  }
  const wanted = token.f ? new Set(token.f) : undefined;
  const budget = pageSize * 20;
  let scanned = 0;
  let added = 0;
  let cursor = token.at;
  let last: string | undefined;
  let more = false;
  for (const change of directory.changesSince(token.at)) {
    if (change.seq > token.r) break;
    const shows = (!wanted || wanted.has(change.id)) && !seen.has(change.id) && reportable(change, tracked);
    if (added >= pageSize && shows) {
      more = true;
      break;
    }
    cursor = change.seq;
    scanned += 1;
    if (shows) {
      onPage.push(change.id);
      seen.add(change.id);
      added += 1;
      last = change.id;
    }
    if (scanned >= budget && cursor < token.r) {
      more = true;
      break;
    }
  }
  // What changed since the deltaLink, for the representation: only needed for minimal answers and manager links.
  const summaries = minimal || tracked.has('manager') ? summarize(directory, seen, token.b ?? token.at, token.r) : undefined;
  const entries = onPage.map((id) => {
    const user = directory.getById(id);
    return user ? updatedEntry(user, token.s, access, tracked, summaries?.get(id), minimal) : removedEntry(directory, id);
  });
  if (!more) return { entries };
  return { entries, next: { ...token, at: cursor, n: token.n + 1, rp: last ?? token.rp } };
}

function deltaUrl(state: EmulatorState, params: string): string {
  return `${state.origin}/v1.0/users/delta?${params}`;
}

/** The initial request again, with an empty `$deltatoken` (delta-query-overview, "Synchronization reset"). */
function resetLocation(state: EmulatorState, token: TokenBase): string {
  const params: string[] = [];
  if (token.s) params.push(`$select=${encodeURIComponent(token.s.join(','))}`);
  if (token.f) params.push(`$filter=${encodeURIComponent(token.f.map((id) => `id eq '${id}'`).join(' or '))}`);
  params.push('$deltatoken=');
  return deltaUrl(state, params.join('&'));
}

function syncReset(state: EmulatorState, token: TokenBase): GraphError {
  return new GraphError(
    410,
    'syncStateNotFound',
    'The sync state generation is not found. The delta token is expired or no longer valid and data must be synchronized again from the Location URL.',
    { Location: resetLocation(state, token) },
  );
}

function openState<T extends SkipToken | DeltaToken>(state: EmulatorState, c: Context<GraphEnv>, raw: string, kind: T['k']): T {
  const tenant = c.get('caller').tenant;
  const token = openToken<T>(tenant.config.id, raw);
  if (!token || token.k !== kind || typeof token.i !== 'number') {
    throw directoryBadRequest(`The ${kind === 's' ? '$skiptoken' : '$deltatoken'} is malformed. Use the @odata.nextLink or @odata.deltaLink URL exactly as returned.`);
  }
  const expired = state.clock.now() - token.i > DELTA_TOKEN_LIFETIME_MS;
  const stale = token.v !== state.graph.instanceId || token.e !== state.graph.deltaEpoch(tenant.config.id);
  if (expired || stale) throw syncReset(state, token);
  return token;
}

function userDelta(state: EmulatorState, c: Context<GraphEnv>): Response {
  const access = userReadAccess(state, c);
  const { tenant } = c.get('caller');
  const directory = tenant.directory;
  const options = queryOptions(new URL(c.req.url));
  for (const option of ['$top', '$orderby', '$expand', '$search', '$count', '$skip']) {
    // delta-query-overview: for users, $expand, $top and $orderby are not supported.
    if (options.has(option)) throw unsupportedQuery(`The query option '${option}' is not supported with delta query on users.`);
  }
  const prefer = parsePrefer(c.req.header('prefer'));
  const base = (): TokenBase => ({ v: state.graph.instanceId, e: state.graph.deltaEpoch(tenant.config.id), i: state.clock.now() });

  let round: SkipToken;
  const skip = options.get('$skiptoken');
  const delta = options.get('$deltatoken');
  if (skip !== undefined) {
    if (options.has('$select')) throw unsupportedQuery('Delta queries with both $select and $skipToken are not supported.');
    round = openState<SkipToken>(state, c, skip, 's');
  } else if (delta !== undefined && delta !== '') {
    const select = parseSelect(options.get('$select'));
    if (delta.toLowerCase() === 'latest') {
      const filter = options.get('$filter');
      const scope = { ...(select ? { s: select } : {}), ...(filter ? { f: filterIds(filter) } : {}) };
      const token: DeltaToken = { ...base(), ...scope, k: 'd', seq: directory.seq };
      return graphJson(c, {
        '@odata.context': usersContext(state.origin, select),
        '@odata.deltaLink': deltaUrl(state, `$deltatoken=${sealToken(tenant.config.id, token)}`),
        value: [],
      });
    }
    const token = openState<DeltaToken>(state, c, delta, 'd');
    // delta-query-overview: $select with a deltaLink changes the tracked properties.
    const tracked = select ?? token.s;
    round = {
      ...base(),
      ...(tracked ? { s: tracked } : {}),
      ...(token.f ? { f: token.f } : {}),
      ...(token.ps ? { ps: token.ps } : {}),
      k: 's',
      p: 'chg',
      r: directory.seq,
      at: token.seq,
      b: token.seq,
      n: 0,
    };
  } else {
    const select = parseSelect(options.get('$select'));
    const filter = options.get('$filter');
    round = {
      ...base(),
      ...(select ? { s: select } : {}),
      ...(filter ? { f: filterIds(filter) } : {}),
      ...(prefer.maxPageSize ? { ps: Math.min(prefer.maxPageSize, 999) } : {}),
      k: 's',
      p: 'init',
      r: directory.seq,
      at: 0,
      n: 0,
    };
  }

  const pageSize = Math.min(prefer.maxPageSize ?? round.ps ?? state.graph.deltaPageSize, 999);
  const page =
    round.p === 'init'
      ? initialPage(directory, round, pageSize, state.graph.emptyDeltaPages, access)
      : changesPage(directory, round, pageSize, access, prefer.minimal);

  const body: Record<string, unknown> = { '@odata.context': usersContext(state.origin, round.s) };
  if (page.next) {
    const next: SkipToken = { ...page.next, i: state.clock.now() };
    body['@odata.nextLink'] = deltaUrl(state, `$skiptoken=${sealToken(tenant.config.id, next)}`);
  } else {
    const { v, e, s, f, ps } = round;
    const token: DeltaToken = { v, e, i: state.clock.now(), ...(s ? { s } : {}), ...(f ? { f } : {}), ...(ps ? { ps } : {}), k: 'd', seq: round.r };
    body['@odata.deltaLink'] = deltaUrl(state, `$deltatoken=${sealToken(tenant.config.id, token)}`);
  }
  body.value = page.entries;
  // RFC 7240 Preference-Applied. return=minimal is honoured on every page of a cycle: an initial round
  // holds only new instances, whose minimal representation is the full one.
  const applied = [...(prefer.maxPageSize ? [`odata.maxpagesize=${pageSize}`] : []), ...(prefer.minimal ? ['return=minimal'] : [])];
  const headers: Record<string, string> = applied.length > 0 ? { 'Preference-Applied': applied.join(', ') } : {};
  return graphJson(c, body, 200, headers);
}

export function registerDeltaRoutes(app: Hono<GraphEnv>, state: EmulatorState): void {
  app.get('/users/delta', (c) => userDelta(state, c));
  // The SDKs send the fully qualified function name (delta-query-overview note).
  app.get('/users/microsoft.graph.delta', (c) => userDelta(state, c));
}
