/**
 * Unit tables for proxy/src/sync/delta-mapping.ts with entries shaped as `/users/delta` returns them
 * (https://learn.microsoft.com/graph/delta-query-overview, "Resource representation in the delta query
 * response"), and syncTenant's handling of entries and errors against a scripted Graph client.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTACT_FIELDS, type Contact } from '../../shared/contact.ts';
import { openStore, type Store } from '../../proxy/src/store/index.ts';
import { isComplete, keepInMirror, managerChange, mergeEntry, type DeltaEntry, type MirrorFilters } from '../../proxy/src/sync/delta-mapping.ts';
import { isAbandonedLease, leaseOwnerId, syncTenant } from '../../proxy/src/sync/sync-tenant.ts';
import { TENANT_A, tenantInput } from './store-contract.ts';

const U1 = '11111111-1111-4111-8111-111111111111';
const M1 = 'aaaaaaaa-1111-4111-8111-111111111111';
const M2 = 'bbbbbbbb-2222-4222-8222-222222222222';
const link = (id: string) => ({ '@odata.type': '#microsoft.graph.user', id });
const removedLink = (id: string) => ({ ...link(id), '@removed': { reason: 'deleted' } });

/** A new user in its standard representation, limited to the mirror's `$select`. */
function fullEntry(overrides: Record<string, unknown> = {}): DeltaEntry {
  return {
    '@odata.type': '#microsoft.graph.user',
    id: U1,
    displayName: 'Adele Vance',
    givenName: 'Adele',
    surname: 'Vance',
    mail: 'adelev@contoso.com',
    userPrincipalName: 'AdeleV@contoso.com',
    jobTitle: 'Retail Manager',
    department: 'Retail',
    companyName: 'Contoso',
    officeLocation: '18/2111',
    businessPhones: ['+1 425 555 0109'],
    mobilePhone: null,
    accountEnabled: true,
    userType: 'Member',
    'manager@delta': [link(M1)],
    ...overrides,
  };
}

const ADELE: Contact = {
  id: U1,
  displayName: 'Adele Vance',
  givenName: 'Adele',
  surname: 'Vance',
  mail: 'adelev@contoso.com',
  userPrincipalName: 'AdeleV@contoso.com',
  jobTitle: 'Retail Manager',
  department: 'Retail',
  companyName: 'Contoso',
  officeLocation: '18/2111',
  businessPhones: ['+1 425 555 0109'],
  mobilePhone: null,
  accountEnabled: true,
  userType: 'Member',
  managerId: M1,
};

describe('managerChange', () => {
  it.each<[string, DeltaEntry, string | null | undefined]>([
    ['no annotation: unchanged', { id: U1, jobTitle: 'x' }, undefined],
    ['a manager link', { id: U1, 'manager@delta': [link(M1)] }, M1],
    ['the link removed', { id: U1, 'manager@delta': [removedLink(M1)] }, null],
    ['old link removed, new one added', { id: U1, 'manager@delta': [removedLink(M1), link(M2)] }, M2],
    ['new one first, old removed after', { id: U1, 'manager@delta': [link(M2), removedLink(M1)] }, M2],
    ['an empty annotation: none', { id: U1, 'manager@delta': [] }, null],
    ['a link without id', { id: U1, 'manager@delta': [{ '@odata.type': '#microsoft.graph.user' }] }, null],
    ['not an array: ignored', { id: U1, 'manager@delta': { id: M1 } }, undefined],
  ])('%s', (_, entry, expected) => {
    expect(managerChange(entry)).toBe(expected);
  });
});

