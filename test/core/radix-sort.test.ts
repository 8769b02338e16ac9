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
