import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { createSearchIndex, SearchIndex, SearchIndexBuilder, SearchIndexError, type SerializedSearchIndex } from '../../shared/search-index.ts';
import { createClock } from '../../emulator/src/clock.ts';
import { createDirectory } from '../../emulator/src/directory/index.ts';
import { mulberry32 } from '../../emulator/src/directory/prng.ts';
import { toContact } from '../../emulator/src/directory/to-contact.ts';
import { contact, generateContacts } from './contacts.ts';

/** The emulator's seeded directory (as bench/search.bench.ts uses): its mix of cultures, titles and phone formats. */
function directory(users: number, seed: number): Contact[] {
  const generated = createDirectory({
    tenantId: 'builder-test',
    domain: 'contoso.example',
    initialDomain: 'contoso.onmicrosoft.com',
    companyName: 'Contoso',
    seed,
    users,
    clock: createClock(),
  });
  return Array.from(generated.iterate(), ({ user }) => toContact(user));
}

/** The reference: the incremental path, one `add` at a time (compacting as it goes), then `serialize`. */
function incremental(contacts: Iterable<Contact>, options: { locale?: string } = {}): SearchIndex {
  const index = SearchIndex.create([], options);
  for (const c of contacts) index.add(c);
  return index;
}

function built(pages: readonly (readonly Contact[])[], options: { locale?: string } = {}): SearchIndex {
  const builder = new SearchIndexBuilder(options);
  for (const page of pages) builder.add(page);
  return builder.finish();
}

function pagesOf<T>(items: readonly T[], size: number): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < items.length; i += size) pages.push(items.slice(i, i + size));
  return pages;
}

/** Byte-for-byte: the structured-clone bytes IndexedDB would store. */
const bytes = (index: SearchIndex): Buffer => v8.serialize(index.serialize());

/** Byte-for-byte equality of two indexes, naming the parts of the serialized form that differ. */
function expectSameBytes(actual: SearchIndex, expected: SearchIndex): void {
  const a = actual.serialize();
  const b = expected.serialize();
  const raw = (value: unknown): Buffer => (ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(JSON.stringify(value)));
  const differing = Object.keys(b).filter((key) => !raw(a[key as keyof SerializedSearchIndex]).equals(raw(b[key as keyof SerializedSearchIndex])));
  expect(differing).toEqual([]);
  expect(bytes(actual).equals(bytes(expected))).toBe(true);
}

/** Queries of every shape: name prefixes, accents typed and not, phone digits, several words. */
function queriesFor(contacts: readonly Contact[], seed: number): string[] {
  const next = mulberry32(seed);
  const pick = (): Contact => contacts[Math.floor(next() * contacts.length)]!;
  const firstWord = (text: string | null): string => text?.split(/[\s.@,]+/).find(Boolean) ?? 'a';
  const queries = ['a', 'an', 'e', 'zz', '', '山', 'ö', 'mü', 'jose', 'josé', 'garcía', 'engineering', 'sales mgr', 'chief officer', '+1 425', '0044 20', '555'];
  for (let i = 0; i < 60; i++) {
    const c = pick();
    const given = firstWord(c.givenName);
    const family = firstWord(c.surname);
    queries.push(
      given.slice(0, 1 + (i % 4)),
      family,
      family.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase(),
      `${given.slice(0, 3)} ${family.slice(0, 2)}`,
      `${family} ${given}`,
      (c.businessPhones[0] ?? c.mobilePhone ?? '+1 425 555 0100').slice(0, 5 + (i % 6)),
      firstWord(c.jobTitle).slice(0, 4),
      firstWord(c.officeLocation),
    );
  }
  return queries;
}

