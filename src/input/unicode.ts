/**
 * Tiny validators that say *where* bytes stop being valid UTF-8 / UTF-16LE.
 *
 * `TextDecoder({ fatal: true })` only says *that* a chunk is invalid; these run on the one
 * failing chunk (plus the bytes of a character split across the previous chunk boundary)
 * so the problem can name the byte and its line.
 */

/**
 * Index of the first byte of the first ill-formed UTF-8 sequence in `bytes[from..]`, or -1.
 * Well-formed ranges are Unicode 15, table 3-7 (no overlongs, no surrogates, max U+10FFFF),
 * the same rules WHATWG's UTF-8 decoder applies. An incomplete sequence at the very end is
 * ill-formed only when `final` (more bytes may follow otherwise).
 */
export function findInvalidUtf8(bytes: Uint8Array, from: number, final: boolean): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i; // 0x80..0xC1 (stray continuation, overlong lead) or 0xF5..0xFF
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const c = bytes[i + k]!;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * How many bytes at the end of `bytes` are the start of a UTF-8 character that is not
 * complete yet (0..3). Assumes `bytes` is otherwise well-formed.
 */
export function utf8PendingLength(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    return n - i < len ? n - i : 0;
  }
  return 0;
}

/** Index of the first byte of an unpaired surrogate (or a lone odd byte when `final`), or -1. */
export function findInvalidUtf16le(bytes: Uint8Array, from: number, final: boolean): number {
  const n = bytes.length;
  let i = from;
  while (i + 1 < n) {
    const u = bytes[i]! | (bytes[i + 1]! << 8);
    if (u >= 0xdc00 && u <= 0xdfff) return i;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (i + 3 >= n) return final ? i : -1;
      const v = bytes[i + 2]! | (bytes[i + 3]! << 8);
      if (v < 0xdc00 || v > 0xdfff) return i;
      i += 4;
      continue;
    }
    i += 2;
  }
  return i < n && final ? i : -1;
}

/**
 * Bytes at the end of a UTF-16LE stream that wait for the rest of their character (0..3).
 * `start` is the absolute offset of `bytes[0]`: code units begin at even offsets.
 */
export function utf16lePendingLength(bytes: Uint8Array, start: number): number {
  const n = bytes.length;
  const odd = (start + n) % 2;
  const end = n - odd;
  if (end >= 2) {
    const u = bytes[end - 2]! | (bytes[end - 1]! << 8);
    if (u >= 0xd800 && u <= 0xdbff) return odd + 2;
  }
  return odd;
}
