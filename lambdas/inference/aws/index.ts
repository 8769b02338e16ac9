// Lambda entry point (bundled by esbuild): configuration and clients are built once per cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { apiCapture, readInferenceConfig } from '../config';
import { createInferenceHandler } from './handler';
import { s3CaptureStore } from './s3-capture-store';
import { sageMakerInvoker } from './sagemaker';

const config = readInferenceConfig(process.env);
const metrics = new Metrics({ namespace: 'ModelStack', serviceName: 'inference' });
if (config.model) metrics.setDefaultDimensions({ Model: config.model });

const logger = new Logger({ serviceName: 'inference' });

export const handler = createInferenceHandler({
  config,
  logger,
  metrics,
  invoke: config.endpointName
    ? sageMakerInvoker({ endpointName: config.endpointName, timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts })
    : undefined,
  // One buffer per execution environment; see docs/operations.md ("Capture at the inference API").
  capture: apiCapture(
    config.capture,
    (bucket) => s3CaptureStore({ bucket, region: process.env.AWS_REGION ?? '', endpoint: process.env.AWS_ENDPOINT_URL_S3 || undefined }),
    (err, records) => logger.error('capture batch not written', { records, error: (err as Error)?.name, message: (err as Error)?.message }),
  ),
});
