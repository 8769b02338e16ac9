import { CategoricalProfile, DatasetProfile, defaultMethod, evaluateDrift, isDrifted, NumericProfile, parseBaseline, type BaselineFile, type FeatureSpec } from '../../core';
import { ksPValue } from '../../core/drift/evaluate';
import { chiSquarePValue, jensenShannon, lInfinity, psi } from '../../core/drift/private/metrics';
import { gammaQ } from '../../core/drift/private/special';
import { assembleBaseline, binSpecs, windowSpecs } from '../../core/profile/baseline';
import { decileEdges } from '../../core/profile/private/bins';
import { sketchCdf, cdfQuantile } from '../../core/profile/private/sketch-cdf';
import { TDigest } from '../../core/profile/private/tdigest';
import { parseNumeric } from '../../core/profile/values';
import { lcg } from './reference-samples';

function build(features: FeatureSpec[], rows: unknown[][], options: { categoryCap?: number } = {}): BaselineFile {
  const first = new DatasetProfile(features, options);
  rows.forEach((r) => first.addRow(r));
  const binned = new DatasetProfile(binSpecs(first), options);
  rows.forEach((r) => binned.addRow(r));
  return parseBaseline(JSON.parse(JSON.stringify(assembleBaseline(first, binned, options.categoryCap ?? 1000))));
}

function windowOf(baseline: BaselineFile, rows: unknown[][]): DatasetProfile {
  const w = new DatasetProfile(windowSpecs(baseline));
  rows.forEach((r) => w.addRow(r));
  return w;
}

const features: FeatureSpec[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'city', kind: 'categorical' },
];
const u = lcg(7);
const baseRows = Array.from({ length: 2000 }, () => [u() * 10, u() < 0.7 ? 'paris' : 'lyon']);

describe('baseline', () => {
  const baseline = build(features, baseRows);
  test('numeric: decile edges, bins from the second pass, moments, sketch', () => {
    const x = baseline.features[0];
    if (x.kind !== 'numeric') throw new Error('expected numeric');
    expect(x.bins.edges).toHaveLength(9);
    x.bins.edges.forEach((e, i) => expect(Math.abs(e - (i + 1))).toBeLessThan(0.3));
    expect(x.bins.counts.reduce((a, b) => a + b, 0)).toBe(2000);
    x.bins.counts.forEach((c) => expect(Math.abs(c - 200)).toBeLessThan(30));
    expect(x.mean).toBeCloseTo(5, 0);
    expect(x.std).toBeCloseTo(10 / Math.sqrt(12), 1);
    expect(x.sketch.weights.reduce((a, b) => a + b, 0)).toBe(2000);
  });
  test('categorical: categories by count then __other__', () => {
    const c = baseline.features[1];
    if (c.kind !== 'categorical') throw new Error('expected categorical');
    expect(c.bins.categories).toEqual(['paris', 'lyon']);
    expect(c.bins.counts[2]).toBe(0);
  });
  test('parseBaseline rejects malformed files with a one-line reason', () => {
    expect(() => parseBaseline({})).toThrow(/invalid baseline: schemaVersion/);
    const bad = JSON.parse(JSON.stringify(baseline));
    bad.features[0].bins.counts.pop();
    expect(() => parseBaseline(bad)).toThrow(/expected 10 bin counts/);
    const unsorted = JSON.parse(JSON.stringify(baseline));
    unsorted.features[0].bins.edges.reverse();
    expect(() => parseBaseline(unsorted)).toThrow(/strictly ascending/);
  });
});

