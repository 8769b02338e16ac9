#!/usr/bin/env node
'use strict';
// The installed package runs the compiled CLI (dist/). A source checkout runs the TypeScript through tsx, a
// devDependency; a checkout without it (built with `npm run build`, then `npm prune --omit=dev`, as the Cloud Build
// deploy does) runs dist/.
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

if (existsSync(source) && resolvable('tsx/cjs/api')) {
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
} else if (existsSync(built)) {
  require(built).main();
} else {
  console.error('modelstack: no CLI to run: install the dev dependencies (npm ci) to run the sources, or build dist/ (npm run build)');
  process.exitCode = 2;
}
