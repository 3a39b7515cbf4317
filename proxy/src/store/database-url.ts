/**
 * `DATABASE_URL` → which store to open. Pure (no file system), so configuration can validate it up front
 * and `openStore` can trust it.
 *
 * - `file:./data/peoplebook.db`, `file:data.db` — relative to the working directory;
 * - `file:/var/lib/peoplebook/db.sqlite`, `file:///var/lib/…` — absolute;
 * - `file::memory:` — a private in-memory database (tests), as SQLite spells it
 *   (https://www.sqlite.org/inmemorydb.html);
 * - `postgres://…` or `postgresql://…` — libpq's connection URI forms
 *   (https://www.postgresql.org/docs/current/libpq-connect.html#LIBPQ-CONNSTRING-URIS).
 */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export class DatabaseUrlError extends Error {
  readonly code = 'DATABASE_URL_INVALID';
  override readonly name = 'DatabaseUrlError';
}

export const MEMORY_PATH = ':memory:';

export function parseDatabaseUrl(url: string): DatabaseTarget {
  const text = url.trim();
  if (/^postgres(ql)?:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new DatabaseUrlError(`a PostgreSQL URL like postgres://user:password@host:5432/peoplebook, got "${redactDatabaseUrl(text)}"`);
    }
    if (!parsed.hostname && !parsed.searchParams.has('host')) {
      throw new DatabaseUrlError(`a PostgreSQL URL with a host, got "${redactDatabaseUrl(text)}"`);
    }
    return { kind: 'postgres', url: text };
  }
  if (/^file:/i.test(text)) {
    // Drop SQLite URI parameters (`?mode=ro`…): the store sets its own pragmas.
    const rest = decodeURIComponent(text.slice('file:'.length).replace(/[?#].*$/, ''));
    if (rest === MEMORY_PATH) return { kind: 'sqlite', path: MEMORY_PATH };
    // file:///abs → /abs; file://localhost/abs → /abs (RFC 8089); file:/abs and file:rel stay as they are.
    const path = rest.startsWith('//') ? rest.replace(/^\/\/(localhost)?/, '') : rest;
    if (path === '' || path.endsWith('/')) {
      throw new DatabaseUrlError(`a file: URL naming a database file such as file:./data/peoplebook.db, got "${text}"`);
    }
    return { kind: 'sqlite', path };
  }
  throw new DatabaseUrlError(
    `file:<path> (SQLite, e.g. file:./data/peoplebook.db) or postgres://… (PostgreSQL), got "${redactDatabaseUrl(text)}"`,
  );
}

/** The URL with any password replaced, for error messages and logs. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}