describe('evaluateDrift', () => {
  const baseline = build(features, baseRows);
  test('no drift on a fresh sample; drift on a shifted one', () => {
    const v = lcg(8);
    const same = evaluateDrift(baseline, windowOf(baseline, Array.from({ length: 3000 }, () => [v() * 10, v() < 0.7 ? 'paris' : 'lyon'])));
    expect(same.features.map((f) => [f.method, f.drifted])).toEqual([
      ['wasserstein', false],
      ['jensenshannon', false],
    ]);
    expect(same.drifted).toBe(false);
    const shifted = evaluateDrift(
      baseline,
      windowOf(baseline, Array.from({ length: 3000 }, () => [v() * 10 + 3, v() < 0.2 ? 'paris' : 'nice'])),
    );
    expect(shifted.features.every((f) => f.drifted)).toBe(true);
    expect(shifted.drifted).toBe(true);
    expect(shifted.driftShare).toBe(1);
    const city = shifted.features[1];
    expect(city.histogram.labels).toEqual(['paris', 'lyon', '__other__']);
    expect(city.metrics.chiSquarePValue).toBe(0); // unseen values in __other__ with zero expectation
    expect(city.metrics.lInfinity).toBeGreaterThan(0.5);
    expect(Object.keys(shifted.features[0].metrics)).toEqual(['psi', 'jensenShannon', 'ks', 'wasserstein']);
    expect(Object.keys(city.metrics)).toEqual(['psi', 'jensenShannon', 'lInfinity', 'chiSquarePValue']);
  });

  test('overrides, thresholds and the dataset share', () => {
    const v = lcg(9);
    const w = windowOf(baseline, Array.from({ length: 1000 }, () => [v() * 10 + 1, 'paris']));
    const r = evaluateDrift(baseline, w, {
      overrides: { x: { method: 'ks', threshold: 0.01 }, city: { method: 'chisquare' } },
      driftShare: 0.4,
    });
    expect(r.features[0].method).toBe('ks');
    expect(r.features[0].threshold).toBe(0.01);
    expect(r.features[0].score).toBeLessThan(0.01); // a p-value
    expect(r.features[1].method).toBe('chisquare');
    expect(r.driftShareThreshold).toBe(0.4);
    expect(() => evaluateDrift(baseline, w, { overrides: { city: { method: 'wasserstein' } } })).toThrow(/does not apply/);
    const linf = evaluateDrift(baseline, w, { overrides: { city: { method: 'linf', threshold: 0.2 } } });
    expect(linf.features[1].score).toBeCloseTo(0.3, 1);
    const psiOnly = evaluateDrift(baseline, w, { overrides: { x: { method: 'psi' }, city: { method: 'psi' } } });
    expect(psiOnly.features.map((f) => f.score)).toEqual(psiOnly.features.map((f) => f.metrics.psi));
    const js = evaluateDrift(baseline, w, { overrides: { x: { method: 'jensenshannon' } } });
    expect(js.features[0].score).toBe(js.features[0].metrics.jensenShannon);
  });

  test('a window with other features is rejected', () => {
    const other = new DatasetProfile([{ name: 'y', kind: 'numeric' }, { name: 'city', kind: 'categorical', categories: [] }]);
    expect(() => evaluateDrift(baseline, other)).toThrow(/is not x/);
  });

  test('small baselines use KS; capped categories are noted', () => {
    const small = build(
      [
        { name: 'x', kind: 'numeric' },
        { name: 'id', kind: 'categorical' },
      ],
      Array.from({ length: 60 }, (_, i) => [i, `id-${i % 30}`]),
      { categoryCap: 2 },
    );
    const r = evaluateDrift(small, windowOf(small, [[1, 'id-1']]));
    expect(r.features[0].method).toBe('ks');
    expect(r.notes).toEqual(['id: baseline kept the top 2 categories; 56 rows (93.3%) of rarer values are counted in __other__.']);
    const id = small.features[1];
    if (id.kind !== 'categorical') throw new Error('expected categorical');
    expect(id.bins.categories).toEqual(['id-0', 'id-1']);
    expect(id.bins.counts).toEqual([2, 2, 56]);
  });
});

