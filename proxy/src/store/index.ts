import { parseDatabaseUrl } from './database-url.ts';
import { openPostgresStore, type PostgresStoreOptions } from './postgres.ts';
import { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
import type { Store } from './types.ts';

export * from './types.ts';
export { parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from './database-url.ts';

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions;

/**
 * Opens the store `DATABASE_URL` names, migrated and ready: `file:<path>` → SQLite (folders created),
 * `file::memory:` → a private in-memory SQLite database, `postgres://…` → PostgreSQL (several instances
 * may share it; migrations run once, whoever starts first).
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const target = parseDatabaseUrl(databaseUrl);
  if (target.kind === 'postgres') return openPostgresStore(target.url, options);
  return openSqliteStore(target.path, options);
}
