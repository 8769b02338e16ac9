import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = join(__dirname, '..', '..', '..');

/** The GCP function bundles: entry file and the export the Functions Framework calls. */
export const FUNCTION_BUNDLES = {
  inference: { entry: 'lambdas/inference/gcp/index.ts', entryPoint: 'predict' },
  drift: { entry: 'lambdas/drift/gcp/index.ts', entryPoint: 'drift' },
} as const;

export type FunctionBundle = keyof typeof FUNCTION_BUNDLES;

const built = new Map<FunctionBundle, string>();

/**
 * A directory holding the bundled function (`index.js`, its source map and a `package.json`), built with the
 * local esbuild the first time a synth asks and reused for every model, environment and stack after that. The
 * Functions Framework is not bundled: Cloud Run functions installs it into every Node.js function.
 */
export function functionBundleDir(bundle: FunctionBundle): string {
  const cached = built.get(bundle);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), `modelstack-gcp-${bundle}-`));
  const { outputFiles } = buildSync({
    entryPoints: [join(ROOT, FUNCTION_BUNDLES[bundle].entry)],
    // Never written there (write: false): an output path inside the repository makes the source map's paths
    // relative to it, so the archive, and the hash that names it, are the same on every machine.
    outfile: join(ROOT, 'cdktf.out', 'bundles', bundle, 'index.js'),
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    // File and line are what a stack trace needs; the sources themselves would triple the archive.
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  for (const file of outputFiles) writeFileSync(join(dir, file.path.endsWith('.map') ? 'index.js.map' : 'index.js'), file.contents);
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `modelstack-${bundle}`, private: true, main: 'index.js', engines: { node: '22' } }, null, 2)}\n`);
  built.set(bundle, dir);
  return dir;
}
