import type { Clock } from '../clock.ts';
import { isGuid, newGuid } from '../ids.ts';
import { createCompactIndex, type CompactIndex } from './compact-index.ts';
import { DirectoryError } from './errors.ts';
import { createSeededUsers, graphDateTime } from './generate-user.ts';
import { createLru } from './lru.ts';
import { childRange } from './org-chart.ts';
import { localPart, romanize } from './romanize.ts';
import type { Directory, DirectoryChange, DirectoryUser, UserPatch } from './types.ts';

export { DirectoryError, type DirectoryErrorCode } from './errors.ts';
export { CLEAN_UPNS, RATES } from './generate-user.ts';
export { BRANCHING, DEPARTMENTS } from './org-chart.ts';
export * from './types.ts';

export interface DirectoryOptions {
  tenantId: string;
  /** Default verified domain: members' UPNs and mail (`lakeside.example`). */
  domain: string;
  /** The tenant's `<name>.onmicrosoft.com` domain: guests' UPNs end in it. */
  initialDomain: string;
  /** `companyName` of seeded (and, by default, added) members. */
  companyName: string;
  seed: number;
  /** Seeded users, generated on demand; 500,000 cost nothing until read. */
  users: number;
  clock: Clock;
}

/** Recently read seeded users; small, so scanning the whole directory never keeps it in memory. */
const CACHE_SIZE = 1024;

type FieldType = 'string' | 'string?' | 'string[]' | 'boolean' | 'userType' | 'version';

/** What each writable field accepts; `id` and `createdDateTime` are set by the directory. */
const FIELDS: Readonly<Record<keyof UserPatch, FieldType>> = {
  displayName: 'string',
  givenName: 'string?',
  surname: 'string?',
  mail: 'string?',
  userPrincipalName: 'string',
  jobTitle: 'string?',
  department: 'string?',
  companyName: 'string?',
  officeLocation: 'string?',
  businessPhones: 'string[]',
  mobilePhone: 'string?',
  preferredLanguage: 'string?',
  city: 'string?',
  country: 'string?',
  usageLocation: 'string?',
  employeeId: 'string?',
  accountEnabled: 'boolean',
  userType: 'userType',
  managerId: 'string?',
  roles: 'string[]',
  hasPhoto: 'boolean',
  photoVersion: 'version',
};

function fitsType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'string?':
      return value === null || typeof value === 'string';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'boolean':
      return typeof value === 'boolean';
    case 'userType':
      return value === 'Member' || value === 'Guest';
    case 'version':
      return Number.isSafeInteger(value) && (value as number) > 0;
  }
}

/** The Graph name of a stored field, as change records name it (DirectoryChange.fields). */
const graphField = (key: keyof UserPatch): string => (key === 'managerId' ? 'manager' : key === 'hasPhoto' || key === 'photoVersion' ? 'photo' : key);

/** Every field a user has, Graph names, in FIELDS order. */
const ALL_FIELDS: readonly string[] = ['id', 'createdDateTime', ...new Set((Object.keys(FIELDS) as (keyof UserPatch)[]).map(graphField))];

const sameValue = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b;

/** What one change record carries besides its kind and ID. */
type ChangeDetail = Pick<DirectoryChange, 'fields' | 'previousManagerId'>;

/**
 * A user coming into existence (add) or back (restore): `id` first, then every property it has; a user
 * without a manager has no `manager` to report.
 */
const existenceDetail = (user: DirectoryUser): ChangeDetail =>
  user.managerId === null
    ? { fields: ALL_FIELDS.filter((field) => field !== 'manager') }
    : { fields: [...ALL_FIELDS], previousManagerId: null };

/** The fields of `patch` that are set (an explicit `undefined` means "leave as is"), checked. */
function checkedPatch(patch: UserPatch): UserPatch {
  if (typeof patch !== 'object' || patch === null) throw new DirectoryError('invalidUser', 'a user patch must be an object');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const type = Object.hasOwn(FIELDS, key) ? FIELDS[key as keyof UserPatch] : undefined;
    if (!type) {
      const readOnly = key === 'id' || key === 'createdDateTime';
      throw new DirectoryError('invalidUser', readOnly ? `${key} is set by the directory and cannot be changed` : `unknown user property ${key}`);
    }
    if (!fitsType(value, type)) throw new DirectoryError('invalidUser', `${key} must be ${type.replace('?', ' or null').replace('version', 'a positive integer')}`);
    out[key] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  const checked = out as UserPatch;
  if (checked.displayName !== undefined && checked.displayName.trim() === '') throw new DirectoryError('invalidUser', 'displayName must not be empty');
  // Graph's businessPhones is a collection, but "only one number can be set for this property":
  // https://learn.microsoft.com/graph/api/resources/user
  if ((checked.businessPhones?.length ?? 0) > 1) throw new DirectoryError('invalidUser', 'businessPhones takes at most one number');
  return checked;
}

