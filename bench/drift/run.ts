/**
 * Drift benchmark (`npm run bench:drift`, not part of `npm test`). Generates a seeded 200k-row
 * baseline and windows of 100k, 1M and 5M rows (30 features: 24 numeric, 6 categorical, 8 drifted,
 * ~2 % missing in some), then times and records the peak RSS of
 *   (a) `modelstack drift` at every size (default workers), and with --workers 1 at 1M rows,
 *   (b) a pandas + scipy reference computing the same metrics (bench/drift/reference.py) at 1M rows,
 *   (c) a bare read + JSON.parse of every line at 1M rows.
 * Options: --sizes 100000,1000000 (default 100000,1000000,5000000), --reference-rows N (default 1M),
 * --dir PATH (default $TMPDIR/modelstack-bench-drift; generated files are reused).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from './generate';

const ROOT = resolve(__dirname, '../..');
const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** pandas/scipy for the reference and GNU time for peak RSS, from Debian (idempotent). */
function ensureDebianDeps(): void {
  const ok = existsSync(TIME) && spawnSync(PYTHON, ['-c', 'import numpy, scipy, pandas'], { stdio: 'ignore' }).status === 0;
  if (ok) return;
  console.log('installing Debian python3-numpy python3-scipy python3-pandas time ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'python3-numpy', 'python3-scipy', 'python3-pandas', 'time'], { stdio: 'inherit', env });
}

interface Measured {
  seconds: number;
  rssMb: number;
  stdout: string;
}

/** Runs a command under GNU time: wall seconds (hrtime) and peak RSS (%M, KiB). */
function measure(cmd: string, args: string[]): Measured {
  const start = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', 'MAXRSS_KB=%M', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const rss = /MAXRSS_KB=(\d+)/.exec(r.stderr);
  return { seconds, rssMb: rss ? Number(rss[1]) / 1024 : NaN, stdout: r.stdout };
}

async function ensureFile(path: string, rows: number, seed: number, drifted: boolean): Promise<void> {
  if (existsSync(path)) return;
  const start = Date.now();
  // No malformed lines: pandas.read_json cannot skip them, and the reference must be able to run.
  await generate(path, { rows, seed, drifted, malformedEvery: 0 });
  console.log(`generated ${path} (${rows} rows, ${(statSync(path).size / 1048576).toFixed(0)} MiB) in ${((Date.now() - start) / 1000).toFixed(1)} s`);
}

const fmt = (x: number, d = 2) => x.toFixed(d);

async function main(): Promise<void> {
  const sizes = arg('sizes', '100000,1000000,5000000').split(',').map(Number);
  const referenceRows = Number(arg('reference-rows', '1000000'));
  const dir = arg('dir', join(tmpdir(), 'modelstack-bench-drift'));
  mkdirSync(dir, { recursive: true });
  ensureDebianDeps();

  const basePath = join(dir, 'baseline-200000.jsonl');
  await ensureFile(basePath, 200_000, 1, false);
  const windows = new Map<number, string>();
  for (const n of new Set([...sizes, referenceRows])) {
    const path = join(dir, `window-${n}.jsonl`);
    await ensureFile(path, n, 2, true);
    windows.set(n, path);
  }

  const node = process.execPath;
  const bin = join(ROOT, 'bin/modelstack.cjs');
  const baselineJson = join(dir, 'baseline.json');
  const b = measure(node, [bin, 'baseline', '--data', basePath, '--out', baselineJson, '--no-progress']);
  console.log(`\nmodelstack baseline (200k rows, two passes): ${fmt(b.seconds)} s, peak RSS ${fmt(b.rssMb, 0)} MB, baseline.json ${(statSync(baselineJson).size / 1024).toFixed(0)} KB`);

  console.log('\n(a) modelstack drift');
  const ours = new Map<number, Measured>();
  for (const n of [...new Set([...sizes, referenceRows])].sort((x, y) => x - y)) {
    const report = join(dir, `report-${n}.json`);
    const m = measure(node, [bin, 'drift', '--baseline', baselineJson, '--data', windows.get(n)!, '--out', report, '--no-progress']);
    ours.set(n, m);
    const mb = statSync(windows.get(n)!).size / 1048576;
    console.log(`  ${String(n).padStart(9)} rows  ${fmt(m.seconds).padStart(7)} s  ${fmt(n / m.seconds / 1000, 0).padStart(5)}k rows/s  ${fmt(mb / m.seconds, 0)} MiB/s  peak RSS ${fmt(m.rssMb, 0)} MB`);
  }

  const window = windows.get(referenceRows)!;
  console.log(`\n(b) pandas + scipy reference, ${referenceRows} rows (plus the 200k-row baseline it must load)`);
  const pyOut = join(dir, `pandas-${referenceRows}.json`);
  const py = measure(PYTHON, [join(ROOT, 'bench/drift/reference.py'), basePath, window, pyOut]);
  console.log(`  ${fmt(py.seconds)} s, peak RSS ${fmt(py.rssMb, 0)} MB`);

  console.log(`\n(c) bare read + JSON.parse of every line, ${referenceRows} rows`);
  const bare = measure(node, ['--require', 'tsx/cjs', join(ROOT, 'bench/drift/bare-parse.ts'), window]);
  console.log(`  ${fmt(bare.seconds)} s, peak RSS ${fmt(bare.rssMb, 0)} MB`);

  // The two implementations should flag the same features.
  const ourReport = JSON.parse(readFileSync(join(dir, `report-${referenceRows}.json`), 'utf8'));
  const pyReport = JSON.parse(readFileSync(pyOut, 'utf8'));
  const flagged = (r: { features: { name: string; drifted: boolean }[] }) => r.features.filter((f) => f.drifted).map((f) => f.name).join(',');
  const maxDiff = (key: string) =>
    Math.max(...ourReport.features.map((f: { name: string; metrics: Record<string, number> }) => {
      const p = pyReport.features.find((g: { name: string }) => g.name === f.name);
      return f.metrics[key] === undefined ? 0 : Math.abs(f.metrics[key] - p.metrics[key]);
    }));

  // The same window on one thread (the default splits files over 32 MiB across 2 workers).
  const single = measure(node, [bin, 'drift', '--baseline', baselineJson, '--data', window, '--out', join(dir, 'report-1thread.json'), '--no-progress', '--workers', '1']);
  console.log(`\n(a') modelstack drift --workers 1, ${referenceRows} rows: ${fmt(single.seconds)} s, peak RSS ${fmt(single.rssMb, 0)} MB`);

  const a = ours.get(referenceRows)!;
  const rss = [...ours.entries()].map(([n, m]) => `${n}: ${fmt(m.rssMb, 0)} MB`).join(', ');
  console.log(`\nsummary at ${referenceRows} rows`);
  console.log(`  modelstack drift ${fmt(a.seconds)} s | pandas+scipy ${fmt(py.seconds)} s | bare JSON.parse ${fmt(bare.seconds)} s`);
  console.log(`  speed-up vs pandas+scipy: ${fmt(py.seconds / a.seconds, 1)}x (target >= 5x)`);
  console.log(`  time vs bare parse: ${fmt(a.seconds / bare.seconds, 2)}x (target <= 2x); one thread: ${fmt(single.seconds / bare.seconds, 2)}x`);
  console.log(`  speed-up vs pandas+scipy on one thread: ${fmt(py.seconds / single.seconds, 1)}x`);
  console.log(`  peak RSS by window size: ${rss} (target <= 256 MB, flat)`);
  console.log(`  drifted features — modelstack: ${flagged(ourReport)}; pandas: ${flagged(pyReport)}`);
  console.log(`  max |difference| vs pandas/scipy: KS ${maxDiff('ks').toExponential(1)}, normed Wasserstein ${maxDiff('wasserstein').toExponential(1)}, PSI ${maxDiff('psi').toExponential(1)} (bins: sketch deciles vs numpy deciles)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
