/**
 * A small, fast pseudo-random generator for seeded users: one independent stream per (seed, index).
 *
 * Why not `faker.seed([seed, index])` per user: reseeding faker's Mersenne Twister costs ~24 µs on
 * this machine, half the whole per-user budget, before a single value is drawn. sfc32 (Chris Doty-Humphrey's
 * "small fast counter", PractRand-clean) seeded through splitmix32 costs well under a microsecond,
 * and we draw from faker's locale data ourselves.
 */
export interface Prng {
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, bound). */
  int(bound: number): number;
  /** True with probability `p`. Always consumes one draw, so later draws don't shift with `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Replaces every `#` in `template` with a random decimal digit. */
  digits(template: string): string;
}

/** splitmix32: turns correlated inputs (seed, index, index + 1, ...) into well-spread state words. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

export function createPrng(seed: number, stream: number): Prng {
  // Mix the seed (which may exceed 32 bits or be negative) and the stream number into one word first.
  let s = (Math.imul(seed | 0, 0x27d4eb2d) ^ Math.floor(seed / 0x1_0000_0000) ^ Math.imul(stream | 0, 0x165667b1)) | 0;
  let a: number, b: number, c: number, d: number;
  [s, a] = splitmix32(s);
  [s, b] = splitmix32(s);
  [s, c] = splitmix32(s);
  [, d] = splitmix32(s ^ stream);

  const uint32 = (): number => {
    // sfc32
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // A few rounds so the first outputs don't echo the seeding.
  for (let i = 0; i < 4; i++) uint32();

  const float = (): number => uint32() / 0x1_0000_0000;
  const int = (bound: number): number => Math.floor(float() * bound);
  return {
    uint32,
    float,
    int,
    chance: (p) => float() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() needs at least one item');
      return items[int(items.length)]!;
    },
    digits(template) {
      let out = '';
      for (const ch of template) out += ch === '#' ? String(int(10)) : ch;
      return out;
    },
  };
}

/** Picks from `items` with the given weights (same length, positive), using one draw. */
export function weightedPick<T>(prng: Prng, items: readonly T[], cumulativeWeights: readonly number[]): T {
  const total = cumulativeWeights[cumulativeWeights.length - 1] ?? 0;
  const x = prng.float() * total;
  // Linear is fine: the tables here have ~25 entries.
  for (let i = 0; i < cumulativeWeights.length; i++) if (x < cumulativeWeights[i]!) return items[i]!;
  return items[items.length - 1]!;
}

export function cumulative(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

/**
 * mulberry32: a tiny, well-distributed 32-bit generator returning numbers in [0, 1). For picks that must
 * repeat run after run (injected faults, benchmark samples) where a full Prng stream is not needed.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
