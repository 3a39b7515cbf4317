/**
 * The directory mirror against the tenant emulator (design.md flow 2): after a full sync, after rounds
 * of delta changes (adds with hostile and non-Latin text, edits, phones and managers cleared, disable and
 * re-enable, soft delete, restore, purge), after an expired delta token, and under 20% random Graph
 * failures, the mirror equals the emulator's directory, and the changes feed carries exactly the round's
 * upserts and deletions, in order.
 */
import path from 'node:path';
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Directory, DirectoryUser } from '../../emulator/src/directory/types.ts';
import type { GraphOptions } from '../../emulator/src/graph/runtime.ts';
import type { Emulator } from '../../emulator/src/server.ts';
import type { Contact } from '../../shared/contact.ts';
import { createGraphClient } from '../../proxy/src/graph/graph-client.ts';
import { syncTenant, type SyncReport } from '../../proxy/src/sync/sync-tenant.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { envTenant, idTokenFor, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { DEFAULT_FILTERS, directoryOf, expectMirrorEqualsDirectory, readFeed, seqsOf, toContact } from './mirror-helpers.ts';

const SAME = (a: Contact, b: Contact) => JSON.stringify(a) === JSON.stringify(b);

interface Harness {
  emulator: Emulator;
  proxy: TestProxy;
  tenantId: string;
  token: string;
  dbFile: string;
  directory: Directory;
  round(): Promise<SyncReport>;
}

/** Emulator (300 users) + a real proxy with the environment tenant in application mode. */
async function harness(mode: 'default' | 'minimal' = 'default', users = 300, graph: GraphOptions = {}): Promise<Harness> {
  const emulator = await startTestEmulator({ users, adminConsent: true, graph });
  const proxy = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
  const tenantId = emulator.tenantId;
  const { store, tenants, scheduler } = proxy.proxy;
  let first = true;
  const round = async (): Promise<SyncReport> => {
    // The scheduler starts the first round as soon as the proxy starts: join it.
    if (mode === 'default' || first) {
      first = false;
      return scheduler.runNow(tenantId);
    }
    // `Prefer: return=minimal`: updated users carry only what changed, so a user the mirror doesn't hold
    // (re-enabled, no longer a guest) arrives partial and must be read whole.
    const graph = tenants.graphFor((await store.getTenant(tenantId))!);
    const minimal = { api: (url: string) => graph.api(url).header('Prefer', 'return=minimal') } as unknown as Client;
    return syncTenant(tenantId, { store, graph: minimal, graphUrl: emulator.graphUrl, filters: DEFAULT_FILTERS, leaseOwner: 'test-minimal', backoffMs: 20 });
  };
  return {
    emulator,
    proxy,
    tenantId,
    token: await idTokenFor(emulator, emulator.employeeUpn),
    dbFile: path.join(proxy.dir, 'peoplebook.db'),
    directory: directoryOf(emulator),
    round,
  };
}

async function closeHarness(h: Harness | undefined): Promise<void> {
  await h?.proxy.close();
  await h?.emulator.close();
}

/** Users of the directory, by role, chosen once so rounds don't collide (never the signed-in employee). */
function pick(h: Harness) {
  const all = [...h.directory.iterate()].map(({ user }) => user);
  const taken = new Set<string>([h.directory.getByUpn(h.emulator.employeeUpn)!.id, h.directory.getByUpn(h.emulator.adminUpn)!.id]);
  const take = (what: string, test: (u: DirectoryUser) => boolean): DirectoryUser => {
    const user = all.find((u) => !taken.has(u.id) && test(u));
    if (!user) throw new Error(`the seeded directory has no ${what}`);
    taken.add(user.id);
    return user;
  };
  const member = (u: DirectoryUser) => u.accountEnabled && u.userType === 'Member';
  const leaf = (u: DirectoryUser) => member(u) && u.managerId !== null && h.directory.directReports(u.id).length === 0;
  const manager = take('manager of enabled members', (u) => member(u) && u.managerId !== null && h.directory.directReports(u.id).filter(member).length >= 2);
  for (const report of h.directory.directReports(manager.id)) taken.add(report.id);
  return {
    all,
    manager,
    reports: h.directory.directReports(manager.id),
    jobChange: take('member', leaf),
    phones: take('member with phones', (u) => leaf(u) && u.businessPhones.length > 0 && u.mobilePhone !== null),
    newManager: take('leaf member', leaf),
    loseManager: take('leaf member with a manager', leaf),
    disable: take('leaf member', leaf),
    seededDisabled: all.find((u) => !u.accountEnabled && u.userType === 'Member' && !taken.has(u.id)),
    softDelete: take('leaf member', leaf),
    softThenPurge: take('leaf member', leaf),
    purge: take('leaf member', leaf),
    becomesGuest: take('leaf member', leaf),
    rename: take('leaf member', leaf),
    boss: take('member', (u) => member(u)),
  };
}