export function createDirectory(options: DirectoryOptions): Directory {
  const { tenantId, domain, initialDomain, companyName, clock } = options;
  if (!tenantId) throw new RangeError('createDirectory needs a tenantId');
  if (!domain || !initialDomain) throw new RangeError('createDirectory needs domain and initialDomain');
  const seeded = createSeededUsers(options);
  const seededCount = seeded.count;
  const verifiedDomains = new Set([domain.toLowerCase(), initialDomain.toLowerCase()]);

  const cache = createLru<number, DirectoryUser>(CACHE_SIZE);
  /** Current record of seeded users that were edited, by position. */
  const overlay = new Map<number, DirectoryUser>();
  /** Users added through add(), at position seededCount + i; undefined once purged. */
  const added: (DirectoryUser | undefined)[] = [];
  const addedPositions = new Map<string, number>();
  /** Positions of users that are soft-deleted or purged. */
  const removed = new Map<number, 'deleted' | 'purged'>();
  /** Soft-deleted users (Graph's deletedItems): ID → position. */
  const softDeleted = new Map<string, number>();
  /** IDs of every removed user: a report whose manager is removed reads `managerId: null`. */
  const goneIds = new Set<string>();
  /**
   * Reports whose current manager is not their seeded one (edited seeded users, added users), by
   * manager ID, so directReports() stays O(reports): seeded reports are index arithmetic, these are
   * the exceptions.
   */
  const movedReports = new Map<string, Set<number>>();
  /** Current UPNs of edited and added users (lower case) → position; seeded UPNs use `upnIndex`. */
  const upnOverlay = new Map<string, number>();
  const changes: DirectoryChange[] = [];
  let idIndex: CompactIndex | undefined;
  let upnIndex: CompactIndex | undefined;

  const generated = (position: number): DirectoryUser => {
    let user = cache.get(position);
    if (!user) cache.set(position, (user = seeded.user(position)));
    return user;
  };

  /** The record at a position whatever its deletion state (undefined once an added user is purged). */
  const stored = (position: number, useCache = true): DirectoryUser | undefined => {
    if (position < seededCount) return overlay.get(position) ?? (useCache ? generated(position) : seeded.user(position));
    return added[position - seededCount];
  };

  /** What readers see: a manager that no longer exists is no manager. */
  const view = (user: DirectoryUser): DirectoryUser =>
    user.managerId !== null && goneIds.has(user.managerId) ? Object.freeze({ ...user, managerId: null }) : user;

  const positionOf = (id: string): number | undefined => {
    if (!isGuid(id)) return undefined;
    const key = id.toLowerCase();
    const fromAdded = addedPositions.get(key);
    if (fromAdded !== undefined) return fromAdded;
    if (seededCount === 0) return undefined;
    // Seeded IDs are hashes of (seed, index), so finding an index means indexing them once.
    idIndex ??= createCompactIndex(seededCount, seeded.id);
    const index = idIndex.find(key);
    return index < 0 ? undefined : index;
  };

  const atPosition = (position: number): DirectoryUser | undefined => {
    if (!Number.isInteger(position) || position < 0 || position >= seededCount + added.length || removed.has(position)) return undefined;
    const user = stored(position);
    return user && view(user);
  };

  const getById = (id: string): DirectoryUser | undefined => {
    const position = positionOf(id);
    return position === undefined ? undefined : atPosition(position);
  };

  const getByUpn = (upn: string): DirectoryUser | undefined => {
    // Entra compares UPNs case-insensitively.
    const key = upn.toLowerCase();
    const matches = (user: DirectoryUser | undefined): user is DirectoryUser => user?.userPrincipalName.toLowerCase() === key;
    const edited = upnOverlay.get(key);
    if (edited !== undefined) {
      const user = atPosition(edited);
      if (matches(user)) return user;
    }
    if (seededCount === 0) return undefined;
    upnIndex ??= createCompactIndex(seededCount, (index) => seeded.upn(index).toLowerCase());
    const index = upnIndex.find(key);
    if (index < 0) return undefined;
    // The seeded UPN may since have been changed, or the user deleted.
    const user = atPosition(index);
    return matches(user) ? user : undefined;
  };

  const seededManagerId = (position: number): string | null => (position < seededCount ? generated(position).managerId : null);

  const moveReport = (position: number, from: string | null, to: string | null): void => {
    if (from !== null) {
      const set = movedReports.get(from);
      set?.delete(position);
      if (set?.size === 0) movedReports.delete(from);
    }
    if (to !== null && to !== seededManagerId(position)) {
      let set = movedReports.get(to);
      if (!set) movedReports.set(to, (set = new Set()));
      set.add(position);
    }
  };

  const record = (kind: DirectoryChange['kind'], id: string, detail: ChangeDetail = {}): void => {
    const change: DirectoryChange = { seq: changes.length + 1, id, kind, at: clock.now() };
    if (detail.fields) change.fields = Object.freeze([...detail.fields]) as string[];
    if (detail.previousManagerId !== undefined) change.previousManagerId = detail.previousManagerId;
    changes.push(Object.freeze(change));
  };

  /**
   * A manager leaving (soft delete, purge) or coming back (restore) changes the `manager` of each of its
   * direct reports (readers see null while it is gone): one change per report, in the same mutation, so
   * `/users/delta` with `$select=manager` reports them as Graph would.
   */
  const recordReportsManager = (reports: readonly DirectoryUser[], previousManagerId: string | null): void => {
    for (const report of reports) record('upserted', report.id, { fields: ['manager'], previousManagerId });
  };

  const notFound = (id: string): DirectoryError =>
    new DirectoryError('userNotFound', `no user ${id} in tenant ${tenantId}: check the object ID (a deleted user must be restored first)`);

  const checkUpn = (upn: string, selfId: string | null): void => {
    const at = upn.lastIndexOf('@');
    // A UPN's domain must be one of the tenant's verified domains:
    // https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname
    if (at < 1 || !verifiedDomains.has(upn.slice(at + 1).toLowerCase())) {
      throw new DirectoryError('invalidUser', `userPrincipalName ${upn} must end in @${domain} or @${initialDomain}`);
    }
    const other = getByUpn(upn);
    if (other && other.id !== selfId) throw new DirectoryError('upnConflict', `another user (${other.id}) already has userPrincipalName ${upn}: choose another one`);
  };

  /** The canonical ID of a valid manager for `selfId`: it must exist and not be managed, directly or not, by `selfId`. */
  const checkManager = (managerId: string, selfId: string | null): string => {
    const manager = getById(managerId);
    if (!manager) throw new DirectoryError('invalidManager', `manager ${managerId} does not exist in tenant ${tenantId}`);
    for (let user: DirectoryUser | undefined = manager, steps = 0; user && steps <= seededCount + added.length; steps++) {
      if (user.id === selfId) throw new DirectoryError('invalidManager', `${managerId} reports to ${selfId}, so it cannot be its manager`);
      user = user.managerId === null ? undefined : getById(user.managerId);
    }
    return manager.id;
  };

  const directReports = (id: string): DirectoryUser[] => {
    const position = positionOf(id);
    if (position === undefined || removed.has(position)) return [];
    const managerId = stored(position)!.id;
    const positions: number[] = [];
    if (position < seededCount) {
      const [start, end] = childRange(position, seededCount);
      for (let child = start; child < end; child++) {
        if (!removed.has(child) && stored(child)!.managerId === managerId) positions.push(child);
      }
    }
    for (const child of movedReports.get(managerId) ?? []) {
      if (!removed.has(child) && stored(child)?.managerId === managerId) positions.push(child);
    }
    return positions.sort((a, b) => a - b).map((p) => view(stored(p)!));
  };

  /** A free UPN for an added user: `given.surname@domain`, numbered if taken. */
  const deriveUpn = (user: Pick<DirectoryUser, 'displayName' | 'givenName' | 'surname' | 'userType' | 'mail'>, position: number): string => {
    // An invited guest's UPN is their address with @ → _, then #EXT#@initial domain:
    // https://learn.microsoft.com/entra/external-id/user-properties
    if (user.userType === 'Guest' && user.mail?.includes('@')) {
      const upn = `${user.mail.replace('@', '_')}#EXT#@${initialDomain}`;
      if (!getByUpn(upn)) return upn;
    }
    const words = user.displayName.trim().split(/\s+/);
    const given = user.givenName ?? words[0] ?? '';
    const family = user.surname ?? words.slice(1).join(' ');
    const base = (family ? localPart(given, family, 4) : romanize(given)) ?? `user${position}`;
    let upn = `${base}@${domain}`;
    for (let n = 2; getByUpn(upn); n++) upn = `${base}${n}@${domain}`;
    return upn;
  };

  return {
    tenantId,
    domain,
    get size() {
      return seededCount + added.length - removed.size;
    },
    get seq() {
      return changes.length;
    },
    get positionLimit() {
      return seededCount + added.length;
    },
    atPosition,
    *iterate(fromPosition = 0) {
      // A scan reads each user once: it bypasses the cache so it doesn't evict users read by ID.
      for (let position = Number.isFinite(fromPosition) ? Math.max(0, Math.ceil(fromPosition)) : 0; position < seededCount + added.length; position++) {
        if (removed.has(position)) continue;
        const user = stored(position, false);
        if (user) yield { position, user: view(user) };
      }
    },
    getById,
    getByUpn,
    getDeleted(id) {
      const position = softDeleted.get(id.toLowerCase());
      const user = position === undefined ? undefined : stored(position);
      return user && view(user);
    },
    directReports,
    *changesSince(afterSeq) {
      // Sequence numbers are dense from 1, so seq n sits at changes[n - 1].
      for (let i = Math.max(0, Math.floor(afterSeq) || 0); i < changes.length; i++) yield changes[i]!;
    },

    add(input) {
      const patch = checkedPatch(input);
      if (patch.displayName === undefined) throw new DirectoryError('invalidUser', 'a new user needs a displayName');
      const position = seededCount + added.length;
      const userType = patch.userType ?? 'Member';
      const base = {
        displayName: patch.displayName,
        givenName: patch.givenName ?? null,
        surname: patch.surname ?? null,
        userType,
        mail: patch.mail ?? null,
      };
      const userPrincipalName = patch.userPrincipalName ?? deriveUpn(base, position);
      checkUpn(userPrincipalName, null);
      const id = newGuid();
      const managerId = patch.managerId ? checkManager(patch.managerId, id) : null;
      const user: DirectoryUser = Object.freeze({
        id,
        displayName: patch.displayName,
        givenName: null,
        surname: null,
        // Members get a mailbox at their UPN unless told otherwise, like the seeded ones.
        mail: userType === 'Member' ? userPrincipalName : null,
        userPrincipalName,
        jobTitle: null,
        department: null,
        companyName: userType === 'Member' ? companyName : null,
        officeLocation: null,
        businessPhones: Object.freeze([]) as unknown as string[],
        mobilePhone: null,
        preferredLanguage: null,
        city: null,
        country: null,
        usageLocation: null,
        employeeId: null,
        accountEnabled: true,
        userType,
        createdDateTime: graphDateTime(clock.now()),
        roles: Object.freeze([]) as unknown as string[],
        hasPhoto: false,
        photoVersion: 1,
        ...patch,
        managerId,
      });
      added.push(user);
      addedPositions.set(id, position);
      upnOverlay.set(userPrincipalName.toLowerCase(), position);
      moveReport(position, null, managerId);
      record('upserted', id, existenceDetail(user));
      return user;
    },

    update(id, input) {
      const patch = checkedPatch(input);
      const position = positionOf(id);
      if (position === undefined || removed.has(position)) throw notFound(id);
      const current = stored(position)!;
      if (patch.userPrincipalName !== undefined && patch.userPrincipalName.toLowerCase() !== current.userPrincipalName.toLowerCase()) {
        checkUpn(patch.userPrincipalName, current.id);
      }
      let managerId = current.managerId;
      if (patch.managerId !== undefined) managerId = patch.managerId === null ? null : checkManager(patch.managerId, current.id);
      // The photo's ETag derives from photoVersion: setting a photo, or removing one, is a new version.
      const photoChanged = patch.hasPhoto === true || (patch.hasPhoto === false && current.hasPhoto);
      const photoVersion = patch.photoVersion ?? (photoChanged ? current.photoVersion + 1 : current.photoVersion);
      const next: DirectoryUser = Object.freeze({ ...current, ...patch, managerId, photoVersion });
      // What changed, as readers see it (a manager that is gone already reads as null).
      const before = view(current);
      const after = view(next);
      const managerChanged = before.managerId !== after.managerId;
      const photoChanges = before.hasPhoto !== after.hasPhoto || before.photoVersion !== after.photoVersion;
      const fields: string[] = [];
      for (const key of Object.keys(FIELDS) as (keyof UserPatch)[]) {
        if (key === 'managerId') {
          if (managerChanged) fields.push('manager');
        } else if (key === 'hasPhoto') {
          if (photoChanges) fields.push('photo');
        } else if (key !== 'photoVersion' && key in patch && !sameValue(before[key], after[key])) {
          fields.push(key);
        }
      }

      if (position < seededCount) {
        overlay.set(position, next);
        cache.delete(position);
      } else {
        added[position - seededCount] = next;
      }
      const oldUpn = current.userPrincipalName.toLowerCase();
      const newUpn = next.userPrincipalName.toLowerCase();
      if (oldUpn !== newUpn && upnOverlay.get(oldUpn) === position) upnOverlay.delete(oldUpn);
      if (oldUpn !== newUpn) upnOverlay.set(newUpn, position);
      if (managerId !== current.managerId) moveReport(position, current.managerId, managerId);
      record('upserted', current.id, managerChanged ? { fields, previousManagerId: before.managerId } : { fields });
      return after;
    },

    remove(id, { permanent = false } = {}) {
      const key = id.toLowerCase();
      const deletedAt = softDeleted.get(key);
      const position = deletedAt ?? positionOf(key);
      if (position === undefined || removed.get(position) === 'purged' || (deletedAt !== undefined && !permanent)) throw notFound(id);
      const user = stored(position)!;
      // Reports lose their manager when it leaves the directory; purging it from deleted items changes nothing more.
      const orphaned = deletedAt === undefined ? directReports(user.id) : [];
      goneIds.add(user.id);
      if (!permanent) {
        // Soft delete: listed in deletedItems and restorable for 30 days:
        // https://learn.microsoft.com/graph/api/directory-deleteditems-restore
        removed.set(position, 'deleted');
        softDeleted.set(user.id, position);
        record('deleted', user.id);
        recordReportsManager(orphaned, user.id);
        return;
      }
      removed.set(position, 'purged');
      softDeleted.delete(user.id);
      if (upnOverlay.get(user.userPrincipalName.toLowerCase()) === position) upnOverlay.delete(user.userPrincipalName.toLowerCase());
      moveReport(position, user.managerId, null);
      if (position < seededCount) {
        overlay.delete(position);
        cache.delete(position);
      } else {
        added[position - seededCount] = undefined;
        addedPositions.delete(user.id);
      }
      record('purged', user.id);
      recordReportsManager(orphaned, user.id);
    },

    restore(id) {
      const position = softDeleted.get(id.toLowerCase());
      if (position === undefined) {
        throw new DirectoryError('userNotFound', `no deleted user ${id} in tenant ${tenantId}: only soft-deleted users can be restored`);
      }
      const user = stored(position)!;
      // A deleted user's UPN may be reused; restoring the original then needs a new UPN (the restore
      // cmdlet's -NewUserPrincipalName "if the original UserPrincipalName is in use by another active user":
      // https://learn.microsoft.com/powershell/module/microsoft.entra.directorymanagement/restore-entradeleteddirectoryobject).
      const other = getByUpn(user.userPrincipalName);
      if (other) throw new DirectoryError('upnConflict', `cannot restore ${id}: ${other.id} now has userPrincipalName ${user.userPrincipalName}; change one of them first`);
      softDeleted.delete(user.id);
      removed.delete(position);
      goneIds.delete(user.id);
      const restored = view(user);
      record('upserted', user.id, existenceDetail(restored));
      // Its reports (those still pointing at it) read it as their manager again.
      recordReportsManager(directReports(user.id), null);
      return restored;
    },
  };
}
