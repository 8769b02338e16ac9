#!/usr/bin/env node
'use strict';
// The installed package runs the compiled CLI (dist/); a source checkout runs the TypeScript through tsx.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const source = join(__dirname, '..', 'cli', 'main.ts');
if (existsSync(source)) {
  require('tsx/cjs/api').register();
  require(source).main();
} else {
  require('../dist/cli/main.js').main();
}
