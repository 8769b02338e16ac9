import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { buildProgram, COMMANDS } from '../../cli/main';
import { createProgress, PROGRESS_MIN_BYTES } from '../../cli/progress';
import { cli, dataset } from './helpers';

type Paths = Awaited<ReturnType<typeof dataset>>;
let jsonl: Paths;
let csv: Paths;

beforeAll(async () => {
  jsonl = await dataset(3000, 'jsonl', true);
  csv = await dataset(2000, 'csv');
});

function oneLine(stderr: string): void {
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

describe('modelstack baseline', () => {
  test('profiles gzipped JSON Lines with inferred kinds', async () => {
    const r = await cli(['baseline', '--data', jsonl.base, '--out', jsonl.baseline]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`baseline: 3000 rows, 24 numeric and 6 categorical features, 3 malformed rows skipped (recorded in the baseline) → ${jsonl.baseline}\n`);
    const baseline = JSON.parse(readFileSync(jsonl.baseline, 'utf8'));
    expect(baseline.schemaVersion).toBe(1);
    expect(baseline.rows).toBe(3000);
    expect(baseline.features.find((f: { name: string }) => f.name === 'c00').bins.categories).toContain('paris');
  });

  test('--categorical and --exclude on CSV', async () => {
    const out = join(csv.dir, 'b2.json');
    const r = await cli(['baseline', '--data', csv.base, '--out', out, '--categorical', 'n00', '--exclude', 'n01,n02', '--format', 'csv']);
    expect(r.code).toBe(0);
    const baseline = JSON.parse(readFileSync(out, 'utf8'));
    const names = baseline.features.map((f: { name: string }) => f.name);
    expect(names).not.toContain('n01');
    expect(names).toHaveLength(28);
    expect(baseline.features[0]).toMatchObject({ name: 'n00', kind: 'categorical' });
  });

  test('the progress bar is drawn on stderr when forced, not for small files by default', async () => {
    const out = join(csv.dir, 'b3.json');
    const forced = await cli(['baseline', '--data', csv.base, '--out', out, '--progress']);
    expect(forced.stderr).toMatch(/profiling \[#+\] 100%/);
    const auto = await cli(['baseline', '--data', csv.base, '--out', out], { tty: true });
    expect(auto.stderr).toBe('');
  });
});

describe('modelstack drift', () => {
  beforeAll(async () => {
    await cli(['baseline', '--data', jsonl.base, '--out', jsonl.baseline]);
    await cli(['baseline', '--data', csv.base, '--out', csv.baseline]);
  });

  test('same distribution: exit 0, report shape, malformed rows counted', async () => {
    const r = await cli(['drift', '--baseline', jsonl.baseline, '--data', jsonl.same, '--out', jsonl.report, '--fail-on-drift']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^drift: \d+\/30 features drifted .* over 3000 rows, 3 malformed rows skipped; dataset ok/);
    const report = JSON.parse(readFileSync(jsonl.report, 'utf8'));
    expect(report).toMatchObject({ rows: 3000, invalidRows: 3, drifted: false });
    expect(report.invalidRowSamples[0]).toEqual({ line: 1001, reason: 'invalid JSON' });
    const n00 = report.features.find((f: { name: string }) => f.name === 'n00');
    expect(Object.keys(n00)).toEqual(['name', 'kind', 'method', 'score', 'threshold', 'drifted', 'status', 'reason', 'missing', 'count', 'invalid', 'metrics', 'integrity']);
    expect(report.integrity).toMatchObject({ status: 'ok', failed: [] });
    expect(n00).toMatchObject({ kind: 'numeric', method: 'wasserstein', threshold: 0.1, drifted: false });
    expect(Object.keys(n00.metrics)).toEqual(['psi', 'jensenShannon', 'ks', 'wasserstein']);
    const n03 = report.features.find((f: { name: string }) => f.name === 'n03');
    expect(n03.missing).toBeGreaterThan(20); // ~2 % of 3000
  });

  test('drifted window: the drifted features are found; --fail-on-drift exits 1 past the share', async () => {
    const r = await cli(['drift', '--baseline', jsonl.baseline, '--data', jsonl.drifted, '--out', jsonl.report, '--html', jsonl.html]);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(jsonl.report, 'utf8'));
    const drifted = report.features.filter((f: { drifted: boolean }) => f.drifted).map((f: { name: string }) => f.name);
    expect(drifted).toEqual(['n00', 'n01', 'n02', 'n03', 'n04', 'n05', 'c00', 'c01']);
    expect(report.drifted).toBe(false);
    const html = readFileSync(jsonl.html, 'utf8');
    expect(html).toContain('<svg');
    const failing = await cli(['drift', '--baseline', jsonl.baseline, '--data', jsonl.drifted, '--out', jsonl.report, '--drift-share', '0.25', '--fail-on-drift']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toContain('dataset DRIFTED');
  });

  test('CSV window with per-feature method overrides', async () => {
    const r = await cli([
      'drift', '--baseline', csv.baseline, '--data', csv.drifted, '--out', csv.report,
      '--method', 'n00=psi:0.2', '--method', 'c00=chisquare', '--method', 'n10=:0.5', '--progress',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/checking \[#+\] 100%/);
    const report = JSON.parse(readFileSync(csv.report, 'utf8'));
    const byName = Object.fromEntries(report.features.map((f: { name: string }) => [f.name, f]));
    expect(byName.n00).toMatchObject({ method: 'psi', threshold: 0.2, drifted: true });
    expect(byName.n00.score).toBe(byName.n00.metrics.psi);
    expect(byName.c00).toMatchObject({ method: 'chisquare', threshold: 0.05, drifted: true });
    expect(byName.n10).toMatchObject({ method: 'wasserstein', threshold: 0.5 });
    expect(report.invalidRows).toBe(2);
  });

  test.each([
    [['drift', '--baseline', 'b.json', '--data', 'd.csv'], /required option '--out <file>' not specified/],
    [['drift', '--baseline', 'b.json', '--data', 'd.csv', '--out', 'r.json', '--bogus'], /unknown option '--bogus'/],
    [['drfit'], /unknown command 'drfit'/],
    [['baseline', '--data', 'x.csv', '--out', 'y.json', '--format', 'xml'], /expected csv, jsonl or parquet/],
    [['baseline', '--data', 'x.csv', '--out', 'y.json', '--category-cap', '0'], /expected a positive integer/],
    [['baseline', '--data', 'x.csv', '--out', 'y.json', '--categorical', ','], /expected a comma-separated list/],
    [['drift', '--baseline', 'b', '--data', 'd', '--out', 'o', '--drift-share', '2'], /expected a number between 0 and 1/],
    [['drift', '--baseline', 'b', '--data', 'd', '--out', 'o', '--method', 'x=magic'], /expected feature=method\[:threshold\]/],
    [['drift', '--baseline', 'b', '--data', 'd', '--out', 'o', '--method', 'x=psi:-1'], /expected a non-negative threshold/],
  ])('bad arguments exit 2 with one line: %j', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    oneLine(r.stderr);
  });

  test('unreadable or invalid inputs exit 2 with one line', async () => {
    const missingData = await cli(['drift', '--baseline', jsonl.baseline, '--data', join(jsonl.dir, 'nope.jsonl'), '--out', jsonl.report]);
    expect(missingData.code).toBe(2);
    expect(missingData.stderr).toMatch(/^modelstack: error: ENOENT/);
    const missingBaseline = await cli(['drift', '--baseline', join(jsonl.dir, 'nope.json'), '--data', jsonl.same, '--out', jsonl.report]);
    expect(missingBaseline.stderr).toMatch(/cannot read baseline .*nope\.json/);
    const garbage = join(jsonl.dir, 'garbage.json');
    writeFileSync(garbage, '{"schemaVersion": 2}');
    const invalid = await cli(['drift', '--baseline', garbage, '--data', jsonl.same, '--out', jsonl.report]);
    expect(invalid.stderr).toMatch(/garbage\.json: invalid baseline: schemaVersion/);
    const notJson = join(jsonl.dir, 'notjson.json');
    writeFileSync(notJson, 'nope');
    expect((await cli(['drift', '--baseline', notJson, '--data', jsonl.same, '--out', jsonl.report])).code).toBe(2);
    const unknownFeature = await cli(['drift', '--baseline', jsonl.baseline, '--data', jsonl.same, '--out', jsonl.report, '--method', 'zz=psi']);
    expect(unknownFeature.stderr).toMatch(/--method: feature zz is not in the baseline/);
    const badCategorical = await cli(['baseline', '--data', csv.base, '--out', join(csv.dir, 'x.json'), '--categorical', 'nope']);
    expect(badCategorical.stderr).toMatch(/--categorical: column nope is not in/);
    const empty = join(csv.dir, 'empty.csv');
    writeFileSync(empty, '');
    expect((await cli(['baseline', '--data', empty, '--out', join(csv.dir, 'x.json')])).stderr).toMatch(/no columns found/);
    const tsv = join(csv.dir, 'train.tsv');
    writeFileSync(tsv, 'a\tb\n1\t2\n');
    const unknownFormat = await cli(['baseline', '--data', tsv, '--out', join(csv.dir, 'x.json')]);
    expect(unknownFormat.stderr).toMatch(/--data .*train\.tsv: cannot tell the format from the name: expected \.csv or \.jsonl \(optionally \.gz\) or \.parquet, or pass --format csv\|jsonl\|parquet/);
    for (const r of [missingData, missingBaseline, invalid, unknownFeature, badCategorical, unknownFormat]) {
      expect(r.code).toBe(2);
      oneLine(r.stderr);
    }
  });

  test('--workers 2 splits an uncompressed JSON Lines window and finds the same drift', async () => {
    const plain = await dataset(2000, 'jsonl', false);
    expect((await cli(['baseline', '--data', plain.base, '--out', plain.baseline])).code).toBe(0);
    const one = join(plain.dir, 'one.json');
    const two = join(plain.dir, 'two.json');
    expect((await cli(['drift', '--baseline', plain.baseline, '--data', plain.drifted, '--out', one, '--workers', '1'])).code).toBe(0);
    expect((await cli(['drift', '--baseline', plain.baseline, '--data', plain.drifted, '--out', two, '--workers', '2'])).code).toBe(0);
    const a = JSON.parse(readFileSync(one, 'utf8'));
    const b = JSON.parse(readFileSync(two, 'utf8'));
    expect(b.rows).toBe(a.rows);
    expect(b.invalidRowSamples).toEqual(a.invalidRowSamples);
    expect(b.features.map((f: { drifted: boolean }) => f.drifted)).toEqual(a.features.map((f: { drifted: boolean }) => f.drifted));
    b.features.forEach((f: { metrics: { psi: number } }, i: number) => expect(f.metrics.psi).toBeCloseTo(a.features[i].metrics.psi, 12));
  });

  test('--help exits 0', async () => {
    const r = await cli(['drift', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--fail-on-drift');
  });

  test('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version);
  });
});

describe('structure', () => {
  test('subcommands come from one list, so another registers in one line', () => {
    const before = COMMANDS.length;
    COMMANDS.push((program) => void program.command('extra').description('test only'));
    try {
      const program = buildProgram({ io: { stdout: () => {}, stderr: () => {}, stderrIsTTY: false }, exitCode: 0 });
      expect(program.commands.map((c: Command) => c.name())).toEqual(['baseline', 'build-images', 'config', 'drift', 'pipeline', 'preflight', 'resolve-versions', 'synth', 'vertex-deploy', 'cloudrun-deploy', 'extra']);
    } finally {
      COMMANDS.length = before;
    }
  });

  test('progress: auto mode draws for big files on a terminal, once per percent', () => {
    let err = '';
    const p = createProgress({ stdout: () => {}, stderr: (s) => void (err += s), stderrIsTTY: true }, 'x', undefined);
    p.update(1, PROGRESS_MIN_BYTES);
    p.update(2, PROGRESS_MIN_BYTES);
    p.update(PROGRESS_MIN_BYTES, PROGRESS_MIN_BYTES);
    p.done();
    expect(err.split('\r').filter(Boolean)).toHaveLength(2);
    expect(err.endsWith('\n')).toBe(true);
    const off = createProgress({ stdout: () => {}, stderr: () => fail('drawn'), stderrIsTTY: true }, 'x', false);
    off.update(1, PROGRESS_MIN_BYTES * 2);
  });

  test('bin/modelstack.cjs runs the TypeScript CLI through tsx when told not to bundle it (MODELSTACK_CLI_BUNDLE=0)', () => {
    const env = { ...process.env, MODELSTACK_CLI_BUNDLE: '0' };
    const out = execFileSync(process.execPath, [join(__dirname, '../../bin/modelstack.cjs'), '--help'], { encoding: 'utf8', env });
    expect(out).toContain('baseline');
    expect(out).toContain('drift');
  });
});
