import { ByteBuffer, compareBytes, decodeCesu8, encodeCesu8, startsWithBytes } from './cesu8.ts';
import type { Contact } from './contact.ts';
import { displayNameOf } from './display-name.ts';
import { addIndexTerms, addPhoneTerms, MAX_TERM_LENGTH, nameKey, phoneQuery, queryWords, type TermSink } from './normalize.ts';
import { encodeAll, IntBuffer, sortByBytes, TermLists, TermTable, TopK } from './search-structures.ts';

/**
 * The popup's search over the cached directory (../shared/design.md, flow 4 "Lookup"; issue 4 item 4).
 *
 * Matching: the query is folded (./normalize.ts) and split into words; a contact matches when EVERY query
 * word is a prefix of SOME indexed term of the contact, in any order ("ann sch" finds Anna Schmidt).
 * Terms come from displayName, givenName, surname ("name" fields) and mail, userPrincipalName, jobTitle,
 * department, officeLocation and the phone numbers ("other" fields). A query of only digits and phone
 * punctuation is one phone number (`phoneQuery`).
 *
 * Ranking, best first:
 *   tier 0  the display name starts with the query ("anna sch" → "Anna Schmidt");
 *   tier 1  every query word is a prefix of a word of the display, given or family name;
 *   tier 2  some query words matched a name, the others only other fields;
 *   tier 3  only other fields matched (mail, title, department, office, phone);
 * within a tier, colleagues in `recent` first (most recently used first), then alphabetical by display
 * name with `Intl.Collator(locale, { sensitivity: 'base' })`, then by id.
 *
 * Layout: a log-structured index. The *base* is immutable and compact — one sorted table of distinct
 * terms as bytes, each with a run of postings (`doc << 2 | fieldMask`) in one Int32Array, and per-document
 * id, sort name and name key — with documents numbered in alphabetical order, so "alphabetical" is
 * "smaller number" and costs nothing at query time. It is exactly what `serialize()` returns, typed arrays
 * and strings that IndexedDB stores by structured clone, and `SearchIndex.deserialize()` only wraps it.
 * Changes go to a small mutable *delta* (term lists in a Map, tombstones for removed documents): `add`,
 * `update` and `remove` cost O(terms of the record · log n). When the delta holds more than 1/8 of the
 * base (at least 2,048 changes) it is merged into a new base in one linear pass, so updates stay
 * amortised O(record).
 *
 * Building from nothing (`createSearchIndex`, `SearchIndex.create`, `addAll` on an empty index, or a
 * `SearchIndexBuilder` fed one sync page at a time) skips the delta. `add` folds each contact as it comes
 * and keeps only numbers: every distinct term once, as bytes in a hash table on typed arrays (terms of
 * values many contacts share, such as a department, an office or a mail domain, are worked out once),
 * and per contact a list of `term << 2 | mask`. `finish` then sorts in one go — documents with the
 * collator (after a radix sort of their name keys has put them nearly in order), ids and terms by a
 * radix sort of their bytes — and lays the postings out with a counting sort, visiting documents in
 * order so each term's postings come out in document order. The base is the same, byte for byte, as
 * the one the delta path reaches for the same contacts (the merge keeps postings in document order too).
 *
 * Terms and names are stored in CESU-8 (./cesu8.ts), whose byte order is JavaScript's string order.
 * Nothing in the index is ever interpreted: text goes in as bytes and ids come out.
 */

export interface SearchOptions {
  /** Most results returned (default 50). */
  limit?: number;
  /** Colleagues used recently: id → last use (ms since the epoch). Ranks them first within a tier. */
  recent?: ReadonlyMap<string, number>;
}

export interface SearchResult {
  /** Contact ids, best first, at most `limit`. */
  ids: string[];
  /** How many contacts matched in all. */
  total: number;
}

/** The compact form: what IndexedDB stores (structured clone keeps typed arrays as they are). */
export interface SerializedSearchIndex {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The collation locale the alphabetical order was built with. */
  locale: string;
  /** Contact ids, concatenated, in document (= alphabetical) order; `idEnd[d]` ends document d's. */
  ids: string;
  idEnd: Int32Array;
  /** Documents ordered by id, for lookups by id. */
  byId: Int32Array;
  /** Sort names (`sortName`, CESU-8), for collating documents added later. */
  names: Uint8Array;
  nameEnd: Int32Array;
  /** `nameKey(sortName)` (CESU-8), for "the name starts with the query". */
  keys: Uint8Array;
  keyEnd: Int32Array;
  /** Distinct terms (CESU-8), sorted; `termEnd[t]` ends term t, `postingEnd[t]` its postings. */
  terms: Uint8Array;
  termEnd: Int32Array;
  postingEnd: Int32Array;
  /** `doc << 2 | mask`: mask 1 = a name field has the term, 2 = another field has it. */
  postings: Int32Array;
}

export type SearchIndexErrorCode = 'invalidSerializedIndex' | 'invalidContact' | 'builderFinished';

