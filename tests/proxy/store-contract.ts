import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';

export { emptyContact };
import { encryptSecret, secretAad, type Sealed } from '../../proxy/src/crypto.ts';
import type { ChangesPage, PendingInput, Store, StoreOptions, SyncPage, TenantInput } from '../../proxy/src/store/types.ts';

/**
 * The behaviour every Store must have, whatever the database. Run it with
 * `storeContract('SQLite', (options) => openStore('file::memory:', options))`; the PostgreSQL store
 * (issue #6) runs the same suite against its own `open`. `open` gets a controllable clock and must return
 * an empty, migrated store each time.
 */
export interface ContractClock {
  now: () => Date;
  advance(ms: number): void;
}

export function storeContract(name: string, open: (options: Required<Pick<StoreOptions, 'now'>>) => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let clock: ContractClock;

    beforeEach(async () => {
      clock = fakeClock();
      store = await open({ now: clock.now });
    });
    afterEach(async () => {
      await store.close();
    });

    describe('tenants', () => {
      it('stores, lists and updates a tenant, keeping createdAt', async () => {
        const created = await store.upsertTenant(tenantInput(TENANT_A));
        expect(created).toMatchObject({ id: TENANT_A, state: 'active', grantedScopes: ['User.Read.All'], lastError: null });
        expect(created.createdAt).toEqual(clock.now());
        clock.advance(1000);
        const updated = await store.upsertTenant({ ...tenantInput(TENANT_A), state: 'error', adminUpn: 'new@contoso.test' });
        expect(updated.createdAt).toEqual(created.createdAt);
        expect(updated.updatedAt.getTime()).toBe(created.createdAt.getTime() + 1000);
        expect(await store.getTenant(TENANT_A)).toEqual(updated);
        await store.upsertTenant(tenantInput(TENANT_B));
        expect((await store.listTenants()).map((t) => t.id)).toEqual([TENANT_A, TENANT_B]);
        expect(await store.getTenant('nope')).toBeNull();
      });

      it('sets state and last error', async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
        const lastError = { code: 'AADSTS7000222', message: 'client secret expired', fix: 'create a new one and paste it', at: clock.now() };
        expect(await store.setTenantState(TENANT_A, 'error', lastError)).toBe(true);
        expect(await store.getTenant(TENANT_A)).toMatchObject({ state: 'error', lastError });
        expect(await store.setTenantState(TENANT_A, 'active')).toBe(true);
        expect(await store.getTenant(TENANT_A)).toMatchObject({ state: 'active', lastError });
        expect(await store.setTenantState(TENANT_A, 'active', null)).toBe(true);
        expect((await store.getTenant(TENANT_A))?.lastError).toBeNull();
        expect(await store.setTenantState('unknown', 'active')).toBe(false);
      });

      it('keeps the token cache sealed and apart from config updates', async () => {
        const cache = seal(TENANT_A, 'tokenCache', '{"RefreshToken":{"x":{"secret":"rt"}}}');
        await store.upsertTenant({ ...tenantInput(TENANT_A), tokenCache: cache });
        expect(await store.loadTokenCache(TENANT_A)).toBe(cache);
        await store.upsertTenant(tenantInput(TENANT_A));
        expect(await store.loadTokenCache(TENANT_A)).toBe(cache);
        const next = seal(TENANT_A, 'tokenCache', '{}');
        await store.saveTokenCache(TENANT_A, next);
        expect(await store.loadTokenCache(TENANT_A)).toBe(next);
        await store.upsertTenant({ ...tenantInput(TENANT_A), tokenCache: null });
        expect(await store.loadTokenCache(TENANT_A)).toBeNull();
        await expect(store.saveTokenCache('unknown', next)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      });

      it('refuses a secret that was not sealed', async () => {
        await expect(store.upsertTenant({ ...tenantInput(TENANT_A), clientSecret: 'plain-secret' as Sealed })).rejects.toMatchObject({ code: 'NOT_SEALED' });
        await store.upsertTenant(tenantInput(TENANT_A));
        await expect(store.saveTokenCache(TENANT_A, '{"RefreshToken":{}}' as Sealed)).rejects.toMatchObject({ code: 'NOT_SEALED' });
        await expect(store.createPending({ ...pendingInput('s1'), codeVerifier: 'verifier' as Sealed })).rejects.toMatchObject({ code: 'NOT_SEALED' });
      });

      it('deletes a tenant with everything it owns', async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { deltaLink: 'd1' }));
        await store.putPhoto(TENANT_A, id(1), '48x48', { etag: 'e', contentType: 'image/jpeg', bytes: new Uint8Array([1]), missing: false });
        expect(await store.acquireSyncLease(TENANT_A, 'p1', 60_000)).toBe(true);
        expect(await store.deleteTenant(TENANT_A)).toBe(true);
        expect(await store.getTenant(TENANT_A)).toBeNull();
        expect(await store.getSyncState(TENANT_A)).toBeNull();
        expect(await store.getPhoto(TENANT_A, id(1), '48x48')).toBeNull();
        await store.upsertTenant(tenantInput(TENANT_A));
        expect(await store.countUsers(TENANT_A)).toBe(0);
        expect(await store.latestSeq(TENANT_A)).toBe(0);
        expect(await store.acquireSyncLease(TENANT_A, 'p2', 60_000)).toBe(true);
        expect(await store.deleteTenant('unknown')).toBe(false);
      });
    });

    describe('pending onboarding', () => {
      it('hands a pending config out once', async () => {
        const created = await store.createPending(pendingInput('state-1'));
        expect(created.expiresAt.getTime() - created.createdAt.getTime()).toBe(15 * 60_000);
        const taken = await store.consumePending('state-1');
        expect(taken).toEqual(created);
        expect(await store.consumePending('state-1')).toBeNull();
        expect(await store.consumePending('never-issued')).toBeNull();
      });

      it('refuses an expired one and purges expired ones', async () => {
        await store.createPending(pendingInput('short'), 1_000);
        await store.createPending(pendingInput('long'), 60_000);
        clock.advance(1_000);
        expect(await store.consumePending('short')).toBeNull();
        await store.createPending(pendingInput('short2'), 1_000);
        clock.advance(5_000);
        expect(await store.purgeExpiredPending()).toBe(1);
        expect(await store.consumePending('long')).toMatchObject({ state: 'long', extra: { nonce: 'n-long' } });
      });

      it('gives exactly one of two racing callbacks the config', async () => {
        await store.createPending(pendingInput('race'));
        const results = await Promise.all([store.consumePending('race'), store.consumePending('race')]);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      });
    });

    describe('mirror', () => {
      beforeEach(async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
        await store.upsertTenant(tenantInput(TENANT_B));
      });

      it('applies a page and stores its cursor', async () => {
        const result = await store.applySyncPage(TENANT_A, page([contact(1), contact(2), contact(3)], [], { nextLink: 'https://graph/next1' }));
        expect(result).toEqual({ changed: 3, removed: 0, vanished: 0, usersMirrored: 3, latestSeq: 3 });
        expect(await store.getUser(TENANT_A, id(2))).toEqual(contact(2));
        expect(await store.countUsers(TENANT_A)).toBe(3);
        expect(await store.getSyncState(TENANT_A)).toMatchObject({ cursor: { nextLink: 'https://graph/next1' }, usersMirrored: 3, latestSeq: 3 });
      });

      it('reads several live users of one tenant at once, leaving out tombstones and other tenants', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2), contact(3)], [id(3)], { nextLink: 'n1' }));
        await store.applySyncPage(TENANT_B, page([contact(4)], [], { nextLink: 'n1' }));
        const found = await store.getUsers(TENANT_A, [id(1), id(2), id(3), id(4), id(404)]);
        expect([...found.keys()].sort()).toEqual([id(1), id(2)]);
        expect(found.get(id(2))).toEqual(contact(2));
        expect((await store.getUsers(TENANT_A, [])).size).toBe(0);
      });

      it('fills in missing optional values so stored contacts are complete', async () => {
        const partial = { id: id(9), displayName: 'Partial' } as Contact;
        await store.applySyncPage(TENANT_A, page([partial], [], { deltaLink: 'd' }));
        expect(await store.getUser(TENANT_A, id(9))).toEqual({ ...emptyContact(id(9)), displayName: 'Partial' });
      });

      it('gives a user a new seq only when its content changes', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { nextLink: 'n1' }));
        const again = await store.applySyncPage(TENANT_A, page([contact(1), contact(2), contact(2)], [], { nextLink: 'n2' }));
        expect(again).toMatchObject({ changed: 0, latestSeq: 2 });
        const edited = await store.applySyncPage(TENANT_A, page([{ ...contact(2), jobTitle: 'CTO' }, contact(1)], [], { deltaLink: 'd1' }));
        expect(edited).toMatchObject({ changed: 1, latestSeq: 3 });
        const feed = await changes(store, TENANT_A, 2);
        expect(feed).toEqual({ upserts: [{ ...contact(2), jobTitle: 'CTO' }], deletions: [], nextCursor: 3, more: false });
      });

      it('turns removals into tombstones with their own seq, once', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { nextLink: 'n1' }));
        const removed = await store.applySyncPage(TENANT_A, page([], [id(1), id(1), id(404)], { deltaLink: 'd1' }));
        expect(removed).toEqual({ changed: 0, removed: 1, vanished: 0, usersMirrored: 1, latestSeq: 3 });
        expect(await store.getUser(TENANT_A, id(1))).toBeNull();
        expect(await changes(store, TENANT_A, 2)).toEqual({ upserts: [], deletions: [id(1)], nextCursor: 3, more: false });
        // Graph can restore a soft-deleted user (`@removed` reason "changed"): it comes back as an upsert.
        const revived = await store.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'd2' }));
        expect(revived).toEqual({ changed: 1, removed: 0, vanished: 0, usersMirrored: 2, latestSeq: 4 });
        expect(await store.getUser(TENANT_A, id(1))).toEqual(contact(1));
      });

      it('applies removals after upserts within a page', async () => {
        const result = await store.applySyncPage(TENANT_A, page([contact(1)], [id(1)], { deltaLink: 'd1' }));
        expect(result).toMatchObject({ changed: 1, removed: 1, usersMirrored: 0 });
        expect(await store.getUser(TENANT_A, id(1))).toBeNull();
      });

      it('commits a page and its cursor together or not at all', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1)], [], { nextLink: 'n1' }));
        const bad = page([contact(2), { ...contact(3), jobTitle: 'changed' }, { ...contact(4), id: '' }, contact(5)], [], { nextLink: 'n2' });
        await expect(store.applySyncPage(TENANT_A, bad)).rejects.toMatchObject({ code: 'INVALID_PAGE' });
        const badRemoval = page([contact(2)], [id(1), 42 as unknown as string], { nextLink: 'n2' });
        await expect(store.applySyncPage(TENANT_A, badRemoval)).rejects.toMatchObject({ code: 'INVALID_PAGE' });
        expect(await store.countUsers(TENANT_A)).toBe(1);
        expect(await store.getUser(TENANT_A, id(2))).toBeNull();
        expect(await store.getUser(TENANT_A, id(1))).toEqual(contact(1));
        expect(await store.getSyncState(TENANT_A)).toMatchObject({ cursor: { nextLink: 'n1' }, latestSeq: 1, usersMirrored: 1 });
        // Re-applying after the failure is clean: no gaps, no duplicates.
        expect(await store.applySyncPage(TENANT_A, page([contact(2)], [], { nextLink: 'n2' }))).toMatchObject({ changed: 1, latestSeq: 2 });
      });

      it.each<[string, SyncPage['cursor']]>([
        ['no cursor', {}],
        ['both links', { nextLink: 'n', deltaLink: 'd' }],
        ['an empty link', { nextLink: '' }],
      ])('refuses a page with %s', async (_label, cursor) => {
        await expect(store.applySyncPage(TENANT_A, page([contact(1)], [], cursor))).rejects.toMatchObject({ code: 'INVALID_PAGE' });
        expect(await store.countUsers(TENANT_A)).toBe(0);
      });

      it('refuses a page for an unknown tenant', async () => {
        await expect(store.applySyncPage('unknown', page([contact(1)], [], { deltaLink: 'd' }))).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      });

      it('keeps the old deltaLink mid-round and replaces it at the end', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'delta-1' }));
        await store.applySyncPage(TENANT_A, page([contact(2)], [], { nextLink: 'next-2' }));
        expect((await store.getSyncState(TENANT_A))?.cursor).toEqual({ nextLink: 'next-2', deltaLink: 'delta-1' });
        await store.applySyncPage(TENANT_A, page([contact(3)], [], { deltaLink: 'delta-2' }));
        expect((await store.getSyncState(TENANT_A))?.cursor).toEqual({ deltaLink: 'delta-2' });
        await store.resetSyncCursor(TENANT_A);
        expect((await store.getSyncState(TENANT_A))?.cursor).toEqual({});
      });

      it('full resync removes users the run did not see, each with a seq', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2), contact(3), contact(4)], [], { deltaLink: 'old' }));
        await store.putPhoto(TENANT_A, id(4), '48x48', { etag: 'e', contentType: 'image/jpeg', bytes: new Uint8Array([1, 2]), missing: false });
        const run = { runId: 'run-1' };
        const first = await store.applySyncPage(TENANT_A, { ...page([contact(1), { ...contact(2), department: 'Moved' }], [], { nextLink: 'full-next' }), fullSync: run });
        expect(first).toMatchObject({ changed: 1, vanished: 0, usersMirrored: 4 });
        expect(await store.getSyncState(TENANT_A)).toMatchObject({ fullSyncRunId: 'run-1', cursor: { nextLink: 'full-next' } });
        const last = await store.applySyncPage(TENANT_A, { ...page([contact(3), contact(5)], [], { deltaLink: 'new-delta' }), fullSync: run });
        expect(last).toEqual({ changed: 1, removed: 0, vanished: 1, usersMirrored: 4, latestSeq: 7 });
        expect(await store.getUser(TENANT_A, id(4))).toBeNull();
        expect(await store.getPhoto(TENANT_A, id(4), '48x48')).toBeNull();
        expect(await store.getSyncState(TENANT_A)).toMatchObject({ fullSyncRunId: null, cursor: { deltaLink: 'new-delta' } });
        expect(await changes(store, TENANT_A, 4)).toEqual({
          upserts: [{ ...contact(2), department: 'Moved' }, contact(5)],
          deletions: [id(4)],
          nextCursor: 7,
          more: false,
        });
        // Finishing again, or finishing a stale run, changes nothing.
        expect(await store.finishFullSync(TENANT_A, 'run-1')).toMatchObject({ vanished: 0, latestSeq: 7 });
      });

      it('finishFullSync ends a run explicitly and ignores a stale run id', async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { deltaLink: 'old' }));
        await store.applySyncPage(TENANT_A, { ...page([contact(1)], [], { nextLink: 'n' }), fullSync: { runId: 'run-2' } });
        expect(await store.finishFullSync(TENANT_A, 'run-1')).toMatchObject({ vanished: 0, usersMirrored: 2 });
        expect(await store.finishFullSync(TENANT_A, 'run-2')).toMatchObject({ vanished: 1, usersMirrored: 1, latestSeq: 3 });
        expect(await store.getUser(TENANT_A, id(2))).toBeNull();
        expect((await store.getSyncState(TENANT_A))?.fullSyncRunId).toBeNull();
      });

      it('counts live users the same way in sync state and countUsers', async () => {
        await store.applySyncPage(TENANT_A, page(range(1, 30).map(contact), [], { nextLink: 'n' }));
        await store.applySyncPage(TENANT_A, page([contact(3)], [id(1), id(2), id(31)], { nextLink: 'n' }));
        await store.applySyncPage(TENANT_A, page([contact(1)], [id(5)], { deltaLink: 'd' }));
        expect(await store.countUsers(TENANT_A)).toBe(28);
        expect((await store.getSyncState(TENANT_A))?.usersMirrored).toBe(28);
      });

      it('lists live users in id order for export', async () => {
        await store.applySyncPage(TENANT_A, page(range(1, 2_500).map(contact), [id(7)], { deltaLink: 'd' }));
        const ids: string[] = [];
        for await (const user of store.listUsers(TENANT_A)) ids.push(user.id);
        expect(ids).toHaveLength(2_499);
        expect(ids).toEqual([...ids].sort());
        expect(ids).not.toContain(id(7));
      });

      it("never shows one tenant's users to another", async () => {
        await store.applySyncPage(TENANT_A, page([contact(1), contact(2)], [], { deltaLink: 'a' }));
        await store.applySyncPage(TENANT_B, page([{ ...contact(2), displayName: 'B two' }, contact(3)], [], { deltaLink: 'b' }));
        await store.applySyncPage(TENANT_B, page([], [id(2)], { deltaLink: 'b2' }));
        const feedA = await changes(store, TENANT_A, 0);
        expect(feedA.upserts.map((u) => u.id)).toEqual([id(1), id(2)]);
        expect(feedA.upserts.find((u) => u.id === id(2))?.displayName).toBe(contact(2).displayName);
        expect(feedA.deletions).toEqual([]);
        expect(await store.getUser(TENANT_A, id(3))).toBeNull();
        expect(await store.getUser(TENANT_B, id(1))).toBeNull();
        expect(await store.getUser(TENANT_A, id(2))).toEqual(contact(2));
        expect(await store.countUsers(TENANT_B)).toBe(1);
        expect(await store.latestSeq(TENANT_A)).toBe(2);
        expect(await store.latestSeq(TENANT_B)).toBe(3);
        expect(await changes(store, TENANT_B, 1)).toEqual({ upserts: [contact(3)], deletions: [id(2)], nextCursor: 3, more: false });
        await store.putPhoto(TENANT_B, id(3), '48x48', { etag: 'b', contentType: 'image/png', bytes: new Uint8Array([9]), missing: false });
        expect(await store.getPhoto(TENANT_A, id(3), '48x48')).toBeNull();
      });
    });

    describe('changes feed', () => {
      beforeEach(async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
        await store.applySyncPage(TENANT_A, page(range(1, 25).map(contact), [], { deltaLink: 'd' }));
      });

      it('pages with limit, more and nextCursor', async () => {
        const seen: string[] = [];
        let cursor = 0;
        const mores: boolean[] = [];
        for (;;) {
          const result = await changes(store, TENANT_A, cursor, 10);
          seen.push(...result.upserts.map((u) => u.id));
          mores.push(result.more);
          expect(result.nextCursor).toBeGreaterThan(cursor);
          cursor = result.nextCursor;
          if (!result.more) break;
        }
        expect(mores).toEqual([true, true, false]);
        expect(seen).toEqual(range(1, 25).map(id));
        expect(cursor).toBe(25);
        expect(await changes(store, TENANT_A, cursor, 10)).toEqual({ upserts: [], deletions: [], nextCursor: 25, more: false });
        const exact = await changes(store, TENANT_A, 15, 10);
        expect(exact).toMatchObject({ nextCursor: 25, more: false });
        expect(exact.upserts).toHaveLength(10);
      });

      it('lists changes in seq order: a user edited later moves to the end', async () => {
        await store.applySyncPage(TENANT_A, page([{ ...contact(3), mobilePhone: '+1 555 0100' }], [id(4)], { deltaLink: 'd2' }));
        const result = await changes(store, TENANT_A, 24);
        expect(result.upserts.map((u) => u.id)).toEqual([id(25), id(3)]);
        expect(result.deletions).toEqual([id(4)]);
        expect(result.nextCursor).toBe(27);
      });

      it('gives a newcomer (cursor 0) live users only, then moves it to the newest seq', async () => {
        await store.applySyncPage(TENANT_A, page([], [id(24), id(25)], { deltaLink: 'd2' }));
        const result = await changes(store, TENANT_A, 0, 100);
        expect(result.deletions).toEqual([]);
        expect(result.upserts).toHaveLength(23);
        expect(result).toMatchObject({ nextCursor: 27, more: false });
      });

      it('asks for a resync when the cursor is below the history floor or beyond the newest seq', async () => {
        await store.applySyncPage(TENANT_A, page([], [id(1), id(2)], { deltaLink: 'd2' })); // seq 26, 27
        clock.advance(31 * DAY);
        await store.applySyncPage(TENANT_A, page([], [id(3)], { deltaLink: 'd3' })); // seq 28
        expect(await store.pruneHistory(TENANT_A, new Date(clock.now().getTime() - 30 * DAY))).toBe(2);
        expect((await store.getSyncState(TENANT_A))?.historyFloor).toBe(27);
        expect(await store.changesSince(TENANT_A, 20, 100)).toEqual({ resync: true });
        expect(await store.changesSince(TENANT_A, 26, 100)).toEqual({ resync: true });
        expect(await changes(store, TENANT_A, 27)).toEqual({ upserts: [], deletions: [id(3)], nextCursor: 28, more: false });
        expect(await store.changesSince(TENANT_A, 29, 100)).toEqual({ resync: true });
        // A newcomer's first download, paged from 0, is judged by where it started, not by its cursor:
        // the tombstones pruned before it began concern users it never had.
        const first = await changes(store, TENANT_A, 0, 5);
        expect(first.more).toBe(true);
        expect(first.nextCursor).toBeLessThan(27);
        expect(await store.changesSince(TENANT_A, first.nextCursor, 100, 28)).toMatchObject({ more: false, nextCursor: 28 });
        expect(await store.changesSince(TENANT_A, first.nextCursor, 100, 26)).toEqual({ resync: true });
        // Starting over always works.
        const fresh = await changes(store, TENANT_A, 0, 100);
        expect(fresh.upserts).toHaveLength(22);
        expect(fresh.nextCursor).toBe(28);
        // Pruning again with nothing old enough leaves the floor alone.
        expect(await store.pruneHistory(TENANT_A, new Date(clock.now().getTime() - 30 * DAY))).toBe(0);
        expect((await store.getSyncState(TENANT_A))?.historyFloor).toBe(27);
      });

      it('refuses a negative or fractional cursor, and an unknown tenant', async () => {
        await expect(store.changesSince(TENANT_A, -1, 10)).rejects.toThrow(RangeError);
        await expect(store.changesSince(TENANT_A, 1.5, 10)).rejects.toThrow(RangeError);
        await expect(store.changesSince('unknown', 0, 10)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      });
    });

    describe('sync state and lease', () => {
      beforeEach(async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
      });

      it('records the status page figures', async () => {
        const start = clock.now();
        await store.updateSyncState(TENANT_A, { phase: 'running', lastStart: start });
        clock.advance(2_000);
        const lastError = { code: 'TooManyRequests', message: 'throttled', fix: 'wait', at: clock.now() };
        await store.updateSyncState(TENANT_A, { phase: 'idle', lastEnd: clock.now(), lastOutcome: 'error', lastError, nextRunAt: new Date(clock.now().getTime() + 900_000) });
        expect(await store.getSyncState(TENANT_A)).toEqual({
          tenantId: TENANT_A,
          cursor: {},
          fullSyncRunId: null,
          phase: 'idle',
          lastStart: start,
          lastEnd: clock.now(),
          lastOutcome: 'error',
          lastError,
          nextRunAt: new Date(clock.now().getTime() + 900_000),
          usersMirrored: 0,
          latestSeq: 0,
          historyFloor: 0,
        });
        await store.updateSyncState(TENANT_A, { lastOutcome: 'ok', lastError: null });
        expect(await store.getSyncState(TENANT_A)).toMatchObject({ lastOutcome: 'ok', lastError: null, lastStart: start });
        await expect(store.updateSyncState('unknown', { phase: 'idle' })).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      });

      it('lets one owner hold the lease until it expires or is released', async () => {
        expect(await store.acquireSyncLease(TENANT_A, 'proc-1', 10_000)).toBe(true);
        expect(await store.acquireSyncLease(TENANT_A, 'proc-2', 10_000)).toBe(false);
        expect(await store.acquireSyncLease(TENANT_A, 'proc-1', 10_000)).toBe(true);
        clock.advance(9_000);
        expect(await store.renewSyncLease(TENANT_A, 'proc-1', 10_000)).toBe(true);
        clock.advance(9_000);
        expect(await store.acquireSyncLease(TENANT_A, 'proc-2', 10_000)).toBe(false);
        clock.advance(1_000);
        expect(await store.acquireSyncLease(TENANT_A, 'proc-2', 10_000)).toBe(true);
        expect(await store.renewSyncLease(TENANT_A, 'proc-1', 10_000)).toBe(false);
        await store.releaseSyncLease(TENANT_A, 'proc-1');
        expect(await store.acquireSyncLease(TENANT_A, 'proc-3', 10_000)).toBe(false);
        await store.releaseSyncLease(TENANT_A, 'proc-2');
        expect(await store.acquireSyncLease(TENANT_A, 'proc-3', 10_000)).toBe(true);
      });

      it('grants a lease to exactly one of many racing owners', async () => {
        const results = await Promise.all(range(1, 10).map((n) => store.acquireSyncLease(TENANT_A, `proc-${n}`, 10_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('keeps leases per tenant', async () => {
        await store.upsertTenant(tenantInput(TENANT_B));
        expect(await store.acquireSyncLease(TENANT_A, 'proc-1', 10_000)).toBe(true);
        expect(await store.acquireSyncLease(TENANT_B, 'proc-2', 10_000)).toBe(true);
        await expect(store.acquireSyncLease('unknown', 'proc-1', 10_000)).rejects.toMatchObject({ code: 'TENANT_NOT_FOUND' });
      });
    });

    describe('photos', () => {
      beforeEach(async () => {
        await store.upsertTenant(tenantInput(TENANT_A));
        await store.applySyncPage(TENANT_A, page([contact(1)], [], { deltaLink: 'd' }));
      });

      it('caches photos and misses, per size', async () => {
        const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 1]);
        await store.putPhoto(TENANT_A, id(1), '48x48', { etag: 'W/"1"', contentType: 'image/jpeg', bytes, missing: false });
        expect(await store.getPhoto(TENANT_A, id(1), '48x48')).toEqual({ etag: 'W/"1"', contentType: 'image/jpeg', bytes, missing: false, fetchedAt: clock.now() });
        expect(await store.getPhoto(TENANT_A, id(1), '96x96')).toBeNull();
        clock.advance(1000);
        await store.putPhoto(TENANT_A, id(2), '48x48', { etag: null, contentType: null, bytes: null, missing: true });
        expect(await store.getPhoto(TENANT_A, id(2), '48x48')).toEqual({ etag: null, contentType: null, bytes: null, missing: true, fetchedAt: clock.now() });
        await store.putPhoto(TENANT_A, id(1), '48x48', { etag: 'W/"2"', contentType: 'image/jpeg', bytes: bytes.subarray(2), missing: false });
        expect((await store.getPhoto(TENANT_A, id(1), '48x48'))?.bytes).toEqual(bytes.subarray(2));
        await expect(store.putPhoto('unknown', id(1), '48x48', { etag: null, contentType: null, bytes: null, missing: true })).rejects.toMatchObject({
          code: 'TENANT_NOT_FOUND',
        });
      });
    });
  });
}

