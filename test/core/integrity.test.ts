import { Readable } from 'node:stream';
import { DatasetProfile, evaluateDrift, INTEGRITY_DEFAULTS, integrityThresholds, parseBaseline, readStreamRows, worstStatus, type BaselineFile, type DriftReport, type FeatureSpec } from '../../core';
import { normalUpperTail, rateIncreasePValue } from '../../core/drift/integrity';
import { assembleBaseline, binSpecs, windowSpecs } from '../../core/profile/baseline';
import { lcg } from './reference-samples';

const features: FeatureSpec[] = [
  { name: 'x', kind: 'numeric' },
  { name: 'city', kind: 'categorical' },
];

/** Seeded rows of (x, city): x missing with probability `missing`, cities drawn from `cities`. */
function rows(n: number, seed: number, missing = 0.03, cities = ['paris', 'lyon']): unknown[][] {
  const u = lcg(seed);
  return Array.from({ length: n }, () => [u() < missing ? null : u() * 10, cities[Math.floor(u() * cities.length)]]);
}

function build(data: unknown[][]): BaselineFile {
  const first = new DatasetProfile(features);
  data.forEach((r) => first.addRow(r));
  const binned = new DatasetProfile(binSpecs(first));
  data.forEach((r) => binned.addRow(r));
  return parseBaseline(JSON.parse(JSON.stringify(assembleBaseline(first, binned, 1000))));
}

/** Reads JSON Lines text through the real reader into a window profile and evaluates it. */
async function check(baseline: BaselineFile, lines: string[]): Promise<DriftReport> {
  const window = new DatasetProfile(windowSpecs(baseline));
  await readStreamRows(Readable.from([lines.join('\n')]), 'jsonl', baseline.features.map((f) => f.name), window);
  return evaluateDrift(baseline, window);
}

const jsonl = (data: unknown[][]) => data.map(([x, city]) => JSON.stringify({ x, city }));
const featureCheck = (r: DriftReport, feature: string, check: string) => r.features.find((f) => f.name === feature)!.integrity.find((c) => c.check === check)!;
const windowCheck = (r: DriftReport, check: string) => r.integrity.checks.find((c) => c.check === check)!;

const baseline = build(rows(1000, 1));

describe('the rate test', () => {
  test('normal upper tail matches the standard normal table', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 12);
    expect(normalUpperTail(1.959963984540054)).toBeCloseTo(0.025, 9);
    expect(normalUpperTail(-1.6448536269514729)).toBeCloseTo(0.95, 9);
    expect(normalUpperTail(Infinity)).toBe(0);
  });

  test('two-proportion z-test: 3 % → 61 % is significant, 3 % → 3.4 % on 1k rows is not', () => {
    expect(rateIncreasePValue(30, 1000, 610, 1000)).toBeLessThan(1e-100);
    // z = (0.034 − 0.03) / sqrt(0.032·0.968·(2/1000)) = 0.5082 → p = scipy.stats.norm.sf(z) = 0.3057
    expect(rateIncreasePValue(30, 1000, 34, 1000)).toBeCloseTo(0.3056, 3);
    expect(rateIncreasePValue(0, 1000, 0, 1000)).toBe(1);
    expect(rateIncreasePValue(0, 0, 5, 10)).toBe(1);
  });

  test('statuses combine worst first', () => {
    expect(worstStatus(['ok', 'warn'])).toBe('warn');
    expect(worstStatus(['warn', 'insufficient-data', 'ok'])).toBe('insufficient-data');
    expect(worstStatus(['insufficient-data', 'fail'])).toBe('fail');
    expect(worstStatus([])).toBe('ok');
  });

  test('thresholds: defaults in one place, overrides validated', () => {
    expect(integrityThresholds()).toEqual(INTEGRITY_DEFAULTS);
    expect(integrityThresholds({ minRows: 10, missingRateIncrease: undefined }).missingRateIncrease).toBe(INTEGRITY_DEFAULTS.missingRateIncrease);
    expect(() => integrityThresholds({ minRows: 0, significance: 2 })).toThrow('integrity thresholds: minRows 0: expected a positive integer; significance 2: expected more than 0 and less than 1');
  });
});