describe('isComplete', () => {
  it.each<[string, DeltaEntry, boolean]>([
    ['the standard representation', fullEntry(), true],
    ['standard, with null values', fullEntry({ jobTitle: null, department: null, mobilePhone: null }), true],
    ['standard, no manager annotation', (({ 'manager@delta': _, ...rest }) => rest as DeltaEntry)(fullEntry()), true],
    ['minimal: only what changed', { id: U1, jobTitle: 'Director' }, false],
    ['minimal: re-enabled', { id: U1, accountEnabled: true }, false],
    ['without businessPhones', (({ businessPhones: _, ...rest }) => rest as DeltaEntry)(fullEntry()), false],
    ['without accountEnabled (no User.Read.All)', (({ accountEnabled: _, ...rest }) => rest as DeltaEntry)(fullEntry()), false],
    ['without userType', (({ userType: _, ...rest }) => rest as DeltaEntry)(fullEntry()), false],
    ['a removal', { id: U1, '@removed': { reason: 'changed' } }, false],
  ])('%s → %s', (_, entry, expected) => {
    expect(isComplete(entry)).toBe(expected);
  });
});

describe('mergeEntry', () => {
  const held: Contact = { ...ADELE, jobTitle: 'Old title', mobilePhone: '+1 425 555 0000', managerId: M2 };

  it.each<[string, Contact | null, DeltaEntry, boolean, Partial<Contact>]>([
    ['full round: the entry is the whole truth', null, fullEntry(), true, ADELE],
    ['full round ignores what the mirror had', held, fullEntry(), true, ADELE],
    ['full round, no manager annotation: no manager', held, (({ 'manager@delta': _, ...rest }) => rest as DeltaEntry)(fullEntry()), true, { ...ADELE, managerId: null }],
    ['incremental: absent properties keep their values', held, { id: U1, jobTitle: 'Director' }, false, { ...held, jobTitle: 'Director' }],
    ['incremental: phones cleared', held, { id: U1, businessPhones: [], mobilePhone: null }, false, { ...held, businessPhones: [], mobilePhone: null }],
    ['incremental: text cleared to null', held, { id: U1, jobTitle: null, department: null }, false, { ...held, jobTitle: null, department: null }],
    ['incremental: manager changed', held, { id: U1, 'manager@delta': [link(M1)] }, false, { ...held, managerId: M1 }],
    ['incremental: manager removed', held, { id: U1, 'manager@delta': [removedLink(M2)] }, false, { ...held, managerId: null }],
    ['incremental: no annotation keeps the manager', held, { id: U1, displayName: 'Adele V.' }, false, { ...held, displayName: 'Adele V.' }],
    ['incremental, nobody held: starts empty', null, { id: U1, jobTitle: 'Director' }, false, { id: U1, jobTitle: 'Director', displayName: null, businessPhones: [], accountEnabled: null, managerId: null }],
    ['disabled', held, { id: U1, accountEnabled: false }, false, { ...held, accountEnabled: false }],
    ['non-Latin, apostrophes and markup kept as text', null, fullEntry({ displayName: '<b>王</b> O\'Brien', surname: "O'Brien" }), true, { displayName: '<b>王</b> O\'Brien', surname: "O'Brien" }],
    ['wrong types become null / dropped', null, fullEntry({ jobTitle: 42, accountEnabled: 'yes', businessPhones: ['+1 1', 7, null] }), true, { jobTitle: null, accountEnabled: null, businessPhones: ['+1 1'] }],
    ['businessPhones null → []', held, { id: U1, businessPhones: null }, false, { businessPhones: [] }],
  ])('%s', (_, previous, entry, fullRound, expected) => {
    const merged = mergeEntry(previous, entry, fullRound);
    expect(merged).toMatchObject(expected);
    // Always exactly the contact's keys: no annotations or Graph extras leak into the mirror.
    expect(Object.keys(merged).sort()).toEqual([...CONTACT_FIELDS].sort());
    // The previous contact is never mutated.
    if (previous) expect(previous.jobTitle).toBe('Old title');
  });
});

