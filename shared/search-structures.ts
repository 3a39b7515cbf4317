import { writeCesu8 } from './cesu8.ts';
import type { TermSink } from './normalize.ts';

/**
 * The mutable helpers of ./search-index.ts: the delta's term lists, the builder's term table and byte
 * string sort, a growable Int32Array, and the bounded heap that keeps the best results of a tier.
 */

/**
 * The delta's terms: a Map from term to slot, each slot's postings as a linked list in typed arrays (no
 * array per term), and the slots in term order ("ranks"), kept sorted on each insertion except during a
 * bulk add, which sorts once when the order is next needed.
 */
export class TermLists {
  readonly #slots = new Map<string, number>();
  readonly #terms: string[] = [];
  readonly #head = new IntBuffer(256);
  readonly #count = new IntBuffer(256);
  readonly #next = new IntBuffer(1024);
  readonly #value = new IntBuffer(1024);
  /** Slots in term order; null until sorted after a bulk add. */
  #order: number[] | null = [];

  get size(): number {
    return this.#terms.length;
  }

  get postingCount(): number {
    return this.#value.length;
  }

  startBulk(): void {
    this.#order = null;
  }

  add(term: string, posting: number): void {
    let slot = this.#slots.get(term);
    if (slot === undefined) {
      slot = this.#terms.length;
      this.#slots.set(term, slot);
      this.#terms.push(term);
      this.#head.push(-1);
      this.#count.push(0);
      if (this.#order) this.#order.splice(this.#lowerBound(this.#order, term), 0, slot);
    }
    this.#next.push(this.#head.at(slot));
    this.#value.push(posting);
    this.#head.set(slot, this.#value.length - 1);
    this.#count.set(slot, this.#count.at(slot) + 1);
  }

  #ordered(): number[] {
    // The default sort compares UTF-16 code units: the order the CESU-8 table needs.
    this.#order ??= [...this.#terms].sort().map((term) => this.#slots.get(term)!);
    return this.#order;
  }

  #lowerBound(order: readonly number[], term: string): number {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#terms[order[mid]!]! < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The term of rank `rank`. */
  termAt(rank: number): string {
    return this.#terms[this.#ordered()[rank]!]!;
  }

