// Lambda entry point (bundled by esbuild) of the training pipelines' starter.
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createStarterHandler, pipelinesFromEnvironment } from './handler';

export const handler = createStarterHandler({
  // The endpoint URL can be overridden with AWS_ENDPOINT_URL_SAGEMAKER (tests do).
  sagemaker: new SageMakerClient({}),
  pipelines: pipelinesFromEnvironment(process.env),
});
