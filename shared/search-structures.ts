/**
 * The mutable helpers of ./search-index.ts: the delta's term lists, a growable Int32Array, and the
 * bounded heap that keeps the best results of a tier.
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

/** A growable Int32Array. */
export class IntBuffer {
  #values: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.#values = new Int32Array(Math.max(16, capacity));
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
