/**
 * CESU-8 (Unicode TR #26): UTF-8 applied to each UTF-16 code unit, so a surrogate pair takes two 3-byte
 * sequences. The search index stores its terms and names this way because, unlike UTF-8, the byte order
 * equals JavaScript's string order (UTF-16 code units): a table sorted with `Array.prototype.sort` can be
 * binary-searched byte by byte. ASCII stays one byte per character, half of what a string costs once a
 * single CJK name makes V8 store the whole table two bytes per character.
 */

/**
 * Writes `text` in CESU-8 into `bytes` from `at` (room for 3 bytes per code unit is the caller's) and
 * returns where it ended.
 */
export function writeCesu8(text: string, bytes: Uint8Array, at: number): number {
  let n = at;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes[n++] = c;
    else if (c < 0x800) {
      bytes[n++] = 0xc0 | (c >> 6);
      bytes[n++] = 0x80 | (c & 0x3f);
    } else {
      bytes[n++] = 0xe0 | (c >> 12);
      bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
      bytes[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n;
}

/** A growable byte array. */
export class ByteBuffer {
  #bytes: Uint8Array;
  length = 0;

  constructor(capacity = 64) {
    this.#bytes = new Uint8Array(Math.max(16, capacity));
  }

  #reserve(extra: number): Uint8Array {
    if (this.length + extra > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.length + extra, this.#bytes.length * 2));
      grown.set(this.#bytes.subarray(0, this.length));
      this.#bytes = grown;
    }
    return this.#bytes;
  }

  /** Appends `source[start, end)`. */
  pushBytes(source: Uint8Array, start: number, end: number): void {
    const bytes = this.#reserve(end - start);
    if (end - start > 32) bytes.set(source.subarray(start, end), this.length);
    else for (let i = start, n = this.length; i < end; i++) bytes[n++] = source[i]!;
    this.length += end - start;
  }

  /** Appends `text` in CESU-8. */
  pushString(text: string): void {
    this.length = writeCesu8(text, this.#reserve(text.length * 3), this.length);
  }

  /** The bytes written so far, without copying (valid until the next write). */
  view(): Uint8Array {
    return this.#bytes.subarray(0, this.length);
  }

  /** A copy of the bytes written, exactly as long as them. */
  toArray(): Uint8Array {
    return this.#bytes.slice(0, this.length);
  }
}

export function encodeCesu8(text: string): Uint8Array {
  const out = new ByteBuffer(text.length * 3);
  out.pushString(text);
  return out.toArray();
}

export function decodeCesu8(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  let units: number[] = [];
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i += 1;
    } else if (b < 0xe0) {
      units.push(((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f));
      i += 2;
    } else {
      units.push(((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f));
      i += 3;
    }
    if (units.length === 4096) {
      text += String.fromCharCode(...units);
      units = [];
    }
  }
  return text + String.fromCharCode(...units);
}

/** Byte order of `bytes[start, end)` against all of `other` (negative: before). */
export function compareBytes(bytes: Uint8Array, start: number, end: number, other: Uint8Array): number {
  const length = Math.min(end - start, other.length);
  for (let i = 0; i < length; i++) {
    const d = bytes[start + i]! - other[i]!;
    if (d !== 0) return d;
  }
  return end - start - other.length;
}

/** Whether `bytes[start, end)` starts with `prefix`. */
export function startsWithBytes(bytes: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix[i]) return false;
  return true;
}
