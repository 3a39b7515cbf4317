/**
 * The popup's search over the local copy (extension/lib/directory-search.ts, design.md flow 4): queries
 * through the persisted index, the fallback scan while no index exists, stale indexes, recent use, and
 * directory text that looks like markup coming back as the same text.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import { getContacts, getMeta, getRecent, getSearchIndex, getSyncState, openDirectoryDb, putContacts, writeSearchIndex, type DirectoryDb } from '../../extension/lib/db.ts';
import { nameKeyRange, openDirectorySearch, scan } from '../../extension/lib/directory-search.ts';
import type { ChangesPage, ProxyClient } from '../../extension/lib/proxy-client.ts';
import { syncDirectory } from '../../extension/lib/sync.ts';

let nextId = 1;
const contact = (fields: Partial<Contact>): Contact => ({ ...emptyContact(`00000000-0000-0000-0000-${String(nextId++).padStart(12, '0')}`), ...fields });

const PEOPLE: Contact[] = [
  contact({ displayName: 'José García', givenName: 'José', surname: 'García', mail: 'jose.garcia@contoso.example', jobTitle: 'Engineer', department: 'Platform' }),
  contact({ displayName: 'Jörg Müller', givenName: 'Jörg', surname: 'Müller', mail: 'joerg.mueller@contoso.example', department: 'Finance', officeLocation: 'Zürich' }),
  contact({ displayName: 'Anna Schmidt', givenName: 'Anna', surname: 'Schmidt', mail: 'a.schmidt@contoso.example', businessPhones: ['+1 (425) 555-0142'], department: 'Finance' }),
  contact({ displayName: 'Annabel Schultz', givenName: 'Annabel', surname: 'Schultz', mail: 'annabel.schultz@contoso.example', jobTitle: 'Anna Schmidt\u2019s assistant' }),
  contact({ displayName: 'Zoë Ångström', givenName: 'Zoë', surname: 'Ångström', mobilePhone: '+46 70 123 45 67', jobTitle: 'Designer' }),
  contact({ displayName: 'Søren Kierkegaard', givenName: 'Søren', surname: 'Kierkegaard', officeLocation: 'København' }),
  contact({ displayName: '<img src=x onerror=alert(1)>', mail: 'markup@contoso.example', jobTitle: '"><script>alert(2)</script>' }),
  contact({ displayName: 'Nguyễn Thị Minh Khai', givenName: 'Minh Khai', surname: 'Nguyễn', department: 'Sales' }),
  contact({ displayName: '王小明', givenName: '小明', surname: '王', department: 'Ingeniería' }),
];

/** A fake proxy client that serves `contacts` (and later changes) as the changes feed does. */
function feed(pages: ChangesPage[][]): Pick<ProxyClient, 'changes'> {
  let round = 0;
  let page = 0;
  return {
    async changes() {
      const current = pages[round]!;
      const answer = current[page++]!;
      if (page === current.length) {
        round++;
        page = 0;
      }
      return answer;
    },
  };
}
const onePage = (upserts: Contact[], cursor: string, deletions: string[] = []): ChangesPage => ({ cursor, more: false, upserts, deletions });

async function dbWith(contacts: Contact[], options: { index?: boolean } = {}): Promise<DirectoryDb> {
  const db = await openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
  await syncDirectory({ db, client: feed([[onePage(contacts, '10')]]) });
  if (options.index === false) {
    await db.clear('searchIndex');
    await db.delete('meta', 'searchIndexCursor');
  }
  return db;
}

const byName = (name: string): Contact => PEOPLE.find((c) => c.displayName === name)!;

