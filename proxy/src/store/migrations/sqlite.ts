/**
 * SQLite schema, one migration per version. Applied in order at open, each in its own transaction with
 * `PRAGMA user_version` set to its number (https://www.sqlite.org/pragma.html#pragma_user_version).
 * Never edit a released migration: add the next one.
 *
 * Times are integers (milliseconds since the epoch). Tables are STRICT (https://www.sqlite.org/stricttables.html)
 * so a wrong type is an error, not a silent conversion.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, onboarding, mirror, feed, sync state, leases, photos',
    sql: /* sql */ `
      CREATE TABLE tenants (
        id                TEXT PRIMARY KEY,
        state             TEXT NOT NULL CHECK (state IN ('pending', 'active', 'error')),
        cloud             TEXT NOT NULL,
        authority_host    TEXT NOT NULL,
        graph_url         TEXT NOT NULL,
        client_id         TEXT NOT NULL,
        graph_auth        TEXT NOT NULL CHECK (graph_auth IN ('delegated', 'application')),
        source            TEXT NOT NULL CHECK (source IN ('env', 'onboarding')),
        client_secret     TEXT,             -- sealed (crypto.ts), AAD = tenant id + 'clientSecret'
        token_cache       TEXT,             -- sealed MSAL cache JSON, AAD = tenant id + 'tokenCache'
        admin_upn         TEXT,
        admin_oid         TEXT,
        granted_scopes    TEXT NOT NULL DEFAULT '[]',
        secret_expires_at INTEGER,
        last_error        TEXT,             -- JSON {code, message, fix, at}
        created_at        INTEGER NOT NULL,
        updated_at        INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE pending_onboarding (
        state         TEXT PRIMARY KEY,
        data          TEXT NOT NULL,        -- JSON of the non-secret fields
        client_secret TEXT NOT NULL,        -- sealed
        code_verifier TEXT NOT NULL,        -- sealed
        created_at    INTEGER NOT NULL,
        expires_at    INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX pending_expiry ON pending_onboarding (expires_at);

      -- One row per tenant: the delta cursor, the status page's figures, and the feed's counter.
      CREATE TABLE sync_state (
        tenant_id      TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        next_link      TEXT,
        delta_link     TEXT,
        full_sync_run  TEXT,
        phase          TEXT NOT NULL DEFAULT 'idle' CHECK (phase IN ('idle', 'running')),
        last_start     INTEGER,
        last_end       INTEGER,
        last_outcome   TEXT,
        last_error     TEXT,
        next_run_at    INTEGER,
        users_mirrored INTEGER NOT NULL DEFAULT 0,
        seq            INTEGER NOT NULL DEFAULT 0,  -- last sequence number handed out
        history_floor  INTEGER NOT NULL DEFAULT 0   -- highest seq of a pruned tombstone
      ) STRICT;

      -- The mirror and the changes feed in one table: a row's seq is the number of its latest change;
      -- a deletion keeps the row as a tombstone (deleted = 1, data NULL) until pruned.
      -- Rows of ~400 bytes are too large for WITHOUT ROWID to pay off (https://www.sqlite.org/withoutrowid.html).
      CREATE TABLE users (
        tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        id         TEXT NOT NULL,
        seq        INTEGER NOT NULL,
        deleted    INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
        data       TEXT,
        seen_run   TEXT,
        changed_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, id)
      ) STRICT;
      CREATE UNIQUE INDEX users_feed ON users (tenant_id, seq);
      CREATE INDEX users_tombstones ON users (tenant_id, changed_at) WHERE deleted = 1;

      CREATE TABLE sync_leases (
        tenant_id  TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        owner      TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE photos (
        tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id      TEXT NOT NULL,
        size         TEXT NOT NULL,
        etag         TEXT,
        content_type TEXT,
        bytes        BLOB,
        missing      INTEGER NOT NULL DEFAULT 0 CHECK (missing IN (0, 1)),
        fetched_at   INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, user_id, size)
      ) STRICT;
    `,
  },
];
