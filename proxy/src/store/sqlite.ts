import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Contact } from '../../../shared/contact.ts';
import type { Sealed } from '../crypto.ts';
import { contactJson, parseContactJson } from './contact-json.ts';
import { MEMORY_PATH } from './database-url.ts';
import { DEFAULT_PENDING_TTL_MS, LIST_BATCH, MAX_FEED_LIMIT, assertSealed, checkId, errorJson, fromStoredError, syncStateAssignments, tenantNotFound, toSyncState, toTenant, type StoredError, type SyncRecord } from './rows.ts';
import { SQLITE_MIGRATIONS, type Migration } from './migrations/sqlite.ts';
import {
  StoreError,
  type ChangesPage,
  type PendingInput,
  type PendingOnboarding,
  type Photo,
  type PhotoInput,
  type Store,
  type StoreOptions,
  type SyncPage,
  type SyncPageResult,
  type SyncState,
  type SyncStatePatch,
  type Tenant,
  type TenantError,
  type TenantInput,
  type TenantState,
} from './types.ts';

/**
 * The Store on SQLite through better-sqlite3 (https://github.com/WiseLibs/better-sqlite3/blob/master/docs/api.md).
 *
 * better-sqlite3 is synchronous: each method runs its statements, and its transaction, within one turn of
 * the event loop, so nothing else in this process interleaves with it, and the async interface only
 * wraps the result. Other processes (a `sync --once` beside `serve`) are kept apart by SQLite's locks:
 * write transactions start with BEGIN IMMEDIATE, which takes the write lock up front; a deferred
 * transaction that reads and then writes fails with SQLITE_BUSY instead of waiting when another
 * connection wrote in between (https://www.sqlite.org/lang_transaction.html).
 */


