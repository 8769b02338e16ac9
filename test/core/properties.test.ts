import fc from 'fast-check';
import { CategoricalProfile, DatasetProfile, evaluateDrift, NumericProfile, parseBaseline, type FeatureSpec } from '../../core';
import { assembleBaseline, binSpecs, windowSpecs } from '../../core/profile/baseline';
import { cdfAt, sketchCdf } from '../../core/profile/private/sketch-cdf';

const specs: FeatureSpec[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'c', kind: 'categorical' },
];

type Row = [number | null, string | null];
const cell = fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: -5, max: 5 }), fc.constant(null));
const category = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd'), fc.constant(null));
const rows = (min: number, max: number) => fc.array(fc.tuple(cell, category) as fc.Arbitrary<Row>, { minLength: min, maxLength: max, size: 'max' });

function profileOf(data: Row[], features: FeatureSpec[] = specs, compression = 50): DatasetProfile {
  const p = new DatasetProfile(features, { compression });
  for (const r of data) p.addRow(r);
  return p;
}

/** baseline.json from data, through a JSON round trip as the CLI does. */
function baselineOf(data: Row[]) {
  const first = profileOf(data);
  const binned = profileOf(data, binSpecs(first));
  return parseBaseline(JSON.parse(JSON.stringify(assembleBaseline(first, binned, 1000))));
}

/** What a merge must preserve exactly (sketch quantiles are checked separately, within tolerance). */
function exactSummary(p: DatasetProfile) {
  const x = p.profiles[0] as NumericProfile;
  const c = p.profiles[1] as CategoricalProfile;
  return {
    rows: p.rows,
    n: x.count,
    missing: x.missing,
    bins: Array.from(x.binCounts),
    sketchCount: x.sketch.count,
    min: x.count ? x.sketch.min : null,
    max: x.count ? x.sketch.max : null,
    cats: [...c.counts.entries()].sort(),
    catMissing: c.missing,
  };
}

const close = (a: number, b: number, scale: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, scale);

describe('profile properties', () => {
  test('identical data → zero drift', () => {
    fc.assert(
      fc.property(rows(1, 200), (data) => {
        const baseline = baselineOf(data);
        const window = profileOf(data, windowSpecs(baseline));
        const report = evaluateDrift(baseline, window, { overrides: { x: { method: 'psi' } } });
        for (const f of report.features) {
          expect(f.drifted).toBe(false);
          expect(f.metrics.psi).toBeCloseTo(0, 12);
          expect(f.metrics.jensenShannon).toBeCloseTo(0, 12);
          if (f.kind === 'numeric') {
            expect(f.metrics.ks).toBe(0);
            expect(f.metrics.wasserstein).toBe(0);
          } else {
            expect(f.metrics.lInfinity).toBe(0);
            expect(f.metrics.chiSquarePValue).toBeCloseTo(1, 12);
          }
        }
        expect(report.drifted).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  test('merge is associative and order-independent (exact parts), and matches one pass', () => {
    fc.assert(
      fc.property(rows(0, 120), rows(0, 120), rows(0, 120), (a, b, c) => {
        const edges: FeatureSpec[] = [
          { name: 'x', kind: 'numeric', edges: [-100, 0, 1, 1000] },
          { name: 'c', kind: 'categorical' },
        ];
        const left = profileOf(a, edges);
        const ab = profileOf(b, edges);
        ab.merge(profileOf(c, edges));
        left.merge(ab); // A ∪ (B ∪ C)
        const right = profileOf(c, edges);
        right.merge(profileOf(b, edges));
        right.merge(profileOf(a, edges)); // (C ∪ B) ∪ A
        const onePass = profileOf([...a, ...b, ...c], edges);
        expect(exactSummary(left)).toEqual(exactSummary(onePass));
        expect(exactSummary(right)).toEqual(exactSummary(onePass));
        const m1 = (left.profiles[0] as NumericProfile).moments;
        const m2 = (right.profiles[0] as NumericProfile).moments;
        const m0 = (onePass.profiles[0] as NumericProfile).moments;
        for (const m of [m1, m2]) {
          expect(close(m.mean, m0.mean, Math.abs(m0.mean))).toBe(true);
          expect(Math.abs(m.m2 - m0.m2)).toBeLessThanOrEqual(1e-6 * Math.max(1, m0.m2));
        }
      }),
      { numRuns: 80 },
    );
  });

  test('a merged sketch stays within 2π/δ of the exact CDF on continuous data', () => {
    // t-digest has no worst-case guarantee (see tdigest.ts): heavy atoms next to near-equal values can
    // exceed this, so the property draws uniform values (fast-check's doubles are log-scaled).
    const compression = 100;
    const uniform = fc.noBias(fc.integer({ min: -1e9, max: 1e9 })).map((i) => i / 1e6);
    const values = fc.noBias(fc.array(uniform, { minLength: 1, maxLength: 3000, size: 'max' }));
    fc.assert(
      fc.property(values, fc.nat(), (xs, cut) => {
        const k = cut % (xs.length + 1);
        const one = new NumericProfile([], compression);
        xs.forEach((x) => one.add(x));
        const a = new NumericProfile([], compression);
        const b = new NumericProfile([], compression);
        xs.slice(0, k).forEach((x) => a.add(x));
        xs.slice(k).forEach((x) => b.add(x));
        b.merge(a);
        expect(b.sketch.count).toBe(one.sketch.count);
        expect(b.sketch.min).toBe(one.sketch.min);
        expect(b.sketch.max).toBe(one.sketch.max);
        const sorted = [...xs].sort((p, q) => p - q);
        const cdf = sketchCdf(b.sketch);
        for (let i = 0; i < sorted.length; i += 5) {
          let hi = i;
          while (hi < sorted.length && sorted[hi] <= sorted[i]) hi++;
          expect(Math.abs(cdfAt(cdf, sorted[i]) - hi / sorted.length)).toBeLessThanOrEqual((2 * Math.PI) / compression);
        }
      }),
      { numRuns: 60, seed: 42, endOnFailure: true },
    );
  });

  test('metrics are finite for degenerate inputs', () => {
    const degenerate = fc.oneof(
      fc.constant<Row[]>([]),
      fc.constant<Row[]>([[null, null]]),
      fc.tuple(fc.double({ noNaN: true, min: -1e9, max: 1e9 }), fc.constantFrom('a', 'z')).map(([x, c]): Row[] => [[x, c]]),
      fc.tuple(fc.integer({ min: -3, max: 3 }), fc.nat(50)).map(([x, n]): Row[] => Array.from({ length: n + 1 }, () => [x, 'only'])),
      fc.nat(30).map((n): Row[] => Array.from({ length: n + 1 }, () => [null, null])),
    );
    fc.assert(
      fc.property(degenerate, degenerate, fc.constantFrom('psi', 'jensenshannon', 'wasserstein', 'ks'), (base, cur, method) => {
        const baseline = baselineOf(base);
        const window = profileOf(cur, windowSpecs(baseline));
        const report = evaluateDrift(baseline, window, { overrides: { x: { method: method as 'psi' } } });
        expect(Number.isFinite(report.driftShare)).toBe(true);
        for (const f of report.features) {
          expect(Number.isFinite(f.score)).toBe(true);
          for (const v of Object.values(f.metrics)) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
