import { parseDatabaseUrl, redactDatabaseUrl } from './database-url.ts';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
import { StoreError, type Store } from './types.ts';

export * from './types.ts';
export { parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from './database-url.ts';

export type OpenStoreOptions = SqliteStoreOptions;

/**
 * Opens the store `DATABASE_URL` names, migrated and ready: `file:<path>` → SQLite (folders created),
 * `file::memory:` → a private in-memory SQLite database, `postgres://…` → PostgreSQL (issue #6).
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === 'postgres') {
    throw new StoreError(
      'UNSUPPORTED_DATABASE',
      `DATABASE_URL ${redactDatabaseUrl(target.url)} names PostgreSQL, which arrives with issue #6; use a SQLite file for now, e.g. DATABASE_URL=file:./data/peoplebook.db`,
    );
  }
  return openSqliteStore(target.path, options);
}
