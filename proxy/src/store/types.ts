import type { Contact } from '../../../shared/contact.ts';
import type { CloudName, GraphAuth } from '../config.ts';
import type { Sealed } from '../crypto.ts';

/**
 * What the proxy keeps, behind one asynchronous interface: SQLite (./sqlite.ts), the embedded default,
 * and PostgreSQL (./postgres.ts), for several proxy instances sharing one database.
 * tests/proxy/store-contract.ts is the behaviour both must pass.
 *
 * Rules every implementation follows:
 * - Every method is scoped by tenant id; nothing reads across tenants.
 * - Secrets arrive already sealed (`Sealed`, from crypto.ts, with an AAD naming the row and field) and
 *   leave sealed: the store never holds a key and never sees a plaintext secret. It refuses a value that
 *   is not in the sealed format.
 * - Each method is atomic: it commits all of its writes or none.
 * - Time comes from the store's injected clock (`StoreOptions.now`), so tests control expiry.
 */

export type { Contact };
export type TenantState = 'pending' | 'active' | 'error';
export type TenantSource = 'env' | 'onboarding';

/** The last failure a tenant met, in the words the status page shows. */
export interface TenantError {
  /** Stable code, e.g. `AADSTS7000222` or `GRAPH_FORBIDDEN`. */
  code: string;
  message: string;
  /** The step the admin takes to fix it. */
  fix: string;
  at: Date;
}

export interface Tenant {
  /** Tenant GUID (lower case). */
  id: string;
  state: TenantState;
  cloud: CloudName;
  authorityHost: string;
  graphUrl: string;
  clientId: string;
  graphAuth: GraphAuth;
  source: TenantSource;
  /** Sealed with `secretAad(id, 'clientSecret')`. */
  clientSecret: Sealed | null;
  adminUpn: string | null;
  adminOid: string | null;
  grantedScopes: string[];
  secretExpiresAt: Date | null;
  lastError: TenantError | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Everything but the timestamps; the token cache is optional so the callback can write both at once. */
export interface TenantInput extends Omit<Tenant, 'createdAt' | 'updatedAt' | 'lastError'> {
  lastError?: TenantError | null;
  /** When present (even `null`), replaces the stored token cache in the same write. Sealed with
   * `secretAad(id, 'tokenCache')`. */
  tokenCache?: Sealed | null;
}

/** An onboarding started by "Save and Authorize", waiting for Microsoft's redirect to the callback. */
export interface PendingOnboarding {
  /** The OAuth `state` value: opaque, random, single use (RFC 6749 §10.12). */
  state: string;
  /** What the admin typed: tenant GUID or verified domain. */
  tenant: string;
  cloud: CloudName;
  authorityHost: string;
  graphUrl: string;
  clientId: string;
  graphAuth: GraphAuth;
  /** Sealed with `secretAad('pending:' + state, 'clientSecret')`. */
  clientSecret: Sealed;
  /** PKCE verifier (RFC 7636), sealed with `secretAad('pending:' + state, 'codeVerifier')`. */
  codeVerifier: Sealed;
  redirectUri: string;
  /** Anything else the flow needs back (nonce, the extension origin to return to…). Not secret. */
  extra: Record<string, string>;
  createdAt: Date;
  expiresAt: Date;
}

export type PendingInput = Omit<PendingOnboarding, 'createdAt' | 'expiresAt'>;

/** Where a tenant's mirror resumes: `nextLink` mid-round (crash recovery), else `deltaLink`, else a full sync. */
export interface SyncCursor {
  nextLink?: string;
  deltaLink?: string;
}

/** One page of `/users/delta`, already mapped to contacts and filtered (disabled/guests → `removals`). */
export interface SyncPage {
  upserts: Contact[];
  /** Ids that left the mirror: `@removed` entries, and users the filters now exclude. */
  removals: string[];
  /** The page's `@odata.nextLink` or, on the last page, `@odata.deltaLink` — exactly one. */
  cursor: SyncCursor;
  /**
   * Present on every page of a full resync (after 410 Gone / syncStateNotFound). Users on the page are
   * marked seen in `runId`; the page that carries the deltaLink also tombstones every user not seen in
   * the run, in the same transaction (see `finishFullSync`).
   */
  fullSync?: { runId: string };
}

export interface SyncPageResult {
  /** Users added, changed or revived (each got a new seq). */
  changed: number;
  /** Users tombstoned by `removals`. */
  removed: number;
  /** Users tombstoned because a finished full sync didn't see them. */
  vanished: number;
  /** Live users in the mirror after the page. */
  usersMirrored: number;
  latestSeq: number;
}

export type SyncPhase = 'idle' | 'running';
export type SyncOutcome = 'ok' | 'error' | 'resync';

export interface SyncState {
  tenantId: string;
  cursor: SyncCursor;
  /** Set while a full resync is under way, so a restarted process continues the same run. */
  fullSyncRunId: string | null;
  phase: SyncPhase;
  lastStart: Date | null;
  lastEnd: Date | null;
  lastOutcome: SyncOutcome | null;
  lastError: TenantError | null;
  nextRunAt: Date | null;
  usersMirrored: number;
  latestSeq: number;
  /** Tombstones with seq ≤ this may be pruned: a client cursor below it must resync. */
  historyFloor: number;
}

export type SyncStatePatch = Partial<Pick<SyncState, 'phase' | 'lastStart' | 'lastEnd' | 'lastOutcome' | 'lastError' | 'nextRunAt'>>;

/**
 * One page of the changes feed. Cursor 0 means "I have nothing": it lists live users only (a newcomer
 * needs no tombstones) and is always answered, whatever was pruned.
 */
export type ChangesPage =
  | { resync?: false; upserts: Contact[]; deletions: string[]; nextCursor: number; more: boolean }
  /** The client's cursor is older than the retained history (or newer than this database): drop the
   * local copy and start again from cursor 0. */
  | { resync: true };

export interface Photo {
  etag: string | null;
  contentType: string | null;
  /** `null` when Graph has no photo (404 ImageNotFound): misses are cached too. */
  bytes: Uint8Array | null;
  missing: boolean;
  fetchedAt: Date;
}

export type PhotoInput = Omit<Photo, 'fetchedAt'> & { fetchedAt?: Date };

export interface Store {
  readonly kind: 'sqlite' | 'postgres';