/**
 * Reads the feed from `since` in small pages and checks it holds exactly what changed between the two
 * mirror snapshots: every changed or new user once with its new contact, every user who left once, in
 * seq order, each page's items between the previous cursor and its own.
 */
async function expectFeedShows(h: Harness, since: string, before: Map<string, Contact>, after: Map<string, Contact>, limit = 3): Promise<{ cursor: string; upserts: string[]; deletions: string[] }> {
  const { pages, cursor } = await readFeed(h.proxy.url, h.token, since, limit);
  const upserts = pages.flatMap((p) => p.upserts);
  const deletions = pages.flatMap((p) => p.deletions);
  const ids = [...upserts.map((u) => u.id), ...deletions];
  expect(new Set(ids).size, 'each user at most once in the round').toBe(ids.length);
  for (const page of pages) expect(page.upserts.length + page.deletions.length).toBeLessThanOrEqual(limit);

  const expectedUpserts = [...after].filter(([id, contact]) => !before.has(id) || !SAME(before.get(id)!, contact)).map(([id]) => id);
  const expectedDeletions = [...before.keys()].filter((id) => !after.has(id));
  expect([...upserts.map((u) => u.id)].sort()).toEqual(expectedUpserts.sort());
  expect([...deletions].sort()).toEqual(expectedDeletions.sort());
  for (const contact of upserts) expect(contact).toStrictEqual(after.get(contact.id));

  // Order: every item's seq lies after the previous page's cursor and at or before its page's cursor,
  // and upserts and deletions each come in seq order.
  const seqs = seqsOf(h.dbFile, h.tenantId);
  let previous = Number(since);
  for (const page of pages) {
    for (const list of [page.upserts.map((u) => u.id), page.deletions]) {
      const s = list.map((id) => seqs.get(id)!);
      expect(s).toEqual([...s].sort((a, b) => a - b));
      for (const seq of s) {
        expect(seq).toBeGreaterThan(previous);
        expect(seq).toBeLessThanOrEqual(Number(page.cursor));
      }
    }
    previous = Number(page.cursor);
  }
  expect(Number(cursor)).toBe(await h.proxy.proxy.store.latestSeq(h.tenantId));
  return { cursor, upserts: upserts.map((u) => u.id), deletions };
}