export class SearchIndexError extends Error {
  override name = 'SearchIndexError';
  constructor(
    readonly code: SearchIndexErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const FORMAT = 'peoplebook-search-index';
const VERSION = 1;
const NAME = 1;
const OTHER = 2;
/** Words beyond this many are ignored (the name bits are a 16-bit mask; nobody types more). */
const MAX_QUERY_WORDS = 16;
const DEFAULT_LIMIT = 50;
/** Merge the delta into the base when it holds more changes than this, or than 1/8 of the base. */
const MIN_COMPACTION = 2_048;

type Base = Omit<SerializedSearchIndex, 'format' | 'version' | 'locale'> & { docs: number };

interface DeltaDoc {
  id: string;
  name: string;
  key: Uint8Array;
  /** Where the document falls in the base's alphabetical order: just before base document `alpha + 0.5`. */
  alpha: number;
}

/** Builds an index of `contacts` (any iterable: an array, a generator over IndexedDB pages). */
export function createSearchIndex(contacts: Iterable<Contact> = [], options: { locale?: string } = {}): SearchIndex {
  return SearchIndex.create(contacts, options);
}

/** Wraps a freshly built base (SearchIndex's constructor is private; set in its static block). */
let indexOfBase: (base: Base, locale: string | undefined) => SearchIndex;

export class SearchIndex {
  #base: Base;
  readonly #collator: Intl.Collator;
  /** Added documents, numbered from `base.docs` on. */
  #delta: DeltaDoc[] = [];
  #deltaById = new Map<string, number>();
  #deltaTerms = new TermLists();
  /** Tombstones, by document number (base and delta). */
  #removed: Uint8Array;
  #removedInBase = 0;
  #size: number;
  // Scratch space reused by every search, one slot per document (a document is a candidate at most once).
  #stamp: Int32Array;
  #nameBits: Uint16Array;
  #recentMark: Int32Array;
  #recentAt: Float64Array;
  #candidates: Int32Array;
  #generation = 0;

  private constructor(base: Base, locale?: string) {
    this.#base = base;
    this.#collator = new Intl.Collator(locale, { sensitivity: 'base' });
    this.#size = base.docs;
    const slots = base.docs + 64;
    this.#removed = new Uint8Array(slots);
    this.#stamp = new Int32Array(slots);
    this.#nameBits = new Uint16Array(slots);
    this.#recentMark = new Int32Array(slots);
    this.#recentAt = new Float64Array(slots);
    this.#candidates = new Int32Array(slots);
  }

  static {
    indexOfBase = (base, locale) => new SearchIndex(base, locale);
  }

  /** See `createSearchIndex`. */
  static create(contacts: Iterable<Contact> = [], options: { locale?: string } = {}): SearchIndex {
    const builder = new SearchIndexBuilder(options);
    builder.add(contacts);
    return builder.finish();
  }

  /** Wraps a serialized index: checks its shape, copies and re-normalises nothing. */
  static deserialize(data: SerializedSearchIndex): SearchIndex {
    return new SearchIndex(checkSerialized(data), data.locale);
  }

  /** The collation locale in use (kept in the serialized form). */
  get locale(): string {
    return this.#collator.resolvedOptions().locale;
  }

  /** Number of contacts in the index. */
  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    return this.#find(id) >= 0;
  }

  /** Adds a contact, or replaces the one with the same id. */
  add(contact: Contact): void {
    checkContact(contact);
    this.#removeDoc(contact.id);
    this.#append(contact, this.#alphaInBase(sortName(contact), contact.id));
    this.#maybeCompact();
  }

  /** Replaces the contact with this id (or adds it): the same as `add`. */
  update(contact: Contact): void {
    this.add(contact);
  }

  /** Removes the contact with this id; false when there was none. */
  remove(id: string): boolean {
    const removed = this.#removeDoc(id);
    this.#maybeCompact();
    return removed;
  }

  /**
   * Adds (or replaces) many contacts: the bulk path. An index with nothing in it is built in one pass
   * (SearchIndexBuilder); otherwise the contacts go to the delta, which sorts the new terms once at the end.
   */
  addAll(contacts: Iterable<Contact>): void {
    if (this.#base.docs === 0 && this.#delta.length === 0) {
      const builder = new SearchIndexBuilder({ locale: this.locale });
      builder.add(contacts);
      this.#base = builtBase(builder);
      this.#size = this.#base.docs;
      this.#resizeScratch(this.#base.docs + 64, true);
      return;
    }
    this.#deltaTerms.startBulk();
    for (const contact of contacts) {
      checkContact(contact);
      this.#removeDoc(contact.id);
      this.#append(contact, this.#base.docs === 0 ? -0.5 : this.#alphaInBase(sortName(contact), contact.id));
    }
    this.#maybeCompact();
  }

  /** Merges pending changes into the compact base now (`serialize()` does it too). */
  compact(): void {
    if (this.#delta.length === 0 && this.#removedInBase === 0) return;
    this.#base = this.#merge();
    this.#delta = [];
    this.#deltaById = new Map();
    this.#deltaTerms = new TermLists();
    this.#removedInBase = 0;
    this.#size = this.#base.docs;
    this.#resizeScratch(this.#base.docs + 64, true);
  }

  /** The compact form, after merging pending changes. Its arrays are shared: the index never writes to them. */
  serialize(): SerializedSearchIndex {
    this.compact();
    const { docs: _docs, ...arrays } = this.#base;
    return { format: FORMAT, version: VERSION, locale: this.locale, ...arrays };
  }

  search(query: string, options: SearchOptions = {}): SearchResult {
    const limit = Math.max(0, Math.floor(options.limit ?? DEFAULT_LIMIT));
    const phone = phoneQuery(query);
    const words = phone === null ? queryWords(query).slice(0, MAX_QUERY_WORDS) : [phone];
    const generation = this.#nextGeneration(words.length + 1);
    const recent = this.#markRecent(options.recent, generation);
    if (words.length === 0) return this.#browse(limit, recent, generation);

    const base = this.#base;
    const deltaTerms = this.#deltaTerms;
    // Each word's terms: a range of the base's table and a range of the delta's sorted terms.
    const plans = words.map((word, i) => {
      const bytes = encodeCesu8(word);
      const lo = prefixBound(base, bytes, 0, 0);
      const hi = prefixBound(base, bytes, 1, lo);
      const [deltaLo, deltaHi] = deltaTerms.prefixRange(word);
      const cost = (base.postingEnd[hi - 1] ?? 0) - (base.postingEnd[lo - 1] ?? 0) + deltaTerms.countRange(deltaLo, deltaHi);
      return { bit: 1 << i, lo, hi, deltaLo, deltaHi, cost };
    });
    // The most selective word first: the later ones only filter what it found.
    plans.sort((a, b) => a.cost - b.cost);

    const stamp = this.#stamp;
    const nameBits = this.#nameBits;
    const removed = this.#removed;
    const { postings, postingEnd } = base;
    const candidates = this.#candidates;
    let count = 0;
    let current = generation;
    for (let w = 0; w < plans.length; w++) {
      const { bit, lo, hi, deltaLo, deltaHi } = plans[w]!;
      const previous = current;
      current = generation + w + 1;
      let survivors = 0;
      const start = postingEnd[lo - 1] ?? 0;
      const end = postingEnd[hi - 1] ?? 0;
      const deltaPostings = deltaTerms.postingsOf(deltaLo, deltaHi);
      const total = end - start + deltaPostings.length;
      for (let i = 0; i < total; i++) {
        const posting = i < end - start ? postings[start + i]! : deltaPostings[i - (end - start)]!;
        const doc = posting >>> 2;
        if (w === 0) {
          // First word: every live document it reaches is a candidate.
          if (removed[doc] === 1) continue;
          if (stamp[doc] !== current) {
            stamp[doc] = current;
            nameBits[doc] = 0;
            candidates[count++] = doc;
            survivors++;
          }
        } else if (stamp[doc] === previous) {
          // Later words: a candidate that every earlier word reached survives.
          stamp[doc] = current;
          survivors++;
        } else if (stamp[doc] !== current) continue;
        if ((posting & NAME) !== 0) nameBits[doc] = nameBits[doc]! | bit;
      }
      if (survivors === 0) return { ids: [], total: 0 };
    }

    // Rank: one bounded heap per tier keeps the alphabetically first `limit` documents.
    const all = (1 << words.length) - 1;
    const queryKey = encodeCesu8(nameKey(query));
    const tierOf = (doc: number): number => {
      const bits = nameBits[doc]!;
      return bits === all ? (this.#keyStartsWith(doc, queryKey) ? 0 : 1) : bits !== 0 ? 2 : 3;
    };
    const tiers = [0, 1, 2, 3].map(() => new TopK(limit, this.#compare));
    const recentMark = this.#recentMark;
    const baseDocs = base.docs;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const doc = candidates[i]!;
      if (stamp[doc] !== current) continue;
      total++;
      if (recentMark[doc] === generation) continue;
      const heap = tiers[tierOf(doc)]!;
      const key = doc < baseDocs ? doc : this.#delta[doc - baseDocs]!.alpha;
      if (heap.full && key > heap.worstKey) continue;
      heap.offer(doc, key);
    }
    const recentHits = this.#byRecency(recent.filter((doc) => stamp[doc] === current));
    const ids: string[] = [];
    for (let tier = 0; tier < 4 && ids.length < limit; tier++) {
      for (const doc of recentHits) if (ids.length < limit && tierOf(doc) === tier) ids.push(this.#idOf(doc));
      for (const doc of tiers[tier]!.sorted()) if (ids.length < limit) ids.push(this.#idOf(doc));
    }
    return { ids, total };
  }

  // ---- changes ----

  #removeDoc(id: string): boolean {
    const doc = this.#find(id);
    if (doc < 0) return false;
    this.#removed[doc] = 1;
    this.#size--;
    if (doc < this.#base.docs) this.#removedInBase++;
    else this.#deltaById.delete(id);
    return true;
  }

  #append(contact: Contact, alpha: number): void {
    const doc = this.#base.docs + this.#delta.length;
    const name = sortName(contact);
    this.#delta.push({ id: contact.id, name, key: encodeCesu8(nameKey(name)), alpha });
    this.#deltaById.set(contact.id, doc);
    if (doc >= this.#stamp.length) this.#resizeScratch(Math.max(doc + 1, this.#stamp.length * 2), false);
    this.#size++;
    for (const [term, mask] of contactTerms(contact)) this.#deltaTerms.add(term, (doc << 2) | mask);
  }

  /** Where `name` falls among the base's documents (binary search with the collator). */
  #alphaInBase(name: string, id: string): number {
    let lo = 0;
    let hi = this.#base.docs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = this.#collator.compare(this.#nameOf(mid), name) || compareStrings(this.#idOf(mid), id);
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo - 0.5;
  }

  #maybeCompact(): void {
    if (this.#delta.length + this.#removedInBase > Math.max(MIN_COMPACTION, this.#base.docs >> 3)) this.compact();
  }

  #resizeScratch(slots: number, reset: boolean): void {
    const removed = new Uint8Array(slots);
    if (!reset) removed.set(this.#removed.subarray(0, Math.min(slots, this.#removed.length)));
    this.#removed = removed;
    this.#stamp = new Int32Array(slots);
    this.#nameBits = new Uint16Array(slots);
    this.#recentMark = new Int32Array(slots);
    this.#recentAt = new Float64Array(slots);
    this.#candidates = new Int32Array(slots);
    this.#generation = 0;
  }

  /** The new base: surviving base documents and added ones, renumbered alphabetically, in one pass. */
  #merge(): Base {
    const base = this.#base;
    const removed = this.#removed;
    const added = this.#delta.map((_, i) => base.docs + i).filter((doc) => removed[doc] === 0);
    const delta = this.#delta;
    const collator = this.#collator;
    added.sort((a, b) => {
      const x = delta[a - base.docs]!;
      const y = delta[b - base.docs]!;
      return x.alpha - y.alpha || collator.compare(x.name, y.name) || compareStrings(x.id, y.id);
    });
    const docs = this.#size;
    const renumber = new Int32Array(base.docs + this.#delta.length).fill(-1);
    const order = new Int32Array(docs);
    let n = 0;
    let a = 0;
    for (let b = 0; b <= base.docs; b++) {
      while (a < added.length && (b === base.docs || this.#alphaKey(added[a]!) < b)) {
        renumber[added[a]!] = n;
        order[n++] = added[a++]!;
      }
      if (b < base.docs && removed[b] === 0) {
        renumber[b] = n;
        order[n++] = b;
      }
    }

    // Per-document columns, in the new order.
    const ids = new Array<string>(docs);
    const idEnd = new Int32Array(docs);
    const names = new ByteBuffer(base.names.length + 32 * added.length);
    const nameEnd = new Int32Array(docs);
    const keys = new ByteBuffer(base.keys.length + 32 * added.length);
    const keyEnd = new Int32Array(docs);
    let idLength = 0;
    for (let i = 0; i < docs; i++) {
      const old = order[i]!;
      if (old < base.docs) {
        ids[i] = this.#idOf(old);
        names.pushBytes(base.names, base.nameEnd[old - 1] ?? 0, base.nameEnd[old]!);
        keys.pushBytes(base.keys, base.keyEnd[old - 1] ?? 0, base.keyEnd[old]!);
      } else {
        const doc = this.#delta[old - base.docs]!;
        ids[i] = doc.id;
        names.pushString(doc.name);
        keys.pushBytes(doc.key, 0, doc.key.length);
      }
      idLength += ids[i]!.length;
      idEnd[i] = idLength;
      nameEnd[i] = names.length;
      keyEnd[i] = keys.length;
    }

    // Documents by id: the base's id order, renumbered, merged with the added documents sorted by id.
    const byId = new Int32Array(docs);
    const addedById = added.map((doc) => renumber[doc]!).sort((x, y) => compareStrings(ids[x]!, ids[y]!));
    n = 0;
    a = 0;
    for (let i = 0; i < base.docs; i++) {
      const doc = renumber[base.byId[i]!]!;
      if (doc < 0) continue;
      while (a < addedById.length && compareStrings(ids[addedById[a]!]!, ids[doc]!) < 0) byId[n++] = addedById[a++]!;
      byId[n++] = doc;
    }
    while (a < addedById.length) byId[n++] = addedById[a++]!;

    // Terms: the base's table merged with the delta's sorted terms, postings renumbered, empty terms dropped.
    const deltaTerms = this.#deltaTerms;
    const deltaCount = deltaTerms.size;
    const terms = new ByteBuffer(base.terms.length + 12 * deltaCount);
    const termEnd = new IntBuffer(base.termEnd.length + deltaCount);
    const postingEnd = new IntBuffer(base.postingEnd.length + deltaCount);
    const postings = new IntBuffer(base.postings.length + deltaTerms.postingCount);
    const baseTerms = base.termEnd.length;
    let t = 0;
    let s = 0;
    // The delta term under the cursor, encoded into one reused buffer.
    const termBytes = new ByteBuffer(3 * MAX_TERM_LENGTH);
    const encodeTerm = (rank: number): Uint8Array | null => {
      if (rank >= deltaCount) return null;
      termBytes.length = 0;
      termBytes.pushString(deltaTerms.termAt(rank));
      return termBytes.view();
    };
    let deltaTerm = encodeTerm(0);
    const scratch: number[] = [];
    while (t < baseTerms || deltaTerm) {
      const before = postings.length;
      const termStart = base.termEnd[t - 1] ?? 0;
      const order = t >= baseTerms ? 1 : deltaTerm ? compareBytes(base.terms, termStart, base.termEnd[t]!, deltaTerm) : -1;
      if (order <= 0) {
        for (let p = base.postingEnd[t - 1] ?? 0, end = base.postingEnd[t]!; p < end; p++) {
          const posting = base.postings[p]!;
          const doc = renumber[posting >>> 2]!;
          if (doc >= 0) postings.push((doc << 2) | (posting & 3));
        }
      }
      if (order >= 0) {
        scratch.length = 0;
        for (const posting of deltaTerms.postingsOf(s, s + 1, scratch)) {
          const doc = renumber[posting >>> 2]!;
          if (doc >= 0) postings.push((doc << 2) | (posting & 3));
        }
        // Postings of a term go in document order (the builder's layout): the delta's come newest first.
        postings.sortFrom(before);
      }
      if (postings.length > before) {
        if (order <= 0) terms.pushBytes(base.terms, termStart, base.termEnd[t]!);
        else terms.pushBytes(deltaTerm!, 0, deltaTerm!.length);
        termEnd.push(terms.length);
        postingEnd.push(postings.length);
      }
      if (order <= 0) t++;
      if (order >= 0) deltaTerm = encodeTerm(++s);
    }

    return {
      docs,
      ids: ids.join(''),
      idEnd,
      byId,
      names: names.toArray(),
      nameEnd,
      keys: keys.toArray(),
      keyEnd,
      terms: terms.toArray(),
      termEnd: termEnd.toArray(),
      postingEnd: postingEnd.toArray(),
      postings: postings.toArray(),
    };
  }

  // ---- searching ----

  /** Reserves `count` consecutive generation numbers for one search's stamps. */
  #nextGeneration(count: number): number {
    if (this.#generation + count >= 0x7fffffff) {
      this.#stamp.fill(0);
      this.#recentMark.fill(0);
      this.#generation = 0;
    }
    const generation = this.#generation + 1;
    this.#generation += count;
    return generation;
  }

  /** Marks the live documents in `recent` with this search's generation, and returns them. */
  #markRecent(recent: ReadonlyMap<string, number> | undefined, generation: number): number[] {
    const docs: number[] = [];
    if (!recent) return docs;
    for (const [id, at] of recent) {
      const doc = this.#find(id);
      if (doc < 0 || !Number.isFinite(at) || this.#recentMark[doc] === generation) continue;
      this.#recentMark[doc] = generation;
      this.#recentAt[doc] = at;
      docs.push(doc);
    }
    return docs;
  }

  #byRecency(docs: number[]): number[] {
    return docs.sort((a, b) => this.#recentAt[b]! - this.#recentAt[a]! || this.#compare(a, b));
  }

  /** The empty query: everyone, recent colleagues first, then alphabetical. */
  #browse(limit: number, recent: number[], generation: number): SearchResult {
    const ids: string[] = [];
    for (const doc of this.#byRecency(recent)) if (ids.length < limit) ids.push(this.#idOf(doc));
    const listed = (doc: number): boolean => this.#removed[doc] === 0 && this.#recentMark[doc] !== generation;
    const added = this.#delta.map((_, i) => this.#base.docs + i).filter(listed);
    added.sort(this.#compare);
    let a = 0;
    for (let doc = 0; doc <= this.#base.docs && ids.length < limit; doc++) {
      while (a < added.length && ids.length < limit && (doc === this.#base.docs || this.#alphaKey(added[a]!) < doc)) ids.push(this.#idOf(added[a++]!));
      if (doc < this.#base.docs && ids.length < limit && listed(doc)) ids.push(this.#idOf(doc));
    }
    return { ids, total: this.#size };
  }

  #keyStartsWith(doc: number, prefix: Uint8Array): boolean {
    const base = this.#base;
    if (doc < base.docs) return startsWithBytes(base.keys, base.keyEnd[doc - 1] ?? 0, base.keyEnd[doc]!, prefix);
    const { key } = this.#delta[doc - base.docs]!;
    return startsWithBytes(key, 0, key.length, prefix);
  }

  // ---- documents ----

  /** Alphabetical position: base documents are numbered alphabetically; added ones fall between two. */
  #alphaKey(doc: number): number {
    return doc < this.#base.docs ? doc : this.#delta[doc - this.#base.docs]!.alpha;
  }

  /** Alphabetical order; the collator only decides between documents added between the same two. */
  readonly #compare = (a: number, b: number): number => {
    const order = this.#alphaKey(a) - this.#alphaKey(b);
    if (order !== 0) return order;
    return this.#collator.compare(this.#nameOf(a), this.#nameOf(b)) || compareStrings(this.#idOf(a), this.#idOf(b));
  };

  #idOf(doc: number): string {
    const base = this.#base;
    if (doc >= base.docs) return this.#delta[doc - base.docs]!.id;
    return base.ids.slice(base.idEnd[doc - 1] ?? 0, base.idEnd[doc]);
  }

  #nameOf(doc: number): string {
    const base = this.#base;
    if (doc >= base.docs) return this.#delta[doc - base.docs]!.name;
    return decodeCesu8(base.names, base.nameEnd[doc - 1] ?? 0, base.nameEnd[doc]!);
  }

  /** The live document with this id, or -1. */
  #find(id: string): number {
    const added = this.#deltaById.get(id);
    if (added !== undefined) return added;
    const base = this.#base;
    let lo = 0;
    let hi = base.docs;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const doc = base.byId[mid]!;
      const order = compareStrings(this.#idOf(doc), id);
      if (order === 0) return this.#removed[doc] === 1 ? -1 : doc;
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return -1;
  }
}

/** The base a builder lays out (for `addAll` on an empty index; set in SearchIndexBuilder's static block). */
let builtBase: (builder: SearchIndexBuilder) => Base;

/**
 * Builds an index from nothing, fed in batches: `add` extracts each contact's terms as it arrives (so a
 * sync can feed it one page at a time between IndexedDB reads), `finish` sorts and lays out the base once.
 * The result is the same index, byte for byte, as adding the same contacts one by one and compacting.
 * A builder is used once: after `finish` it throws `builderFinished`.
 */
export class SearchIndexBuilder {
  readonly #locale: string | undefined;
  readonly #collator: Intl.Collator;
  /** What has been added; null once finished (so a spent builder holds on to nothing). */
  #state: BuilderState | null = {
    terms: new ContactTermTable(),
    slotOf: new Map(),
    ids: [],
    names: [],
    keyBytes: new ByteBuffer(1 << 16),
    keyOffsets: new IntBuffer(1 << 12),
    entryOffsets: new IntBuffer(1 << 12),
  };

  constructor(options: { locale?: string } = {}) {
    this.#locale = options.locale;
    this.#collator = new Intl.Collator(options.locale, { sensitivity: 'base' });
    this.#state!.keyOffsets.push(0);
    this.#state!.entryOffsets.push(0);
  }

  static {
    builtBase = (builder) => builder.#build();
  }

  /** Number of contacts added and not removed (a contact added twice counts once); 0 once finished. */
  get size(): number {
    return this.#state?.slotOf.size ?? 0;
  }

  /** Adds contacts; one with the id of an earlier one replaces it. */
  add(contacts: Iterable<Contact>): void {
    const { terms, slotOf, ids, names, keyBytes, keyOffsets, entryOffsets } = this.#check();
    for (const contact of contacts) {
      checkContact(contact);
      const name = sortName(contact);
      const key = nameKey(name);
      // A field that is not text throws here, before anything of the contact is kept.
      terms.startDocument();
      collectTerms(contact, terms);
      const slot = ids.length;
      ids.push(contact.id);
      names.push(name);
      keyBytes.pushString(key);
      keyOffsets.push(keyBytes.length);
      entryOffsets.push(terms.endDocument());
      slotOf.set(contact.id, slot);
    }
  }

  /** Removes the contact with this id; false when there was none. */
  remove(id: string): boolean {
    return this.#check().slotOf.delete(id);
  }

  /** The index of the contacts added. The builder is spent afterwards. */
  finish(): SearchIndex {
    return indexOfBase(this.#build(), this.#locale);
  }

  #check(): BuilderState {
    if (!this.#state) throw new SearchIndexError('builderFinished', 'This SearchIndexBuilder has finished; start a new one.');
    return this.#state;
  }

  #build(): Base {
    const { terms: table, slotOf, ids, names, keyBytes, keyOffsets, entryOffsets } = this.#check();
    this.#state = null;
    const keys: ByteStrings = { bytes: keyBytes.view(), offsets: keyOffsets.view() };
    const order = alphabetical(Int32Array.from(slotOf.values()), keys, names, ids, this.#collator);
    const docs = order.length;
    const idsInOrder = new Array<string>(docs);
    const namesInOrder = new Array<string>(docs);
    for (let doc = 0; doc < docs; doc++) {
      idsInOrder[doc] = ids[order[doc]!]!;
      namesInOrder[doc] = names[order[doc]!]!;
    }
    const nameColumn = encodeAll(namesInOrder);
    const keyEnd = new Int32Array(docs);
    const keyColumn = gather(keys, order, keyEnd);
    const terms = termColumns(table, entryOffsets.view(), order);
    return {
      docs,
      ids: idsInOrder.join(''),
      idEnd: stringEnds(idsInOrder),
      byId: byId(idsInOrder),
      names: nameColumn.bytes,
      nameEnd: nameColumn.offsets.slice(1),
      keys: keyColumn,
      keyEnd,
      ...terms,
    };
  }
}

/**
 * A builder's contacts so far. A *slot* is one contact added; one replaced or removed keeps its slot,
 * unreferenced by `slotOf`. Per slot: id, sort name, name key in CESU-8 (slot s at
 * `keyBytes[keyOffsets[s], keyOffsets[s + 1])`), and where its entries in the term table end.
 */
interface BuilderState {
  terms: ContactTermTable;
  /** Live contacts: id → slot. */
  slotOf: Map<string, number>;
  ids: string[];
  names: string[];
  keyBytes: ByteBuffer;
  keyOffsets: IntBuffer;
  entryOffsets: IntBuffer;
}

// ---- the builder's layout, in small functions V8 optimises early (a build runs each loop once) ----

/** Byte strings: string i is bytes[offsets[i], offsets[i + 1]). */
interface ByteStrings {
  bytes: Uint8Array;
  offsets: Int32Array;
}

/**
 * The slots in alphabetical order: collator on the names, then id. A radix sort on the name keys (case
 * and accents folded) first puts them nearly in that order, so the collator's sort finds long runs and
 * makes few calls.
 */
function alphabetical(slots: Int32Array, keys: ByteStrings, names: readonly string[], ids: readonly string[], collator: Intl.Collator): Int32Array {
  sortByBytes(keys.bytes, keys.offsets, slots);
  const compare = collator.compare;
  return Int32Array.from(Array.from(slots).sort((a, b) => compare(names[a]!, names[b]!) || compareStrings(ids[a]!, ids[b]!)));
}

/** The strings `order` lists, one after the other; `ends[i]` is set to where the i-th ends. */
function gather({ bytes, offsets }: ByteStrings, order: Int32Array, ends: Int32Array): Uint8Array {
  let length = 0;
  for (let i = 0; i < order.length; i++) length += offsets[order[i]! + 1]! - offsets[order[i]!]!;
  const gathered = new Uint8Array(length);
  let n = 0;
  for (let i = 0; i < order.length; i++) {
    for (let b = offsets[order[i]!]!, end = offsets[order[i]! + 1]!; b < end; b++) gathered[n++] = bytes[b]!;
    ends[i] = n;
  }
  return gathered;
}

/** Where each string ends in their concatenation. */
function stringEnds(strings: readonly string[]): Int32Array {
  const ends = new Int32Array(strings.length);
  let length = 0;
  for (let i = 0; i < strings.length; i++) ends[i] = length += strings[i]!.length;
  return ends;
}

/** Document numbers ordered by id (code-unit order, by a radix sort of the ids' bytes). */
function byId(idsInOrder: readonly string[]): Int32Array {
  const { bytes, offsets } = encodeAll(idsInOrder);
  const docs = new Int32Array(idsInOrder.length);
  for (let doc = 0; doc < docs.length; doc++) docs[doc] = doc;
  sortByBytes(bytes, offsets, docs);
  return docs;
}

/**
 * The sorted table of the terms documents have, and their postings by counting sort: documents are
 * visited in order, so each term's postings come out in document order.
 */
function termColumns(table: TermTable, entryOffsets: Int32Array, order: Int32Array): Pick<Base, 'terms' | 'termEnd' | 'postingEnd' | 'postings'> {
  const counts = new Int32Array(table.strings.size);
  const postingCount = countTerms(table, entryOffsets, order, counts);
  let live = 0;
  for (let t = 0; t < counts.length; t++) if (counts[t]! > 0) live++;
  const sorted = new Int32Array(live);
  live = 0;
  for (let t = 0; t < counts.length; t++) if (counts[t]! > 0) sorted[live++] = t;
  const termEnd = new Int32Array(live);
  const { bytes: termBytes, offsets: termOffsets } = table.strings;
  sortByBytes(termBytes, termOffsets, sorted, termEnd); // termEnd is free until filled below
  const terms = gather({ bytes: termBytes, offsets: termOffsets }, sorted, termEnd);
  // Each term's first posting; then counts[t] serves as term t's next free place.
  const postingEnd = new Int32Array(live);
  let postingStart = 0;
  for (let i = 0; i < live; i++) {
    const t = sorted[i]!;
    const count = counts[t]!;
    counts[t] = postingStart;
    postingStart += count;
    postingEnd[i] = postingStart;
  }
  const postings = new Int32Array(postingCount);
  layPostings(table, entryOffsets, order, counts, postings);
  return { terms, termEnd, postingEnd, postings };
}

/** Counts each term's postings among the documents in `order`; returns them all. */
function countTerms(table: TermTable, entryOffsets: Int32Array, order: Int32Array, counts: Int32Array): number {
  let total = 0;
  for (let doc = 0; doc < order.length; doc++) {
    const slot = order[doc]!;
    const start = entryOffsets[slot]!;
    const end = entryOffsets[slot + 1]!;
    for (let e = start; e < end; e++) counts[table.entry(e) >>> 2]!++;
    total += end - start;
  }
  return total;
}

function layPostings(table: TermTable, entryOffsets: Int32Array, order: Int32Array, next: Int32Array, postings: Int32Array): void {
  for (let doc = 0; doc < order.length; doc++) {
    const slot = order[doc]!;
    for (let e = entryOffsets[slot]!, end = entryOffsets[slot + 1]!; e < end; e++) {
      const entry = table.entry(e);
      postings[next[entry >>> 2]!++] = (doc << 2) | (entry & 3);
    }
  }
}

// ---- contacts to terms ----

/** The name a contact is listed and sorted under (`displayNameOf`). */
export const sortName = displayNameOf;


/** Each term of a contact, with the kinds of field it occurs in (1 = a name field, 2 = another field). */
export function contactTerms(contact: Contact): Map<string, number> {
  const sink = new TermMasks();
  collectTerms(contact, sink);
  return sink.terms;
}

/**
 * Receives a contact's terms: `mask` says which kind of field they come from, `named` whether a name
 * field gave any. `addText` adds a field's `indexTerms`; `shared` marks values many contacts have
 * (given names, titles, departments, offices), which a sink may remember the terms of.
 */
interface FieldTermSink extends TermSink {
  mask: number;
  named: boolean;
  addText(text: string, shared: boolean): void;
}

/** Name fields first (the display name alone when they give no term), then the other fields and phones. */
function collectTerms(contact: Contact, sink: FieldTermSink): void {
  sink.mask = NAME;
  sink.named = false;
  const { displayName, givenName, surname, mail, userPrincipalName, jobTitle, department, officeLocation, mobilePhone } = contact;
  if (displayName) sink.addText(displayName, false);
  if (givenName) sink.addText(givenName, true);
  if (surname) sink.addText(surname, true);
  if (!sink.named) sink.addText(sortName(contact), false);
  sink.mask = OTHER;
  if (mail) sink.addText(mail, false);
  // The UPN is often the mail address: the same terms again.
  if (userPrincipalName && userPrincipalName !== mail) sink.addText(userPrincipalName, false);
  if (jobTitle) sink.addText(jobTitle, true);
  if (department) sink.addText(department, true);
  if (officeLocation) sink.addText(officeLocation, true);
  for (const phone of contact.businessPhones ?? []) if (phone) addPhoneTerms(phone, sink);
  if (mobilePhone) addPhoneTerms(mobilePhone, sink);
}

class TermMasks implements FieldTermSink {
  mask = NAME;
  named = false;
  readonly terms = new Map<string, number>();
  add(term: string): void {
    this.terms.set(term, (this.terms.get(term) ?? 0) | this.mask);
    if (this.mask === NAME) this.named = true;
  }
  addText(text: string): void {
    addIndexTerms(text, this);
  }
}

/** Most shared field values whose terms the builder remembers (beyond, values are folded every time). */
const MAX_REMEMBERED_VALUES = 50_000;

/** The builder's term table, remembering the term numbers of shared values (a department is folded once). */
class ContactTermTable extends TermTable implements FieldTermSink {
  readonly #remembered = new Map<string, number[]>();
  addText(text: string, shared: boolean): void {
    if (!shared) {
      // "@" only ever separates words, so an address's terms are its local part's and its domain's;
      // the domain is shared.
      const at = text.lastIndexOf('@');
      if (at < 0) addIndexTerms(text, this);
      else {
        addIndexTerms(text.slice(0, at), this);
        this.addText(text.slice(at + 1), true);
      }
      return;
    }
    const numbers = this.#remembered.get(text);
    if (numbers) {
      for (const number of numbers) this.addNumber(number);
      return;
    }
    this.startRecording();
    addIndexTerms(text, this);
    const recorded = this.stopRecording();
    if (this.#remembered.size < MAX_REMEMBERED_VALUES) this.#remembered.set(text, recorded);
  }
}

function checkContact(contact: Contact): void {
  if (typeof contact !== 'object' || contact === null || typeof contact.id !== 'string' || contact.id.length === 0) {
    throw new SearchIndexError('invalidContact', 'a contact needs a non-empty string id');
  }
}

// ---- structures ----

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * First term index ≥ `lo` whose comparison with `prefix`, with the term cut to the prefix's length,
 * is ≥ `bound`. Bound 0: the first term not before the prefix; bound 1: the first term past every term
 * the prefix starts. The terms in between are exactly those the prefix starts.
 */
function prefixBound(base: Base, prefix: Uint8Array, bound: 0 | 1, lo: number): number {
  const { terms, termEnd } = base;
  let hi = termEnd.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const start = termEnd[mid - 1] ?? 0;
    const end = termEnd[mid]!;
    const length = Math.min(end - start, prefix.length);
    let order = 0;
    for (let i = 0; i < length && order === 0; i++) order = terms[start + i]! - prefix[i]!;
    if (order === 0 && end - start < prefix.length) order = -1;
    if (order < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- checking a serialized index ----

function checkSerialized(data: SerializedSearchIndex): Base {
  const fail = (what: string): never => {
    throw new SearchIndexError('invalidSerializedIndex', `Not a usable Peoplebook search index (${what}); rebuild it from the cached contacts.`);
  };
  if (typeof data !== 'object' || data === null) return fail('not an object');
  if (data.format !== FORMAT) return fail('unknown format');
  if (data.version !== VERSION) return fail(`version ${String(data.version)}, expected ${VERSION}`);
  if (typeof data.locale !== 'string' || typeof data.ids !== 'string') return fail('locale or ids missing');
  for (const key of ['idEnd', 'byId', 'nameEnd', 'keyEnd', 'termEnd', 'postingEnd', 'postings'] as const) {
    if (!(data[key] instanceof Int32Array)) fail(`${key} is not an Int32Array`);
  }
  for (const key of ['names', 'keys', 'terms'] as const) if (!(data[key] instanceof Uint8Array)) fail(`${key} is not a Uint8Array`);
  const docs = data.idEnd.length;
  const last = (array: Int32Array): number => array[array.length - 1] ?? 0;
  if (data.byId.length !== docs || data.nameEnd.length !== docs || data.keyEnd.length !== docs) fail('column lengths differ');
  if (data.termEnd.length !== data.postingEnd.length) fail('term and posting tables differ in length');
  if (last(data.idEnd) !== data.ids.length || last(data.nameEnd) !== data.names.length || last(data.keyEnd) !== data.keys.length) fail('column ends');
  if (last(data.termEnd) !== data.terms.length || last(data.postingEnd) !== data.postings.length) fail('table ends');
  const { format: _format, version: _version, locale: _locale, ...arrays } = data;
  return { ...arrays, docs };
}
