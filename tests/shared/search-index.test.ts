import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { nameKey, phoneQuery, queryWords } from '../../shared/normalize.ts';
import { contactTerms, createSearchIndex, SearchIndex, SearchIndexError, sortName, type SerializedSearchIndex } from '../../shared/search-index.ts';
import { mulberry32 as random } from '../../emulator/src/directory/prng.ts';
import { contact, generateContacts } from './contacts.ts';

const people: Contact[] = [
  contact({ id: 'anna', displayName: 'Anna Schmidt', givenName: 'Anna', surname: 'Schmidt', mail: 'anna.schmidt@contoso.example', jobTitle: 'Software Engineer', department: 'Engineering', businessPhones: ['+1 (425) 555-0142'] }),
  contact({ id: 'annabel', displayName: 'Annabel Lee', givenName: 'Annabel', surname: 'Lee', mail: 'annabel.lee@contoso.example', department: 'Sales' }),
  contact({ id: 'hannah', displayName: 'Hannah Ann Berg', givenName: 'Hannah', surname: 'Berg', mail: 'hannah.berg@contoso.example', jobTitle: 'Annual Report Analyst' }),
  contact({ id: 'jose', displayName: 'José García', givenName: 'José', surname: 'García', mail: 'jose.garcia@contoso.example', officeLocation: 'Paseo de la Castellana 259', mobilePhone: '+34 635 07 65 47' }),
  contact({ id: 'muller', displayName: 'Jürgen Müller', givenName: 'Jürgen', surname: 'Müller', mail: 'juergen.mueller@contoso.example', businessPhones: ['+49 30 1234567'] }),
  contact({ id: 'weiss', displayName: 'Karl Weiß', givenName: 'Karl', surname: 'Weiß', mail: 'karl.weiss@contoso.example', officeLocation: 'Hauptstraße 5' }),
  contact({ id: 'soren', displayName: 'Søren Østergaard', givenName: 'Søren', surname: 'Østergaard', mail: 'soren@contoso.example' }),
  contact({ id: 'ozturk', displayName: 'Ömer Öztürk', givenName: 'Ömer', surname: 'Öztürk' }),
  contact({ id: 'aesa', displayName: 'Ægir Cœur', givenName: 'Ægir', surname: 'Cœur' }),
  contact({ id: 'nikos', displayName: 'Νίκος Παπαδόπουλος', givenName: 'Νίκος', surname: 'Παπαδόπουλος' }),
  contact({ id: 'dmitry', displayName: 'Дмитрий Иванов', givenName: 'Дмитрий', surname: 'Иванов' }),
  contact({ id: 'yamada', displayName: '山田 太郎', givenName: '太郎', surname: '山田', mail: 'user7@contoso.example', officeLocation: '紫竹科学园区, Floor 4', businessPhones: ['03-5753-7188'] }),
  contact({ id: 'tanigawa', displayName: '谷川\u3000麻衣子', givenName: '麻衣子', surname: '谷川' }),
  contact({ id: 'kim', displayName: '김민수', givenName: '민수', surname: '김' }),
  contact({ id: 'obrien', displayName: "Siobhán O'Brien", givenName: 'Siobhán', surname: "O'Brien", businessPhones: ['020 7946 0094'] }),
  contact({ id: 'jp', displayName: 'Jean-Pierre Lefèvre', givenName: 'Jean-Pierre', surname: 'Lefèvre', businessPhones: ['+44 20 7946 0958'] }),
  contact({ id: 'tran', displayName: 'Trần Mỹ Phương', givenName: 'Mỹ Phương', surname: 'Trần' }),
  contact({ id: 'xss', displayName: '<img src=x onerror="globalThis.pwned=1">', givenName: '<script>alert(1)</script>', mail: 'xss@contoso.example' }),
  contact({ id: 'noname', displayName: null, mail: 'printer.room@contoso.example' }),
];

const index = createSearchIndex(people);
const ids = (query: string, options?: Parameters<SearchIndex['search']>[1]) => index.search(query, options).ids;