describe('building blocks', () => {
  test('default methods and drift direction', () => {
    expect(defaultMethod('numeric', 1001)).toBe('wasserstein');
    expect(defaultMethod('numeric', 1000)).toBe('ks');
    expect(defaultMethod('categorical', 5)).toBe('jensenshannon');
    expect(isDrifted('ks', 0.01, 0.05)).toBe(true);
    expect(isDrifted('psi', 0.1, 0.1)).toBe(true);
    expect(isDrifted('psi', 0.09, 0.1)).toBe(false);
  });
  test('metrics with an empty side report no drift, and mismatched bins throw', () => {
    for (const [a, b] of [
      [[0, 0], [1, 2]],
      [[3, 1], [0, 0]],
    ]) {
      expect(psi(a, b)).toBe(0);
      expect(jensenShannon(a, b)).toBe(0);
      expect(lInfinity(a, b)).toBe(0);
      expect(chiSquarePValue(a, b)).toBe(1);
    }
    expect(chiSquarePValue([5, 0], [3, 0])).toBe(1); // one bin left: no degrees of freedom
    expect(() => psi([1], [1, 2])).toThrow(/differ in length/);
    expect(ksPValue(0.5, 0, 10)).toBe(1);
    expect(() => gammaQ(0, 1)).toThrow(RangeError);
    expect(gammaQ(2, 0)).toBe(1);
    expect(gammaQ(2, Infinity)).toBe(0);
  });
  test('numeric cells: numbers, numeric text, NA tokens, junk', () => {
    const p = new NumericProfile([0]);
    for (const v of [1, '2.5', ' -3 ', NaN, null, undefined, '', 'nan', 'NULL', 'abc', Infinity, true, {}]) p.add(v);
    expect([p.count, p.missing, p.invalid]).toEqual([3, 6, 4]);
    expect(Array.from(p.binCounts)).toEqual([1, 2]);
    const out = { value: 0, status: 0 };
    parseNumeric('1e3', out);
    expect(out).toEqual({ value: 1000, status: 0 });
  });
  test('categorical cells: strings, numbers, booleans, objects; fixed-bin merge', () => {
    const a = new CategoricalProfile(['1', 'true']);
    for (const v of [1, true, 'x', { k: 1 }, null, '', NaN]) a.add(v);
    const b = new CategoricalProfile(['1', 'true']);
    b.add('1');
    a.merge(b);
    expect(Array.from(a.binCounts)).toEqual([2, 1, 2]);
    expect([a.count, a.missing]).toEqual([5, 3]);
    expect(() => a.merge(new CategoricalProfile(null))).toThrow(/different bins/);
    expect(() => new NumericProfile([1]).merge(new NumericProfile([2]))).toThrow(/different bin edges/);
  });
  test('categorical cells as UTF-8 bytes count exactly as the same strings do; other bytes are left to the string path', () => {
    // 40 categories (some sharing hash slots in the 128-slot table), one non-ASCII, one a prefix of another.
    const categories = [...Array.from({ length: 38 }, (_, i) => `cat${i}`), 'Zürich', 'cat1 '];
    const cells = ['cat1', 'Zürich', 'cat1 ', 'cat37', 'zurich', 'cat', '', 'cat1', 'Zu\u0308rich'];
    const byBytes = new CategoricalProfile(categories);
    const byString = new CategoricalProfile(categories);
    for (const cell of cells) {
      const bytes = Buffer.from(`,${cell},`);
      if (!byBytes.addBytes(bytes, 1, bytes.length - 1)) byBytes.add(cell);
      byString.add(cell);
    }
    expect(byBytes.toState()).toEqual(byString.toState());
    expect(Array.from(byBytes.binCounts)).toEqual([0, 2, ...Array(35).fill(0), 1, 1, 1, 3]);
    expect(new CategoricalProfile(null).addBytes(Buffer.from('cat1'), 0, 4)).toBe(false); // open mode: strings only
  });
  test('open categorical profiles prune to the most frequent past 10× the cap, also on merge', () => {
    const a = new CategoricalProfile(null, 2);
    for (let i = 0; i < 25; i++) a.add(`v${i}`);
    a.add('v0');
    expect(a.counts.size).toBeLessThanOrEqual(20);
    expect(a.counts.get('v0')).toBe(2);
    const b = new CategoricalProfile(null, 2);
    for (let i = 100; i < 119; i++) b.add(`v${i}`);
    a.merge(b);
    expect(a.counts.size).toBeLessThanOrEqual(20);
    expect(a.count).toBe(26 + 19);
  });
  test('dataset merge checks features; invalid samples are capped', () => {
    const a = new DatasetProfile(features);
    const b = new DatasetProfile(features);
    for (let i = 0; i < 12; i++) b.addInvalid(i + 1, 'bad');
    a.merge(b);
    expect(a.invalidRows).toBe(12);
    expect(a.invalidSamples).toHaveLength(10);
    expect(() => a.merge(new DatasetProfile([features[0]]))).toThrow(/different features/);
    expect(() => a.merge(new DatasetProfile([features[1], features[0]]))).toThrow(/different features/);
    const swapped = new DatasetProfile([
      { name: 'x', kind: 'categorical' },
      { name: 'city', kind: 'categorical' },
    ]);
    expect(() => a.merge(swapped)).toThrow(/different kinds/);
  });
  test('t-digest: serialisation round trip, empty digests, bad input', () => {
    const d = new TDigest(50);
    for (let i = 0; i < 5000; i++) d.add(i % 100);
    const copy = TDigest.fromJSON(JSON.parse(JSON.stringify(d.toJSON())));
    expect(copy.count).toBe(5000);
    expect(copy.toJSON()).toEqual(d.toJSON());
    expect(cdfQuantile(sketchCdf(copy), 0.5)).toBeCloseTo(49.5, 0);
    const empty = new TDigest(50);
    d.merge(empty);
    expect(d.count).toBe(5000);
    expect(decileEdges(sketchCdf(empty))).toEqual([]);
    expect(cdfQuantile(sketchCdf(empty), 0.5)).toBeNaN();
    expect(() => new TDigest(1)).toThrow(RangeError);
    expect(() => TDigest.fromJSON({ compression: 50, min: 0, max: 1, means: [0], weights: [] })).toThrow(/differ in length/);
  });
});