describe.each([
  ['through the persisted index', true],
  ['through the fallback scan (no index yet)', false],
] as const)('search %s', (_how, withIndex) => {
  it.each<[string, string, string[]]>([
    ['accents typed without accents', 'jose', ['José García']],
    ['umlaut as plain u', 'muller', ['Jörg Müller']],
    ['upper case with umlaut', 'MÜLLER', ['Jörg Müller']],
    ['ø as o', 'soren', ['Søren Kierkegaard']],
    ['å and ö', 'angstrom', ['Zoë Ångström']],
    ['Vietnamese diacritics', 'nguyen minh', ['Nguyễn Thị Minh Khai']],
    ['CJK surname', '王', ['王小明']],
    // Annabel's title mentions Anna Schmidt: a match, ranked after the name match.
    ['prefix of every word, any order', 'schm ann', ['Anna Schmidt', 'Annabel Schultz']],
    ['office with an accent, typed without', 'zurich', ['Jörg Müller']],
    ['phone digits', '4255550142', ['Anna Schmidt']],
    ['phone as typed with punctuation', '(425) 555-01', ['Anna Schmidt']],
    ['email prefix', 'a.schmidt', ['Anna Schmidt', 'Annabel Schultz']],
    ['email of one', 'joerg.mu', ['Jörg Müller']],
    ['markup is just text to match', 'img src', ['<img src=x onerror=alert(1)>']],
    ['nothing', 'zzzz', []],
  ])('%s: %s', async (_name, query, expected) => {
    const db = await dbWith(PEOPLE, { index: withIndex });
    const search = openDirectorySearch(db, { persist: false });
    expect((await search.search(query)).map((c) => c.displayName)).toEqual(expected);
    expect(search.source).toBe(withIndex ? 'index' : 'fallback');
    db.close();
  });

  it('name-prefix matches come first: "anna" ranks Anna Schmidt before Annabel, and before a title mention', async () => {
    const db = await dbWith(PEOPLE, { index: withIndex });
    const results = await openDirectorySearch(db, { persist: false }).search('anna schmidt');
    expect(results.map((c) => c.displayName)).toEqual(['Anna Schmidt', 'Annabel Schultz']);
    db.close();
  });

  it('returns markup in directory fields as the exact text stored', async () => {
    const db = await dbWith(PEOPLE, { index: withIndex });
    const [found] = await openDirectorySearch(db, { persist: false }).search('markup');
    expect(found).toStrictEqual(byName('<img src=x onerror=alert(1)>'));
    expect(found!.jobTitle).toBe('"><script>alert(2)</script>');
    db.close();
  });

  it('limit bounds the results', async () => {
    const db = await dbWith(PEOPLE, { index: withIndex });
    expect(await openDirectorySearch(db, { persist: false }).search('a', { limit: 2 })).toHaveLength(2);
    expect(await openDirectorySearch(db, { persist: false }).search('a', { limit: 0 })).toEqual([]);
    db.close();
  });
});

describe('recent use', () => {
  it('breaks ties within a tier and persists in meta', async () => {
    const db = await dbWith(PEOPLE);
    let clock = 1_000;
    const search = openDirectorySearch(db, { now: () => clock++ });
    expect((await search.search('ann')).map((c) => c.displayName)).toEqual(['Anna Schmidt', 'Annabel Schultz']);
    await search.touch(byName('Annabel Schultz').id);
    expect((await search.search('ann')).map((c) => c.displayName)).toEqual(['Annabel Schultz', 'Anna Schmidt']);
    expect([...(await getRecent(db)).keys()]).toEqual([byName('Annabel Schultz').id]);
    // A new popup reads it back.
    expect((await openDirectorySearch(db).search('ann')).map((c) => c.displayName)).toEqual(['Annabel Schultz', 'Anna Schmidt']);
    // Name-prefix tier still wins over recency in a lower tier.
    await search.touch(byName('José García').id);
    expect((await search.search('anna s'))[0]!.displayName).toBe('Anna Schmidt');
    db.close();
  });

  it('an empty query lists recently used colleagues first', async () => {
    for (const withIndex of [true, false]) {
      const db = await dbWith(PEOPLE, { index: withIndex });
      const search = openDirectorySearch(db, { persist: false, now: () => 5 });
      await search.touch(byName('Søren Kierkegaard').id);
      const results = await search.search('', { limit: 3 });
      expect(results[0]!.displayName).toBe('Søren Kierkegaard');
      expect(results).toHaveLength(3);
      db.close();
    }
  });
});

