/**
 * Sorts finite doubles ascending in place (−0 before +0, as TypedArray.prototype.sort does). The t-digest sorts
 * every buffered run of values, so this is the hot loop of every drift check.
 *
 * Doubles map to unsigned keys whose order is theirs (sign bit flipped for positives, all bits for negatives).
 * The fast path sorts by the high 32 bits of the key only (sign, exponent and 20 mantissa bits: three 11-bit LSD
 * radix passes, their histograms counted in the one pass that makes the keys, skipping a pass whose digit is the
 * same in every key), carrying the values along, then an
 * insertion pass orders the values that share those 32 bits (they are adjacent, and at most about one in a million
 * apart, so in typical data there are few). Data that keeps many such near-equal values in a run (timestamps in
 * milliseconds, say) exhausts the insertion pass's budget and is sorted again on the whole 64-bit key
 * (sortFullKey). Either way the order is exact, so the digest is unchanged. Measured on 4,128 normal values (the
 * digest's buffer), CPU time per value: fast path 23–28 ns (20 ns with the histograms in one pass), full key 44–48 ns, the built-in sort 80–90 ns.
 */
let keys = new Uint32Array(0);
let keysB = new Uint32Array(0);
let valuesB = new Float64Array(0);
let hiA = new Uint32Array(0);
let loA = new Uint32Array(0);
let hiB = new Uint32Array(0);
let loB = new Uint32Array(0);
const counts = new Int32Array(2048);
/** The three 11-bit digit histograms of the fast path, counted in the one pass that makes the keys. */
const digitCounts = new Int32Array(3 * 2048);

export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 64) return values.sort();
  if (keys.length < n) {
    keys = new Uint32Array(n);
    keysB = new Uint32Array(n);
    valuesB = new Float64Array(n);
  }
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2); // little-endian: [lo, hi] per value
  let sk = keys;
  let sv: Float64Array = values;
  let dk = keysB;
  let dv: Float64Array = valuesB;
  const hist = digitCounts;
  hist.fill(0);
  for (let i = 0; i < n; i++) {
    const hi = words[2 * i + 1];
    const k = hi & 0x80000000 ? ~hi >>> 0 : (hi | 0x80000000) >>> 0;
    sk[i] = k;
    hist[k & 2047]++;
    hist[2048 + ((k >>> 11) & 2047)]++;
    hist[4096 + (k >>> 22)]++;
  }
  for (let pass = 0; pass < 3; pass++) {
    const shift = 11 * pass;
    const base = 2048 * pass;
    if (hist[base + ((sk[0] >>> shift) & 2047)] === n) continue; // every key has this digit
    let sum = 0;
    for (let d = base; d < base + 2048; d++) {
      const c = hist[d];
      hist[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = sk[i];
      const p = hist[base + ((k >>> shift) & 2047)]++;
      dk[p] = k;
      dv[p] = sv[i];
    }
    const k = sk;
    sk = dk;
    dk = k;
    const v = sv;
    sv = dv;
    dv = v;
  }
  if (sv !== values) values.set(sv.subarray(0, n));
  // Values sharing their high 32 bits are adjacent and of one sign: order them by value (−0 and +0 differ there).
  let budget = 2 * n;
  for (let j = 1; j < n; j++) {
    const x = values[j];
    if (!(values[j - 1] > x)) continue;
    let k = j - 1;
    do {
      values[k + 1] = values[k];
      k--;
    } while (k >= 0 && values[k] > x);
    values[k + 1] = x;
    budget -= j - 1 - k;
    if (budget < 0) return sortFullKey(values);
  }
  return values;
}

/** LSD radix sort on the whole 64-bit key, 11 bits per pass, skipping a pass whose digit is the same in every key. */
function sortFullKey(values: Float64Array): Float64Array {
  const n = values.length;
  if (hiA.length < n) {
    hiA = new Uint32Array(n);
    loA = new Uint32Array(n);
    hiB = new Uint32Array(n);
    loB = new Uint32Array(n);
  }
  const words = new Uint32Array(values.buffer, values.byteOffset, n * 2);
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
    if (counts[digit(sh[0], sl[0], bit)] === n) continue;
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