interface TenantRow {
  id: string;
  state: string;
  cloud: string;
  authority_host: string;
  graph_url: string;
  client_id: string;
  graph_auth: string;
  source: string;
  client_secret: string | null;
  admin_upn: string | null;
  admin_oid: string | null;
  granted_scopes: string;
  secret_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

type SyncRow = SyncRecord<string | null>;

interface UserRow {
  deleted: number;
  data: string | null;
  seen_run: string | null;
}

interface FeedRow {
  id: string;
  seq: number;
  deleted: number;
  data: string | null;
}

interface PendingRow {
  state: string;
  data: string;
  client_secret: string;
  code_verifier: string;
  created_at: number;
  expires_at: number;
}

interface PhotoRow {
  etag: string | null;
  content_type: string | null;
  bytes: Buffer | null;
  missing: number;
  fetched_at: number;
}

export interface SqliteStoreOptions extends StoreOptions {
  /** How long a connection waits for another process's write lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/** Opens (creating folders and file as needed) and migrates a SQLite store. `:memory:` for tests. */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): SqliteStore {
  // New folders are private: the database holds the directory and the sealed secrets.
  if (file !== MEMORY_PATH) mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const db = new Database(file);
  try {
    // WAL: readers (the changes feed) never wait for the writer (the sync), and a commit is one append
    // (https://www.sqlite.org/wal.html). synchronous=NORMAL is durable across process crashes in WAL
    // mode; a power cut may lose the last commits but never corrupts, and the sync re-applies them
    // idempotently from the stored cursor (https://www.sqlite.org/pragma.html#pragma_synchronous).
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5_000)}`);
    // Off by default in SQLite, per connection (https://www.sqlite.org/foreignkeys.html#fk_enable).
    db.pragma('foreign_keys = ON');
    // Object IDs are random GUIDs, so each page of users dirties pages all over the (tenant, id) index
    // and the WAL fills fast; at SQLite's default (a checkpoint, with its fsync, every 1,000 WAL pages)
    // a 100,000-user first sync checkpointed every few commits. 10,000 pages (40 MB of WAL) cut the
    // store's time per 999 users from ~21 ms to ~14 ms here (https://www.sqlite.org/wal.html#ckpt).
    db.pragma('wal_autocheckpoint = 10000');
    migrate(db, SQLITE_MIGRATIONS);
    return new SqliteStore(db, options.now ?? (() => new Date()));
  } catch (error) {
    db.close();
    throw error;
  }
}

export function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  const readVersion = (): number => db.pragma('user_version', { simple: true }) as number;
  if (readVersion() > latest) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `The database is at schema version ${readVersion()}, newer than this Peoplebook understands (${latest}): upgrade Peoplebook, or point DATABASE_URL at another file.`,
    );
  }
  for (const migration of migrations) {
    // Re-read inside the write lock: another process may have migrated while we waited for it.
    db.transaction(() => {
      if (readVersion() >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly s;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date,
  ) {
    const p = <P extends unknown[], R = unknown>(sql: string) => db.prepare<P, R>(sql);
    this.s = {
      tenant: p<[string], TenantRow>('SELECT * FROM tenants WHERE id = ?'),
      tenants: p<[], TenantRow>('SELECT * FROM tenants ORDER BY id'),
      upsertTenant: p<
        [string, string, string, string, string, string, string, string, string | null, string | null, string | null, string, number | null, string | null, number, number]
      >(`INSERT INTO tenants (id, state, cloud, authority_host, graph_url, client_id, graph_auth, source, client_secret,
           admin_upn, admin_oid, granted_scopes, secret_expires_at, last_error, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, cloud = excluded.cloud, authority_host = excluded.authority_host,
           graph_url = excluded.graph_url, client_id = excluded.client_id, graph_auth = excluded.graph_auth, source = excluded.source,
           client_secret = excluded.client_secret, admin_upn = excluded.admin_upn, admin_oid = excluded.admin_oid,
           granted_scopes = excluded.granted_scopes, secret_expires_at = excluded.secret_expires_at,
           last_error = excluded.last_error, updated_at = excluded.updated_at`),
      ensureSyncRow: p<[string]>('INSERT OR IGNORE INTO sync_state (tenant_id) VALUES (?)'),
      setState: p<[string, number, string]>('UPDATE tenants SET state = ?, updated_at = ? WHERE id = ?'),
      setStateAndError: p<[string, string | null, number, string]>('UPDATE tenants SET state = ?, last_error = ?, updated_at = ? WHERE id = ?'),
      deleteTenant: p<[string]>('DELETE FROM tenants WHERE id = ?'),
      saveTokenCache: p<[string | null, number, string]>('UPDATE tenants SET token_cache = ?, updated_at = ? WHERE id = ?'),
      loadTokenCache: p<[string], { token_cache: string | null }>('SELECT token_cache FROM tenants WHERE id = ?'),

      insertPending: p<[string, string, string, string, number, number]>(
        'INSERT INTO pending_onboarding (state, data, client_secret, code_verifier, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      // DELETE … RETURNING takes and removes in one statement: two callbacks racing with the same
      // state can't both get it (https://www.sqlite.org/lang_returning.html).
      consumePending: p<[string], PendingRow>('DELETE FROM pending_onboarding WHERE state = ? RETURNING *'),
      purgePending: p<[number]>('DELETE FROM pending_onboarding WHERE expires_at <= ?'),

      syncRow: p<[string], SyncRow>('SELECT * FROM sync_state WHERE tenant_id = ?'),
      user: p<[string, string], UserRow>('SELECT deleted, data, seen_run FROM users WHERE tenant_id = ? AND id = ?'),
      insertUser: p<[string, string, number, string, string | null, number]>(
        'INSERT INTO users (tenant_id, id, seq, deleted, data, seen_run, changed_at) VALUES (?, ?, ?, 0, ?, ?, ?)',
      ),
      updateUser: p<[number, string, string | null, number, string, string]>(
        'UPDATE users SET seq = ?, deleted = 0, data = ?, seen_run = coalesce(?, seen_run), changed_at = ? WHERE tenant_id = ? AND id = ?',
      ),
      markSeen: p<[string, string, string]>('UPDATE users SET seen_run = ? WHERE tenant_id = ? AND id = ?'),
      tombstone: p<[number, number, string, string]>(
        'UPDATE users SET seq = ?, deleted = 1, data = NULL, changed_at = ? WHERE tenant_id = ? AND id = ? AND deleted = 0',
      ),
      unseen: p<[string, string], { id: string }>('SELECT id FROM users WHERE tenant_id = ? AND deleted = 0 AND seen_run IS NOT ? ORDER BY id'),
      deleteUserPhotos: p<[string, string]>('DELETE FROM photos WHERE tenant_id = ? AND user_id = ?'),
      saveSyncCounters: p<[number, number, string | null, string | null, string | null, string]>(
        'UPDATE sync_state SET seq = ?, users_mirrored = ?, next_link = ?, delta_link = ?, full_sync_run = ? WHERE tenant_id = ?',
      ),
      getUser: p<[string, string], { data: string }>('SELECT data FROM users WHERE tenant_id = ? AND id = ? AND deleted = 0'),
      getUsers: p<[string, string], { id: string; data: string }>('SELECT id, data FROM users WHERE tenant_id = ? AND deleted = 0 AND id IN (SELECT value FROM json_each(?))'),
      countUsers: p<[string], { n: number }>('SELECT count(*) AS n FROM users WHERE tenant_id = ? AND deleted = 0'),
      listUsers: p<[string, string, number], { id: string; data: string }>(
        'SELECT id, data FROM users WHERE tenant_id = ? AND deleted = 0 AND id > ? ORDER BY id LIMIT ?',
      ),

      feed: p<[string, number, number], FeedRow>('SELECT id, seq, deleted, data FROM users WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      feedLive: p<[string, number, number], FeedRow>(
        'SELECT id, seq, deleted, data FROM users WHERE tenant_id = ? AND seq > ? AND deleted = 0 ORDER BY seq LIMIT ?',
      ),
      feedBounds: p<[string], { seq: number; history_floor: number }>('SELECT seq, history_floor FROM sync_state WHERE tenant_id = ?'),
      oldTombstonesMax: p<[string, number], { top: number | null; n: number }>(
        'SELECT max(seq) AS top, count(*) AS n FROM users WHERE tenant_id = ? AND deleted = 1 AND changed_at < ?',
      ),
      deleteOldTombstones: p<[string, number]>('DELETE FROM users WHERE tenant_id = ? AND deleted = 1 AND changed_at < ?'),
      raiseFloor: p<[number, string]>('UPDATE sync_state SET history_floor = max(history_floor, ?) WHERE tenant_id = ?'),

      resetCursor: p<[string]>('UPDATE sync_state SET next_link = NULL, delta_link = NULL, full_sync_run = NULL WHERE tenant_id = ?'),
      // Taken when free, expired, or already ours, in one statement: the conflict clause decides under
      // SQLite's write lock, so two processes can't both win.
      acquireLease: p<[string, string, number, number]>(
        `INSERT INTO sync_leases (tenant_id, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (tenant_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE sync_leases.expires_at <= ? OR sync_leases.owner = excluded.owner`,
      ),
      renewLease: p<[number, string, string]>('UPDATE sync_leases SET expires_at = ? WHERE tenant_id = ? AND owner = ?'),
      releaseLease: p<[string, string]>('DELETE FROM sync_leases WHERE tenant_id = ? AND owner = ?'),
      lease: p<[string], { owner: string; expires_at: number }>('SELECT owner, expires_at FROM sync_leases WHERE tenant_id = ?'),

      photo: p<[string, string, string], PhotoRow>('SELECT etag, content_type, bytes, missing, fetched_at FROM photos WHERE tenant_id = ? AND user_id = ? AND size = ?'),
      putPhoto: p<[string, string, string, string | null, string | null, Buffer | null, number, number]>(
        'INSERT OR REPLACE INTO photos (tenant_id, user_id, size, etag, content_type, bytes, missing, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  // ---- Tenants ----------------------------------------------------------------------------------

  async getTenant(id: string): Promise<Tenant | null> {
    const row = this.s.tenant.get(id);
    return row ? tenantOf(row) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    return this.s.tenants.all().map(tenantOf);
  }

  async upsertTenant(input: TenantInput): Promise<Tenant> {
    assertSealed(input.clientSecret, 'clientSecret');
    if (input.tokenCache !== undefined) assertSealed(input.tokenCache, 'tokenCache');
    const now = this.now().getTime();
    return this.db
      .transaction(() => {
        const existing = this.s.tenant.get(input.id);
        const lastError = input.lastError === undefined ? (existing?.last_error ?? null) : errorJson(input.lastError);
        this.s.upsertTenant.run(
          input.id,
          input.state,
          input.cloud,
          input.authorityHost,
          input.graphUrl,
          input.clientId,
          input.graphAuth,
          input.source,
          input.clientSecret,
          input.adminUpn,
          input.adminOid,
          JSON.stringify(input.grantedScopes),
          input.secretExpiresAt?.getTime() ?? null,
          lastError,
          existing?.created_at ?? now,
          now,
        );
        if (input.tokenCache !== undefined) this.s.saveTokenCache.run(input.tokenCache, now, input.id);
        this.s.ensureSyncRow.run(input.id);
        return tenantOf(this.s.tenant.get(input.id)!);
      })
      .immediate();
  }

  async setTenantState(id: string, state: TenantState, lastError?: TenantError | null): Promise<boolean> {
    const now = this.now().getTime();
    const result = lastError === undefined ? this.s.setState.run(state, now, id) : this.s.setStateAndError.run(state, errorJson(lastError), now, id);
    return result.changes > 0;
  }

  async deleteTenant(id: string): Promise<boolean> {
    return this.db.transaction(() => this.s.deleteTenant.run(id).changes > 0).immediate();
  }

  async saveTokenCache(tenantId: string, cache: Sealed): Promise<void> {
    assertSealed(cache, 'tokenCache');
    if (this.s.saveTokenCache.run(cache, this.now().getTime(), tenantId).changes === 0) throw tenantNotFound(tenantId);
  }

  async loadTokenCache(tenantId: string): Promise<Sealed | null> {
    return (this.s.loadTokenCache.get(tenantId)?.token_cache ?? null) as Sealed | null;
  }

  // ---- Pending onboarding -----------------------------------------------------------------------

  async createPending(pending: PendingInput, ttlMs = DEFAULT_PENDING_TTL_MS): Promise<PendingOnboarding> {
    assertSealed(pending.clientSecret, 'clientSecret');
    assertSealed(pending.codeVerifier, 'codeVerifier');
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + ttlMs);
    const { clientSecret, codeVerifier, state, ...data } = pending;
    this.s.insertPending.run(state, JSON.stringify(data), clientSecret, codeVerifier, createdAt.getTime(), expiresAt.getTime());
    return { ...pending, createdAt, expiresAt };
  }

  async consumePending(state: string): Promise<PendingOnboarding | null> {
    const row = this.s.consumePending.get(state);
    if (!row || row.expires_at <= this.now().getTime()) return null;
    const data = JSON.parse(row.data) as Omit<PendingOnboarding, 'state' | 'clientSecret' | 'codeVerifier' | 'createdAt' | 'expiresAt'>;
    return {
      ...data,
      state: row.state,
      clientSecret: row.client_secret as Sealed,
      codeVerifier: row.code_verifier as Sealed,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  async purgeExpiredPending(): Promise<number> {
    return this.s.purgePending.run(this.now().getTime()).changes;
  }

  // ---- Mirror -----------------------------------------------------------------------------------

  async applySyncPage(tenantId: string, page: SyncPage): Promise<SyncPageResult> {
    const { nextLink, deltaLink } = page.cursor;
    if ((nextLink === undefined) === (deltaLink === undefined) || (nextLink ?? deltaLink) === '') {
      throw new StoreError('INVALID_PAGE', 'A sync page carries exactly one of cursor.nextLink or cursor.deltaLink.');
    }
    const runId = page.fullSync?.runId ?? null;
    return this.db
      .transaction(() => {
        const state = this.s.syncRow.get(tenantId);
        if (!state) throw tenantNotFound(tenantId);
        const now = this.now().getTime();
        let seq = state.seq;
        let live = state.users_mirrored;
        let changed = 0;
        let removed = 0;
        for (const contact of page.upserts) {
          // Checked row by row, after earlier rows were written: a bad entry rolls the whole page back.
          const id = checkId(contact?.id);
          const data = contactJson(contact);
          const row = this.s.user.get(tenantId, id);
          if (!row) {
            this.s.insertUser.run(tenantId, id, ++seq, data, runId, now);
            live++;
            changed++;
          } else if (row.deleted === 1 || row.data !== data) {
            this.s.updateUser.run(++seq, data, runId, now, tenantId, id);
            if (row.deleted === 1) live++;
            changed++;
          } else if (runId !== null && row.seen_run !== runId) {
            this.s.markSeen.run(runId, tenantId, id);
          }
        }
        // Removals after upserts: a page's `@removed` entry wins over an earlier entry for the same id.
        for (const raw of page.removals) {
          const id = checkId(raw);
          // Only a live user becomes a tombstone (and takes the seq): unknown ids and repeats change nothing.
          if (this.s.tombstone.run(seq + 1, now, tenantId, id).changes > 0) {
            seq++;
            this.s.deleteUserPhotos.run(tenantId, id);
            live--;
            removed++;
          }
        }
        let vanished = 0;
        let fullSyncRun = runId ?? state.full_sync_run;
        if (runId !== null && deltaLink !== undefined) {
          ({ seq, live, vanished } = this.tombstoneUnseen(tenantId, runId, seq, live, now));
          fullSyncRun = null;
        }
        // Mid-round the old deltaLink stays (it is where an abandoned round restarts); a full resync drops
        // it, since it is the token Graph just refused.
        const nextDelta = deltaLink ?? (runId !== null ? null : state.delta_link);
        this.s.saveSyncCounters.run(seq, live, nextLink ?? null, nextDelta, fullSyncRun, tenantId);
        return { changed, removed, vanished, usersMirrored: live, latestSeq: seq };
      })
      .immediate();
  }

  async finishFullSync(tenantId: string, runId: string): Promise<SyncPageResult> {
    return this.db
      .transaction(() => {
        const state = this.s.syncRow.get(tenantId);
        if (!state) throw tenantNotFound(tenantId);
        // Only the run in progress: a stale run id would tombstone users seen by the newer run.
        if (state.full_sync_run !== runId) {
          return { changed: 0, removed: 0, vanished: 0, usersMirrored: state.users_mirrored, latestSeq: state.seq };
        }
        const { seq, live, vanished } = this.tombstoneUnseen(tenantId, runId, state.seq, state.users_mirrored, this.now().getTime());
        this.s.saveSyncCounters.run(seq, live, state.next_link, state.delta_link, null, tenantId);
        return { changed: 0, removed: 0, vanished, usersMirrored: live, latestSeq: seq };
      })
      .immediate();
  }

  /** Inside a transaction: tombstones every live user the run didn't see, each with its own seq. */
  private tombstoneUnseen(tenantId: string, runId: string, seq: number, live: number, now: number): { seq: number; live: number; vanished: number } {
    const ids = this.s.unseen.all(tenantId, runId);
    for (const { id } of ids) {
      this.s.tombstone.run(++seq, now, tenantId, id);
      this.s.deleteUserPhotos.run(tenantId, id);
    }
    return { seq, live: live - ids.length, vanished: ids.length };
  }

  async getUser(tenantId: string, id: string): Promise<Contact | null> {
    const row = this.s.getUser.get(tenantId, id);
    return row ? parseContactJson(row.data) : null;
  }

  async getUsers(tenantId: string, ids: readonly string[]): Promise<Map<string, Contact>> {
    const found = new Map<string, Contact>();
    if (ids.length === 0) return found;
    for (const row of this.s.getUsers.all(tenantId, JSON.stringify(ids))) found.set(row.id, parseContactJson(row.data));
    return found;
  }

  async countUsers(tenantId: string): Promise<number> {
    return this.s.countUsers.get(tenantId)?.n ?? 0;
  }

  async *listUsers(tenantId: string): AsyncIterable<Contact> {
    // Keyset paging on the primary key: each batch is one short read, so a long export never holds a
    // read snapshot (and the WAL) open across awaits.
    let after = '';
    for (;;) {
      const rows = this.s.listUsers.all(tenantId, after, LIST_BATCH);
      for (const row of rows) yield parseContactJson(row.data);
      if (rows.length < LIST_BATCH) return;
      after = rows.at(-1)!.id;
    }
  }

  // ---- Changes feed -----------------------------------------------------------------------------

  async changesSince(tenantId: string, cursor: number, limit: number, downloadStart?: number): Promise<ChangesPage> {
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new RangeError(`cursor must be a whole number ≥ 0, got ${cursor}`);
    const basis = downloadStart ?? cursor;
    const take = Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_FEED_LIMIT);
    // One read transaction: the bounds and the rows come from the same snapshot.
    return this.db.transaction((): ChangesPage => {
      const bounds = this.s.feedBounds.get(tenantId);
      if (!bounds) throw tenantNotFound(tenantId);
      // A cursor past the newest seq comes from another database (restored, recreated): start over.
      if (cursor > bounds.seq || (basis > 0 && basis < bounds.history_floor)) return { resync: true };
      const rows = (cursor === 0 ? this.s.feedLive : this.s.feed).all(tenantId, cursor, take + 1);
      const more = rows.length > take;
      if (more) rows.length = take;
      const upserts: Contact[] = [];
      const deletions: string[] = [];
      for (const row of rows) {
        if (row.deleted === 1 || row.data === null) deletions.push(row.id);
        else upserts.push(parseContactJson(row.data));
      }
      // With nothing more to read, the client has everything up to the newest seq, tombstones a
      // newcomer skipped included.
      const nextCursor = more ? rows.at(-1)!.seq : bounds.seq;
      return { upserts, deletions, nextCursor, more };
    })();
  }

  async latestSeq(tenantId: string): Promise<number> {
    return this.s.feedBounds.get(tenantId)?.seq ?? 0;
  }

  async pruneHistory(tenantId: string, olderThan: Date): Promise<number> {
    const cutoff = olderThan.getTime();
    return this.db
      .transaction(() => {
        const { top, n } = this.s.oldTombstonesMax.get(tenantId, cutoff) ?? { top: null, n: 0 };
        if (top === null || n === 0) return 0;
        this.s.deleteOldTombstones.run(tenantId, cutoff);
        this.s.raiseFloor.run(top, tenantId);
        return n;
      })
      .immediate();
  }

  // ---- Sync state and lease ---------------------------------------------------------------------

  async getSyncState(tenantId: string): Promise<SyncState | null> {
    const row = this.s.syncRow.get(tenantId);
    return row ? toSyncState(row, parseError) : null;
  }

  async updateSyncState(tenantId: string, patch: SyncStatePatch): Promise<void> {
    const assignments = syncStateAssignments(patch);
    const sets = assignments.map(([column]) => `${column} = ?`);
    const values = assignments.map(([, value]) => value);
    if (sets.length === 0) return;
    const result = this.db.prepare(`UPDATE sync_state SET ${sets.join(', ')} WHERE tenant_id = ?`).run(...values, tenantId);
    if (result.changes === 0) throw tenantNotFound(tenantId);
  }

  async resetSyncCursor(tenantId: string): Promise<void> {
    if (this.s.resetCursor.run(tenantId).changes === 0) throw tenantNotFound(tenantId);
  }

  async acquireSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now().getTime();
    return this.db
      .transaction(() => {
        if (!this.s.syncRow.get(tenantId)) throw tenantNotFound(tenantId);
        return this.s.acquireLease.run(tenantId, owner, now + ttlMs, now).changes > 0;
      })
      .immediate();
  }

  async renewSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.s.renewLease.run(this.now().getTime() + ttlMs, tenantId, owner).changes > 0;
  }

  async releaseSyncLease(tenantId: string, owner: string): Promise<void> {
    this.s.releaseLease.run(tenantId, owner);
  }

  async getSyncLease(tenantId: string): Promise<{ owner: string; expiresAt: Date } | null> {
    const row = this.s.lease.get(tenantId);
    return row ? { owner: row.owner, expiresAt: new Date(row.expires_at) } : null;
  }

  // ---- Photos -----------------------------------------------------------------------------------

  async getPhoto(tenantId: string, userId: string, size: string): Promise<Photo | null> {
    const row = this.s.photo.get(tenantId, userId, size);
    if (!row) return null;
    return {
      etag: row.etag,
      contentType: row.content_type,
      bytes: row.bytes === null ? null : new Uint8Array(row.bytes),
      missing: row.missing === 1,
      fetchedAt: new Date(row.fetched_at),
    };
  }

  async putPhoto(tenantId: string, userId: string, size: string, photo: PhotoInput): Promise<void> {
    const bytes = photo.missing || photo.bytes === null ? null : Buffer.from(photo.bytes.buffer, photo.bytes.byteOffset, photo.bytes.byteLength);
    try {
      this.s.putPhoto.run(tenantId, userId, size, photo.etag, photo.contentType, bytes, photo.missing ? 1 : 0, (photo.fetchedAt ?? this.now()).getTime());
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw tenantNotFound(tenantId);
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}




function parseError(text: string | null): TenantError | null {
  return fromStoredError(text === null ? null : (JSON.parse(text) as StoredError));
}

/** SQLite keeps the tenant's JSON columns as text. */
function tenantOf(row: TenantRow): Tenant {
  return toTenant({ ...row, granted_scopes: JSON.parse(row.granted_scopes) as string[], last_error: row.last_error === null ? null : (JSON.parse(row.last_error) as StoredError) });
}