describe('search: what a query finds', () => {
  it.each([
    ['jose', 'jose'],
    ['JOSÉ', 'jose'],
    ['garcia', 'jose'],
    ['muller', 'muller'],
    ['mueller', 'muller'],
    ['müll', 'muller'],
    ['jurgen', 'muller'],
    ['juergen', 'muller'],
    ['weiss', 'weiss'],
    ['weiß', 'weiss'],
    ['hauptstrasse', 'weiss'],
    ['soren', 'soren'],
    ['oster', 'soren'],
    ['oestergaard', 'soren'],
    ['ozturk', 'ozturk'],
    ['oezt', 'ozturk'],
    ['aegir', 'aesa'],
    ['æg', 'aesa'],
    ['coeur', 'aesa'],
    ['νικοσ', 'nikos'],
    ['ΝΊΚΟΣ', 'nikos'],
    ['παπα', 'nikos'],
    ['дмитрий', 'dmitry'],
    ['ИВАН', 'dmitry'],
    ['山田', 'yamada'],
    ['太郎', 'yamada'],
    ['田太', 'yamada'],
    ['山田太郎', 'yamada'],
    ['太郎 山田', 'yamada'],
    ['科学', 'yamada'],
    ['麻衣子', 'tanigawa'],
    ['谷川麻衣子', 'tanigawa'],
    ['민수', 'kim'],
    ['obrien', 'obrien'],
    ["o'brien", 'obrien'],
    ['siobhan', 'obrien'],
    ['jean pierre', 'jp'],
    ['jeanpierre', 'jp'],
    ['lefevre', 'jp'],
    ['tran my', 'tran'],
    ['phuong', 'tran'],
    ['printer', 'noname'],
  ])('%s → %s', (query, id) => {
    expect(ids(query)).toContain(id);
  });

  it.each([
    ['ann sch', ['anna']],
    ['sch ann', ['anna']],
    ['schmidt anna', ['anna']],
    ['anna engineering', ['anna']],
    ['eng soft', ['anna']],
    ['anna lee', ['annabel']],
    ['ann lee', ['annabel']],
    ['anna berg', []],
    ['zzz', []],
  ])('every word must match some field, in any order: %s', (query, expected) => {
    expect(ids(query).sort()).toEqual([...expected].sort());
  });

  it.each([
    ['4255550', ['anna']],
    ['+1 425 555', ['anna']],
    ['(425) 555-01', ['anna']],
    ['14255550142', ['anna']],
    ['+1 (425) 555-0142', ['anna']],
    ['635 07', ['jose']],
    ['+34 635', ['jose']],
    ['0301234', ['muller']],
    ['4930', ['muller']],
    ['0357537188', ['yamada']],
    ['357537188', ['yamada']],
    ['020 7946', ['jp', 'obrien']],
    ['2079460958', ['jp']],
    ['5550142', []],
  ])('phone digits: %s', (query, expected) => {
    expect(ids(query).sort()).toEqual([...expected].sort());
  });

  it('counts every match even when it returns fewer', () => {
    const result = index.search('ann', { limit: 2 });
    expect(result.ids).toHaveLength(2);
    expect(result.total).toBe(3); // Anna Schmidt, Annabel Lee, Hannah Ann Berg
  });

  it('treats markup in names as text: finds it by its words and returns only ids', () => {
    expect(ids('script')).toEqual(['xss']);
    expect(ids('<img src')).toEqual(['xss']);
    expect(ids('onerror')).toEqual(['xss']);
    expect((globalThis as { pwned?: unknown }).pwned).toBeUndefined();
  });

  it('returns nothing for a query that folds to no words', () => {
    expect(index.search('   ', { limit: 0 })).toEqual({ ids: [], total: people.length });
    expect(index.search('!!!').total).toBe(people.length);
  });
});

