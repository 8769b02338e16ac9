'use strict';
// The CLI of a source checkout, bundled once by esbuild and reused until a source file changes: running the
// TypeScript through tsx costs about a second per process (and per worker thread) before any work starts; a
// bundle loads in ~0.1 s. bin/modelstack.cjs asks for it; any failure here falls back to tsx.
//
// node_modules/.cache/modelstack-cli/<key>/ holds main.js (cli/main.ts) and profile-worker.js (the drift
// profiling worker: parallel.ts starts the worker beside the code that runs it). <key> hashes the Node.js version,
// this file and the path, mtime and size of every source file in the last bundle (esbuild's metafile), so editing
// any of them makes the next run build afresh. Packages stay external (loaded from node_modules as usual), except hyparquet (see BUNDLED_PACKAGES).
// A module the CLI loads with import() on use (synth, preflight, pipeline: heavy, and some find files relative to
// their own folder) is not bundled: it is loaded from its source through tsx when it is needed, as before.
const { createHash } = require('node:crypto');
const { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'modelstack-cli');
const INPUTS = join(CACHE, 'inputs.json');
const ENTRIES = { main: 'cli/main.ts', 'profile-worker': 'core/drift/private/profile-worker.ts' };
/** An older bundle is removed once it has not been written for this long (a running CLI may still use it). */
const STALE_MS = 60 * 60 * 1000;

/** The cache key of the current sources of `files` (paths relative to the root), or null when one is gone. */
function keyOf(files) {
  const hash = createHash('sha256').update(`${process.version}\n`);
  for (const file of [relative(ROOT, __filename), ...files]) {
    let s;
    try {
      s = statSync(join(ROOT, file));
    } catch {
      return null;
    }
    hash.update(`${file}\t${s.mtimeMs}\t${s.size}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** The bundle's main.js if the cache holds one for the current sources, else null. */
function cached() {
  let files;
  try {
    files = JSON.parse(readFileSync(INPUTS, 'utf8'));
  } catch {
    return null;
  }
  const key = Array.isArray(files) ? keyOf(files) : null;
  const main = key && join(CACHE, key, 'main.js');
  return main && existsSync(main) && existsSync(join(CACHE, key, 'profile-worker.js')) ? main : null;
}

let sourceHooks = false;

/** Loads a TypeScript module from its source (the bundle's import() targets), registering tsx on first use. */
function loadSource(path) {
  if (!sourceHooks) {
    sourceHooks = true;
    require('tsx/cjs/api').register();
    // The source's own import() calls need tsx's ESM hook (Node.js 20.6+; before that only the CommonJS hook runs).
    try {
      require('tsx/esm/api').register();
    } catch {}
  }
  return require(path);
}

/** Keeps a dynamic import() of a project file out of the bundle: it becomes loadSource(<its source>) on use. */
const sourceOnUse = {
  name: 'modelstack-source-on-use',
  setup(build) {
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.namespace !== 'file') return undefined;
      const resolved = await build.resolve(args.path, { kind: 'import-statement', resolveDir: args.resolveDir });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      return { path: resolved.path, namespace: 'modelstack-source' };
    });
    build.onLoad({ filter: /.*/, namespace: 'modelstack-source' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(__filename)}).loadSource(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
    build.onResolve({ filter: /.*/, namespace: 'modelstack-source' }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * Packages stay external, except hyparquet: an ES module package of ~20 files, which each drift worker would load
 * through Node's ESM loader on its first Parquet file (measured: the largest part of a worker's start-up); bundled,
 * it is compiled once with the rest of the bundle.
 */
const BUNDLED_PACKAGES = /^hyparquet(\/|$)/;
const externalPackages = {
  name: 'modelstack-external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (args.namespace === 'file' && !BUNDLED_PACKAGES.test(args.path) && !args.path.startsWith('/') ? { path: args.path, external: true } : undefined));
  },
};

/** Builds the bundle into the cache and resolves to its main.js. */
async function build() {
  const esbuild = require('esbuild');
  mkdirSync(CACHE, { recursive: true });
  const started = Date.now();
  const out = join(CACHE, `build-${process.pid}-${started}`);
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    outdir: out,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceOnUse, externalPackages],
  });
  const files = Object.keys(result.metafile.inputs)
    .filter((f) => !f.startsWith('modelstack-source:'))
    .map((f) => relative(ROOT, join(process.cwd(), f)))
    .sort();
  const key = keyOf(files);
  // A file changed while esbuild read it: use this bundle once, but do not cache it.
  const changed = files.some((f) => statSync(join(ROOT, f)).mtimeMs >= started);
  if (!key || changed) return join(out, 'main.js');
  const dir = join(CACHE, key);
  try {
    renameSync(out, dir);
  } catch {
    rmSync(out, { recursive: true, force: true }); // another process cached the same sources first
  }
  const tmp = `${INPUTS}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(files));
  renameSync(tmp, INPUTS);
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (name === key || name === 'inputs.json') continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {}
  }
  return join(dir, 'main.js');
}

/** Resolves to the bundled CLI's main.js (built now if the sources changed), or null to run the sources via tsx. */
async function cliBundle() {
  try {
    return cached() ?? (await build());
  } catch {
    return null;
  }
}

module.exports = { cliBundle, keyOf, loadSource };