describe.each(['default', 'minimal'] as const)('mirror through delta rounds (%s representation)', (mode) => {
  let h: Harness;
  let roles: ReturnType<typeof pick>;
  let cursor = '0';
  let before: Map<string, Contact>;

  beforeAll(async () => {
    h = await harness(mode);
    roles = pick(h);
  });
  afterAll(() => closeHarness(h));

  it('a full sync mirrors the directory exactly, disabled accounts and guests left out', async () => {
    const report = await h.round();
    expect(report).toMatchObject({ outcome: 'ok', fullSync: true, resets: 0 });
    before = await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);
    const filteredOut = roles.all.filter((u) => !u.accountEnabled || u.userType === 'Guest');
    expect(filteredOut.length).toBeGreaterThan(0);
    for (const user of filteredOut) expect(before.has(user.id)).toBe(false);
    // The feed from 0 lists everyone exactly once.
    const feed = await readFeed(h.proxy.url, h.token, 0, 100);
    const everyone = feed.pages.flatMap((p) => p.upserts.map((u) => u.id));
    expect(everyone.sort()).toEqual([...before.keys()].sort());
    expect(feed.pages.flatMap((p) => p.deletions)).toEqual([]);
    cursor = feed.cursor;
    // A round with no change changes nothing and adds nothing to the feed.
    expect(await h.round()).toMatchObject({ outcome: 'ok', fullSync: false, changed: 0, removed: 0 });
    expect((await readFeed(h.proxy.url, h.token, cursor)).pages).toEqual([{ cursor, more: false, upserts: [], deletions: [] }]);
  });

  it('round A: adds (non-Latin, apostrophes, markup), edits, cleared phones and managers, disable, soft delete, purge', async () => {
    const d = h.directory;
    const { manager, reports } = roles;
    const added = [
      d.add({ displayName: '王小明', givenName: '小明', surname: '王', jobTitle: '工程师', department: 'Ingeniería', businessPhones: ['+86 10 1234 5678'], managerId: roles.boss.id }),
      d.add({ displayName: "Zoë O'Brien-Ñúñez", givenName: 'Zoë', surname: "O'Brien-Ñúñez", officeLocation: 'Bldg 7; Room 3, "East"', mail: "zoe.o'brien@lakeside.example" }),
      d.add({ displayName: '<script>alert("pwned")</script><img src=x onerror=alert(1)>', jobTitle: '"><svg onload=alert(1)>', department: "Robert'); DROP TABLE users;--" }),
      d.add({ displayName: 'مريم العربي 👩‍💻', givenName: 'مريم', surname: 'العربي', mobilePhone: '+971 50 000 0000', companyName: 'Ωmega, Inc.' }),
    ];
    const guest = d.add({ displayName: 'Gus Guest', userType: 'Guest' });
    const disabledNew = d.add({ displayName: 'Dee Disabled', accountEnabled: false });
    d.update(roles.jobChange.id, { jobTitle: 'Chief Coffee Officer' });
    d.update(roles.phones.id, { businessPhones: [], mobilePhone: null });
    d.update(roles.newManager.id, { managerId: roles.boss.id });
    d.update(roles.loseManager.id, { managerId: null });
    d.update(roles.disable.id, { accountEnabled: false });
    if (roles.seededDisabled) d.update(roles.seededDisabled.id, { accountEnabled: true });
    d.remove(roles.softDelete.id);
    d.remove(roles.softThenPurge.id);
    d.remove(roles.purge.id, { permanent: true });
    d.remove(manager.id); // its reports lose their manager

    const report = await h.round();
    expect(report).toMatchObject({ outcome: 'ok', fullSync: false, resets: 0 });
    const after = await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);
    for (const user of added) expect(after.get(user.id)).toStrictEqual(toContact(d.getById(user.id)!));
    expect(after.get(added[2]!.id)?.displayName).toBe('<script>alert("pwned")</script><img src=x onerror=alert(1)>');
    expect(after.get(roles.phones.id)).toMatchObject({ businessPhones: [], mobilePhone: null });
    expect(after.get(roles.loseManager.id)?.managerId).toBeNull();
    expect(after.get(roles.newManager.id)?.managerId).toBe(roles.boss.id);
    for (const report of reports.filter((r) => after.has(r.id))) expect(after.get(report.id)?.managerId).toBeNull();
    if (roles.seededDisabled) expect(after.get(roles.seededDisabled.id)).toStrictEqual(toContact(d.getById(roles.seededDisabled.id)!));
    for (const gone of [guest, disabledNew, roles.disable, roles.softDelete, roles.softThenPurge, roles.purge, manager]) expect(after.has(gone.id)).toBe(false);

    const feed = await expectFeedShows(h, cursor, before, after);
    expect(feed.deletions.sort()).toEqual([roles.disable, roles.softDelete, roles.softThenPurge, roles.purge, manager].map((u) => u.id).sort());
    for (const user of [...added, roles.jobChange, roles.phones, roles.newManager, roles.loseManager]) expect(feed.upserts).toContain(user.id);
    cursor = feed.cursor;
    before = after;
  });

  it('round B: re-enable, restore, purge of a soft-deleted user, rename, guest conversion', async () => {
    const d = h.directory;
    d.update(roles.disable.id, { accountEnabled: true });
    d.restore(roles.softDelete.id);
    d.restore(roles.manager.id); // its reports read it as their manager again
    d.remove(roles.softThenPurge.id, { permanent: true });
    d.update(roles.rename.id, { displayName: 'Renée Ünal-Smith', givenName: 'Renée', surname: 'Ünal-Smith', businessPhones: ['+1 425 555 0100'] });
    d.update(roles.becomesGuest.id, { userType: 'Guest' });
    d.update(roles.jobChange.id, { jobTitle: null, department: null });

    expect(await h.round()).toMatchObject({ outcome: 'ok', fullSync: false });
    const after = await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);
    // Back complete: every field, manager included, not just the property that changed.
    for (const back of [roles.disable, roles.softDelete, roles.manager]) expect(after.get(back.id)).toStrictEqual(toContact(d.getById(back.id)!));
    expect(after.get(roles.disable.id)?.managerId).not.toBeNull();

    const feed = await expectFeedShows(h, cursor, before, after, 2);
    expect(feed.deletions).toEqual([roles.becomesGuest.id]);
    for (const user of [roles.disable, roles.softDelete, roles.manager, roles.rename, roles.jobChange]) expect(feed.upserts).toContain(user.id);
    expect(feed.upserts).not.toContain(roles.softThenPurge.id);
    cursor = feed.cursor;
    before = after;
  });

  it('a replayed round (same deltaLink twice) changes nothing', async () => {
    const seq = await h.proxy.proxy.store.latestSeq(h.tenantId);
    expect(await h.round()).toMatchObject({ outcome: 'ok', changed: 0, removed: 0 });
    expect(await h.proxy.proxy.store.latestSeq(h.tenantId)).toBe(seq);
    await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);
  });
});

