import fc from 'fast-check';
import { sortFloat64 } from '../../core/profile/private/radix-sort';

test('sortFloat64 orders finite doubles exactly as TypedArray.prototype.sort (−0 before +0)', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, -1, 5e-324, -5e-324)), { minLength: 0, maxLength: 600 }), (xs) => {
      const a = sortFloat64(Float64Array.from(xs));
      const b = Float64Array.from(xs).sort();
      return a.every((v, i) => Object.is(v, b[i]));
    }),
    { numRuns: 300 },
  );
  // One magnitude and sign: the skipped high-digit passes.
  const same = Float64Array.from({ length: 5000 }, (_, i) => 10 + ((i * 7919) % 5000) / 1e4);
  expect(Array.from(sortFloat64(same.slice()))).toEqual(Array.from(same.slice().sort()));
});

test('sortFloat64 orders values that share their high 32 bits exactly (the insertion pass and the whole-key fallback)', () => {
  // Few per high word (the insertion pass), many (timestamps in ms: the fallback), and repeats (integers).
  const near = Float64Array.from({ length: 5000 }, (_, i) => 1 + ((Math.floor(i / 2) * 7919) % 2500) * 2 ** -18 + (i % 2 ? 0 : 2 ** -40));
  const timestamps = Float64Array.from({ length: 5000 }, (_, i) => 1.7e12 + ((i * 7919) % 5000) * 997);
  const integers = Float64Array.from({ length: 5000 }, (_, i) => ((i * 7919) % 100) - 50);
  const signed = Float64Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : ((i * 7919) % 5000) * (i % 2 ? 1e-3 : -1e-3)));
  for (const xs of [near, timestamps, integers, signed]) {
    const a = sortFloat64(xs.slice());
    const b = xs.slice().sort();
    expect(a.every((v, i) => Object.is(v, b[i]))).toBe(true);
  }
});