  /** Ranks [lo, hi) of the terms that `prefix` starts. */
  prefixRange(prefix: string): [number, number] {
    const order = this.#ordered();
    const lo = this.#lowerBound(order, prefix);
    let hi = lo;
    while (hi < order.length && this.#terms[order[hi]!]!.startsWith(prefix)) hi++;
    return [lo, hi];
  }

  /** How many postings ranks [lo, hi) hold. */
  countRange(lo: number, hi: number): number {
    const order = this.#ordered();
    let count = 0;
    for (let rank = lo; rank < hi; rank++) count += this.#count.at(order[rank]!);
    return count;
  }

  /** The postings of ranks [lo, hi), appended to `into`. */
  postingsOf(lo: number, hi: number, into: number[] = []): number[] {
    const order = this.#ordered();
    for (let rank = lo; rank < hi; rank++) {
      for (let node = this.#head.at(order[rank]!); node >= 0; node = this.#next.at(node)) into.push(this.#value.at(node));
    }
    return into;
  }
}

/**
 * Distinct strings numbered in order of arrival and kept only as CESU-8 bytes (string n is
 * `bytes[offsets[n], offsets[n + 1])`), found again through an open-addressing hash table in typed
 * arrays. Unlike a Map of hundreds of thousands of strings, it keeps no string alive for the garbage
 * collector to trace and move.
 */
export class StringTable {
  #bytes = new Uint8Array(1 << 16);
  #length = 0;
  #offsets = new Int32Array(1 << 12);
  /** Per string: its hash. */
  #hashes = new Int32Array(1 << 12);
  #count = 0;
  /** Hash slots: string number + 1, 0 when free. At most half are used. */
  #slots = new Int32Array(1 << 13);
  #pending = 0;
  #pendingHash = 0;

  /** Number of distinct strings. */
  get size(): number {
    return this.#count;
  }

  /** All the bytes, and where each string ends (`offsets[0]` = 0): views, valid until the next `intern`. */
  get bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#length);
  }
  get offsets(): Int32Array {
    return this.#offsets.subarray(0, this.#count + 1);
  }

  /** The number of `text`, numbering it when new (then `size` grows). */
  intern(text: string): number {
    const found = this.#lookup(text);
    if (found >= 0) return found;
    const slot = ~found;
    const number = this.#count++;
    if (this.#count >= this.#offsets.length) {
      this.#offsets = grow(this.#offsets, this.#offsets.length * 2);
      this.#hashes = grow(this.#hashes, this.#offsets.length);
    }
    this.#offsets[number + 1] = this.#length = this.#pending;
    this.#hashes[number] = this.#pendingHash;
    this.#slots[slot] = number + 1;
    if (this.#count * 2 > this.#slots.length) this.#rehash();
    return number;
  }

  /**
   * Encodes `text` after the stored bytes (up to `#pending`) and looks it up: its number, or the
   * complement of the free slot where it would go. (Linear probing; a hash match is confirmed on the bytes.)
   */
  #lookup(text: string): number {
    const start = this.#length;
    if (start + text.length * 3 > this.#bytes.length) {
      const bytes = new Uint8Array(Math.max(start + text.length * 3, this.#bytes.length * 2));
      bytes.set(this.#bytes.subarray(0, start));
      this.#bytes = bytes;
    }
    const bytes = this.#bytes;
    const n = writeCesu8(text, bytes, start);
    // FNV-1a over the bytes, finished with a murmur-style mix.
    let hash = 0x811c9dc5;
    for (let i = start; i < n; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    this.#pending = n;
    this.#pendingHash = hash;
    const slots = this.#slots;
    const offsets = this.#offsets;
    const hashes = this.#hashes;
    const mask = slots.length - 1;
    const length = n - start;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[slot]!;
      if (entry === 0) return ~slot;
      if (hashes[entry - 1] !== hash) continue;
      let p = offsets[entry - 1]!;
      if (offsets[entry]! - p !== length) continue;
      let q = start;
      while (q < n && bytes[p] === bytes[q]) {
        p++;
        q++;
      }
      if (q === n) return entry - 1;
    }
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let number = 0; number < this.#count; number++) {
      let slot = this.#hashes[number]! & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = number + 1;
    }
    this.#slots = slots;
  }
}

function grow(values: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(length);
  grown.set(values);
  return grown;
}

/** Entries are stored in chunks of this many (a power of two), so storing more never copies. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;

/**
 * The builder's terms: a StringTable of the distinct terms, and the documents' entries
 * (`term << 2 | mask`). Fed through `add` (a TermSink) between `startDocument` and `endDocument`: a
 * term the current document already has only gains the current mask, so each document lists each of
 * its terms once.
 */
export class TermTable implements TermSink {
  /** The mask `add` gives (1 = name field, 2 = other field). */
  mask = 1;
  /** Whether the current document got a term with mask 1. */
  named = false;
  readonly strings = new StringTable();
  /** Entries of the documents ended so far. */
  readonly #chunks: Int32Array[] = [];
  #length = 0;
  /** The current document's entries. */
  #document = new Int32Array(64);
  #documentLength = 0;
  #recording: number[] | null = null;

  /** Number of entries stored (of the documents ended). */
  get length(): number {
    return this.#length;
  }

  /** Entry `i` of those stored. */
  entry(i: number): number {
    return this.#chunks[i >>> CHUNK_BITS]![i & (CHUNK - 1)]!;
  }

  /** Starts another document (forgetting a current one that was not ended). */
  startDocument(): void {
    this.#documentLength = 0;
    this.#recording = null;
    this.named = false;
  }

  /** Stores the current document's entries after the others; returns where they end. */
  endDocument(): number {
    for (let i = 0; i < this.#documentLength; i++, this.#length++) {
      const chunk = this.#length >>> CHUNK_BITS;
      if (chunk === this.#chunks.length) this.#chunks.push(new Int32Array(CHUNK));
      this.#chunks[chunk]![this.#length & (CHUNK - 1)] = this.#document[i]!;
    }
    this.#documentLength = 0;
    return this.#length;
  }

  /** Starts noting the numbers of the terms `add`ed, repeats included, until `stopRecording`. */
  startRecording(): void {
    this.#recording = [];
  }

  stopRecording(): number[] {
    const recorded = this.#recording ?? [];
    this.#recording = null;
    return recorded;
  }

  add(term: string): void {
    const number = this.strings.intern(term);
    if (this.#recording) this.#recording.push(number);
    this.addNumber(number);
  }

  /** Adds the term numbered `number` (one `add` gave) again. */
  addNumber(number: number): void {
    if (this.mask === 1) this.named = true;
    // A document has a few dozen terms: looking through them beats a table per term.
    const document = this.#document;
    const entry = (number << 2) | this.mask;
    for (let at = 0; at < this.#documentLength; at++) {
      if (document[at]! >>> 2 === number) {
        document[at] = document[at]! | entry;
        return;
      }
    }
    if (this.#documentLength === document.length) this.#document = grow(document, document.length * 2);
    this.#document[this.#documentLength++] = entry;
  }
}

/** The CESU-8 bytes of `strings`, one after the other, and where each starts (`offsets[n]` = the end). */
export function encodeAll(strings: readonly string[]): { bytes: Uint8Array; offsets: Int32Array } {
  let length = 0;
  for (const text of strings) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      length += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
  }
  const bytes = new Uint8Array(length);
  const offsets = new Int32Array(strings.length + 1);
  let n = 0;
  for (let s = 0; s < strings.length; s++) {
    n = writeCesu8(strings[s]!, bytes, n);
    offsets[s + 1] = n;
  }
  return { bytes, offsets };
}

/**
 * Sorts `items` (numbers of byte strings: string i is `bytes[offsets[i], offsets[i + 1])`) into unsigned
 * byte order, a string before those it is a prefix of; equal strings end up in no particular order.
 * Most-significant-digit radix sort, insertion sort for short ranges. For CESU-8 this is JavaScript's
 * string order (UTF-16 code units), without a comparator call per comparison.
 */
export function sortByBytes(bytes: Uint8Array, offsets: Int32Array, items: Int32Array, scratch = new Int32Array(items.length)): void {
  radixSort({ bytes, offsets, items, scratch, counts: [] }, 0, items.length, 0);
}

interface RadixSort {
  bytes: Uint8Array;
  offsets: Int32Array;
  items: Int32Array;
  /** At least as long as `items`. */
  scratch: Int32Array;
  /** One histogram per depth: bucket 0 = the string ends here, 1 + b = byte b. */
  counts: Int32Array[];
}

/** Sorts items[lo, hi), whose strings agree on their first `depth` bytes. */
function radixSort(sort: RadixSort, lo: number, hi: number, depth: number): void {
  if (hi - lo <= 24) return insertionSort(sort, lo, hi, depth);
  const { bytes, offsets, items, scratch } = sort;
  let count: Int32Array;
  let min: number;
  let max: number;
  // Skip the bytes all strings of the range share (a loop, not a recursion, however long).
  for (;;) {
    count = sort.counts[depth] ??= new Int32Array(257);
    count.fill(0);
    min = 256;
    max = 0;
    for (let i = lo; i < hi; i++) {
      const item = items[i]!;
      const at = offsets[item]! + depth;
      const bucket = at < offsets[item + 1]! ? bytes[at]! + 1 : 0;
      count[bucket]!++;
      if (bucket < min) min = bucket;
      if (bucket > max) max = bucket;
    }
    if (min !== max) break;
    if (min === 0) return; // all equal
    depth++;
  }
  let sum = lo;
  for (let b = min; b <= max; b++) {
    const n = count[b]!;
    count[b] = sum;
    sum += n;
  }
  for (let i = lo; i < hi; i++) {
    const item = items[i]!;
    const at = offsets[item]! + depth;
    scratch[count[at < offsets[item + 1]! ? bytes[at]! + 1 : 0]!++] = item;
  }
  for (let i = lo; i < hi; i++) items[i] = scratch[i]!;
  // count[b] is now where bucket b ends; the strings that ended (bucket 0) are equal and stay put.
  let from = min === 0 ? count[0]! : lo;
  for (let b = Math.max(min, 1); b <= max; b++) {
    const to = count[b]!;
    if (to - from > 1) radixSort(sort, from, to, depth + 1);
    from = to;
  }
}

function insertionSort({ bytes, offsets, items }: RadixSort, lo: number, hi: number, depth: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const item = items[i]!;
    const start = offsets[item]! + depth;
    const end = offsets[item + 1]!;
    let j = i;
    for (; j > lo; j--) {
      const other = items[j - 1]!;
      let p = offsets[other]! + depth;
      const otherEnd = offsets[other + 1]!;
      let q = start;
      let order = 0;
      while (order === 0 && p < otherEnd && q < end) order = bytes[p++]! - bytes[q++]!;
      if (order === 0) order = otherEnd - p - (end - q);
      if (order <= 0) break;
      items[j] = other;
    }
    items[j] = item;
  }
}

/** A growable Int32Array. */
export class IntBuffer {
  #values: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.#values = new Int32Array(Math.max(16, capacity));
  }
  /** The values pushed so far, without copying (valid until the next push). */
  view(): Int32Array {
    return this.#values.subarray(0, this.length);
  }
  /** Sorts the values from index `from` on, ascending (a no-op when they already are). */
  sortFrom(from: number): void {
    const values = this.#values;
    for (let i = from + 1; i < this.length; i++) {
      if (values[i - 1]! > values[i]!) {
        values.subarray(from, this.length).sort();
        return;
      }
    }
  }
  push(value: number): void {
    if (this.length === this.#values.length) {
      const grown = new Int32Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.length++] = value;
  }
  at(index: number): number {
    return this.#values[index]!;
  }
  set(index: number, value: number): void {
    this.#values[index] = value;
  }
  toArray(): Int32Array {
    return this.#values.slice(0, this.length);
  }
}

/**
 * The `limit` smallest documents offered, by alphabetical key (then `compare` on equal keys), in a
 * max-heap: one comparison rejects everything after the worst kept.
 */
export class TopK {
  readonly #docs: Int32Array;
  readonly #keys: Float64Array;
  #size = 0;
  constructor(
    readonly limit: number,
    readonly compare: (a: number, b: number) => number,
  ) {
    this.#docs = new Int32Array(limit);
    this.#keys = new Float64Array(limit);
  }

  get full(): boolean {
    return this.#size === this.limit;
  }

  /** The key of the worst document kept (only meaningful when full). */
  get worstKey(): number {
    return this.#keys[0] ?? -Infinity;
  }

  offer(doc: number, key: number): void {
    if (this.limit === 0) return;
    if (this.#size < this.limit) {
      this.#docs[this.#size] = doc;
      this.#keys[this.#size] = key;
      this.#up(this.#size++);
    } else if (this.#after(this.#docs[0]!, this.#keys[0]!, doc, key)) {
      this.#docs[0] = doc;
      this.#keys[0] = key;
      this.#down(0);
    }
  }

  sorted(): number[] {
    return Array.from(this.#docs.subarray(0, this.#size)).sort(this.compare);
  }

  /** Whether (docA, keyA) ranks after (docB, keyB). */
  #after(docA: number, keyA: number, docB: number, keyB: number): boolean {
    return keyA !== keyB ? keyA > keyB : this.compare(docA, docB) > 0;
  }

  #swap(i: number, j: number): void {
    const doc = this.#docs[i]!;
    const key = this.#keys[i]!;
    this.#docs[i] = this.#docs[j]!;
    this.#keys[i] = this.#keys[j]!;
    this.#docs[j] = doc;
    this.#keys[j] = key;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#after(this.#docs[i]!, this.#keys[i]!, this.#docs[parent]!, this.#keys[parent]!)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    for (;;) {
      let worst = i;
      for (const child of [2 * i + 1, 2 * i + 2]) {
        if (child < this.#size && this.#after(this.#docs[child]!, this.#keys[child]!, this.#docs[worst]!, this.#keys[worst]!)) worst = child;
      }
      if (worst === i) return;
      this.#swap(i, worst);
      i = worst;
    }
  }
}
