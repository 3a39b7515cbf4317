/**
 * A throwaway PostgreSQL server for tests and benches: the machine's PostgreSQL binaries (Debian's
 * `postgresql` package: /usr/lib/postgresql/<major>/bin, which .ci/run installs when missing), a cluster
 * made with initdb in a temporary folder, listening on a free loopback port with its Unix socket inside
 * the data folder, trust authentication (loopback only). Nothing is skipped when PostgreSQL is missing or
 * fails to start: startPostgres() throws an error that says what to install or shows the server's log.
 *
 * initdb and postgres refuse to run as root (https://www.postgresql.org/docs/current/app-initdb.html), and
 * sessions and CI run as root: then the server runs as the `postgres` OS user (created by Debian's
 * package) through runuser, in a folder that user owns. As any other user it runs as that user.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface StartPostgresOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync on). Tests turn fsync off for speed: a server stopped,
   * even killed, loses nothing either way (only an OS crash would); benches keep it on to measure honestly.
   */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/peoplebook — an empty database made at start. */
  url: string;
  port: number;
  /** The cluster's data folder (its server log is `server.log` beside it). */
  dataDir: string;
  /** The URL of another database of this server. */
  urlFor(database: string): string;
  /** Creates a database (a fresh name unless given, copied from `template` if given) and returns its URL. */
  createDatabase(options?: { name?: string; template?: string }): Promise<string>;
  /** Runs SQL as the superuser in `database` (default `postgres`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[], database?: string): Promise<R[]>;
  /** Stops the server (`fast`: clean shutdown, clients disconnected; `immediate`: like a crash, recovery at start). */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same port and data. */
  startServer(): Promise<void>;
  /** stopServer, optionally waits `downMs`, startServer. */
  restart(options?: { mode?: 'fast' | 'immediate'; downMs?: number }): Promise<void>;
  /** Stops the server for good and deletes its folder. */
  stop(): Promise<void>;
}

/** Folder of initdb, pg_ctl and postgres: $PEOPLEBOOK_PG_BIN, the newest /usr/lib/postgresql/<major>/bin, or PATH. */
export function postgresBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PEOPLEBOOK_PG_BIN) candidates.push(process.env.PEOPLEBOOK_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((major) => path.join(debian, major, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
  const found = candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
  if (!found) {
    throw new Error(
      'PostgreSQL server binaries not found (looked for initdb and pg_ctl in $PEOPLEBOOK_PG_BIN, /usr/lib/postgresql/*/bin and PATH). ' +
        "Install Debian's postgresql package (apt-get install postgresql), as .ci/run does, or set PEOPLEBOOK_PG_BIN to the folder holding initdb.",
    );
  }
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isRoot = () => process.getuid?.() === 0;

/** Whether another user can reach `dir` (every folder on the way has the x bit for others). */
async function traversableByOthers(dir: string): Promise<boolean> {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (((await stat(at)).mode & 0o001) === 0) return false;
    if (path.dirname(at) === at) return true;
  }
}

/** A command line run as the server's OS user: through runuser when we are root. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function runAsServerUser(command: string, args: string[], cwd: string, what: string): Promise<string> {
  const [file, argv] = asServerUser(command, args);
  try {
    const { stdout, stderr } = await run(file, argv, { cwd, env: serverEnv(), timeout: 120_000 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`.trim());
  }
}

/** The environment of the server's tools: no PG* variables of ours, a locale that exists everywhere. */
function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PG') && !key.startsWith('LC_')) env[key] = value;
  env.LANG = 'C';
  return env;
}

let databaseCounter = 0;

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  // As root the server runs as `postgres`, which must be able to reach the folder: /tmp when the
  // temporary folder is private (TMPDIR under /root, say).
  const base = isRoot() && !(await traversableByOthers(os.tmpdir())) ? '/tmp' : os.tmpdir();
  const root = await mkdtemp(path.join(base, 'pb-pg-'));
  if (isRoot()) {
    let ids: { uid: number; gid: number };
    try {
      const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
      ids = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
    } catch {
      await rm(root, { recursive: true, force: true });
      throw new Error("PostgreSQL refuses to run as root and there is no `postgres` OS user to run it as: install Debian's postgresql package (it creates the user), as .ci/run does.");
    }
    await chown(root, ids.uid, ids.gid);
  }
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  const pgCtl = path.join(bin, 'pg_ctl');
  let port = 0;
  let running = false;

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    max_connections: 200,
    // Never synchronous_commit=off: a commit would return before its WAL is written, and an immediate
    // stop (a crash) would lose it. fsync=off only skips flushing to the disk: the OS still has it.
    ...(options.durable ? {} : { fsync: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const serverOptions = () => [`-p ${port}`, `-k ${dataDir}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');

  const serverLog = async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');

  // Should the test process end without stop() (a failed hook, a crash), the server must not outlive it.
  const onExit = () => {
    if (!running) return;
    const [file, argv] = asServerUser(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate', '-w']);
    spawnSync(file, argv, { cwd: root, env: serverEnv(), stdio: 'ignore' });
    spawnSync('rm', ['-rf', root]);
  };
  process.once('exit', onExit);

  const startServer = async (): Promise<void> => {
    try {
      await runAsServerUser(pgCtl, ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions(), 'start'], root, 'pg_ctl start');
    } catch (error) {
      throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: ${(error as Error).message}\nserver log:\n${await serverLog()}`);
    }
    running = true;
  };
  const stopServer = async (mode: 'fast' | 'immediate' = 'fast'): Promise<void> => {
    if (!running) return;
    await runAsServerUser(pgCtl, ['-D', dataDir, 'stop', '-m', mode, '-w', '-t', '60'], root, 'pg_ctl stop');
    running = false;
  };

  try {
    await runAsServerUser(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'],
      root,
      'initdb',
    );
    // A free port can be taken between the probe and the server's bind: try a few.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await startServer();
        break;
      } catch (error) {
        if (attempt >= 3 || !/could not bind|already in use/i.test((error as Error).message)) throw error;
      }
    }
  } catch (error) {
    process.removeListener('exit', onExit);
    onExit();
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = [], database = 'postgres'): Promise<R[]> => {
    const client = new pg.Client({ connectionString: urlFor(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const createDatabase = async ({ name, template }: { name?: string; template?: string } = {}): Promise<string> => {
    const database = name ?? `pb_${process.pid}_${++databaseCounter}`;
    await query(`CREATE DATABASE ${quote(database)}${template ? ` TEMPLATE ${quote(template)}` : ''}`);
    return urlFor(database);
  };
  const url = await createDatabase({ name: 'peoplebook' });

  return {
    url,
    port,
    dataDir,
    urlFor,
    createDatabase,
    query,
    stopServer,
    startServer,
    async restart({ mode = 'fast', downMs = 0 } = {}) {
      await stopServer(mode);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await startServer();
    },
    async stop() {
      try {
        await stopServer('fast');
      } finally {
        process.removeListener('exit', onExit);
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}