describe('expired delta token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
    expect(await h.round()).toMatchObject({ outcome: 'ok' });
  });
  afterAll(() => closeHarness(h));

  async function deleteSome(count: number, permanent: boolean): Promise<string[]> {
    const victims = [...h.directory.iterate()]
      .map(({ user }) => user)
      .filter((u) => u.accountEnabled && u.userType === 'Member' && h.directory.directReports(u.id).length === 0 && u.userPrincipalName !== h.emulator.employeeUpn)
      .slice(0, count);
    for (const user of victims) h.directory.remove(user.id, { permanent });
    return victims.map((u) => u.id);
  }

  it('410 syncStateNotFound (tokens reset) → full resync that removes vanished users', async () => {
    const { store } = h.proxy.proxy;
    const cursor = String(await store.latestSeq(h.tenantId));
    const gone = [...(await deleteSome(3, false)), ...(await deleteSome(2, true))];
    const added = h.directory.add({ displayName: 'Nova Newcomer' });
    await control(h.emulator, 'POST', '/graph/delta/expire', { tenantId: h.tenantId });
    const report = await h.round();
    expect(report).toMatchObject({ outcome: 'ok', fullSync: true });
    expect(report.resets).toBeGreaterThanOrEqual(1);
    expect(report.vanished).toBe(gone.length);
    const mirror = await expectMirrorEqualsDirectory(store, h.emulator);
    expect(mirror.has(added.id)).toBe(true);
    expect((await store.getSyncState(h.tenantId))?.lastOutcome).toBe('resync');
    // The feed tells extensions about the vanished users and the newcomer, nothing else.
    const feed = await readFeed(h.proxy.url, h.token, cursor);
    expect(feed.pages.flatMap((p) => p.deletions).sort()).toEqual([...gone].sort());
    expect(feed.pages.flatMap((p) => p.upserts.map((u) => u.id))).toEqual([added.id]);
  });

  it('a delta token older than 7 days (emulator clock + 8 days) → full resync → equal', async () => {
    const { store } = h.proxy.proxy;
    const gone = await deleteSome(2, false);
    await control(h.emulator, 'POST', '/clock/advance', { seconds: 8 * 86_400 });
    // The proxy's cached Graph token was issued before the jump, so the emulator now reads it as expired
    // (a clock jump no real tenant makes): this round uses a token fetched fresh, without MSAL's cache.
    const graph = createGraphClient({ graphUrl: h.emulator.graphUrl, getAccessToken: () => clientCredentialsToken(h.emulator) });
    const report = await syncTenant(h.tenantId, { store, graph, graphUrl: h.emulator.graphUrl, filters: DEFAULT_FILTERS, leaseOwner: 'test-clock', backoffMs: 20 });
    expect(report, JSON.stringify(report.error)).toMatchObject({ outcome: 'ok', fullSync: true });
    expect(report.resets).toBeGreaterThanOrEqual(1);
    expect(report.vanished).toBe(gone.length);
    await expectMirrorEqualsDirectory(store, h.emulator);
  });
});

