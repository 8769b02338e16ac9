#!/usr/bin/env node
// The pipeline app: `npx cdk deploy --app "npx tsx infra/aws/pipeline-main.ts"` deploys the CDK Pipelines pipeline
// once (from the tooling account); after that the pipeline updates itself and deploys every environment.
import { App } from 'aws-cdk-lib';
import { exitOnConfigError, resolveConfig } from '../config/load';
import { readImagesOption } from '../config/images';
import { readVersionsOption } from '../config/versions';
import { buildPipelineApp } from './pipeline';

exitOnConfigError(() => {
  const app = new App();
  const { config } = resolveConfig({ contextPath: app.node.tryGetContext('config') });
  // `-c images=<file>`: what the pipeline's build step pushed, served by digest.
  buildPipelineApp(app, config, readVersionsOption(app.node.tryGetContext('versions')), readImagesOption(app.node.tryGetContext('images')));
  app.synth();
});
