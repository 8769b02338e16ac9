#!/usr/bin/env node
// The CDK app (`cdk.json` runs it): `npx cdk synth`, `npx cdk deploy -c env=dev`.
import { App } from 'aws-cdk-lib';
import { exitOnConfigError, resolveConfig } from '../config/load';
import { buildAwsPlatform } from './app';

exitOnConfigError(() => {
  const app = new App();
  const { config } = resolveConfig({ contextPath: app.node.tryGetContext('config') });
  const env = app.node.tryGetContext('env') as string | undefined;
  buildAwsPlatform(app, config, env ? env.split(',') : undefined);
  app.synth();
});
