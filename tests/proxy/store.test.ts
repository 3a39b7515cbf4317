import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decryptSecret, secretAad } from '../../proxy/src/crypto.ts';
import { openStore, parseDatabaseUrl, type Store } from '../../proxy/src/store/index.ts';
import { SQLITE_MIGRATIONS } from '../../proxy/src/store/migrations/sqlite.ts';
import { TENANT_A, TEST_KEY, contact, fakeClock, page, pendingInput, range, seal, storeContract, tenantInput } from './store-contract.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'peoplebook-store-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

storeContract('SQLite in memory', (options) => openStore('file::memory:', options));
storeContract('SQLite file (WAL)', (options) => openStore(`file:${path.join(dir, `contract-${randomBytes(4).toString('hex')}.db`)}`, options));

describe('parseDatabaseUrl', () => {
  it.each([
    ['file:./data/peoplebook.db', { kind: 'sqlite', path: './data/peoplebook.db' }],
    ['file:data.db?mode=ro', { kind: 'sqlite', path: 'data.db' }],
    ['file:/var/lib/peoplebook/db.sqlite', { kind: 'sqlite', path: '/var/lib/peoplebook/db.sqlite' }],
    ['file:///var/lib/peoplebook/db.sqlite', { kind: 'sqlite', path: '/var/lib/peoplebook/db.sqlite' }],
    ['file://localhost/srv/pb.db', { kind: 'sqlite', path: '/srv/pb.db' }],
    ['file:./my%20data/pb.db', { kind: 'sqlite', path: './my data/pb.db' }],
    ['file::memory:', { kind: 'sqlite', path: ':memory:' }],
    ['postgres://pb:pw@db:5432/peoplebook', { kind: 'postgres', url: 'postgres://pb:pw@db:5432/peoplebook' }],
    ['postgresql://db/peoplebook', { kind: 'postgres', url: 'postgresql://db/peoplebook' }],
  ])('reads %s', (url, target) => {
    expect(parseDatabaseUrl(url)).toEqual(target);
  });
});

describe('SQLite store', () => {
  let stores: Store[];
  beforeEach(() => {
    stores = [];
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });
  async function open(file: string, now = fakeClock().now): Promise<Store> {
    const store = await openStore(`file:${file}`, { now });
    stores.push(store);
    return store;
  }

  it('creates missing folders and opens in WAL mode with the latest schema', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'pb.db');
    await open(file);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.at(-1)!.version);
      const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name);
      expect(tables).toEqual(['pending_onboarding', 'photos', 'sync_leases', 'sync_state', 'tenants', 'users']);
      // The feed's query walks the (tenant_id, seq) index rather than scanning the table.
      const plan = db
        .prepare<[], { detail: string }>("EXPLAIN QUERY PLAN SELECT id, seq, deleted, data FROM users WHERE tenant_id = 'x' AND seq > 5 ORDER BY seq LIMIT 10")
        .all()
        .map((r) => r.detail)
        .join('\n');
      expect(plan).toContain('users_feed');
    } finally {
      db.close();
    }
  });

  it('keeps its data across reopening (migrations run once)', async () => {
    const file = path.join(dir, 'reopen.db');
    const first = await open(file);
    await first.upsertTenant(tenantInput(TENANT_A));
    await first.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { deltaLink: 'd1' }));
    await first.close();
    const second = await open(file);
    expect(await second.countUsers(TENANT_A)).toBe(2);
    expect((await second.getSyncState(TENANT_A))?.cursor).toEqual({ deltaLink: 'd1' });
  });

  it('refuses a database written by a newer Peoplebook', async () => {
    const file = path.join(dir, 'newer.db');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    await expect(openStore(`file:${file}`)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message: expect.stringContaining('upgrade Peoplebook') });
  });

  it('opens postgres:// URLs with the PostgreSQL store, naming an unreachable database without its password', async () => {
    // Nothing listens on port 1 of loopback: refused at once. tests/proxy/postgres.test.ts covers a real server.
    const error = (await openStore('postgres://pb:hunter2pass@127.0.0.1:1/peoplebook').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error & { code: string };
    expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(error.message).toContain('postgres://pb:***@127.0.0.1:1/peoplebook');
    expect(error.message).not.toContain('hunter2pass');
  });

  it('writes no plaintext secret to the database file or its WAL', async () => {
    const file = path.join(dir, 'secrets.db');
    const store = await open(file);
    const clientSecret = `s3cr3t-${randomBytes(8).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
    const verifier = `pkce-${randomBytes(12).toString('hex')}`;
    await store.upsertTenant({
      ...tenantInput(TENANT_A, clientSecret),
      tokenCache: seal(TENANT_A, 'tokenCache', JSON.stringify({ RefreshToken: { k: { secret: refreshToken } } })),
    });
    await store.createPending({ ...pendingInput('state-x'), clientSecret: seal('pending:state-x', 'clientSecret', clientSecret), codeVerifier: seal('pending:state-x', 'codeVerifier', verifier) });
    await store.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'd' }));

    // The values are there, sealed: the right key and AAD open them.
    const tenant = await store.getTenant(TENANT_A);
    expect(decryptSecret(TEST_KEY, tenant!.clientSecret!, secretAad(TENANT_A, 'clientSecret'))).toBe(clientSecret);

    const files = (await readdir(dir)).filter((f) => f.startsWith('secrets.db'));
    expect(files).toContain('secrets.db-wal');
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(path.join(dir, f)))));
    // The search works: directory data (not secret) is found in the same bytes.
    expect(bytes.includes('person1@contoso.test')).toBe(true);
    for (const secret of [clientSecret, refreshToken, verifier, 's3cr3t-']) {
      expect(bytes.includes(secret), `${secret} found in ${files.join(', ')}`).toBe(false);
    }
  });

  it('keeps two connections to one file (two processes) consistent', async () => {
    const file = path.join(dir, 'shared.db');
    const clock = fakeClock();
    const [serve, syncOnce] = await Promise.all([open(file, clock.now), open(file, clock.now)]);
    await serve.upsertTenant(tenantInput(TENANT_A));
    expect(await serve.acquireSyncLease(TENANT_A, 'serve', 60_000)).toBe(true);
    expect(await syncOnce.acquireSyncLease(TENANT_A, 'sync-once', 60_000)).toBe(false);
    await serve.applySyncPage(TENANT_A, page(range(1, 50).map(contact), [], { nextLink: 'n' }));
    const feed = await syncOnce.changesSince(TENANT_A, 0, 100);
    expect(feed).toMatchObject({ nextCursor: 50, more: false });
    await serve.releaseSyncLease(TENANT_A, 'serve');
    expect(await syncOnce.acquireSyncLease(TENANT_A, 'sync-once', 60_000)).toBe(true);
    await syncOnce.applySyncPage(TENANT_A, page([{ ...contact(1), jobTitle: 'Boss' }], [], { deltaLink: 'd' }));
    expect(await serve.latestSeq(TENANT_A)).toBe(51);
    expect(await serve.getUser(TENANT_A, contact(1).id)).toMatchObject({ jobTitle: 'Boss' });
  });
});
