#!/usr/bin/env node
'use strict';
// The installed package runs the compiled CLI (dist/). A source checkout runs the TypeScript bundled by esbuild
// (built on the first run after a change and cached in node_modules/.cache: scripts/cli-bundle.cjs) or, if that
// fails, through tsx; both are devDependencies. A checkout without them (built with `npm run build`, then
// `npm prune --omit=dev`, as the Cloud Build deploy does) runs dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'cli', 'main.ts');
const built = join(__dirname, '..', 'dist', 'cli', 'main.js');

function resolvable(id) {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

const bundler = join(__dirname, '..', 'scripts', 'cli-bundle.cjs');

/** Runs the TypeScript sources through tsx. */
function runSources() {
  // The CLI loads heavy modules with import() on use, which tsx's CommonJS hook does not reach ("import() calls in the
  // loaded files are not enhanced"), so tsx's ESM hook is registered too.
  // (Node before 20.6 has no module.register: then only the CommonJS hook runs, enough for commands that load no
  // TypeScript module on use.)
  const start = () => {
    require('tsx/cjs/api').register();
    require(source).main();
  };
  import('tsx/esm/api')
    .then(({ register }) => {
      try {
        register();
      } catch {}
    }, () => {})
    .then(start);
}

if (existsSync(source) && resolvable('tsx/cjs/api')) {
  // MODELSTACK_CLI_BUNDLE=0 runs the sources through tsx even where the bundle can be built.
  const bundled = process.env.MODELSTACK_CLI_BUNDLE !== '0' && existsSync(bundler) && resolvable('esbuild') ? require(bundler).cliBundle() : Promise.resolve(null);
  bundled.then((main) => (main ? require(main).main() : runSources()));
} else if (existsSync(built)) {
  require(built).main();
} else {
  console.error('modelstack: no CLI to run: install the dev dependencies (npm ci) to run the sources, or build dist/ (npm run build)');
  process.exitCode = 2;
}