describe('search: ranking', () => {
  it.each([
    // display-name prefix, then every word in a name, then other fields
    ['ann', ['anna', 'annabel', 'hannah', 'hannah']],
    ['anna', ['anna', 'annabel']],
    ['an', ['anna', 'annabel', 'hannah']],
  ])('%s', (query, expected) => {
    expect(ids(query)).toEqual([...new Set(expected)]);
  });

  it('puts display-name prefixes before given/family-name prefixes, before other fields', () => {
    const ranked = createSearchIndex([
      contact({ id: 'title', displayName: 'Zed Zulu', jobTitle: 'Berg Inspector' }),
      contact({ id: 'surname', displayName: 'Ada Berg', givenName: 'Ada', surname: 'Berg' }),
      contact({ id: 'display', displayName: 'Berg Ada', givenName: 'Ada', surname: 'Berg' }),
      contact({ id: 'mixed', displayName: 'Zoe Berg', jobTitle: 'Ada Lovelace Fellow' }),
    ]);
    expect(ranked.search('berg').ids).toEqual(['display', 'surname', 'mixed', 'title']);
    // "ada berg": display starts with it (tier 0); both words in names (tier 1); name + title (tier 2)
    expect(ranked.search('ada berg').ids).toEqual(['surname', 'display', 'mixed']);
  });

  it('sorts equals alphabetically with the locale collation, case and accents ignored', () => {
    const sorted = createSearchIndex(
      ['Émile Zola', 'eve Adams', 'Ève Brown', 'Eva Cole', 'Ezra Dunn'].map((name, i) => contact({ id: `e${i}`, displayName: name, department: 'Everyone' })),
      { locale: 'en' },
    );
    // Émile < Eva < eve Adams < Ève Brown < Ezra
    expect(sorted.search('everyone').ids).toEqual(['e0', 'e3', 'e1', 'e2', 'e4']);
  });

  it('ranks recently used colleagues first among equals, most recent first', () => {
    const recent = new Map([
      ['annabel', 2_000],
      ['hannah', 3_000],
      ['jose', 9_000], // not a match: ignored
      ['ghost', 1], // not in the index: ignored
    ]);
    expect(ids('ann', { recent })).toEqual(['annabel', 'anna', 'hannah']);
    expect(ids('ann', { recent: new Map([['anna', 1], ['annabel', 2]]) })).toEqual(['annabel', 'anna', 'hannah']);
    // recency never lifts a match above a better tier
    expect(ids('an', { recent: new Map([['hannah', 5]]) })).toEqual(['anna', 'annabel', 'hannah']);
  });

  it('lists everyone for an empty query: recent first, then alphabetical', () => {
    const small = createSearchIndex([contact({ id: 'c', displayName: 'Cleo' }), contact({ id: 'a', displayName: 'Ada' }), contact({ id: 'b', displayName: 'Bea' })]);
    expect(small.search('')).toEqual({ ids: ['a', 'b', 'c'], total: 3 });
    expect(small.search('', { recent: new Map([['c', 1]]) }).ids).toEqual(['c', 'a', 'b']);
    expect(small.search('', { limit: 1 }).ids).toEqual(['a']);
  });
});

