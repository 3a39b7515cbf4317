/**
 * The emulator's directory: one per tenant. The seeded part is generated on demand from (seed, index),
 * so 500,000 users cost no memory until they are read; changes made through the control API are kept
 * in an overlay with a per-tenant change sequence, which is what `/users/delta` replays.
 */

/** Directory role template IDs, as they appear in the `wids` claim.
 * https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference */
export const ROLE_GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
export const ROLE_USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
/** Every member user's `wids` carries the "User" template ID. */
export const ROLE_DEFAULT_USER = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

/**
 * A user as the emulator stores it: Graph's user resource properties the project uses, plus emulator facts.
 * The directory hands out frozen objects (arrays included): change a user with `Directory.update()`, so
 * every change lands in the change log.
 */
export interface DirectoryUser {
  id: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string;
  jobTitle: string | null;
  department: string | null;
  companyName: string | null;
  officeLocation: string | null;
  businessPhones: string[];
  mobilePhone: string | null;
  preferredLanguage: string | null;
  city: string | null;
  country: string | null;
  usageLocation: string | null;
  employeeId: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  createdDateTime: string;
  /** Object ID of the manager, or null at the top of the tree. */
  managerId: string | null;
  /** Directory role template IDs (the `wids` claim); empty for most users. */
  roles: string[];
  /** Whether a profile photo exists (Graph answers 404 ImageNotFound when it does not). */
  hasPhoto: boolean;
  /** Changes whenever the photo changes; the photo's ETag derives from it. */
  photoVersion: number;
}

/** The fields a control-API caller may set when adding or editing a user. */
export type UserPatch = Partial<Omit<DirectoryUser, 'id' | 'createdDateTime'>>;

/** One entry of the change log, in the order the changes happened. */
export interface DirectoryChange {
  /** Per-tenant sequence number, strictly increasing, starting at 1. */
  seq: number;
  id: string;
  /** `deleted` = soft-deleted (restorable, Graph's `@removed: changed`); `purged` = permanently gone (`deleted`). */
  kind: 'upserted' | 'deleted' | 'purged';
  /** Time of the change, clock milliseconds. */
  at: number;
  /**
   * Graph names of the properties the change touched, in the directory's field order (`managerId` is
   * `manager`, `hasPhoto`/`photoVersion` are `photo`; `roles`, the `wids` role memberships, is not a
   * user property). `/users/delta` needs it to honour `$select`-scoped tracking and
   * `Prefer: return=minimal` (https://learn.microsoft.com/graph/delta-query-overview, "Resource
   * representation in the delta query response"; https://learn.microsoft.com/graph/api/user-delta).
   * - `upserted` by add() or restore(): starts with `id` (the object came into existence, or back),
   *   then every property it has;
   * - `upserted` by update(): the properties whose value changed (empty when the patch changed nothing);
   * - `upserted` for a direct report whose manager was deleted, purged or restored: `['manager']`;
   * - `deleted` / `purged`: absent. Absent on an `upserted` change means "unknown: treat all as changed".
   */
  fields?: string[];
  /** When `fields` includes `manager`: the manager before the change (null if there was none). */
  previousManagerId?: string | null;
}

export interface Directory {
  readonly tenantId: string;
  /** The default verified domain, e.g. `lakeside.example`. */
  readonly domain: string;
  /** Number of users that currently exist (soft-deleted users excluded). */
  readonly size: number;
  /** Sequence number of the last change (0 before any change). */
  readonly seq: number;
  /** Positions run from 0 to `positionLimit` - 1: seeded users first, then added ones. Stable for a user's life. */
  readonly positionLimit: number;
  /** The user at a position, or undefined when that position was deleted. */
  atPosition(position: number): DirectoryUser | undefined;
  /** Existing users in position order from `fromPosition`; yields the user and its position. */
  iterate(fromPosition?: number): Iterable<{ position: number; user: DirectoryUser }>;
  getById(id: string): DirectoryUser | undefined;
  /** Case-insensitive, as Entra matches UPNs. */
  getByUpn(upn: string): DirectoryUser | undefined;
  /** Soft-deleted users (Graph's deletedItems), by ID. */
  getDeleted(id: string): DirectoryUser | undefined;
  directReports(id: string): DirectoryUser[];
  /** Changes with `seq` greater than `afterSeq`, oldest first. */
  changesSince(afterSeq: number): Iterable<DirectoryChange>;
  add(patch: UserPatch & Pick<DirectoryUser, 'displayName'>): DirectoryUser;
  update(id: string, patch: UserPatch): DirectoryUser;
  /** Soft delete (restorable) unless `permanent`. */
  remove(id: string, options?: { permanent?: boolean }): void;
  restore(id: string): DirectoryUser;
}
