#!/usr/bin/env node
'use strict';
// The CLI is TypeScript; tsx's register API compiles it on load (tsx is a runtime dependency).
require('tsx/cjs/api').register();
require('../cli/main.ts').main();
