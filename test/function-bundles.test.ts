// The run-wide bundle directory (test/global-setup.ts): a bundle is built once into it and every later process of
// the run reuses it.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_BUNDLE_DIR_ENV } from '../constructs/private/function-bundles';

/** functionBundleDir as a fresh process sees it (its own per-process map). */
function freshFunctionBundleDir(): typeof import('../constructs/private/function-bundles').functionBundleDir {
  let fn!: typeof import('../constructs/private/function-bundles').functionBundleDir;
  jest.isolateModules(() => {
    fn = require('../constructs/private/function-bundles').functionBundleDir;
  });
  return fn;
}

describe('function bundles shared by the processes of a test run', () => {
  const previous = process.env[SHARED_BUNDLE_DIR_ENV];
  afterAll(() => {
    if (previous === undefined) delete process.env[SHARED_BUNDLE_DIR_ENV];
    else process.env[SHARED_BUNDLE_DIR_ENV] = previous;
  });

  test('the first process builds the bundle into the shared directory, whole; the next ones reuse it without building', () => {
    const shared = join(mkdtempSync(join(tmpdir(), 'modelstack-bundles-test-')), 'bundles');
    process.env[SHARED_BUNDLE_DIR_ENV] = shared;

    const dir = freshFunctionBundleDir()('gcp-streaming');
    expect(dir).toBe(join(shared, 'gcp-streaming'));
    expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map', 'package.json']);
    // Only the renamed bundle: no half-built directory is left beside it.
    expect(readdirSync(shared)).toEqual(['gcp-streaming']);

    // A rebuild would overwrite this marker.
    writeFileSync(join(dir, 'index.js'), '// built by an earlier process\n');
    expect(freshFunctionBundleDir()('gcp-streaming')).toBe(dir);
    expect(readFileSync(join(dir, 'index.js'), 'utf8')).toBe('// built by an earlier process\n');
  });

  test('without the shared directory, each process builds its own', () => {
    delete process.env[SHARED_BUNDLE_DIR_ENV];
    const dir = freshFunctionBundleDir()('gcp-streaming');
    expect(dir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(join(dir, 'index.js'))).toBe(true);
    expect(freshFunctionBundleDir()('gcp-streaming')).not.toBe(dir);
  });
});
