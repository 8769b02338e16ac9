/**
 * Sorts finite doubles ascending in place (−0 before +0, as TypedArray.prototype.sort does), by an LSD radix
 * sort on their IEEE-754 bits mapped to unsigned keys (sign bit flipped for positives, all bits for negatives),
 * 11 bits per pass, skipping passes whose digit is the same in every key (the high bits of values of one sign
 * and magnitude). The t-digest sorts every 4,128 buffered values; on this machine this took about half the time
 * of the built-in sort (measured with bench/drift on 1M rows). The order is exact, so the digest is unchanged.
 */
let hiA = new Uint32Array(0);
let loA = new Uint32Array(0);
let hiB = new Uint32Array(0);
let loB = new Uint32Array(0);
const counts = new Uint32Array(2048);

export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 64) return values.sort();
  if (hiA.length < n) {
    hiA = new Uint32Array(n);
    loA = new Uint32Array(n);
    hiB = new Uint32Array(n);
    loB = new Uint32Array(n);
  }
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2); // little-endian: [lo, hi] per value
  let sh = hiA;
  let sl = loA;
  let dh = hiB;
  let dl = loB;
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    if (hi & 0x80000000) {
      sh[i] = ~hi >>> 0;
      sl[i] = ~words[2 * i] >>> 0;
    } else {
      sh[i] = (hi | 0x80000000) >>> 0;
      sl[i] = words[2 * i];
    }
  }
  for (let bit = 0; bit < 64; bit += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[digit(sh[i], sl[i], bit)]++;
    if (counts[digit(sh[0], sl[0], bit)] === n) continue; // every key has this digit
    let sum = 0;
    for (let d = 0; d < 2048; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const p = counts[digit(sh[i], sl[i], bit)]++;
      dh[p] = sh[i];
      dl[p] = sl[i];
    }
    [sh, dh] = [dh, sh];
    [sl, dl] = [dl, sl];
  }
  for (let i = 0; i < n; i++) {
    const hi = sh[i];
    if (hi & 0x80000000) {
      words[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
      words[2 * i] = sl[i];
    } else {
      words[2 * i + 1] = ~hi >>> 0;
      words[2 * i] = ~sl[i] >>> 0;
    }
  }
  return values;
}

/** Bits [bit, bit + 11) of the 64-bit key hi:lo. */
function digit(hi: number, lo: number, bit: number): number {
  if (bit + 11 <= 32) return (lo >>> bit) & 2047;
  if (bit < 32) return ((lo >>> bit) | (hi << (32 - bit))) & 2047;
  return (hi >>> (bit - 32)) & 2047;
}