describe('SearchIndexBuilder', () => {
  const contacts = directory(3_000, 7);

  it('builds the same index, byte for byte, as adding the contacts one by one', () => {
    const reference = incremental(contacts);
    expectSameBytes(built([contacts]), reference);
    // Fed in pages, as the sync does.
    expectSameBytes(built(pagesOf(contacts, 512)), reference);
    // createSearchIndex, SearchIndex.create and addAll on an empty index go through the builder.
    expectSameBytes(createSearchIndex(contacts), reference);
    const empty = SearchIndex.create();
    empty.addAll(contacts);
    expectSameBytes(empty, reference);
  });

  it('answers every query the same as the incrementally built index', () => {
    const fromBuilder = built(pagesOf(contacts, 1_000));
    const reference = incremental(contacts);
    const recent = new Map(contacts.filter((_, i) => i % 89 === 0).map((c, i) => [c.id, i] as const));
    for (const query of queriesFor(contacts, 3)) {
      expect(fromBuilder.search(query), query).toEqual(reference.search(query));
      expect(fromBuilder.search(query, { recent, limit: 10 }), query).toEqual(reference.search(query, { recent, limit: 10 }));
    }
    expect(fromBuilder.search('').total).toBe(contacts.length);
  });

  it('matches the incremental path for the varied test contacts and a collation locale', () => {
    const varied = generateContacts(2_000, 21);
    expectSameBytes(built([varied], { locale: 'sv' }), incremental(varied, { locale: 'sv' }));
    const swedish = built([['Zelda', 'Åsa', 'Ada'].map((name) => contact({ id: name, displayName: name, department: 'Team' }))], { locale: 'sv' });
    expect(swedish.locale).toBe('sv');
    expect(swedish.search('team').ids).toEqual(['Ada', 'Zelda', 'Åsa']); // Å after Z in Swedish
  });

  it('lays out each term\'s postings in document order', () => {
    const { termEnd, postingEnd, postings } = built([contacts]).serialize();
    for (let t = 0; t < termEnd.length; t++) {
      for (let p = (postingEnd[t - 1] ?? 0) + 1; p < postingEnd[t]!; p++) expect(postings[p]! >>> 2).toBeGreaterThan(postings[p - 1]! >>> 2);
    }
  });

  it('lets a contact added again replace the earlier one', () => {
    const first = contact({ id: 'x', displayName: 'Xavier Old', givenName: 'Xavier', surname: 'Old', jobTitle: 'Tester' });
    const again = contact({ id: 'x', displayName: 'Xavier New', givenName: 'Xavier', surname: 'New', department: 'Research' });
    const others = contacts.slice(0, 200);
    const builder = new SearchIndexBuilder();
    builder.add([first, ...others.slice(0, 100)]);
    builder.add([...others.slice(100), again]);
    expect(builder.size).toBe(201);
    const index = builder.finish();
    expect(index.size).toBe(201);
    expect(index.search('old').ids).not.toContain('x');
    expect(index.search('tester').ids).not.toContain('x');
    expect(index.search('xavier new').ids).toEqual(['x']);
    expect(index.search('research').ids).toContain('x');
    expectSameBytes(index, incremental([first, ...others, again]));
  });

  it('removes contacts', () => {
    const builder = new SearchIndexBuilder();
    builder.add(contacts.slice(0, 300));
    expect(builder.remove(contacts[10]!.id)).toBe(true);
    expect(builder.remove(contacts[10]!.id)).toBe(false);
    expect(builder.remove('nobody')).toBe(false);
    expect(builder.remove(contacts[20]!.id)).toBe(true);
    builder.add([contacts[20]!]); // back again
    expect(builder.size).toBe(299);
    const index = builder.finish();
    expect(index.has(contacts[10]!.id)).toBe(false);
    expect(index.has(contacts[20]!.id)).toBe(true);
    const reference = incremental(contacts.slice(0, 300));
    reference.remove(contacts[10]!.id);
    expectSameBytes(index, reference);
  });

  it('builds an empty index from nothing', () => {
    const builder = new SearchIndexBuilder();
    expect(builder.size).toBe(0);
    const index = builder.finish();
    expect(index.size).toBe(0);
    expect(index.search('')).toEqual({ ids: [], total: 0 });
    expect(index.search('anna')).toEqual({ ids: [], total: 0 });
    expectSameBytes(index, SearchIndex.create());
    // Everything removed is empty too.
    const emptied = new SearchIndexBuilder();
    emptied.add(contacts.slice(0, 5));
    for (const c of contacts.slice(0, 5)) emptied.remove(c.id);
    expectSameBytes(emptied.finish(), SearchIndex.create());
    // And an empty index still takes changes.
    index.add(contact({ id: 'late', displayName: 'Latecomer' }));
    expect(index.search('late').ids).toEqual(['late']);
  });

  it('indexes contacts without names under the name they are listed by', () => {
    const nameless = [
      contact({ id: 'printer', mail: 'printer.room@contoso.example', jobTitle: 'Shared Device' }),
      contact({ id: 'upn-only', userPrincipalName: 'kiosk@contoso.example' }),
      contact({ id: 'nothing-at-all' }),
      contact({ id: 'blank', displayName: '   ', givenName: '', surname: null, businessPhones: ['+1 425 555 0199'] }),
      contact({ id: 'given', givenName: 'Solo' }),
    ];
    const index = built([nameless, contacts.slice(0, 50)]);
    expectSameBytes(index, incremental([...nameless, ...contacts.slice(0, 50)]));
    expect(index.search('printer').ids).toEqual(['printer']);
    expect(index.search('kiosk').ids).toEqual(['upn-only']);
    expect(index.search('nothing').ids).toEqual(['nothing-at-all']);
    expect(index.search('4255550199').ids).toEqual(['blank']);
    expect(index.search('solo').ids).toEqual(['given']);
  });

  it('is spent after finish', () => {
    const builder = new SearchIndexBuilder();
    builder.add(contacts.slice(0, 3));
    builder.finish();
    expect(builder.size).toBe(0);
    for (const use of [() => builder.finish(), () => builder.add(contacts.slice(3, 4)), () => builder.remove(contacts[0]!.id)]) {
      expect(use).toThrowError(SearchIndexError);
      expect(use).toThrowError(expect.objectContaining({ code: 'builderFinished' }));
    }
  });

  it('rejects a contact without an id and keeps what came before', () => {
    const builder = new SearchIndexBuilder();
    expect(() => builder.add([contacts[0]!, { ...contacts[1]!, id: '' }, contacts[2]!])).toThrowError(expect.objectContaining({ code: 'invalidContact' }));
    expect(() => builder.add([{ ...contacts[3]!, displayName: 42 } as unknown as Contact])).toThrowError(TypeError);
    expect(() => builder.add([{ ...contacts[3]!, department: 42 } as unknown as Contact])).toThrowError(TypeError);
    builder.add([contacts[4]!]);
    expectSameBytes(builder.finish(), incremental([contacts[0]!, contacts[4]!]));
  });

  it('gives a serialized form that loads and searches like the original', () => {
    const index = built(pagesOf(contacts, 700));
    const loaded = SearchIndex.deserialize(v8.deserialize(bytes(index)) as SerializedSearchIndex);
    for (const query of queriesFor(contacts, 11).slice(0, 120)) expect(loaded.search(query)).toEqual(index.search(query));
  });
});

describe('compaction keeps the builder\'s layout', () => {
  it('merges changes into the same bytes a fresh build of the result gives', () => {
    const contacts = directory(2_500, 9);
    const live = createSearchIndex(contacts.slice(0, 1_500));
    for (const c of contacts.slice(1_500)) live.add(c);
    for (const c of contacts.slice(0, 200)) live.update({ ...c, jobTitle: 'Chief Renamer' });
    for (const c of contacts.slice(200, 260)) live.remove(c.id);
    const result = [...contacts.slice(260, 1_500), ...contacts.slice(1_500), ...contacts.slice(0, 200).map((c) => ({ ...c, jobTitle: 'Chief Renamer' }))];
    expectSameBytes(live, createSearchIndex(result));
  });
});
