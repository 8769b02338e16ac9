// Lambda entry point (bundled by esbuild) of the training pipelines' Baseline step.
import { S3Client } from '@aws-sdk/client-s3';
import { createBaselineHandler } from './handler';

export const handler = createBaselineHandler({
  s3: new S3Client({}),
  registryBucket: process.env.REGISTRY_BUCKET ?? '',
});
