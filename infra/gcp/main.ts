#!/usr/bin/env node
// The CDKTF app (`cdktf.json` runs it): `npx cdktf-cli@0.21.0 deploy modelstack-dev-registry`.
import { App } from 'cdktf';
import { exitOnConfigError, resolveConfig } from '../config/load';
import { buildGcpPlatform } from './app';

exitOnConfigError(() => {
  const { config } = resolveConfig();
  const app = new App();
  buildGcpPlatform(app, config);
  app.synth();
});
