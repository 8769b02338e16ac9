import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { CaptureStats, CaptureWriter } from '../../../core/capture';
import { apiError, compileRequestParser, failed, type Outcome, predict, rowsToCsv, type UpstreamAnswer, unknownModel } from '../../../core/inference';
import type { InferenceConfig } from '../config';
import { type Invoke, upstreamError } from './sagemaker';

export interface InferenceDeps {
  readonly config: InferenceConfig;
  readonly invoke?: Invoke;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Capture at the API (for endpoints that cannot capture): sampled successful predictions are buffered in
   * `writer`; a due batch is written when a request starts, overlapping the endpoint call, and the request's end
   * waits for it at most `flushWaitMs`.
   * @default - no capture
   */
  readonly capture?: { readonly writer: CaptureWriter; readonly flushWaitMs: number };
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
    const csv = rowsToCsv(parsed.rows);
    let answer: UpstreamAnswer | undefined;
    const outcome = await predict(config.model, parsed, csv, {
      call: async (rows) => (answer = await invoke(rows, inferenceId)),
      classify: upstreamError,
      warn: (message, fields) => logger.warn(message, fields),
      error: (message, fields) => logger.error(message, fields),
      describe: (err) => ({ upstream: (err as Error)?.name }),
    }, { inferenceId });
    if (deps.capture && !outcome.error && answer) captureExchange(deps.capture.writer, { input: csv, inputType: 'text/csv', output: answer.body, outputType: answer.contentType, inferenceId });
    return outcome;
  }

  /** Capture never fails a prediction: a throw here is logged and the answer goes out. */
  function captureExchange(writer: CaptureWriter, exchange: Parameters<CaptureWriter['add']>[0]): void {
    try {
      if (writer.sample()) writer.add(exchange);
    } catch (err) {
      logger.error('capture failed', err as Error);
    }
  }

  return async (event, context) => {
    const started = performance.now();
    logger.addContext(context);
    // Lambda freezes the environment once the handler returns, so nothing runs on a timer: a due batch starts here,
    // overlapping the endpoint call, and the end of the request waits for it, bounded (docs/operations.md).
    deps.capture?.writer.flushIfDue();
    let outcome: Outcome;
    try {
      outcome = await handle(event);
    } catch (err) {
      // Nothing above should throw; if it does, the caller still gets JSON and no stack trace.
      logger.error('unhandled error', err as Error);
      outcome = failed(apiError(500, 'InternalError', 'internal error'));
    }
    if (deps.capture) await deps.capture.writer.settle(deps.capture.flushWaitMs);
    recordMetrics(metrics, outcome, performance.now() - started, deps.capture?.writer.takeStats());
    return { statusCode: outcome.error?.status ?? 200, headers: { 'content-type': 'application/json' }, body: outcome.body };
  };
}

function recordMetrics(metrics: Metrics, outcome: Outcome, latencyMs: number, capture: CaptureStats | undefined): void {
  metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  if (capture) {
    // Batches finish between requests, so these count what happened since the previous request's metrics.
    metrics.addMetric('CaptureSampled', MetricUnit.Count, capture.sampled);
    metrics.addMetric('CaptureWritten', MetricUnit.Count, capture.written);
    metrics.addMetric('CaptureDropped', MetricUnit.Count, capture.failed);
    metrics.addMetric('CaptureFailures', MetricUnit.Count, capture.failedWrites);
  }
  if (outcome.instances > 0) metrics.addMetric('InstancesPerRequest', MetricUnit.Count, outcome.instances);
  if (outcome.error) {
    const byCode = metrics.singleMetric();
    byCode.addDimension('StatusCode', String(outcome.error.status));
    byCode.addDimension('ErrorCode', outcome.error.code);
    byCode.addMetric(outcome.error.status >= 500 ? 'Errors5xx' : 'Errors4xx', MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}