  // Tenants
  getTenant(id: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  /** Inserts or replaces the tenant's configuration (timestamps kept/updated by the store). */
  upsertTenant(tenant: TenantInput): Promise<Tenant>;
  /** Returns false when the tenant doesn't exist. `lastError` undefined keeps the stored one. */
  setTenantState(id: string, state: TenantState, lastError?: TenantError | null): Promise<boolean>;
  /** Removes the tenant and everything it owns (mirror, feed, photos, sync state, lease). */
  deleteTenant(id: string): Promise<boolean>;
  saveTokenCache(tenantId: string, cache: Sealed): Promise<void>;
  loadTokenCache(tenantId: string): Promise<Sealed | null>;

  // Pending onboarding
  /** Default time to live: 15 minutes. */
  createPending(pending: PendingInput, ttlMs?: number): Promise<PendingOnboarding>;
  /** Returns and deletes the pending config in one step; an unknown, used or expired state → null. */
  consumePending(state: string): Promise<PendingOnboarding | null>;
  /** Deletes expired pending configs; returns how many. */
  purgeExpiredPending(): Promise<number>;

  // Mirror
  /** Applies one delta page and stores its cursor, in one transaction. Throws on an unknown tenant. */
  applySyncPage(tenantId: string, page: SyncPage): Promise<SyncPageResult>;
  /** Tombstones every live user not seen in `runId` and ends the full sync. Idempotent. */
  finishFullSync(tenantId: string, runId: string): Promise<SyncPageResult>;
  getUser(tenantId: string, id: string): Promise<Contact | null>;
  /** Live users among `ids`, in one read (a delta page merges its partial entries onto them). */
  getUsers(tenantId: string, ids: readonly string[]): Promise<Map<string, Contact>>;
  countUsers(tenantId: string): Promise<number>;
  /** Live users ordered by id, read in batches (export). */
  listUsers(tenantId: string): AsyncIterable<Contact>;

  // Changes feed
  /**
   * `downloadStart`: for a client still paging through its first download, the newest seq when that
   * download began (its cursor 0 page). Its history check is against that point, not its cursor: the
   * live users it is paging through are all it needs, whatever older tombstones were pruned meanwhile.
   */
  changesSince(tenantId: string, cursor: number, limit: number, downloadStart?: number): Promise<ChangesPage>;
  latestSeq(tenantId: string): Promise<number>;
  /** Deletes tombstones older than `olderThan` and raises the history floor; returns how many. */
  pruneHistory(tenantId: string, olderThan: Date): Promise<number>;

  // Sync state and the one-sync-per-tenant lease
  getSyncState(tenantId: string): Promise<SyncState | null>;
  updateSyncState(tenantId: string, patch: SyncStatePatch): Promise<void>;
  /** Forgets the cursor (and any full-sync run) so the next round starts with a full sync. */
  resetSyncCursor(tenantId: string): Promise<void>;
  /** Takes the lease if it is free, expired, or already `owner`'s. Safe across processes. */
  acquireSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends `owner`'s lease; false when it was lost (expired and taken by another). */
  renewSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean>;
  releaseSyncLease(tenantId: string, owner: string): Promise<void>;
  /** Who holds the tenant's lease and until when (expired or not), or null when nobody does. */
  getSyncLease(tenantId: string): Promise<{ owner: string; expiresAt: Date } | null>;

  // Photos
  getPhoto(tenantId: string, userId: string, size: string): Promise<Photo | null>;
  putPhoto(tenantId: string, userId: string, size: string, photo: PhotoInput): Promise<void>;

  close(): Promise<void>;
}

export interface StoreOptions {
  /** Clock for expiry, leases and timestamps; `() => new Date()` by default. */
  now?: () => Date;
}

/** Thrown for misuse a caller can fix (unknown tenant, malformed page, plaintext secret), or a database that can't be opened. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: 'TENANT_NOT_FOUND' | 'INVALID_PAGE' | 'NOT_SEALED' | 'SCHEMA_TOO_NEW' | 'UNSUPPORTED_DATABASE' | 'DATABASE_UNAVAILABLE',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
