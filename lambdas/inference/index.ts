// Lambda entry point (bundled by esbuild): configuration and clients are built once per cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { readInferenceConfig } from './config';
import { createInferenceHandler } from './handler';
import { sageMakerInvoker } from './sagemaker';

const config = readInferenceConfig(process.env);
const metrics = new Metrics({ namespace: 'ModelStack', serviceName: 'inference' });
if (config.model) metrics.setDefaultDimensions({ Model: config.model });

export const handler = createInferenceHandler({
  config,
  logger: new Logger({ serviceName: 'inference' }),
  metrics,
  invoke: config.endpointName
    ? sageMakerInvoker({ endpointName: config.endpointName, timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts })
    : undefined,
});
