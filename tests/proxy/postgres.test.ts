/**
 * The PostgreSQL store against a real server (tests/helpers/postgres.ts starts one for this file): the
 * store contract every store passes, then what only several processes sharing one database can show —
 * migrations run once when instances start together, the sync lease goes to exactly one of several
 * instances, sequence numbers stay gapless and in commit order under concurrent writers, and a server
 * restart costs one failed call, not the store.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decryptSecret, secretAad } from '../../proxy/src/crypto.ts';
import { openStore, type Store } from '../../proxy/src/store/index.ts';
import { POSTGRES_MIGRATIONS } from '../../proxy/src/store/migrations/postgres.ts';
import { startPostgres, type PostgresServer } from '../helpers/postgres.ts';
import { TENANT_A, TENANT_B, TEST_KEY, contact, fakeClock, id, page, pendingInput, range, seal, storeContract, tenantInput } from './store-contract.ts';

let server: PostgresServer;
/** A migrated, empty database that each test copies (CREATE DATABASE … TEMPLATE, ~50 ms). */
const TEMPLATE = 'pb_template';

beforeAll(async () => {
  server = await startPostgres();
  const url = await server.createDatabase({ name: TEMPLATE });
  const store = await openStore(url);
  await store.close();
});

afterAll(async () => {
  await server?.stop();
});

const freshDatabase = () => server.createDatabase({ template: TEMPLATE });

storeContract('PostgreSQL', async (options) => openStore(await freshDatabase(), options));

