import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers';

// The defects of issue 14, as a new user would meet them: each used to pass with "dataset ok" and exit 0.

const dir = mkdtempSync(join(tmpdir(), 'modelstack-integrity-'));
const path = (name: string) => join(dir, name);

/** Seeded CSV rows of (a numeric with `missing` share empty, b numeric, c categorical). */
function csvRows(n: number, seed: number, missing = 0.03): string[] {
  let s = seed;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => [u() < missing ? '' : (u() * 10).toFixed(3), (u() * 5).toFixed(3), ['x', 'y', 'z'][Math.floor(u() * 3)]].join(','));
}

function write(name: string, lines: string[]): string {
  writeFileSync(path(name), lines.length > 0 ? `${lines.join('\n')}\n` : '');
  return path(name);
}

const report = (name = 'report.json') => JSON.parse(readFileSync(path(name), 'utf8'));
const drift = (data: string, ...extra: string[]) => cli(['drift', '--baseline', path('baseline.json'), '--data', data, '--out', path('report.json'), '--fail-on-drift', ...extra]);

beforeAll(async () => {
  const train = write('train.csv', ['a,b,c', ...csvRows(1000, 1)]);
  expect((await cli(['baseline', '--data', train, '--out', path('baseline.json')])).code).toBe(0);
});

describe('drift --fail-on-drift fails on integrity failures, exit 3, naming them', () => {
  test('a clean window passes: exit 0, integrity ok', async () => {
    const r = await drift(write('same.csv', ['a,b,c', ...csvRows(1000, 2)]));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/; dataset ok; integrity ok → /);
  });

  test('a column missing from the window (renamed)', async () => {
    const r = await drift(write('renamed.csv', ['a,b,cc', ...csvRows(1000, 3)]));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/integrity FAIL/);
    expect(r.stderr).toBe('modelstack: integrity check failed: missingColumns: not in any row (renamed or dropped?): c [missingColumns, values:c, missingRate:c, newCategories:c; see the report]\n');
    const json = report();
    expect(json.features.find((f: { name: string }) => f.name === 'c')).toMatchObject({ status: 'insufficient-data', count: 0, missing: 1000 });
    expect(json.integrity.checks.find((c: { check: string }) => c.check === 'unexpectedColumns')).toMatchObject({ status: 'warn', columns: ['cc'] });
  });

  test('a header-only window and an empty one are insufficient data', async () => {
    for (const data of [write('header.csv', ['a,b,c']), write('empty.csv', [])]) {
      const r = await drift(data);
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/over 0 rows, .*dataset INSUFFICIENT DATA; integrity INSUFFICIENT-DATA/);
      expect(r.stderr).toMatch(/^modelstack: integrity check failed: rows: 0 rows in the window; at least 100 are needed \[/);
    }
  });

  test('a TSV read as CSV: every column missing, with a hint', async () => {
    const r = await drift(write('tabs.csv', ['a\tb\tc', ...csvRows(500, 4).map((l) => l.replace(/,/g, '\t'))]));
    expect(r.code).toBe(3);
    const json = report();
    expect(json.integrity.checks.find((c: { check: string }) => c.check === 'missingColumns')).toMatchObject({ status: 'fail', columns: ['a', 'b', 'c'] });
    expect(json.integrity.checks.find((c: { check: string }) => c.check === 'unexpectedColumns').reason).toMatch(/is the file tab-separated\?/);
  });

  test('a missing rate from 3 % to 61 %', async () => {
    const r = await drift(write('missing.csv', ['a,b,c', ...csvRows(1000, 5, 0.61)]));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^modelstack: integrity check failed: missingRate:a: missing 3\.\d% in the baseline → 6\d\.\d% \(\d+ of 1000\): up by at least 5\.0% with p = \S+ < 0\.001 \[missingRate:a; see the report\]\n$/);
  });

  test('--min-rows lowers the bar for small windows (and training sets)', async () => {
    const small = write('small.csv', ['a,b,c', ...csvRows(60, 11)]);
    expect((await drift(small)).code).toBe(3);
    const r = await drift(small, '--min-rows', '50');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(report().integrity.thresholds.minRows).toBe(50);
    expect((await cli(['baseline', '--data', small, '--out', path('b5.json'), '--min-rows', '50'])).code).toBe(0);
  });

  test('without --fail-on-drift the report carries the failure and the exit code stays 0', async () => {
    const r = await cli(['drift', '--baseline', path('baseline.json'), '--data', path('missing.csv'), '--out', path('report.json')]);
    expect(r.code).toBe(0);
    expect(report().integrity).toMatchObject({ status: 'fail', failed: ['missingRate:a'] });
  });
});

describe('baseline refuses unusable training data and records malformed rows', () => {
  test('a header-only training file is refused (it used to give a 0-row baseline every window passed)', async () => {
    const r = await cli(['baseline', '--data', write('train-header.csv', ['a,b,c']), '--out', path('b2.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`modelstack: error: ${path('train-header.csv')}: no data rows (header only or empty): a baseline needs at least 100 rows\n`);
  });

  test('too few rows, mostly malformed rows, a tab-separated file and an empty column are refused', async () => {
    const cases: [string[], RegExp][] = [
      [['a,b,c', ...csvRows(20, 6)], /: 20 valid rows: a baseline needs at least 100, or drift tests measure noise$/],
      [['a,b,c', ...csvRows(300, 7).map((l, i) => (i % 3 === 0 ? l : '1,2'))], /: 200 of 300 rows are malformed \(first: line 3: expected 3 fields, got 2\): is the format right\?$/],
      [['a\tb\tc', ...csvRows(300, 8).map((l) => l.replace(/,/g, '\t'))], /: column name "a\\tb\\tc" holds a tab: the file looks tab-separated; convert it to comma-separated CSV$/],
      [['a,b,c', ...csvRows(300, 9).map((l) => l.replace(/,[^,]*$/, ','))], /: no values in column c: fix the data or leave it out with --exclude c$/],
    ];
    for (const [lines, message] of cases) {
      const r = await cli(['baseline', '--data', write('bad.csv', lines), '--out', path('b3.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toMatch(message);
    }
  });

  test('malformed rows are recorded in baseline.json', async () => {
    const data = write('train-malformed.csv', ['a,b,c', ...csvRows(1000, 10).map((l, i) => (i % 100 === 5 ? 'oops' : l))]);
    const r = await cli(['baseline', '--data', data, '--out', path('b4.json')]);
    expect(r.stdout).toBe(`baseline: 990 rows, 2 numeric and 1 categorical features, 10 malformed rows skipped (recorded in the baseline) → ${path('b4.json')}\n`);
    const baseline = report('b4.json');
    expect(baseline).toMatchObject({ rows: 990, invalidRows: 10 });
    expect(baseline.invalidRowSamples[0]).toEqual({ line: 7, reason: 'expected 3 fields, got 1' });
  });
});