// ---- Fixtures ---------------------------------------------------------------------------------------

export const TENANT_A = 'aaaaaaaa-0000-4000-8000-00000000000a';
export const TENANT_B = 'bbbbbbbb-0000-4000-8000-00000000000b';
export const TEST_KEY = Buffer.alloc(32, 0x5a);
const DAY = 86_400_000;

export function fakeClock(start = Date.UTC(2026, 0, 15, 9, 0, 0)): ContractClock {
  let t = start;
  return { now: () => new Date(t), advance: (ms) => void (t += ms) };
}

export function seal(scope: string, field: string, plaintext: string): Sealed {
  return encryptSecret(TEST_KEY, plaintext, secretAad(scope, field));
}

export function id(n: number): string {
  return `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}


export function contact(n: number): Contact {
  return {
    id: id(n),
    displayName: `Person ${n}`,
    givenName: 'Person',
    surname: String(n),
    mail: `person${n}@contoso.test`,
    userPrincipalName: `person${n}@contoso.test`,
    jobTitle: 'Engineer',
    department: n % 2 === 0 ? 'R&D' : 'Sales',
    companyName: 'Contoso',
    officeLocation: `B${n % 5}`,
    businessPhones: [`+1 555 ${String(n).padStart(4, '0')}`],
    mobilePhone: null,
    accountEnabled: true,
    userType: 'Member',
    managerId: n > 1 ? id(1) : null,
  };
}

export function page(upserts: Contact[], removals: string[], cursor: SyncPage['cursor']): SyncPage {
  return { upserts, removals, cursor };
}

export function tenantInput(tenantId: string, secret = 's3cr3t-client-value'): TenantInput {
  return {
    id: tenantId,
    state: 'active',
    cloud: 'global',
    authorityHost: 'https://login.microsoftonline.com',
    graphUrl: 'https://graph.microsoft.com/v1.0',
    clientId: '11111111-2222-3333-4444-555555555555',
    graphAuth: 'delegated',
    source: 'onboarding',
    clientSecret: seal(tenantId, 'clientSecret', secret),
    adminUpn: 'admin@contoso.test',
    adminOid: '99999999-0000-4000-8000-000000000099',
    grantedScopes: ['User.Read.All'],
    secretExpiresAt: new Date(Date.UTC(2027, 0, 1)),
  };
}

export function pendingInput(state: string): PendingInput {
  return {
    state,
    tenant: 'contoso.onmicrosoft.com',
    cloud: 'global',
    authorityHost: 'https://login.microsoftonline.com',
    graphUrl: 'https://graph.microsoft.com/v1.0',
    clientId: '11111111-2222-3333-4444-555555555555',
    graphAuth: 'delegated',
    clientSecret: seal(`pending:${state}`, 'clientSecret', 's3cr3t-pending-value'),
    codeVerifier: seal(`pending:${state}`, 'codeVerifier', 'verifier-value'),
    redirectUri: 'http://localhost:8787/api/azure/callback',
    extra: { nonce: `n-${state}` },
  };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** changesSince, asserting it is not a resync. */
async function changes(store: Store, tenantId: string, cursor: number, limit = 1000): Promise<Exclude<ChangesPage, { resync: true }>> {
  const result = await store.changesSince(tenantId, cursor, limit);
  if (result.resync === true) throw new Error(`unexpected resync at cursor ${cursor}`);
  return result;
}
