import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { apiError, compileRequestParser, failed, type Outcome, predict, rowsToCsv, unknownModel } from '../core/inference';
import type { InferenceConfig } from './config';
import { type Invoke, upstreamError } from './sagemaker';

export interface InferenceDeps {
  readonly config: InferenceConfig;
  readonly invoke?: Invoke;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

type Result = APIGatewayProxyStructuredResultV2;

/**
 * `POST /models/{model}/predict`: validates `{ "instances": [...], "inferenceId"? }` against the model's input schema,
 * calls the model's SageMaker endpoint and answers `{ "model", "predictions", "inferenceId" }`, or
 * `{ "error": { code, message, field? } }`. The inference id (the caller's, else a new UUID) is captured with the
 * request; ground-truth labels for the request name it.
 */
export function createInferenceHandler(deps: InferenceDeps): (event: APIGatewayProxyEventV2, context: Context) => Promise<Result> {
  const { config, logger, metrics } = deps;
  const parse = compileRequestParser(config.features, config);

  async function handle(event: APIGatewayProxyEventV2): Promise<Outcome> {
    const requested = event.pathParameters?.model;
    if (!config.model || requested !== config.model || !deps.invoke) return unknownModel(requested, config.knownModels);
    const body = event.body !== undefined && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const parsed = parse(body);
    if (!parsed.ok) return failed(parsed.error);
    const invoke = deps.invoke;
    // Every prediction gets an id, the caller's or a new one, returned in the answer: labels sent later name it.
    const inferenceId = parsed.inferenceId ?? randomUUID();
    return predict(config.model, parsed, rowsToCsv(parsed.rows), {
      call: (csv) => invoke(csv, inferenceId),
      classify: upstreamError,
      warn: (message, fields) => logger.warn(message, fields),
      error: (message, fields) => logger.error(message, fields),
      describe: (err) => ({ upstream: (err as Error)?.name }),
    }, { inferenceId });
  }

  return async (event, context) => {
    const started = performance.now();
    logger.addContext(context);
    let outcome: Outcome;
    try {
      outcome = await handle(event);
    } catch (err) {
      // Nothing above should throw; if it does, the caller still gets JSON and no stack trace.
      logger.error('unhandled error', err as Error);
      outcome = failed(apiError(500, 'InternalError', 'internal error'));
    }
    recordMetrics(metrics, outcome, performance.now() - started);
    return { statusCode: outcome.error?.status ?? 200, headers: { 'content-type': 'application/json' }, body: outcome.body };
  };
}

function recordMetrics(metrics: Metrics, outcome: Outcome, latencyMs: number): void {
  metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  if (outcome.instances > 0) metrics.addMetric('InstancesPerRequest', MetricUnit.Count, outcome.instances);
  if (outcome.error) {
    const byCode = metrics.singleMetric();
    byCode.addDimension('StatusCode', String(outcome.error.status));
    byCode.addDimension('ErrorCode', outcome.error.code);
    byCode.addMetric(outcome.error.status >= 500 ? 'Errors5xx' : 'Errors4xx', MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}