describe('changes', () => {
  it('reflects add, update and remove immediately', () => {
    const live = createSearchIndex(people);
    expect(live.search('zelda').ids).toEqual([]);
    live.add(contact({ id: 'zelda', displayName: 'Zelda Fitzgerald' }));
    expect(live.search('zelda').ids).toEqual(['zelda']);
    expect(live.size).toBe(people.length + 1);

    live.update(contact({ id: 'zelda', displayName: 'Zelda Sayre' }));
    expect(live.search('fitzgerald').ids).toEqual([]);
    expect(live.search('sayre').ids).toEqual(['zelda']);
    expect(live.size).toBe(people.length + 1);

    live.update({ ...people[0]!, displayName: 'Anna Schmidt-Weber', surname: 'Schmidt-Weber' });
    expect(live.search('weber').ids).toEqual(['anna']);
    expect(live.search('ann sch').ids).toEqual(['anna']);

    expect(live.remove('zelda')).toBe(true);
    expect(live.remove('zelda')).toBe(false);
    expect(live.remove('anna')).toBe(true);
    expect(live.search('zelda').ids).toEqual([]);
    expect(live.search('schmidt').ids).toEqual([]);
    expect(live.has('anna')).toBe(false);
    expect(live.size).toBe(people.length - 1);
    expect(live.search('').total).toBe(people.length - 1);
  });

  it('places added contacts alphabetically among the existing ones', () => {
    const live = createSearchIndex(['Ada', 'Cleo', 'Eve'].map((name) => contact({ id: name, displayName: name, department: 'Team' })));
    live.add(contact({ id: 'Dora', displayName: 'Dora', department: 'Team' }));
    live.add(contact({ id: 'Bea', displayName: 'Bea', department: 'Team' }));
    live.add(contact({ id: 'Abe', displayName: 'Abe', department: 'Team' }));
    live.add(contact({ id: 'Zoe', displayName: 'Zoe', department: 'Team' }));
    expect(live.search('team').ids).toEqual(['Abe', 'Ada', 'Bea', 'Cleo', 'Dora', 'Eve', 'Zoe']);
    expect(live.search('').ids).toEqual(['Abe', 'Ada', 'Bea', 'Cleo', 'Dora', 'Eve', 'Zoe']);
    live.compact();
    expect(live.search('team').ids).toEqual(['Abe', 'Ada', 'Bea', 'Cleo', 'Dora', 'Eve', 'Zoe']);
  });

  it('gives the same answers before and after pending changes are merged (compaction)', () => {
    const contacts = generateContacts(3_000, 11);
    const live = createSearchIndex(contacts.slice(0, 2_000));
    for (const c of contacts.slice(2_000)) live.add(c); // many single adds: crosses the compaction threshold
    for (const c of contacts.slice(0, 300)) live.update({ ...c, jobTitle: 'Chief Renamer' });
    for (const c of contacts.slice(300, 400)) live.remove(c.id);
    const queries = sampleQueries(contacts, 100, 5);
    const before = queries.map((q) => live.search(q));
    live.compact();
    expect(queries.map((q) => live.search(q))).toEqual(before);
    expect(live.search('chief renamer').total).toBe(300);
    expect(live.size).toBe(2_900);
  });

  it('rejects a contact without an id', () => {
    expect(() => index.add({ ...people[0]!, id: '' })).toThrowError(expect.objectContaining({ code: 'invalidContact' }));
  });
});

describe('serialize and deserialize', () => {
  const contacts = generateContacts(4_000, 3);
  const built = createSearchIndex(contacts);
  const queries = sampleQueries(contacts, 200, 9);

  it('answers 200 random queries the same after a structured-clone round trip', () => {
    const stored = v8.deserialize(v8.serialize(built.serialize())) as SerializedSearchIndex;
    const loaded = SearchIndex.deserialize(stored);
    expect(loaded.size).toBe(built.size);
    const recent = new Map(contacts.slice(0, 40).map((c, i) => [c.id, i] as const));
    for (const query of queries) {
      expect(loaded.search(query)).toEqual(built.search(query));
      expect(loaded.search(query, { recent, limit: 10 })).toEqual(built.search(query, { recent, limit: 10 }));
    }
  });

  it('keeps working incrementally after loading', () => {
    const loaded = SearchIndex.deserialize(built.serialize());
    loaded.add(contact({ id: 'new', displayName: 'Quentin Quokka' }));
    loaded.remove(contacts[0]!.id);
    expect(loaded.search('quokka').ids).toEqual(['new']);
    expect(loaded.has(contacts[0]!.id)).toBe(false);
    expect(built.has(contacts[0]!.id)).toBe(true);
  });

  it('serializes pending changes too', () => {
    const live = createSearchIndex(contacts.slice(0, 100));
    live.add(contact({ id: 'late', displayName: 'Latecomer' }));
    expect(SearchIndex.deserialize(live.serialize()).search('latecomer').ids).toEqual(['late']);
  });

  it.each([
    ['another format', { format: 'x' }],
    ['another version', { version: 2 }],
    ['a missing array', { postings: undefined }],
    ['plain arrays', { termEnd: [1, 2] }],
    ['inconsistent lengths', { byId: new Int32Array(1) }],
  ])('rejects %s with invalidSerializedIndex', (_, patch) => {
    const broken = { ...built.serialize(), ...patch } as unknown as SerializedSearchIndex;
    expect(() => SearchIndex.deserialize(broken)).toThrowError(SearchIndexError);
    expect(() => SearchIndex.deserialize(broken)).toThrowError(expect.objectContaining({ code: 'invalidSerializedIndex' }));
  });
});