describe('keepInMirror', () => {
  const none: MirrorFilters = { includeGuests: false, includeDisabled: false };
  const all: MirrorFilters = { includeGuests: true, includeDisabled: true };
  it.each<[boolean | null, string | null, MirrorFilters, boolean]>([
    [true, 'Member', none, true],
    [false, 'Member', none, false],
    [false, 'Member', { ...none, includeDisabled: true }, true],
    [true, 'Guest', none, false],
    [true, 'Guest', { ...none, includeGuests: true }, true],
    [false, 'Guest', { ...none, includeGuests: true }, false],
    [false, 'Guest', all, true],
    // Unknown (not returned) is not "disabled" or "guest".
    [null, null, none, true],
  ])('accountEnabled %s, userType %s, %o → %s', (accountEnabled, userType, filters, expected) => {
    expect(keepInMirror({ ...ADELE, accountEnabled, userType }, filters)).toBe(expected);
  });
});

describe('lease owners', () => {
  it('names the host and process, and knows a dead local process from a live or remote one', () => {
    const mine = leaseOwnerId('cli');
    expect(mine).toMatch(new RegExp(`^cli:[^:]+:${process.pid}:[0-9a-f]{8}$`));
    expect(isAbandonedLease(mine)).toBe(false);
    const host = mine.split(':')[1];
    expect(isAbandonedLease(`cli:${host}:${process.ppid}:abcd1234`)).toBe(false);
    expect(isAbandonedLease(`cli:${host}:2147483646:abcd1234`)).toBe(true);
    expect(isAbandonedLease('cli:some-other-host:2147483646:abcd1234')).toBe(false);
    expect(isAbandonedLease('proxy-1234-abcd')).toBe(false);
  });
});

// ---- syncTenant against a scripted Graph -----------------------------------------------------------

type Answer = unknown | ((url: string) => unknown);

/** A Graph client whose answers come from a table of URL prefixes (the same URL may answer in turn). */
function scriptedGraph(script: Record<string, Answer[]>): { graph: Client; calls: string[] } {
  const calls: string[] = [];
  const api = (path: string) => {
    const query: string[] = [];
    const builder = {
      select: (fields: string) => (query.push(`$select=${fields}`), builder),
      expand: (what: string) => (query.push(`$expand=${what}`), builder),
      header: () => builder,
      get: async () => {
        const url = query.length ? `${path}?${query.join('&')}` : path;
        calls.push(url);
        const key = Object.keys(script).find((prefix) => url.startsWith(prefix));
        const queue = key ? script[key]! : [];
        const answer = queue.length > 1 ? queue.shift() : queue[0];
        if (answer === undefined) throw Object.assign(new Error(`unscripted ${url}`), { statusCode: 404, code: 'Request_ResourceNotFound' });
        const value = typeof answer === 'function' ? (answer as (u: string) => unknown)(url) : answer;
        if (value instanceof Error) throw value;
        return value;
      },
    };
    return builder;
  };
  return { graph: { api } as unknown as Client, calls };
}

const graphError = (statusCode: number, code: string, headers?: Record<string, string>) => Object.assign(new Error(code), { statusCode, code, headers: new Headers(headers) });
const GRAPH = 'https://graph.test/v1.0';
const DELTA = `${GRAPH}/users/delta?$select=`;
const NEXT = `${GRAPH}/users/delta?$skiptoken=p2`;
const DELTA2 = `${GRAPH}/users/delta?$deltatoken=d2`;
const DELTA3 = `${GRAPH}/users/delta?$deltatoken=d3`;
const FILTERS: MirrorFilters = { includeGuests: false, includeDisabled: false };

