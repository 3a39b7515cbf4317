import pg from 'pg';
import type { Contact } from '../../../shared/contact.ts';
import type { Sealed } from '../crypto.ts';
import { contactJson, parseContactJson } from './contact-json.ts';
import { redactDatabaseUrl } from './database-url.ts';
import { DEFAULT_PENDING_TTL_MS, LIST_BATCH, MAX_FEED_LIMIT, assertSealed, checkId, errorJson, fromStoredError, syncStateAssignments, tenantNotFound, toSyncState, toTenant, type StoredError, type SyncRecord, type TenantRecord } from './rows.ts';
import { POSTGRES_MIGRATIONS } from './migrations/postgres.ts';
import type { Migration } from './migrations/sqlite.ts';
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
 * The Store on PostgreSQL through node-postgres (https://node-postgres.com), for several proxy instances
 * sharing one database. Same tables, same meaning and same contract (tests/proxy/store-contract.ts) as
 * ./sqlite.ts; what differs is how writers are kept apart, since here they are other processes on other
 * hosts:
 *
 * - Each method runs on one pooled connection, its writes in one transaction (BEGIN … COMMIT) at READ
 *   COMMITTED, PostgreSQL's default.
 * - Everything that hands out a tenant's sequence numbers (applySyncPage, finishFullSync), and what
 *   removes its rows (pruneHistory, deleteTenant), first locks the tenant's `sync_state` row with
 *   SELECT … FOR UPDATE, which holds until commit: one lock order, so they never deadlock. Numbers are
 *   therefore given out and committed one transaction after another: a reader never sees seq 21 committed while
 *   seq 20 is still in flight, which a PostgreSQL SEQUENCE would allow (its numbers are taken outside the
 *   transaction and commit in any order), and which would make a client's cursor skip a change for good.
 *   Statements after the lock see everything the previous holder committed (READ COMMITTED takes a new
 *   snapshot per statement, https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED).
 * - A page is applied with a handful of set-based statements (one read of the page's rows, one multi-row
 *   upsert through unnest(), one update of the counters), not one round trip per user.
 * - The sync lease is a row with an expiry, taken with INSERT … ON CONFLICT … DO UPDATE … WHERE (expired or
 *   ours) RETURNING: PostgreSQL decides the conflict under the row's lock, so of several instances racing
 *   exactly one gets a row back (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT).
 *   Expiry is compared against the store's clock, as in SQLite; hosts keep their clocks in sync (NTP), a
 *   skew of seconds being small against the 2-minute lease.
 * - The changes feed is one statement (bounds and rows from one snapshot), a keyset read of the
 *   (tenant_id, seq) index.
 * - Connections come from a pg.Pool. After a server restart the pool drops its dead connections and opens
 *   new ones on the next call; the call that meets the restart fails with the server's error, which the
 *   sync treats like any failed round (retried, resuming from the last committed page). Idle connections
 *   dying never crash the process (the pool's and clients' 'error' events are handled).
 */

/** Joins the contacts' JSON texts of a page (never inside one: JSON escapes control characters). */
const UNIT_SEPARATOR = '\u001f';
/** Key of the advisory lock that serialises migrations across instances ('pbmigrat' in ASCII). */
const MIGRATION_LOCK_KEY = '7071626d69677261';

type Queryable = pg.Pool | pg.PoolClient;

type TenantRow = TenantRecord;

type SyncRow = SyncRecord<StoredError | null>;

interface PendingRow {
  state: string;
  data: Omit<PendingOnboarding, 'state' | 'clientSecret' | 'codeVerifier' | 'createdAt' | 'expiresAt'>;
  client_secret: string;
  code_verifier: string;
  created_at: number;
  expires_at: number;
}


/** A user row as the page leaves it: `write` when the page changed it (new seq), `seen` when only marked seen. */
interface PageRow {
  seq: number;
  deleted: boolean;
  data: string | null;
  seenRun: string | null;
  changedAt: number;
  dirty: 'no' | 'seen' | 'write';
}

export interface PostgresStoreOptions extends StoreOptions {
  /** Connections per instance (default 10). Mind the server's max_connections across instances. */
  poolSize?: number;
  /** How long to wait for a connection (default 10 s) before the call fails. */
  connectTimeoutMs?: number;
}

/** bigint (int8) columns as numbers: milliseconds and sequence numbers stay far below 2^53. */
const PARSE_TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Connects, migrates (once, whoever else starts at the same time) and returns the store. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    // TCP keepalive: a server that vanished without closing the socket (host down) is noticed.
    keepAlive: true,
    application_name: 'peoplebook-proxy',
    // An instance frozen inside a transaction (a paused VM, a stopped process) would hold its tenant's
    // sync row, and with it every other instance's sync, until the server ends its session: a minute.
    idle_in_transaction_session_timeout: 60_000,
    types: PARSE_TYPES,
  });
  handleConnectionErrors(pool);
  try {
    await migratePostgres(pool, POSTGRES_MIGRATIONS);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreError) throw error;
    throw new StoreError('DATABASE_UNAVAILABLE', `Cannot open the PostgreSQL database ${redactDatabaseUrl(url)}: ${describeError(error)}`, { cause: error });
  }
  return new PostgresStore(pool, options.now ?? (() => new Date()));
}

