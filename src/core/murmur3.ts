/**
 * MurmurHash3, x86 32-bit, over the UTF-16 code units' low bytes — the same input handling as the
 * `murmurhash-js` package the reference SDK uses for bucketing, so a visitor lands in the same
 * traffic and distribution bucket here as there.
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  const len = text.length;
  const rem = len & 3;
  const bytes = len - rem;
  let i = 0;
  while (i < bytes) {
    let k =
      (text.charCodeAt(i) & 0xff) |
      ((text.charCodeAt(i + 1) & 0xff) << 8) |
      ((text.charCodeAt(i + 2) & 0xff) << 16) |
      ((text.charCodeAt(i + 3) & 0xff) << 24);
    i += 4;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (rem) {
    case 3: k ^= (text.charCodeAt(i + 2) & 0xff) << 16; // falls through
    case 2: k ^= (text.charCodeAt(i + 1) & 0xff) << 8; // falls through
    case 1:
      k ^= text.charCodeAt(i) & 0xff;
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A roll in [0, 1] for bucketing, as wire-format.md defines it. */
export const roll = (text: string): number => murmur3(text, 0) / 4294967295;
