import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { cli, dataset } from './helpers';

// The checkout's bin runs the CLI from an esbuild bundle cached in node_modules/.cache (scripts/cli-bundle.cjs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bundler = require('../../scripts/cli-bundle.cjs') as {
  cliBundle(): Promise<string | null>;
  keyOf(files: string[]): string | null;
};
const root = join(__dirname, '..', '..');
const bin = join(root, 'bin', 'modelstack.cjs');

describe('the CLI bundle of a source checkout', () => {
  test('is cached with the drift worker beside it, and reused while the sources are unchanged', async () => {
    const main = await bundler.cliBundle();
    expect(main).not.toBeNull();
    expect(relative(root, main!)).toMatch(/^node_modules\/\.cache\/modelstack-cli\/[0-9a-f]{16}\/main\.js$/);
    expect(existsSync(join(dirname(main!), 'profile-worker.js'))).toBe(true);
    const built = statSync(main!).mtimeMs;
    expect(await bundler.cliBundle()).toBe(main);
    expect(statSync(main!).mtimeMs).toBe(built);
  });

  test('is keyed on every source file: a change of mtime or size, or a file gone, is a different key', () => {
    const dir = join(root, 'node_modules', '.cache', `modelstack-cli-test-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    try {
      const file = join(dir, 'source.ts');
      writeFileSync(file, 'export const a = 1;\n');
      utimesSync(file, 1_700_000_000, 1_700_000_000);
      const files = [relative(root, file)];
      const key = bundler.keyOf(files);
      expect(key).toMatch(/^[0-9a-f]{16}$/);
      expect(bundler.keyOf(files)).toBe(key);
      utimesSync(file, 1_700_000_001, 1_700_000_001);
      expect(bundler.keyOf(files)).not.toBe(key);
      rmSync(file);
      expect(bundler.keyOf(files)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('runs as bin/modelstack.cjs: its version, and a drift check whose worker threads start from the bundle', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(execFileSync(process.execPath, [bin, '--version'], { encoding: 'utf8' }).trim()).toBe(version);
    const csv = await dataset(2000, 'csv');
    expect(await cli(['baseline', '--data', csv.base, '--out', csv.baseline])).toMatchObject({ code: 0 });
    const out = execFileSync(process.execPath, [bin, 'drift', '--baseline', csv.baseline, '--data', csv.drifted, '--out', csv.report, '--workers', '2', '--no-progress'], { encoding: 'utf8' });
    expect(out).toMatch(/^drift: 8\/30 features drifted .* over 2000 rows, 2 malformed rows skipped/);
  });
});