describe('PostgreSQL store', () => {
  const opened: Store[] = [];
  async function open(url: string, options: Parameters<typeof openStore>[1] = {}): Promise<Store> {
    const store = await openStore(url, options);
    opened.push(store);
    return store;
  }
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('runs the migrations once when three instances start at the same time', async () => {
    const url = await server.createDatabase(); // empty: no schema yet
    const stores = await Promise.all([open(url), open(url), open(url)]);
    expect(stores.map((s) => s.kind)).toEqual(['postgres', 'postgres', 'postgres']);
    const applied = await server.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version', [], dbName(url));
    expect(applied).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = await server.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename", [], dbName(url));
    expect(tables.map((t) => t.tablename)).toEqual(['pending_onboarding', 'photos', 'schema_migrations', 'sync_leases', 'sync_state', 'tenants', 'users']);
    // All three work on the same data; a fourth opening later finds nothing to do.
    await stores[0]!.upsertTenant(tenantInput(TENANT_A));
    await stores[1]!.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'd' }));
    expect(await stores[2]!.getUser(TENANT_A, id(1))).toEqual(contact(1));
    const later = await open(url);
    expect(await later.countUsers(TENANT_A)).toBe(1);
    expect(await server.query('SELECT * FROM schema_migrations', [], dbName(url))).toHaveLength(POSTGRES_MIGRATIONS.length);
  });

  it('refuses a database written by a newer Peoplebook', async () => {
    const url = await freshDatabase();
    await server.query("INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')", [], dbName(url));
    await expect(openStore(url)).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW', message: expect.stringContaining('upgrade Peoplebook') });
  });

  it('grants the lease to exactly one of three instances racing, round after round', async () => {
    const url = await freshDatabase();
    const clock = fakeClock();
    const stores = await Promise.all(range(1, 3).map(() => open(url, { now: clock.now })));
    await stores[0]!.upsertTenant(tenantInput(TENANT_A));
    await stores[0]!.upsertTenant(tenantInput(TENANT_B));
    for (let round = 0; round < 15; round++) {
      // Each instance tries with a few owners at once, as several schedulers would.
      const attempts = stores.flatMap((store, i) => range(1, 3).map((n) => ({ owner: `i${i}-o${n}-r${round}`, store })));
      const results = await Promise.all(attempts.map(({ store, owner }) => store.acquireSyncLease(TENANT_A, owner, 10_000)));
      const winners = attempts.filter((_, i) => results[i]);
      expect(winners, `round ${round}`).toHaveLength(1);
      const holder = await stores[2]!.getSyncLease(TENANT_A);
      expect(holder?.owner).toBe(winners[0]!.owner);
      // Alternately released, or left to expire: both make it free for the next round.
      if (round % 2 === 0) await winners[0]!.store.releaseSyncLease(TENANT_A, winners[0]!.owner);
      else clock.advance(10_000);
    }
    // Per tenant: B's lease is independent of A's.
    expect(await stores[1]!.acquireSyncLease(TENANT_A, 'a-holder', 10_000)).toBe(true);
    expect(await stores[2]!.acquireSyncLease(TENANT_B, 'b-holder', 10_000)).toBe(true);
  });

  it('hands out gapless sequence numbers in commit order while three instances write and one reads', async () => {
    const url = await freshDatabase();
    const stores = await Promise.all(range(1, 3).map(() => open(url)));
    const reader = await open(url);
    await stores[0]!.upsertTenant(tenantInput(TENANT_A));
    const PAGES = 30;
    const PER_PAGE = 40;
    let writing = true;
    // A client polling the feed meanwhile: if a higher seq ever became visible before a lower one, its
    // cursor would pass the lower one and that user would never reach it.
    const seenByReader = new Set<string>();
    const polling = (async () => {
      let cursor = 0;
      let last = false;
      while (!last) {
        last = !writing;
        for (;;) {
          const result = await reader.changesSince(TENANT_A, cursor, 25);
          if (result.resync) throw new Error('unexpected resync');
          for (const u of result.upserts) seenByReader.add(u.id);
          cursor = result.nextCursor;
          if (!result.more) break;
        }
      }
      return cursor;
    })();
    await Promise.all(
      range(0, PAGES - 1).map((p) => {
        const users = range(p * PER_PAGE + 1, (p + 1) * PER_PAGE).map(contact);
        return stores[p % 3]!.applySyncPage(TENANT_A, page(users, [], { nextLink: `n${p}` }));
      }),
    );
    writing = false;
    const finalCursor = await polling;
    const total = PAGES * PER_PAGE;
    expect(finalCursor).toBe(total);
    expect(seenByReader.size).toBe(total);
    const seqs = (await server.query<{ seq: string }>('SELECT seq FROM users ORDER BY seq', [], dbName(url))).map((r) => Number(r.seq));
    expect(seqs).toEqual(range(1, total));
    expect(await reader.getSyncState(TENANT_A)).toMatchObject({ latestSeq: total, usersMirrored: total });
  });

  it('keeps working across a server restart: the call during it fails, the next one succeeds', async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.upsertTenant(tenantInput(TENANT_A));
    await store.applySyncPage(TENANT_A, page(range(1, 100).map(contact), [], { nextLink: 'n1' }));
    // Every pooled connection is now idle and will be cut by the restart.
    await server.restart();
    expect(await store.countUsers(TENANT_A)).toBe(100);
    expect(await store.applySyncPage(TENANT_A, page(range(101, 200).map(contact), [], { nextLink: 'n2' }))).toMatchObject({ changed: 100, latestSeq: 200 });

    // While the server is down, calls fail promptly (they don't hang) with the driver's error.
    await server.stopServer('immediate');
    try {
      await expect(store.applySyncPage(TENANT_A, page(range(201, 300).map(contact), [], { nextLink: 'n3' }))).rejects.toThrow();
      await expect(store.getSyncState(TENANT_A)).rejects.toThrow();
    } finally {
      await server.startServer();
    }
    // The failed page left nothing half-done: the next attempt applies it whole, once.
    expect(await store.getSyncState(TENANT_A)).toMatchObject({ cursor: { nextLink: 'n2' }, latestSeq: 200, usersMirrored: 200 });
    expect(await store.applySyncPage(TENANT_A, page(range(201, 300).map(contact), [], { deltaLink: 'd' }))).toMatchObject({ changed: 100, latestSeq: 300 });
    expect(await store.countUsers(TENANT_A)).toBe(300);
  });

  it('commits a page or nothing when the server goes away mid-commit', async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.upsertTenant(tenantInput(TENANT_A));
    await store.applySyncPage(TENANT_A, page(range(1, 500).map(contact), [], { nextLink: 'n1' }));
    // Pages of 999 users racing an immediate shutdown: each is either all in (with its cursor) or absent.
    const applying = range(1, 5).map((p) =>
      store.applySyncPage(TENANT_A, page(range(1000 * p, 1000 * p + 998).map(contact), [], { nextLink: `page-${p}` })).then(
        () => p,
        () => null,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    await server.restart({ mode: 'immediate' });
    const done = (await Promise.all(applying)).filter((p): p is number => p !== null);
    const state = await store.getSyncState(TENANT_A);
    const count = await store.countUsers(TENANT_A);
    expect(count % 999, `users ${count}: only whole pages`).toBe(500 % 999);
    expect(state!.usersMirrored).toBe(count);
    expect(state!.latestSeq).toBe(count);
    for (const p of done) expect(await store.getUser(TENANT_A, contact(1000 * p).id)).toEqual(contact(1000 * p));
    // The cursor is that of the last committed page (or the first if none made it).
    const committed = (await server.query<{ next_link: string }>('SELECT next_link FROM sync_state', [], dbName(url)))[0]!.next_link;
    expect(committed === 'n1' ? count === 500 : count > 500).toBe(true);
  });

  it('stores hostile text exactly: quotes, backslashes, control characters, lone surrogates, "null"', async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.upsertTenant(tenantInput(TENANT_A));
    const odd = [
      { ...contact(1), displayName: 'null', jobTitle: 'say "hi" \\ back\\slash' },
      { ...contact(2), displayName: 'unit\u001fseparator\u0000nul\ttab\nline', department: '\u2028\u2029 𝒳 漢字 Ωμέγα' },
      { ...contact(3), displayName: 'lone \ud800 surrogate \udfff', officeLocation: '{"json":"inside"}', mobilePhone: '' },
      { ...contact(4), displayName: '' },
    ];
    await store.applySyncPage(TENANT_A, page([...odd, contact(5)], [id(5)], { nextLink: 'n' }));
    for (const c of odd) expect(await store.getUser(TENANT_A, c.id)).toEqual(c);
    // The same text again is no change; the tombstone has no data.
    expect(await store.applySyncPage(TENANT_A, page(odd, [], { deltaLink: 'd' }))).toMatchObject({ changed: 0, latestSeq: 6 });
    expect(await store.changesSince(TENANT_A, 4, 10)).toEqual({ upserts: [], deletions: [id(5)], nextCursor: 6, more: false });
  });

  it('reads the feed through the (tenant_id, seq) index', async () => {
    const url = await freshDatabase();
    const store = await open(url);
    await store.upsertTenant(tenantInput(TENANT_A));
    for (let p = 0; p < 5; p++) await store.applySyncPage(TENANT_A, page(range(p * 999 + 1, (p + 1) * 999).map(contact), [], { nextLink: 'n' }));
    await server.query('ANALYZE', [], dbName(url));
    const plan = await server.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT u.id, u.seq, u.deleted, u.data FROM users u WHERE u.tenant_id = '${TENANT_A}' AND u.seq > 4000 ORDER BY u.seq LIMIT 1001`,
      [],
      dbName(url),
    );
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('users_feed');
  });

  it('writes no plaintext secret to the database files or the WAL', async () => {
    const url = await server.createDatabase({ template: TEMPLATE, name: `secrets_${randomBytes(3).toString('hex')}` });
    const store = await open(url);
    const clientSecret = `s3cr3t-${randomBytes(8).toString('hex')}`;
    const refreshToken = `rt-${randomBytes(12).toString('hex')}`;
    const verifier = `pkce-${randomBytes(12).toString('hex')}`;
    await store.upsertTenant({
      ...tenantInput(TENANT_A, clientSecret),
      tokenCache: seal(TENANT_A, 'tokenCache', JSON.stringify({ RefreshToken: { k: { secret: refreshToken } } })),
    });
    await store.createPending({ ...pendingInput('state-x'), clientSecret: seal('pending:state-x', 'clientSecret', clientSecret), codeVerifier: seal('pending:state-x', 'codeVerifier', verifier) });
    await store.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'd' }));
    const tenant = await store.getTenant(TENANT_A);
    expect(decryptSecret(TEST_KEY, tenant!.clientSecret!, secretAad(TENANT_A, 'clientSecret'))).toBe(clientSecret);
    await server.query('CHECKPOINT');

    // This database's own folder, the shared catalogs and the WAL (the other test databases' folders aside).
    const [{ oid }] = (await server.query<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [dbName(url)])) as [{ oid: number }];
    const files = (await Promise.all(['base/' + oid, 'global', 'pg_wal'].map((sub) => filesUnder(path.join(server.dataDir, sub))))).flat();
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    // The search works: directory data (not secret) is found in the same bytes.
    expect(bytes.includes('person1@contoso.test')).toBe(true);
    for (const secret of [clientSecret, refreshToken, verifier, 's3cr3t-']) expect(bytes.includes(secret), `${secret} found in the cluster's files`).toBe(false);
  });
});

function dbName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile() && (await stat(full)).size > 0) out.push(full);
  }
  return out;
}
