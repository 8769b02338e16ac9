#!/usr/bin/env node
// The CDK app (`cdk.json` runs it): `npx cdk synth`, `npx cdk deploy -c env=dev`.
import { App } from 'aws-cdk-lib';
import { exitOnConfigError, resolveConfig } from '../config/load';
import { readImagesOption } from '../config/images';
import { readVersionsOption } from '../config/versions';
import { buildAwsPlatform } from './app';

exitOnConfigError(() => {
  const app = new App();
  const { config } = resolveConfig({ contextPath: app.node.tryGetContext('config') });
  const env = app.node.tryGetContext('env') as string | undefined;
  // `-c versions=<file>`: the latest approved versions, written by `modelstack resolve-versions` before the deploy.
  const versions = readVersionsOption(app.node.tryGetContext('versions') ?? process.env.MODELSTACK_VERSIONS);
  // `-c images=<file>`: the images `modelstack build-images` pushed; without it built images are served by content tag.
  const images = readImagesOption(app.node.tryGetContext('images') ?? process.env.MODELSTACK_IMAGES);
  buildAwsPlatform(app, config, env ? env.split(',') : undefined, { versions, images });
  app.synth();
});
