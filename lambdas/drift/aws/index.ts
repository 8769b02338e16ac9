// Lambda entry point (bundled by esbuild): configuration and clients are built once per cold start.
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { eventBridgeEvents, emfMetrics, stepFunctionsLauncher } from './aws-ports';
import { readDriftConfig } from '../config';
import { createDriftHandler } from './handler';
import { s3Store } from './s3-store';

const config = readDriftConfig(process.env);
// Bounded retries with backoff: S3 503 SlowDown, throttles and timeouts are retried at most 3 more times.
const clientConfig = { maxAttempts: 4, requestHandler: { requestTimeout: 30_000, throwOnRequestTimeout: true } };
const metrics = new Metrics({ namespace: 'ModelStack', serviceName: 'drift', defaultDimensions: { Model: config.spec.model } });

export const handler = createDriftHandler(
  config.spec,
  {
    store: s3Store(new S3Client(clientConfig), config.bucket),
    events: eventBridgeEvents(new EventBridgeClient(clientConfig), config.eventBus),
    metrics: emfMetrics(metrics),
    launcher: config.stateMachineArn ? stepFunctionsLauncher(new SFNClient(clientConfig), config.stateMachineArn, config.spec.model) : undefined,
  },
  new Logger({ serviceName: 'drift' }),
);
