#!/usr/bin/env node
// The CDKTF app (`cdktf.json` runs it): `npx cdktf-cli@0.21.0 deploy modelstack-dev-registry`.
import { App } from 'cdktf';
import { exitOnConfigError, resolveConfig } from '../config/load';
import { buildGcpPlatform } from './app';
import { removeStaleStacks, synthesizedStacks } from './stale-stacks';

exitOnConfigError(() => {
  const { config } = resolveConfig();
  const app = new App();
  const previous = synthesizedStacks(app.outdir);
  const stacks = buildGcpPlatform(app, config);
  app.synth();
  // Stacks of environments the config no longer has (or no longer deploys to Google Cloud) leave cdktf.out/.
  removeStaleStacks(app.outdir, previous, Object.values(stacks).map((stack) => stack.node.id));
});
