// Lambda entry point (bundled by esbuild): configuration and clients are built once per cold start.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { sageMakerInvoker } from '../../inference/aws/sagemaker';
import { readStreamingConfig } from '../config';
import { firehoseDeliverer } from './firehose';
import { createStreamingHandler } from './handler';

const config = readStreamingConfig(process.env);
const metrics = new Metrics({ namespace: 'ModelStack', serviceName: 'streaming' });
metrics.setDefaultDimensions({ Model: config.model });

export const handler = createStreamingHandler({
  config,
  logger: new Logger({ serviceName: 'streaming' }),
  metrics,
  invoke: sageMakerInvoker({ endpointName: config.endpointName, timeoutMs: config.upstreamTimeoutMs, maxAttempts: 2 }),
  deliver: firehoseDeliverer(config.deliveryStreamName),
});