/** The driver's words; a connection refused on every address of a name (localhost: ::1 and 127.0.0.1) is an AggregateError without a message of its own. */
function describeError(error: unknown): string {
  const e = error as Error & { code?: string; errors?: unknown[] };
  const message = e.message || (e.errors ?? []).map((inner) => (inner as Error).message).join('; ') || e.code || String(error);
  return e.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/**
 * A connection that dies while idle in the pool (server restart, network) makes the pool emit 'error';
 * one that dies while checked out makes the client emit it between queries. Unhandled, either event would
 * end the process: here they are expected, and the next query (on a new connection) tells the caller.
 */
function handleConnectionErrors(pool: pg.Pool): void {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
}

/**
 * Applies the migrations the database lacks, in one transaction holding a transaction-level advisory
 * lock: instances starting together run them once (the others wait, then find them recorded).
 */
export async function migratePostgres(pool: pg.Pool, migrations: readonly Migration[]): Promise<void> {
  const latest = migrations.at(-1)?.version ?? 0;
  await transaction(pool, async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(x'${MIGRATION_LOCK_KEY}'::bigint)`);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const current = (await c.query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations')).rows[0]!.version;
    if (current > latest) {
      throw new StoreError(
        'SCHEMA_TOO_NEW',
        `The database is at schema version ${current}, newer than this Peoplebook understands (${latest}): upgrade Peoplebook, or point DATABASE_URL at another database.`,
      );
    }
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      await c.query(migration.sql);
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    }
  });
}

/** Runs `fn` in BEGIN … COMMIT on one connection; rolls back on any error. A broken connection is discarded. */
async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  #closed = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly now: () => Date,
  ) {}

  private tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return transaction(this.pool, fn);
  }

  /** A named (prepared once per connection) statement. */
  private async q<R extends pg.QueryResultRow>(db: Queryable, name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return db.query<R>({ name: `pb_${name}`, text, values });
  }

  // ---- Tenants ----------------------------------------------------------------------------------

  async getTenant(id: string): Promise<Tenant | null> {
    const { rows } = await this.q<TenantRow>(this.pool, 'tenant', 'SELECT * FROM tenants WHERE id = $1', [id]);
    return rows[0] ? toTenant(rows[0]) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    const { rows } = await this.q<TenantRow>(this.pool, 'tenants', 'SELECT * FROM tenants ORDER BY id', []);
    return rows.map(toTenant);
  }

  async upsertTenant(input: TenantInput): Promise<Tenant> {
    assertSealed(input.clientSecret, 'clientSecret');
    if (input.tokenCache !== undefined) assertSealed(input.tokenCache, 'tokenCache');
    const now = this.now().getTime();
    return this.tx(async (c) => {
      // created_at is kept on conflict; last_error and token_cache are kept unless the input names them.
      const { rows } = await this.q<TenantRow>(
        c,
        'upsert_tenant',
        `INSERT INTO tenants (id, state, cloud, authority_host, graph_url, client_id, graph_auth, source, client_secret,
           admin_upn, admin_oid, granted_scopes, secret_expires_at, last_error, token_cache, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
         ON CONFLICT (id) DO UPDATE SET state = excluded.state, cloud = excluded.cloud, authority_host = excluded.authority_host,
           graph_url = excluded.graph_url, client_id = excluded.client_id, graph_auth = excluded.graph_auth, source = excluded.source,
           client_secret = excluded.client_secret, admin_upn = excluded.admin_upn, admin_oid = excluded.admin_oid,
           granted_scopes = excluded.granted_scopes, secret_expires_at = excluded.secret_expires_at,
           last_error = CASE WHEN $17 THEN excluded.last_error ELSE tenants.last_error END,
           token_cache = CASE WHEN $18 THEN excluded.token_cache ELSE tenants.token_cache END,
           updated_at = excluded.updated_at
         RETURNING *`,
        [
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
          input.grantedScopes,
          input.secretExpiresAt?.getTime() ?? null,
          errorJson(input.lastError ?? null),
          input.tokenCache ?? null,
          now,
          input.lastError !== undefined,
          input.tokenCache !== undefined,
        ],
      );
      await this.q(c, 'ensure_sync_row', 'INSERT INTO sync_state (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING', [input.id]);
      return toTenant(rows[0]!);
    });
  }

  async setTenantState(id: string, state: TenantState, lastError?: TenantError | null): Promise<boolean> {
    const now = this.now().getTime();
    const result =
      lastError === undefined
        ? await this.q(this.pool, 'set_state', 'UPDATE tenants SET state = $1, updated_at = $2 WHERE id = $3', [state, now, id])
        : await this.q(this.pool, 'set_state_error', 'UPDATE tenants SET state = $1, last_error = $2, updated_at = $3 WHERE id = $4', [state, errorJson(lastError), now, id]);
    return (result.rowCount ?? 0) > 0;
  }

  async deleteTenant(id: string): Promise<boolean> {
    return this.tx(async (c) => {
      // The sync row first, as every writer of the mirror takes it first: a page being applied finishes
      // before the tenant goes, and the two can't deadlock.
      await this.q(c, 'lock_sync_row', 'SELECT * FROM sync_state WHERE tenant_id = $1 FOR UPDATE', [id]);
      // The mirror and feed (users has no foreign key, see the migration); photos, sync state and lease
      // go with the tenant (ON DELETE CASCADE).
      await this.q(c, 'delete_users', 'DELETE FROM users WHERE tenant_id = $1', [id]);
      const result = await this.q(c, 'delete_tenant', 'DELETE FROM tenants WHERE id = $1', [id]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async saveTokenCache(tenantId: string, cache: Sealed): Promise<void> {
    assertSealed(cache, 'tokenCache');
    const result = await this.q(this.pool, 'save_token_cache', 'UPDATE tenants SET token_cache = $1, updated_at = $2 WHERE id = $3', [cache, this.now().getTime(), tenantId]);
    if (result.rowCount === 0) throw tenantNotFound(tenantId);
  }

  async loadTokenCache(tenantId: string): Promise<Sealed | null> {
    const { rows } = await this.q<{ token_cache: string | null }>(this.pool, 'load_token_cache', 'SELECT token_cache FROM tenants WHERE id = $1', [tenantId]);
    return (rows[0]?.token_cache ?? null) as Sealed | null;
  }

  // ---- Pending onboarding -----------------------------------------------------------------------

  async createPending(pending: PendingInput, ttlMs = DEFAULT_PENDING_TTL_MS): Promise<PendingOnboarding> {
    assertSealed(pending.clientSecret, 'clientSecret');
    assertSealed(pending.codeVerifier, 'codeVerifier');
    const createdAt = this.now();
    const expiresAt = new Date(createdAt.getTime() + ttlMs);
    const { clientSecret, codeVerifier, state, ...data } = pending;
    await this.q(
      this.pool,
      'insert_pending',
      'INSERT INTO pending_onboarding (state, data, client_secret, code_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      [state, JSON.stringify(data), clientSecret, codeVerifier, createdAt.getTime(), expiresAt.getTime()],
    );
    return { ...pending, createdAt, expiresAt };
  }

  async consumePending(state: string): Promise<PendingOnboarding | null> {
    // DELETE … RETURNING takes and removes in one statement: of two callbacks racing with the same state,
    // the second waits for the first's row lock, then finds the row gone.
    const { rows } = await this.q<PendingRow>(this.pool, 'consume_pending', 'DELETE FROM pending_onboarding WHERE state = $1 RETURNING *', [state]);
    const row = rows[0];
    if (!row || row.expires_at <= this.now().getTime()) return null;
    return {
      ...row.data,
      state: row.state,
      clientSecret: row.client_secret as Sealed,
      codeVerifier: row.code_verifier as Sealed,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  async purgeExpiredPending(): Promise<number> {
    const result = await this.q(this.pool, 'purge_pending', 'DELETE FROM pending_onboarding WHERE expires_at <= $1', [this.now().getTime()]);
    return result.rowCount ?? 0;
  }

  // ---- Mirror -----------------------------------------------------------------------------------

  async applySyncPage(tenantId: string, page: SyncPage): Promise<SyncPageResult> {
    const { nextLink, deltaLink } = page.cursor;
    if ((nextLink === undefined) === (deltaLink === undefined) || (nextLink ?? deltaLink) === '') {
      throw new StoreError('INVALID_PAGE', 'A sync page carries exactly one of cursor.nextLink or cursor.deltaLink.');
    }
    // Checked and serialised before the transaction: a bad entry anywhere rejects the whole page.
    const upserts = page.upserts.map((contact) => ({ id: checkId(contact?.id), data: contactJson(contact) }));
    const removals = page.removals.map(checkId);
    const runId = page.fullSync?.runId ?? null;

    return this.tx(async (c) => {
      const state = (await this.q<SyncRow>(c, 'lock_sync_row', 'SELECT * FROM sync_state WHERE tenant_id = $1 FOR UPDATE', [tenantId])).rows[0];
      if (!state) throw tenantNotFound(tenantId);
      const now = this.now().getTime();

      // The page's rows as stored, read once; then the page is played over them in memory, entry after
      // entry exactly as the SQLite store does row by row, and the rows it touched are written back.
      const ids = [...new Set([...upserts.map((u) => u.id), ...removals])];
      const rows = new Map<string, PageRow>();
      if (ids.length > 0) {
        const existing = await this.q<{ id: string; seq: number; deleted: boolean; data: string | null; seen_run: string | null; changed_at: number }>(
          c,
          'page_rows',
          'SELECT id, seq, deleted, data, seen_run, changed_at FROM users WHERE tenant_id = $1 AND id = ANY($2::text[])',
          [tenantId, ids],
        );
        for (const r of existing.rows) rows.set(r.id, { seq: r.seq, deleted: r.deleted, data: r.data, seenRun: r.seen_run, changedAt: r.changed_at, dirty: 'no' });
      }
      let seq = state.seq;
      let live = state.users_mirrored;
      let changed = 0;
      let removed = 0;
      for (const { id, data } of upserts) {
        const row = rows.get(id);
        if (!row) {
          rows.set(id, { seq: ++seq, deleted: false, data, seenRun: runId, changedAt: now, dirty: 'write' });
          live++;
          changed++;
        } else if (row.deleted || row.data !== data) {
          if (row.deleted) live++;
          Object.assign(row, { seq: ++seq, deleted: false, data, seenRun: runId ?? row.seenRun, changedAt: now, dirty: 'write' });
          changed++;
        } else if (runId !== null && row.seenRun !== runId) {
          row.seenRun = runId;
          if (row.dirty === 'no') row.dirty = 'seen';
        }
      }
      // Removals after upserts: a page's `@removed` entry wins over an earlier entry for the same id.
      // Only a live user becomes a tombstone (and takes a seq): unknown ids and repeats change nothing.
      const gone: string[] = [];
      for (const id of removals) {
        const row = rows.get(id);
        if (!row || row.deleted) continue;
        Object.assign(row, { seq: ++seq, deleted: true, data: null, changedAt: now, dirty: 'write' });
        gone.push(id);
        live--;
        removed++;
      }

      const dirty = [...rows].filter(([, row]) => row.dirty === 'write');
      const seen = [...rows].filter(([, row]) => row.dirty === 'seen').map(([id]) => id);
      if (seen.length > 0) {
        // A full resync's unchanged users: only the run mark, without sending their data back.
        await this.q(c, 'mark_seen', 'UPDATE users SET seen_run = $3 WHERE tenant_id = $1 AND id = ANY($2::text[])', [tenantId, seen, runId]);
      }
      if (dirty.length > 0) {
        // One statement for the whole page. New seqs are all above every stored one, so the unique
        // (tenant_id, seq) index never sees a transient duplicate. The contacts' JSON travels as one
        // text joined with U+001F and split by the server: JSON.stringify escapes every control
        // character, so that one never occurs inside; and it spares escaping each of them as an array
        // element, which took most of the proxy's CPU for a page (10 ms → 2 ms for 999 users).
        await this.q(
          c,
          'write_rows',
          `INSERT INTO users (tenant_id, id, seq, deleted, data, seen_run, changed_at)
           SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::boolean[], string_to_array($5, chr(31), 'null'), $6::text[], $7::bigint[])
           ON CONFLICT (tenant_id, id) DO UPDATE SET seq = excluded.seq, deleted = excluded.deleted, data = excluded.data,
             seen_run = excluded.seen_run, changed_at = excluded.changed_at`,
          [
            tenantId,
            dirty.map(([id]) => id),
            dirty.map(([, r]) => r.seq),
            dirty.map(([, r]) => r.deleted),
            dirty.map(([, r]) => r.data ?? 'null').join(UNIT_SEPARATOR),
            dirty.map(([, r]) => r.seenRun),
            dirty.map(([, r]) => r.changedAt),
          ],
        );
      }
      if (gone.length > 0) await this.q(c, 'delete_photos', 'DELETE FROM photos WHERE tenant_id = $1 AND user_id = ANY($2::text[])', [tenantId, gone]);

      let vanished = 0;
      let fullSyncRun = runId ?? state.full_sync_run;
      if (runId !== null && deltaLink !== undefined) {
        vanished = await this.tombstoneUnseen(c, tenantId, runId, seq, now);
        seq += vanished;
        live -= vanished;
        fullSyncRun = null;
      }
      // Mid-round the old deltaLink stays (it is where an abandoned round restarts); a full resync drops
      // it, since it is the token Graph just refused.
      const nextDelta = deltaLink ?? (runId !== null ? null : state.delta_link);
      await this.saveCounters(c, tenantId, seq, live, nextLink ?? null, nextDelta, fullSyncRun);
      return { changed, removed, vanished, usersMirrored: live, latestSeq: seq };
    });
  }

  async finishFullSync(tenantId: string, runId: string): Promise<SyncPageResult> {
    return this.tx(async (c) => {
      const state = (await this.q<SyncRow>(c, 'lock_sync_row', 'SELECT * FROM sync_state WHERE tenant_id = $1 FOR UPDATE', [tenantId])).rows[0];
      if (!state) throw tenantNotFound(tenantId);
      // Only the run in progress: a stale run id would tombstone users seen by the newer run.
      if (state.full_sync_run !== runId) {
        return { changed: 0, removed: 0, vanished: 0, usersMirrored: state.users_mirrored, latestSeq: state.seq };
      }
      const vanished = await this.tombstoneUnseen(c, tenantId, runId, state.seq, this.now().getTime());
      const seq = state.seq + vanished;
      const live = state.users_mirrored - vanished;
      await this.saveCounters(c, tenantId, seq, live, state.next_link, state.delta_link, null);
      return { changed: 0, removed: 0, vanished, usersMirrored: live, latestSeq: seq };
    });
  }

  /**
   * Inside a transaction holding the sync row: tombstones every live user the run didn't see, each with
   * its own seq (seq + 1, seq + 2, … in id order), drops their photos, and returns how many.
   */
  private async tombstoneUnseen(c: pg.PoolClient, tenantId: string, runId: string, seq: number, now: number): Promise<number> {
    const { rows } = await this.q<{ n: number }>(
      c,
      'tombstone_unseen',
      `WITH unseen AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n FROM users
         WHERE tenant_id = $1 AND NOT deleted AND seen_run IS DISTINCT FROM $2
       ), gone AS (
         UPDATE users u SET seq = $3::bigint + unseen.n, deleted = true, data = NULL, changed_at = $4
         FROM unseen WHERE u.tenant_id = $1 AND u.id = unseen.id
         RETURNING u.id
       ), photos_gone AS (
         DELETE FROM photos p USING gone WHERE p.tenant_id = $1 AND p.user_id = gone.id
       )
       SELECT count(*)::int AS n FROM gone`,
      [tenantId, runId, seq, now],
    );
    return rows[0]!.n;
  }

  private async saveCounters(c: pg.PoolClient, tenantId: string, seq: number, live: number, nextLink: string | null, deltaLink: string | null, fullSyncRun: string | null): Promise<void> {
    await this.q(
      c,
      'save_counters',
      'UPDATE sync_state SET seq = $2, users_mirrored = $3, next_link = $4, delta_link = $5, full_sync_run = $6 WHERE tenant_id = $1',
      [tenantId, seq, live, nextLink, deltaLink, fullSyncRun],
    );
  }

  async getUser(tenantId: string, id: string): Promise<Contact | null> {
    const { rows } = await this.q<{ data: string }>(this.pool, 'get_user', 'SELECT data FROM users WHERE tenant_id = $1 AND id = $2 AND NOT deleted', [tenantId, id]);
    return rows[0] ? parseContactJson(rows[0].data) : null;
  }

  async getUsers(tenantId: string, ids: readonly string[]): Promise<Map<string, Contact>> {
    const found = new Map<string, Contact>();
    if (ids.length === 0) return found;
    const { rows } = await this.q<{ id: string; data: string }>(
      this.pool,
      'get_users',
      'SELECT id, data FROM users WHERE tenant_id = $1 AND id = ANY($2::text[]) AND NOT deleted',
      [tenantId, [...ids]],
    );
    for (const row of rows) found.set(row.id, parseContactJson(row.data));
    return found;
  }

  async countUsers(tenantId: string): Promise<number> {
    const { rows } = await this.q<{ n: number }>(this.pool, 'count_users', 'SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND NOT deleted', [tenantId]);
    return rows[0]?.n ?? 0;
  }

  async *listUsers(tenantId: string): AsyncIterable<Contact> {
    // Keyset paging on the primary key: each batch is one short statement, so a long export holds no
    // connection or snapshot across the consumer's awaits.
    let after = '';
    for (;;) {
      const { rows } = await this.q<{ id: string; data: string }>(
        this.pool,
        'list_users',
        'SELECT id, data FROM users WHERE tenant_id = $1 AND NOT deleted AND id > $2 ORDER BY id LIMIT $3',
        [tenantId, after, LIST_BATCH],
      );
      for (const row of rows) yield parseContactJson(row.data);
      if (rows.length < LIST_BATCH) return;
      after = rows.at(-1)!.id;
    }
  }

  // ---- Changes feed -----------------------------------------------------------------------------

  async changesSince(tenantId: string, cursor: number, limit: number, downloadStart?: number): Promise<ChangesPage> {
    if (!Number.isSafeInteger(cursor) || cursor < 0) throw new RangeError(`cursor must be a whole number ≥ 0, got ${cursor}`);
    // A first download still paging is judged by where it began (see Store.changesSince).
    const basis = downloadStart ?? cursor;
    const take = Math.min(Math.max(Math.trunc(limit) || 1, 1), MAX_FEED_LIMIT);
    // One statement, so one snapshot: the bounds and the rows agree. The rows are read only when the
    // cursor is within the retained history (otherwise the answer is a resync and reading is wasted).
    // Cursor 0 lists live users only.
    const { rows } = await this.q<{ top: number; floor: number; id: string | null; seq: number | null; deleted: boolean | null; data: string | null }>(
      this.pool,
      cursor === 0 ? 'feed_live' : 'feed',
      `SELECT s.seq AS top, s.history_floor AS floor, f.id, f.seq, f.deleted, f.data
       FROM sync_state s
       LEFT JOIN LATERAL (
         SELECT u.id, u.seq, u.deleted, u.data FROM users u
         WHERE u.tenant_id = s.tenant_id AND u.seq > $2 ${cursor === 0 ? 'AND NOT u.deleted' : ''}
           AND $2 <= s.seq AND ($4 = 0 OR $4 >= s.history_floor)
         ORDER BY u.seq LIMIT $3
       ) f ON true
       WHERE s.tenant_id = $1`,
      [tenantId, cursor, take + 1, basis],
    );
    const bounds = rows[0];
    if (!bounds) throw tenantNotFound(tenantId);
    // A cursor past the newest seq comes from another database (restored, recreated): start over.
    if (cursor > bounds.top || (basis > 0 && basis < bounds.floor)) return { resync: true };
    const feed = bounds.id === null ? [] : rows;
    const more = feed.length > take;
    if (more) feed.length = take;
    const upserts: Contact[] = [];
    const deletions: string[] = [];
    for (const row of feed) {
      if (row.deleted || row.data === null) deletions.push(row.id!);
      else upserts.push(parseContactJson(row.data));
    }
    // With nothing more to read, the client has everything up to the newest seq, tombstones a newcomer
    // skipped included.
    const nextCursor = more ? feed.at(-1)!.seq! : bounds.top;
    return { upserts, deletions, nextCursor, more };
  }

  async latestSeq(tenantId: string): Promise<number> {
    const { rows } = await this.q<{ seq: number }>(this.pool, 'latest_seq', 'SELECT seq FROM sync_state WHERE tenant_id = $1', [tenantId]);
    return rows[0]?.seq ?? 0;
  }

  async pruneHistory(tenantId: string, olderThan: Date): Promise<number> {
    return this.tx(async (c) => {
      // The sync row first (same lock order as applySyncPage, which may revive a tombstone pruned here).
      await this.q(c, 'lock_sync_row', 'SELECT * FROM sync_state WHERE tenant_id = $1 FOR UPDATE', [tenantId]);
      // The tombstones go and the floor rises in one statement: readers see before or after.
      const { rows } = await this.q<{ n: number }>(
        c,
        'prune_history',
        `WITH pruned AS (
           DELETE FROM users WHERE tenant_id = $1 AND deleted AND changed_at < $2 RETURNING seq
         ), top AS (
           SELECT max(seq) AS top, count(*)::int AS n FROM pruned
         ), raised AS (
           UPDATE sync_state SET history_floor = greatest(history_floor, top.top) FROM top
           WHERE tenant_id = $1 AND top.n > 0
         )
         SELECT n FROM top`,
        [tenantId, olderThan.getTime()],
      );
      return rows[0]?.n ?? 0;
    });
  }

  // ---- Sync state and lease ---------------------------------------------------------------------

  async getSyncState(tenantId: string): Promise<SyncState | null> {
    const { rows } = await this.q<SyncRow>(this.pool, 'sync_row', 'SELECT * FROM sync_state WHERE tenant_id = $1', [tenantId]);
    const row = rows[0];
    return row ? toSyncState(row, fromStoredError) : null;
  }

  async updateSyncState(tenantId: string, patch: SyncStatePatch): Promise<void> {
    const assignments = syncStateAssignments(patch);
    const values: unknown[] = [tenantId, ...assignments.map(([, value]) => value)];
    const sets = assignments.map(([column], i) => `${column} = $${i + 2}`);
    if (sets.length === 0) return;
    // Unnamed: the column list varies with the patch.
    const result = await this.pool.query(`UPDATE sync_state SET ${sets.join(', ')} WHERE tenant_id = $1`, values);
    if (result.rowCount === 0) throw tenantNotFound(tenantId);
  }

  async resetSyncCursor(tenantId: string): Promise<void> {
    const result = await this.q(this.pool, 'reset_cursor', 'UPDATE sync_state SET next_link = NULL, delta_link = NULL, full_sync_run = NULL WHERE tenant_id = $1', [tenantId]);
    if (result.rowCount === 0) throw tenantNotFound(tenantId);
  }

  async acquireSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.now().getTime();
    try {
      // Taken when free (insert), expired, or already ours (update); otherwise the WHERE fails, nothing is
      // returned. Racing instances queue on the row: each re-checks the WHERE against the winner's row.
      const { rowCount } = await this.q(
        this.pool,
        'acquire_lease',
        `INSERT INTO sync_leases (tenant_id, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE sync_leases.expires_at <= $4 OR sync_leases.owner = excluded.owner
         RETURNING owner`,
        [tenantId, owner, now + ttlMs, now],
      );
      return (rowCount ?? 0) > 0;
    } catch (error) {
      throw foreignKeyToNotFound(error, tenantId);
    }
  }

  async renewSyncLease(tenantId: string, owner: string, ttlMs: number): Promise<boolean> {
    const result = await this.q(this.pool, 'renew_lease', 'UPDATE sync_leases SET expires_at = $1 WHERE tenant_id = $2 AND owner = $3', [this.now().getTime() + ttlMs, tenantId, owner]);
    return (result.rowCount ?? 0) > 0;
  }

  async releaseSyncLease(tenantId: string, owner: string): Promise<void> {
    await this.q(this.pool, 'release_lease', 'DELETE FROM sync_leases WHERE tenant_id = $1 AND owner = $2', [tenantId, owner]);
  }

  async getSyncLease(tenantId: string): Promise<{ owner: string; expiresAt: Date } | null> {
    const { rows } = await this.q<{ owner: string; expires_at: number }>(this.pool, 'lease', 'SELECT owner, expires_at FROM sync_leases WHERE tenant_id = $1', [tenantId]);
    return rows[0] ? { owner: rows[0].owner, expiresAt: new Date(rows[0].expires_at) } : null;
  }

  // ---- Photos -----------------------------------------------------------------------------------

  async getPhoto(tenantId: string, userId: string, size: string): Promise<Photo | null> {
    const { rows } = await this.q<{ etag: string | null; content_type: string | null; bytes: Buffer | null; missing: boolean; fetched_at: number }>(
      this.pool,
      'photo',
      'SELECT etag, content_type, bytes, missing, fetched_at FROM photos WHERE tenant_id = $1 AND user_id = $2 AND size = $3',
      [tenantId, userId, size],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      etag: row.etag,
      contentType: row.content_type,
      bytes: row.bytes === null ? null : new Uint8Array(row.bytes),
      missing: row.missing,
      fetchedAt: new Date(row.fetched_at),
    };
  }

  async putPhoto(tenantId: string, userId: string, size: string, photo: PhotoInput): Promise<void> {
    const bytes = photo.missing || photo.bytes === null ? null : Buffer.from(photo.bytes.buffer, photo.bytes.byteOffset, photo.bytes.byteLength);
    try {
      await this.q(
        this.pool,
        'put_photo',
        `INSERT INTO photos (tenant_id, user_id, size, etag, content_type, bytes, missing, fetched_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, user_id, size) DO UPDATE SET etag = excluded.etag, content_type = excluded.content_type,
           bytes = excluded.bytes, missing = excluded.missing, fetched_at = excluded.fetched_at`,
        [tenantId, userId, size, photo.etag, photo.contentType, bytes, photo.missing, (photo.fetchedAt ?? this.now()).getTime()],
      );
    } catch (error) {
      throw foreignKeyToNotFound(error, tenantId);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.end();
  }
}








/** 23503 foreign_key_violation: the row names a tenant that isn't there. */
function foreignKeyToNotFound(error: unknown, tenantId: string): unknown {
  return (error as { code?: string }).code === '23503' ? tenantNotFound(tenantId) : error;
}