describe('opening', () => {
  it('with a persisted index: ready at once, size known, no rebuild', async () => {
    const db = await dbWith(PEOPLE);
    const saved = (await getSearchIndex(db))!.savedAt;
    const search = openDirectorySearch(db);
    await search.ready;
    expect(search.source).toBe('index');
    expect(search.size).toBe(PEOPLE.length);
    expect((await getSearchIndex(db))!.savedAt).toBe(saved);
    db.close();
  });

  it('without an index: answers from the scan, builds and saves the index, then answers from it', async () => {
    const db = await dbWith(PEOPLE, { index: false });
    const search = openDirectorySearch(db);
    expect((await search.search('jose')).map((c) => c.displayName)).toEqual(['José García']);
    expect(search.source).toBe('fallback');
    await search.ready;
    expect(search.source).toBe('index');
    expect(search.size).toBe(PEOPLE.length);
    expect((await getSyncState(db)).searchIndex).toBe('current');
    expect((await search.search('jose')).map((c) => c.displayName)).toEqual(['José García']);
    db.close();
  });

  it('an index in a format this version cannot read is rebuilt', async () => {
    const db = await dbWith(PEOPLE);
    const stored = (await getSearchIndex(db))!;
    const tx = db.transaction('searchIndex', 'readwrite');
    await Promise.all([...writeSearchIndex(tx.store, { ...stored, index: { ...stored.index, version: 0 as 1 } }), tx.done]);
    const search = openDirectorySearch(db);
    await search.ready;
    expect(search.source).toBe('index');
    expect((await search.search('muller')).map((c) => c.displayName)).toEqual(['Jörg Müller']);
    db.close();
  });

  it('a stale index answers at once (skipping colleagues deleted since) and is replaced by a rebuilt one', async () => {
    const db = await dbWith(PEOPLE);
    // The store moved on without the index (a round that died before saving it).
    const jose = byName('José García');
    const newcomer = contact({ displayName: 'Josefine Neu' });
    await putContacts(db, [newcomer], [jose.id]);
    await db.put('meta', '11', 'cursor');
    const search = openDirectorySearch(db);
    await search.ready;
    expect((await search.search('jose')).map((c) => c.displayName)).toEqual([]);
    await search.reload();
    expect((await search.search('jose')).map((c) => c.displayName)).toEqual(['Josefine Neu']);
    expect((await getSyncState(db)).searchIndex).toBe('current');
    db.close();
  });

  it('reload() picks up the index a sync saved since the popup opened', async () => {
    const db = await openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
    const client = feed([[onePage(PEOPLE, '10')], [onePage([contact({ displayName: 'Late Arrival' })], '11', [byName('Jörg Müller').id])]]);
    await syncDirectory({ db, client });
    const search = openDirectorySearch(db);
    expect(await search.search('late')).toEqual([]);
    await syncDirectory({ db, client });
    await search.reload();
    expect((await search.search('late')).map((c) => c.displayName)).toEqual(['Late Arrival']);
    expect(await search.search('muller')).toEqual([]);
    expect(search.size).toBe(PEOPLE.length);
    db.close();
  });

  it('an empty directory: ready, size 0, no results', async () => {
    const db = await openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
    const search = openDirectorySearch(db);
    await search.ready;
    expect(search.size).toBe(0);
    expect(await search.search('a')).toEqual([]);
    db.close();
  });
});

describe('no index yet', () => {
  it('a popup opened during the first sync answers from the scan, then adopts the index the round saves', async () => {
    const db = await openDirectoryDb('peoplebook', { indexedDB: new IDBFactory() });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const [firstHalf, secondHalf] = [PEOPLE.slice(0, 4), PEOPLE.slice(4)];
    const slow: Pick<ProxyClient, 'changes'> = {
      changes: async (since) => {
        if (since === '0') return { cursor: '4', more: true, upserts: firstHalf, deletions: [] };
        await held;
        return { cursor: '9', more: false, upserts: secondHalf, deletions: [] };
      },
    };
    let pageOne!: () => void;
    const committed = new Promise<void>((resolve) => (pageOne = resolve));
    const round = syncDirectory({ db, client: slow, onProgress: () => pageOne() });
    await committed;
    expect(await getMeta(db, 'syncHeartbeat')).toEqual(expect.any(Number));

    const search = openDirectorySearch(db, { pollMs: 5, buildDelayMs: 0 });
    expect((await search.search('jose')).map((c) => c.displayName)).toEqual(['José García']);
    expect(search.source).toBe('fallback');
    expect(await search.search('soren')).toEqual([]);
    release();
    await round;
    await search.ready;
    expect(search).toMatchObject({ source: 'index', indexOrigin: 'persisted', size: PEOPLE.length });
    expect((await search.search('soren')).map((c) => c.displayName)).toEqual(['Søren Kierkegaard']);
    expect(await getMeta(db, 'syncHeartbeat')).toBeUndefined();
    search.close();
    db.close();
  });

  it('a heartbeat from a sync that died long ago: the index is built here', async () => {
    const db = await dbWith(PEOPLE, { index: false });
    await db.put('meta', 1_000, 'syncHeartbeat');
    const search = openDirectorySearch(db, { now: () => 1_000 + 61_000, pollMs: 5, buildDelayMs: 0 });
    await search.ready;
    expect(search).toMatchObject({ source: 'index', indexOrigin: 'built' });
    db.close();
  });

  it('close() while waiting for a sync resolves ready without building', async () => {
    const db = await dbWith(PEOPLE, { index: false });
    await db.put('meta', Date.now(), 'syncHeartbeat');
    const search = openDirectorySearch(db, { pollMs: 60_000 });
    await search.search('x');
    search.close();
    await search.ready;
    expect(search).toMatchObject({ source: 'fallback', indexOrigin: null, size: PEOPLE.length });
    db.close();
  });

  it('the scan stops when its time budget is spent (results may be partial)', async () => {
    const db = await dbWith(PEOPLE, { index: false });
    expect(await scan(db, 'jose', { limit: 10, recent: new Map(), batch: 2, budgetMs: 0 })).toEqual([]);
    expect((await scan(db, 'jose', { limit: 10, recent: new Map(), batch: 2 })).map((c) => c.displayName)).toEqual(['José García']);
    db.close();
  });
});

