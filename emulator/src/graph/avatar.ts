import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';

/**
 * Profile photos for seeded users: a square PNG with a background colour derived from the user's ID and
 * the user's initials drawn with a 5×7 bitmap font (or a symmetric 5×5 pattern when the name has no
 * Latin letters or digits). Graph serves JPEG; the emulator serves PNG (pngjs is the encoder at hand) and
 * says so in Content-Type and `@odata.mediaContentType`, which clients must read rather than assume.
 */

/** 5×7 glyphs, one string per row, `#` = ink. */
const FONT: Record<string, string> = {
  A: '.###.|#...#|#...#|#####|#...#|#...#|#...#',
  B: '####.|#...#|#...#|####.|#...#|#...#|####.',
  C: '.###.|#...#|#....|#....|#....|#...#|.###.',
  D: '####.|#...#|#...#|#...#|#...#|#...#|####.',
  E: '#####|#....|#....|####.|#....|#....|#####',
  F: '#####|#....|#....|####.|#....|#....|#....',
  G: '.###.|#...#|#....|#.###|#...#|#...#|.####',
  H: '#...#|#...#|#...#|#####|#...#|#...#|#...#',
  I: '.###.|..#..|..#..|..#..|..#..|..#..|.###.',
  J: '..###|...#.|...#.|...#.|...#.|#..#.|.##..',
  K: '#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#',
  L: '#....|#....|#....|#....|#....|#....|#####',
  M: '#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#',
  N: '#...#|#...#|##..#|#.#.#|#..##|#...#|#...#',
  O: '.###.|#...#|#...#|#...#|#...#|#...#|.###.',
  P: '####.|#...#|#...#|####.|#....|#....|#....',
  Q: '.###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#',
  R: '####.|#...#|#...#|####.|#.#..|#..#.|#...#',
  S: '.####|#....|#....|.###.|....#|....#|####.',
  T: '#####|..#..|..#..|..#..|..#..|..#..|..#..',
  U: '#...#|#...#|#...#|#...#|#...#|#...#|.###.',
  V: '#...#|#...#|#...#|#...#|#...#|.#.#.|..#..',
  W: '#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.',
  X: '#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#',
  Y: '#...#|#...#|.#.#.|..#..|..#..|..#..|..#..',
  Z: '#####|....#|...#.|..#..|.#...|#....|#####',
  '0': '.###.|#...#|#..##|#.#.#|##..#|#...#|.###.',
  '1': '..#..|.##..|..#..|..#..|..#..|..#..|.###.',
  '2': '.###.|#...#|....#|...#.|..#..|.#...|#####',
  '3': '####.|....#|....#|.###.|....#|....#|####.',
  '4': '...#.|..##.|.#.#.|#..#.|#####|...#.|...#.',
  '5': '#####|#....|####.|....#|....#|#...#|.###.',
  '6': '.###.|#....|#....|####.|#...#|#...#|.###.',
  '7': '#####|....#|...#.|..#..|.#...|.#...|.#...',
  '8': '.###.|#...#|#...#|.###.|#...#|#...#|.###.',
  '9': '.###.|#...#|#...#|.####|....#|....#|.###.',
};

/** Up to two initials from the given name and surname (or the display name's words), A–Z and 0–9 only. */
export function initialsOf(name: { displayName: string; givenName: string | null; surname: string | null }): string {
  const words = name.givenName || name.surname ? [name.givenName ?? '', name.surname ?? ''] : name.displayName.split(/\s+/);
  let out = '';
  for (const word of words) {
    const letter = word
      .normalize('NFD')
      .replace(/[^A-Za-z0-9]/g, '')
      .charAt(0)
      .toUpperCase();
    if (letter && FONT[letter]) out += letter;
    if (out.length === 2) break;
  }
  return out;
}

function hsl(hue: number, saturation: number, lightness: number): [number, number, number] {
  const a = saturation * Math.min(lightness, 1 - lightness);
  const f = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (lightness - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export interface AvatarInput {
  /** Seeds the colour and the fallback pattern (the user ID). */
  key: string;
  initials: string;
  size: number;
}

export function renderAvatar({ key, initials, size }: AvatarInput): Buffer {
  const digest = createHash('sha256').update(key).digest();
  const background = hsl((digest[0]! * 360) / 256, 0.45, 0.42);
  const ink: [number, number, number] = [250, 250, 250];
  const png = new PNG({ width: size, height: size, colorType: 2 });
  const data = png.data;
  for (let i = 0; i < size * size; i += 1) {
    data[i * 4] = background[0];
    data[i * 4 + 1] = background[1];
    data[i * 4 + 2] = background[2];
    data[i * 4 + 3] = 255;
  }
  const fill = (x0: number, y0: number, w: number, h: number) => {
    for (let y = Math.max(0, y0); y < Math.min(size, y0 + h); y += 1) {
      for (let x = Math.max(0, x0); x < Math.min(size, x0 + w); x += 1) {
        const o = (y * size + x) * 4;
        data[o] = ink[0];
        data[o + 1] = ink[1];
        data[o + 2] = ink[2];
      }
    }
  };

  if (initials.length > 0) {
    // Glyphs 5 wide with 1 column between; scale so the text is about half the picture wide.
    const columns = initials.length * 6 - 1;
    const scale = Math.max(1, Math.floor((size * 0.5) / columns));
    const left = Math.floor((size - columns * scale) / 2);
    const top = Math.floor((size - 7 * scale) / 2);
    [...initials].forEach((letter, n) => {
      const rows = FONT[letter]!.split('|');
      rows.forEach((row, y) => {
        for (let x = 0; x < 5; x += 1) if (row[x] === '#') fill(left + (n * 6 + x) * scale, top + y * scale, scale, scale);
      });
    });
  } else {
    // Identicon: a 5×5 grid mirrored left to right, cells chosen by the digest bits.
    const cell = Math.floor((size * 0.7) / 5);
    const origin = Math.floor((size - cell * 5) / 2);
    for (let y = 0; y < 5; y += 1) {
      for (let x = 0; x < 3; x += 1) {
        if ((digest[1 + y * 3 + x]! & 1) === 0) continue;
        fill(origin + x * cell, origin + y * cell, cell, cell);
        fill(origin + (4 - x) * cell, origin + y * cell, cell, cell);
      }
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

/** A small least-recently-used cache of rendered photos. */
export class PhotoCache {
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(
    readonly maxEntries = 256,
    readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  get(key: string, render: () => Buffer): Buffer {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const value = render();
    this.#entries.set(key, value);
    this.#bytes += value.length;
    while (this.#entries.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#bytes -= this.#entries.get(oldest.value)!.length;
      this.#entries.delete(oldest.value);
    }
    return value;
  }

  get size(): number {
    return this.#entries.size;
  }
}
