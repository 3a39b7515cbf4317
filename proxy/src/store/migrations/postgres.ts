import type { Migration } from './sqlite.ts';

/**
 * PostgreSQL schema, one migration per version, the same tables and meaning as ./sqlite.ts. Applied in
 * order at open, all pending ones in one transaction that first takes a transaction-level advisory lock
 * (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS): several
 * instances starting at once queue on the lock, and each one after the first finds the versions already
 * recorded in `schema_migrations`. DDL is transactional in PostgreSQL, so a failed migration leaves nothing.
 * Never edit a released migration: add the next one.
 *
 * Times are bigint milliseconds since the epoch, as in SQLite: they come from the store's injected clock
 * (leases and expiry are compared against it), not from the server's `now()`.
 * Identifiers (tenant and user ids, sizes) use the "C" collation: byte order, which is what keyset paging
 * (`id > $after ORDER BY id`) and the export's "ordered by id" mean, whatever the database's locale.
 */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, onboarding, mirror, feed, sync state, leases, photos',
    sql: /* sql */ `
      CREATE TABLE tenants (
        id                text COLLATE "C" PRIMARY KEY,
        state             text NOT NULL CHECK (state IN ('pending', 'active', 'error')),
        cloud             text NOT NULL,
        authority_host    text NOT NULL,
        graph_url         text NOT NULL,
        client_id         text NOT NULL,
        graph_auth        text NOT NULL CHECK (graph_auth IN ('delegated', 'application')),
        source            text NOT NULL CHECK (source IN ('env', 'onboarding')),
        client_secret     text,             -- sealed (crypto.ts), AAD = tenant id + 'clientSecret'
        token_cache       text,             -- sealed MSAL cache JSON, AAD = tenant id + 'tokenCache'
        admin_upn         text,
        admin_oid         text,
        granted_scopes    text[] NOT NULL DEFAULT '{}',
        secret_expires_at bigint,
        last_error        jsonb,            -- {code, message, fix, at}
        created_at        bigint NOT NULL,
        updated_at        bigint NOT NULL
      );

      CREATE TABLE pending_onboarding (
        state         text COLLATE "C" PRIMARY KEY,
        data          jsonb NOT NULL,       -- the non-secret fields
        client_secret text NOT NULL,        -- sealed
        code_verifier text NOT NULL,        -- sealed
        created_at    bigint NOT NULL,
        expires_at    bigint NOT NULL
      );
      CREATE INDEX pending_expiry ON pending_onboarding (expires_at);

      -- One row per tenant: the delta cursor, the status page's figures, and the feed's counter. Every
      -- write that hands out sequence numbers locks this row first (SELECT … FOR UPDATE), so a tenant's
      -- numbers are given out and committed in order, with no gaps a reader could see and fill later.
      CREATE TABLE sync_state (
        tenant_id      text COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        next_link      text,
        delta_link     text,
        full_sync_run  text,
        phase          text NOT NULL DEFAULT 'idle' CHECK (phase IN ('idle', 'running')),
        last_start     bigint,
        last_end       bigint,
        last_outcome   text,
        last_error     jsonb,
        next_run_at    bigint,
        users_mirrored integer NOT NULL DEFAULT 0,
        seq            bigint NOT NULL DEFAULT 0,  -- last sequence number handed out
        history_floor  bigint NOT NULL DEFAULT 0   -- highest seq of a pruned tombstone
      );

      -- The mirror and the changes feed in one table: a row's seq is the number of its latest change;
      -- a deletion keeps the row as a tombstone (deleted, data NULL) until pruned. data is the contact's
      -- canonical JSON text (contact-json.ts): compared as text, it is its own content hash.
      -- No foreign key to tenants here: its check costs a lookup per row (a quarter of the time of writing
      -- a page of 999), and it guards nothing the locks don't: every write of users holds the tenant's
      -- sync_state row (which has the foreign key), and deleteTenant takes that row before deleting the
      -- tenant's users itself.
      CREATE TABLE users (
        tenant_id  text COLLATE "C" NOT NULL,
        id         text COLLATE "C" NOT NULL,
        seq        bigint NOT NULL,
        deleted    boolean NOT NULL DEFAULT false,
        data       text,
        seen_run   text,
        changed_at bigint NOT NULL,
        PRIMARY KEY (tenant_id, id)
      );
      CREATE UNIQUE INDEX users_feed ON users (tenant_id, seq);
      CREATE INDEX users_tombstones ON users (tenant_id, changed_at) WHERE deleted;

      CREATE TABLE sync_leases (
        tenant_id  text COLLATE "C" PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
        owner      text NOT NULL,
        expires_at bigint NOT NULL
      );

      CREATE TABLE photos (
        tenant_id    text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
        user_id      text COLLATE "C" NOT NULL,
        size         text COLLATE "C" NOT NULL,
        etag         text,
        content_type text,
        bytes        bytea,
        missing      boolean NOT NULL DEFAULT false,
        fetched_at   bigint NOT NULL,
        PRIMARY KEY (tenant_id, user_id, size)
      );
    `,
  },
];