describe('agrees with a brute-force reading of the rules', () => {
  const contacts = generateContacts(2_500, 5);
  const built = createSearchIndex(contacts);
  // Half the directory arrives after the build, through the delta, and some of it is removed again.
  const mixed = createSearchIndex(contacts.slice(0, 1_250));
  for (const c of contacts.slice(1_250)) mixed.add(c);
  for (const c of contacts.slice(1_200, 1_300)) mixed.remove(c.id);
  const remaining = contacts.filter((c) => !contacts.slice(1_200, 1_300).includes(c));
  const recent = new Map(contacts.filter((_, i) => i % 97 === 0).map((c, i) => [c.id, (i * 7_919) % 1_000] as const));

  it.each(sampleQueries(contacts, 150, 13).map((q) => [q]))('%s', (query) => {
    for (const [index, all] of [
      [built, contacts],
      [mixed, remaining],
    ] as const) {
      const expected = bruteForce(all, query, recent);
      const result = index.search(query, { recent, limit: 30 });
      expect(result.total).toBe(expected.length);
      expect(result.ids).toEqual(expected.slice(0, 30));
    }
  });
});

const termsOf = new WeakMap<Contact, [string, number][]>();

/** The ranking rules of shared/search-index.ts, read literally: every contact, every term. */
function bruteForce(contacts: readonly Contact[], query: string, recent: ReadonlyMap<string, number>): string[] {
  const collator = new Intl.Collator(undefined, { sensitivity: 'base' });
  const phone = phoneQuery(query);
  const words = phone === null ? queryWords(query) : [phone];
  const key = nameKey(query);
  const ranked = contacts.flatMap((c) => {
    let terms = termsOf.get(c);
    if (!terms) termsOf.set(c, (terms = [...contactTerms(c)]));
    const hits = words.map((word) => terms.filter(([term]) => term.startsWith(word)));
    if (!hits.every((h) => h.length > 0)) return [];
    const inName = hits.map((h) => h.some(([, mask]) => (mask & 1) !== 0));
    const tier = inName.every(Boolean) ? (nameKey(sortName(c)).startsWith(key) ? 0 : 1) : inName.some(Boolean) ? 2 : 3;
    return [{ c, tier, used: recent.get(c.id) }];
  });
  ranked.sort(
    (a, b) =>
      a.tier - b.tier ||
      (a.used === undefined ? 1 : 0) - (b.used === undefined ? 1 : 0) ||
      (b.used ?? 0) - (a.used ?? 0) ||
      collator.compare(sortName(a.c), sortName(b.c)) ||
      (a.c.id < b.c.id ? -1 : a.c.id > b.c.id ? 1 : 0),
  );
  return ranked.map((r) => r.c.id);
}

/** Queries as people type them: prefixes of words of a contact's fields, with and without accents, two-word mixes, digits. */
function sampleQueries(contacts: readonly Contact[], count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const wordOf = (c: Contact): string => {
    const field = pick([c.displayName, c.givenName, c.surname, c.mail, c.jobTitle, c.department, c.officeLocation].filter((v): v is string => Boolean(v)));
    return pick(field.split(/[\s.@,]+/).filter(Boolean));
  };
  const prefix = (word: string): string => Array.from(word).slice(0, 1 + Math.floor(next() * 5)).join('');
  return Array.from({ length: count }, () => {
    const c = pick(contacts);
    switch (Math.floor(next() * 7)) {
      case 0:
        return prefix(wordOf(c)).toUpperCase();
      case 1:
        return prefix(wordOf(c)).normalize('NFKD').replace(/\p{M}/gu, '');
      case 2:
        return `${prefix(wordOf(c))} ${prefix(wordOf(c))}`;
      case 3:
        return `${prefix(wordOf(c))} ${prefix(wordOf(pick(contacts)))}`;
      case 4:
        return (c.businessPhones[0] ?? c.mobilePhone ?? '+1 425').slice(0, 4 + Math.floor(next() * 8));
      case 5:
        return pick(['a', 'e', 'x', 'zz', 'qq', '', 'anna schmidt', 'ö', '山']);
      default:
        return prefix(wordOf(c));
    }
  });
}