describe('integrity checks of a window', () => {
  test('a clean window: every check ok', async () => {
    const r = await check(baseline, jsonl(rows(1000, 2)));
    expect(r.integrity).toMatchObject({ status: 'ok', failed: [] });
    expect(r.integrity.checks.map((c) => [c.check, c.status])).toEqual([
      ['rows', 'ok'],
      ['malformedRows', 'ok'],
      ['missingColumns', 'ok'],
      ['unexpectedColumns', 'ok'],
    ]);
    expect(r.features[0].integrity.map((c) => c.check)).toEqual(['values', 'missingRate', 'wrongType']);
    expect(r.features[1].integrity.map((c) => c.check)).toEqual(['values', 'missingRate', 'newCategories']);
    expect(r.features.map((f) => f.status)).toEqual(['ok', 'ok']);
    for (const c of [...r.integrity.checks, ...r.features.flatMap((f) => f.integrity)]) expect(c.reason).not.toBe('');
  });

  test('missing rate 3 % → 61 % fails; 3 % → 3.4 % passes', async () => {
    const high = await check(baseline, jsonl(rows(1000, 3, 0.61)));
    expect(featureCheck(high, 'x', 'missingRate')).toMatchObject({ status: 'fail', threshold: 0.05 });
    expect(featureCheck(high, 'x', 'missingRate').reason).toMatch(/^missing 3\.\d% in the baseline → 6\d\.\d% \(\d+ of 1000\): up by at least 5\.0%/);
    expect(high.integrity).toMatchObject({ status: 'fail', failed: ['missingRate:x'] });

    // Exactly 34 of 1000 missing against the baseline's measured rate.
    const base = baseline.features[0];
    const data = rows(1000, 4, 0).map((r, i) => (i < 34 ? [null, r[1]] : r));
    const slight = await check(baseline, jsonl(data));
    expect(base.missing / 1000).toBeGreaterThan(0.02);
    expect(featureCheck(slight, 'x', 'missingRate').status).toBe('ok');
    expect(slight.integrity.status).toBe('ok');
  });

  test('a missing rate that falls to zero warns (a fill value upstream?)', async () => {
    const withMissing = build(rows(1000, 5, 0.3));
    const r = await check(withMissing, jsonl(rows(1000, 6, 0)));
    expect(featureCheck(r, 'x', 'missingRate')).toMatchObject({ status: 'warn', current: 0 });
    expect(r.integrity.status).toBe('warn');
  });

  test('a renamed column: missing column fails, the new name is unexpected, the feature has insufficient data', async () => {
    const r = await check(baseline, rows(1000, 7).map(([x, city]) => JSON.stringify({ x, town: city })));
    expect(windowCheck(r, 'missingColumns')).toMatchObject({ status: 'fail', columns: ['city'] });
    expect(windowCheck(r, 'unexpectedColumns')).toMatchObject({ status: 'warn', columns: ['town'], reason: 'columns that are not features: "town" (1000 rows)' });
    expect(r.features[1]).toMatchObject({ status: 'insufficient-data', drifted: false });
    expect(r.integrity.failed).toEqual(['missingColumns', 'values:city', 'missingRate:city', 'newCategories:city']);
  });

  test('numeric values of the wrong type fail past the increase; a few typos only warn or pass', async () => {
    const text = rows(1000, 8).map(([x, city], i) => JSON.stringify({ x: i % 5 === 0 ? 'n/a-ish' : x, city }));
    const r = await check(baseline, text);
    expect(featureCheck(r, 'x', 'wrongType')).toMatchObject({ status: 'fail', baseline: 0 });
    expect(featureCheck(r, 'x', 'wrongType').current).toBeCloseTo(0.2, 1);
    const typo = await check(baseline, rows(1000, 9).map(([x, city], i) => JSON.stringify({ x: i === 0 ? 'oops' : x, city })));
    expect(featureCheck(typo, 'x', 'wrongType').status).toBe('ok');
  });

  test('new categories: a large unseen share fails', async () => {
    const r = await check(baseline, jsonl(rows(1000, 10, 0.03, ['paris', 'lyon', 'nice'])));
    expect(featureCheck(r, 'city', 'newCategories')).toMatchObject({ status: 'fail', baseline: 0 });
    expect(featureCheck(r, 'city', 'newCategories').reason).toMatch(/^unseen categories 0\.0% in the baseline → 3\d\.\d%/);
  });

  test('an empty window and a small one are insufficient data, never ok', async () => {
    const empty = await check(baseline, []);
    expect(empty.driftStatus).toBe('insufficient-data');
    expect(empty.drifted).toBe(false);
    expect(windowCheck(empty, 'rows')).toMatchObject({ status: 'insufficient-data', reason: '0 rows in the window; at least 100 are needed' });
    expect(empty.integrity.status).toBe('insufficient-data');
    expect(empty.features.every((f) => f.status === 'insufficient-data')).toBe(true);

    const small = await check(baseline, jsonl(rows(40, 11)));
    expect(small.integrity.status).toBe('insufficient-data');
    expect(small.features[0]).toMatchObject({ status: 'insufficient-data', reason: expect.stringMatching(/^\d+ values in the window; the drift test needs at least 100$/) });
  });

  test('a baseline with too few rows makes every feature insufficient data', async () => {
    const tiny = build(rows(50, 12));
    const r = await check(tiny, jsonl(rows(1000, 13)));
    expect(r.features.map((f) => f.status)).toEqual(['insufficient-data', 'insufficient-data']);
    expect(r.features[0].reason).toMatch(/^the baseline has \d+ values; the drift test needs at least 100$/);
    expect(r.driftStatus).toBe('insufficient-data');
  });

  test('malformed rows beyond the baseline share fail', async () => {
    const lines = jsonl(rows(1000, 14)).map((l, i) => (i % 4 === 0 ? '{broken' : l));
    const r = await check(baseline, lines);
    expect(windowCheck(r, 'malformedRows')).toMatchObject({ status: 'fail', baseline: 0, current: 0.25 });
  });

  test('the drift share counts only features with enough values', async () => {
    const r = await check(baseline, rows(1000, 15).map(([x]) => JSON.stringify({ x: (x as number) + 5 })));
    expect(r.features.map((f) => f.status)).toEqual(['drift', 'insufficient-data']);
    expect(r.driftShare).toBe(1);
    expect(r.drifted).toBe(true);
  });

  test('absent cells and unexpected columns survive toState/fromState and merge (the fan-out path)', async () => {
    const a = new DatasetProfile(windowSpecs(baseline));
    const b = new DatasetProfile(windowSpecs(baseline));
    await readStreamRows(Readable.from([jsonl(rows(300, 16)).join('\n')]), 'jsonl', ['x', 'city'], a);
    await readStreamRows(Readable.from([rows(300, 17).map(([x]) => JSON.stringify({ x, extra: 1 })).join('\n')]), 'jsonl', ['x', 'city'], b);
    const merged = DatasetProfile.fromState(JSON.parse(JSON.stringify(a.toState())));
    merged.merge(DatasetProfile.fromState(JSON.parse(JSON.stringify(b.toState()))));
    expect(merged.profiles[1].absent).toBe(300);
    expect([...merged.unexpectedColumns]).toEqual([['extra', 300]]);
    const r = evaluateDrift(baseline, merged);
    expect(featureCheck(r, 'city', 'missingRate').status).toBe('fail');
    expect(windowCheck(r, 'missingColumns').status).toBe('ok'); // present in half the rows
  });

  test('a CSV header with a tab hints at a tab-separated file', async () => {
    const window = new DatasetProfile(windowSpecs(baseline));
    await readStreamRows(Readable.from(['x\tcity\n', ...rows(200, 18).map(([x, c]) => `${x}\t${c}\n`)]), 'csv', ['x', 'city'], window);
    const r = evaluateDrift(baseline, window);
    expect(windowCheck(r, 'missingColumns')).toMatchObject({ status: 'fail', columns: ['x', 'city'] });
    expect(windowCheck(r, 'unexpectedColumns').reason).toMatch(/is the file tab-separated\?/);
  });
});