/** An app-only Graph token straight from the emulator's token endpoint (no cache). */
async function clientCredentialsToken(emulator: Emulator): Promise<string> {
  const { tenantId, clientId, clientSecret } = emulator.tenants[0]!;
  const response = await fetch(`${emulator.url}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://graph.microsoft.com/.default' }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

describe('20% random 429/500/502/503/504 from Graph', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness('default', 1_000, { deltaPageSize: 50 });
  });
  afterAll(async () => {
    await control(h.emulator, 'PUT', '/graph/faults', { rate: 0 }).catch(() => undefined);
    await closeHarness(h);
  });

  /** Rounds until one ends ok (each failed round resumes at its last committed page). */
  async function untilOk(max = 8): Promise<SyncReport[]> {
    const reports: SyncReport[] = [];
    for (let i = 0; i < max; i++) {
      const report = await h.round();
      reports.push(report);
      if (report.outcome === 'ok') return reports;
    }
    throw new Error(`no round ended ok in ${max}: ${JSON.stringify(reports.map((r) => r.error))}`);
  }

  it('full sync and a delta round still end with the mirror equal to the directory', async () => {
    await control(h.emulator, 'DELETE', '/graph/stats');
    await control(h.emulator, 'PUT', '/graph/faults', { rate: 0.2, statuses: [429, 500, 502, 503, 504], retryAfterSeconds: 0, seed: 7 });
    await untilOk();
    await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);

    const members = [...h.directory.iterate()].map(({ user }) => user).filter((u) => u.accountEnabled && u.userType === 'Member' && u.userPrincipalName !== h.emulator.employeeUpn);
    for (const user of members.slice(0, 40)) h.directory.update(user.id, { jobTitle: `Fault-tolerant ${user.jobTitle ?? ''}`.trim() });
    for (const user of members.slice(40, 45)) h.directory.remove(user.id);
    for (const user of members.slice(45, 48)) h.directory.update(user.id, { accountEnabled: false });
    for (let i = 0; i < 10; i++) h.directory.add({ displayName: `Flaky Hire ${i}`, managerId: members[50]!.id });
    await untilOk();
    await expectMirrorEqualsDirectory(h.proxy.proxy.store, h.emulator);

    const stats = await control<{ requests: number; faultsInjected: number; faultsByStatus: Record<string, number> }>(h.emulator, 'GET', '/graph/stats');
    // Both kinds were met: statuses the Graph client retries (429/503/504) and those the sync retries (500/502).
    expect(stats.faultsInjected, JSON.stringify(stats)).toBeGreaterThanOrEqual(5);
    expect(Object.keys(stats.faultsByStatus).length, JSON.stringify(stats)).toBeGreaterThanOrEqual(3);
  });
});

describe('proxy work per Graph page of 999 users (design target ≤ 10 ms; measured, not asserted)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness('default', 6_000, { deltaPageSize: 999, emptyDeltaPages: false });
    await h.round(); // the scheduler's first round, at start
  });
  afterAll(() => closeHarness(h));

  it('times mapping + store commit per page, full sync and a delta page of 999 changed users', async ({ annotate }) => {
    const { store, tenants } = h.proxy.proxy;
    const graph = tenants.graphFor((await store.getTenant(h.tenantId))!);
    const timed = async (): Promise<number[]> => {
      const pages: number[] = [];
      const report = await syncTenant(h.tenantId, {
        store,
        graph,
        graphUrl: h.emulator.graphUrl,
        filters: DEFAULT_FILTERS,
        leaseOwner: 'test-bench',
        onPage: (_tenant, _result, ms) => pages.push(ms),
      });
      expect(report.outcome).toBe('ok');
      return pages;
    };
    // A full resync: every page is 999 new-or-unchanged users, mapped and compared with the stored row.
    await store.resetSyncCursor(h.tenantId);
    const full = await timed();
    // A delta page: 999 users changed, each read from the mirror, merged, and rewritten with a new seq.
    const users = [...h.directory.iterate()].map(({ user }) => user).filter((u) => u.accountEnabled && u.userType === 'Member');
    for (const user of users.slice(0, 999)) h.directory.update(user.id, { jobTitle: `Bench ${user.id.slice(0, 6)}` });
    const delta = await timed();
    await expectMirrorEqualsDirectory(store, h.emulator);
    const fmt = (ms: number[]) => ms.map((m) => m.toFixed(1)).join(', ');
    await annotate(`full resync pages (ms): ${fmt(full)}; delta page of 999 changes (ms): ${fmt(delta)}`);
    expect(full.length).toBeGreaterThanOrEqual(6);
  });
});
