import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * Every function the constructs deploy: its TypeScript entry (relative to the project root), the Node.js version
 * its runtime runs, and, for Cloud Functions, the `package.json` the runtime needs.
 */
export const FUNCTION_BUNDLES = {
  'aws-inference': { entry: 'lambdas/inference/aws/index.ts', target: 'node24', cloud: 'aws' },
  'aws-drift': { entry: 'lambdas/drift/aws/index.ts', target: 'node24', cloud: 'aws' },
  'aws-streaming': { entry: 'lambdas/streaming/aws/index.ts', target: 'node24', cloud: 'aws' },
  'aws-registry-cleanup': { entry: 'lambdas/registry-cleanup/aws/index.ts', target: 'node24', cloud: 'aws' },
  'aws-training-baseline': { entry: 'lambdas/training-baseline/aws/index.ts', target: 'node24', cloud: 'aws' },
  'aws-training-starter': { entry: 'lambdas/training-starter/aws/index.ts', target: 'node24', cloud: 'aws' },
  'gcp-inference': { entry: 'lambdas/inference/gcp/index.ts', target: 'node22', cloud: 'gcp' },
  'gcp-drift': { entry: 'lambdas/drift/gcp/index.ts', target: 'node22', cloud: 'gcp' },
  'gcp-streaming': { entry: 'lambdas/streaming/gcp/index.ts', target: 'node22', cloud: 'gcp' },
  'gcp-training-baseline': { entry: 'lambdas/training-baseline/gcp/index.ts', target: 'node22', cloud: 'gcp' },
} as const;

export type FunctionBundleName = keyof typeof FUNCTION_BUNDLES;

/** The project root, from `constructs/private` in a checkout or `dist/constructs/private` in the package. */
const ROOT = join(__dirname, '..', '..');

/**
 * Where the package ships its functions pre-bundled (`dist/bundles/<name>`, written by `npm run build`). A
 * consumer's synth copies these; it needs neither esbuild nor the handlers' dependencies.
 */
function prebuiltDir(name: FunctionBundleName): string {
  return join(ROOT, 'bundles', name);
}

const builtThisProcess = new Map<FunctionBundleName, string>();

/**
 * The directory holding `name`'s bundle (`index.js`, `index.js.map`, and a `package.json` for Cloud Functions):
 * the pre-built one in the published package, or, in a source checkout, built by the local esbuild on first use
 * and reused for every stack after that (and by every process of the run, with {@link SHARED_BUNDLE_DIR_ENV}).
 */
export function functionBundleDir(name: FunctionBundleName): string {
  const shipped = prebuiltDir(name);
  if (existsSync(join(shipped, 'index.js'))) return shipped;
  let dir = builtThisProcess.get(name);
  if (!dir) {
    dir = buildOrReuse(name);
    builtThisProcess.set(name, dir);
  }
  return dir;
}

/**
 * A directory the processes of one run share their bundles through (the jest run sets it, see
 * test/global-setup.ts): each bundle is built once per run instead of once per test file. Never reused across runs,
 * so a bundle is never older than the sources.
 */
export const SHARED_BUNDLE_DIR_ENV = 'MODELSTACK_SHARED_BUNDLE_DIR';

function buildOrReuse(name: FunctionBundleName): string {
  const shared = process.env[SHARED_BUNDLE_DIR_ENV];
  if (!shared) {
    const dir = mkdtempSync(join(tmpdir(), `modelstack-${name}-`));
    buildFunctionBundle(name, dir);
    return dir;
  }
  const dir = join(shared, name);
  if (existsSync(join(dir, 'index.js'))) return dir;
  mkdirSync(shared, { recursive: true });
  // Built beside, then renamed into place, so another process sees a whole bundle or none. Two processes may build
  // the same bundle at once: esbuild's output is the same, the second rename fails and its copy is dropped.
  const building = mkdtempSync(join(shared, `.${name}-`));
  buildFunctionBundle(name, building);
  try {
    renameSync(building, dir);
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.js'))) throw err;
  }
  return dir;
}

/** Bundles `name` into `outDir` (used by the checkout at synth time and by `npm run build` for the package). */
export function buildFunctionBundle(name: FunctionBundleName, outDir: string): void {
  // esbuild is a build-time tool: the published package never reaches this line (its bundles are pre-built).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const spec = FUNCTION_BUNDLES[name];
  const { outputFiles } = buildSync({ ...bundleOptions(name), write: false });
  mkdirSync(outDir, { recursive: true });
  for (const file of outputFiles ?? []) writeFileSync(join(outDir, file.path.endsWith('.map') ? 'index.js.map' : 'index.js'), file.contents);
  if (spec.cloud === 'gcp') {
    // Cloud Run functions installs the Functions Framework into every Node.js function, so it is not bundled.
    const manifest = { name: `modelstack-${name}`, private: true, main: 'index.js', engines: { node: spec.target.slice('node'.length) } };
    writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

function bundleOptions(name: FunctionBundleName): BuildOptions {
  const spec = FUNCTION_BUNDLES[name];
  return {
    entryPoints: [join(ROOT, spec.entry)],
    // Never written there (write: false): an output path inside the project makes the source map's paths
    // relative to it, so the bundle, and the asset hash that names it, are the same on every machine.
    outfile: join(ROOT, 'bundles', name, 'index.js'),
    bundle: true,
    platform: 'node',
    target: spec.target,
    format: 'cjs',
    // ESM entry points first, so unused AWS SDK code is tree-shaken.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    // File and line are what a stack trace needs; the sources themselves would triple the archive.
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'error',
    // Lambda supplies credentials in the environment: the SDK's full provider chain (SSO, INI files, IMDS) is dead weight.
    alias: spec.cloud === 'aws' ? { '@aws-sdk/credential-provider-node': join(ROOT, 'lambdas', 'shared', 'aws', 'env-credentials.ts') } : {},
  };
}