describe('syncTenant with Graph-shaped pages', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore('file::memory:');
    await store.upsertTenant(tenantInput(TENANT_A));
  });
  afterEach(() => store.close());

  const run = (graph: Client) => syncTenant(TENANT_A, { store, graph, graphUrl: GRAPH, filters: FILTERS, leaseOwner: 'unit', backoffMs: 1 });

  it('follows nextLinks through an empty page, keeps the last entry of a repeated user, applies @removed after upserts', async () => {
    const U2 = '22222222-2222-4222-8222-222222222222';
    const { graph } = scriptedGraph({
      [DELTA]: [{ value: [fullEntry({ jobTitle: 'first' }), fullEntry({ id: U2, userPrincipalName: 'u2@contoso.com', 'manager@delta': [link(U1)] })], '@odata.nextLink': NEXT }],
      [NEXT]: [
        { value: [], '@odata.nextLink': `${NEXT}3` },
        // The same user again on the next page (a replay): the later entry wins.
        { value: [fullEntry({ jobTitle: 'second' }), fullEntry({ id: U2 }), { id: U2, '@removed': { reason: 'changed' } }], '@odata.deltaLink': DELTA2 },
      ],
    });
    const report = await run(graph);
    expect(report).toMatchObject({ outcome: 'ok', pages: 3, fullSync: true, usersMirrored: 1 });
    expect(await store.getUser(TENANT_A, U1)).toEqual({ ...ADELE, jobTitle: 'second' });
    expect(await store.getUser(TENANT_A, U2)).toBeNull();
    expect((await store.getSyncState(TENANT_A))?.cursor).toEqual({ deltaLink: DELTA2 });
  });

  it('completes a user the mirror does not hold: partial entry, or complete but without the manager annotation', async () => {
    const seed = scriptedGraph({ [DELTA]: [{ value: [], '@odata.deltaLink': DELTA2 }] });
    await run(seed.graph);
    const U3 = '33333333-3333-4333-8333-333333333333';
    const whole = (id: string) => ({ ...fullEntry({ id }), 'manager@delta': undefined });
    const { graph, calls } = scriptedGraph({
      [DELTA2]: [
        {
          value: [
            { id: U1, accountEnabled: true }, // re-enabled: minimal representation
            (({ 'manager@delta': _, ...rest }) => rest)(fullEntry({ id: U3 })), // complete, manager unchanged so not sent
            { id: '44444444-4444-4444-8444-444444444444', accountEnabled: false }, // disabled: stays out, nothing read
          ],
          '@odata.deltaLink': DELTA3,
        },
      ],
      [`/users/${U1}/manager`]: [{ id: M1 }],
      [`/users/${U1}`]: [whole(U1)],
      [`/users/${U3}/manager`]: [{ id: M2 }],
      [`/users/${U3}`]: [whole(U3)],
    });
    expect(await run(graph)).toMatchObject({ outcome: 'ok', fullSync: false, changed: 2 });
    expect(await store.getUser(TENANT_A, U1)).toEqual(ADELE);
    expect(await store.getUser(TENANT_A, U3)).toEqual({ ...ADELE, id: U3, managerId: M2 });
    expect(calls.filter((c) => c.includes('4444'))).toEqual([]);
  });

  it('retries 500/502 and network failures of a page, then resumes; a 410 with Location restarts a full sync', async () => {
    const { graph, calls } = scriptedGraph({
      [DELTA]: [graphError(502, 'generalException'), graphError(500, 'UnknownError'), { value: [fullEntry()], '@odata.deltaLink': DELTA2 }],
      [DELTA2]: [graphError(410, 'syncStateNotFound', { location: `${GRAPH}/users/delta?$deltatoken=` })],
      [`${GRAPH}/users/delta?$deltatoken=`]: [{ value: [], '@odata.deltaLink': DELTA3 }],
    });
    expect(await run(graph)).toMatchObject({ outcome: 'ok', usersMirrored: 1 });
    expect(calls.filter((c) => c.startsWith(DELTA))).toHaveLength(3);
    // The token expired: the full resync from the Location sees nobody, so Adele vanishes.
    const report = await run(graph);
    expect(report).toMatchObject({ outcome: 'ok', resets: 1, fullSync: true, vanished: 1, usersMirrored: 0 });
    expect((await store.getSyncState(TENANT_A))?.lastOutcome).toBe('resync');
  });

  it('a page with neither nextLink nor deltaLink fails the round and keeps the cursor', async () => {
    const { graph } = scriptedGraph({ [DELTA]: [{ value: [fullEntry()] }] });
    const report = await run(graph);
    expect(report).toMatchObject({ outcome: 'error', error: { code: 'GRAPH_BAD_PAGE' } });
    expect(await store.getUser(TENANT_A, U1)).toBeNull();
    expect((await store.getSyncState(TENANT_A))?.cursor).toEqual({});
  });
});