describe('fallback scan', () => {
  it('reads in batches and stops once it has limit matches', async () => {
    const many = Array.from({ length: 50 }, (_, i) => contact({ displayName: `Person ${String(i).padStart(2, '0')}` }));
    const db = await dbWith(many, { index: false });
    const reads: number[] = [];
    const counting = new Proxy(db, {
      get(target, key, receiver) {
        if (key === 'getAll') return (...args: Parameters<DirectoryDb['getAll']>) => (reads.push(1), target.getAll(...args));
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const results = await scan(counting, 'person', { limit: 5, signal: undefined, recent: new Map(), batch: 10 });
    expect(results).toHaveLength(5);
    expect(reads).toHaveLength(1);
    expect(await scan(db, 'person', { limit: 100, signal: undefined, recent: new Map(), batch: 10 })).toHaveLength(50);
    db.close();
  });

  it('a newer keystroke aborts an older scan', async () => {
    const db = await dbWith(PEOPLE, { index: false });
    const controller = new AbortController();
    controller.abort();
    await expect(openDirectorySearch(db, { persist: false }).search('jose', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    db.close();
  });
});

describe('quick answers from the byNameKey range (before the index is read)', () => {
  // 30 colleagues whose names start with "Mari" in every case and accent, and some who merely mention it.
  const MARIS: Contact[] = [
    ...Array.from({ length: 10 }, (_, i) => contact({ displayName: `María ${String.fromCharCode(90 - i)}apata` })),
    ...Array.from({ length: 10 }, (_, i) => contact({ displayName: `maria ${String.fromCharCode(65 + i)}lvarez` })),
    ...Array.from({ length: 10 }, (_, i) => contact({ displayName: `MARIANNE Berg ${i}` })),
    contact({ displayName: 'Anna Marino' }),
    contact({ displayName: 'Otto Other', jobTitle: 'Marine biologist' }),
  ];
  const collator = new Intl.Collator(undefined, { sensitivity: 'base' });

  it('the range answer is the index answer when it fills the page: recent colleagues first, then alphabetical', async () => {
    const db = await dbWith(MARIS);
    const recent = new Map([
      [MARIS[25]!.id, 2_000],
      [MARIS[3]!.id, 3_000],
    ]);
    const quick = await nameKeyRange(db, 'mari', 12, recent, collator, new Map((await getContacts(db, [...recent.keys()])).map((c) => [c.id, c])));
    const search = openDirectorySearch(db, { persist: false });
    await search.ready;
    for (const [id] of [...recent].sort((a, b) => a[1] - b[1])) await search.touch(id);
    const exact = await search.search('mari', { limit: 12 });
    expect(quick!.map((c) => c.displayName)).toEqual(exact.map((c) => c.displayName));
    expect(quick!.slice(0, 2).map((c) => c.id)).toEqual([MARIS[3]!.id, MARIS[25]!.id]);
    // Plain contacts, as every other read returns them.
    expect(quick![0]).toStrictEqual(MARIS[3]);
    db.close();
  });

  it('no answer when the range cannot be the whole page: too few names, a phone number, nothing to look up', async () => {
    const db = await dbWith(MARIS);
    expect(await nameKeyRange(db, 'mari', 31, new Map(), collator)).toBeNull();
    expect(await nameKeyRange(db, 'anna', 1, new Map(), collator)).toHaveLength(1);
    expect(await nameKeyRange(db, 'marine', 1, new Map(), collator)).toBeNull(); // only a job title says it
    expect(await nameKeyRange(db, '425 555', 1, new Map(), collator)).toBeNull();
    expect(await nameKeyRange(db, '!!', 1, new Map(), collator)).toBeNull();
    expect(await nameKeyRange(db, 'mari', 0, new Map(), collator)).toBeNull();
    db.close();
  });

  it('without an index, a range that fills the page answers without scanning', async () => {
    const db = await dbWith(MARIS, { index: false });
    // A scan with no time budget finds nothing: whatever comes back came from the range.
    const search = openDirectorySearch(db, { persist: false, scanBudgetMs: 0, buildDelayMs: 60_000 });
    const expected = MARIS.slice(0, 20).map((c) => c.displayName!).sort(collator.compare);
    expect((await search.search('maria', { limit: 20 })).map((c) => c.displayName)).toEqual(expected);
    expect(await search.search('marino', { limit: 20 })).toEqual([]); // too few in the range: the (empty) scan
    search.close();
    db.close();
  });

  it('a search right after opening returns what the index returns once read', async () => {
    const db = await dbWith(MARIS);
    const search = openDirectorySearch(db, { persist: false });
    const early = await search.search('mar', { limit: 25 });
    await search.ready;
    expect(early.map((c) => c.id)).toEqual((await search.search('mar', { limit: 25 })).map((c) => c.id));
    db.close();
  });
});
