// Lambda entry point (bundled by esbuild) of the registry's package-group cleanup custom resource.
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createCleanupHandler, putResponse } from './handler';

export const handler = createCleanupHandler({
  // The endpoint URL can be overridden with AWS_ENDPOINT_URL_SAGEMAKER (tests do).
  sagemaker: new SageMakerClient({}),
  respond: putResponse,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
});
