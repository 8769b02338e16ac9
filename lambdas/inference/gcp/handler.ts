import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { CaptureWriter } from '../../../core/capture';
import { type ApiError, apiError, compileRequestParser, failed, type Outcome, predict, type UpstreamAnswer, unknownModel } from '../../../core/inference';
import { errorFields, type GcpLogger } from '../../shared/gcp/log';
import { type FunctionRequest, requestBody } from '../../shared/gcp/request-body';
import type { InferenceConfig } from '../config';
import { type VertexPredict, vertexError } from './vertex';

export interface GcpInferenceDeps {
  readonly config: InferenceConfig;
  readonly predict?: VertexPredict;
  /**
   * Maps a failed `predict` to the caller's error (`cloudRunError` for a model on Cloud Run).
   * @default vertexError
   */
  readonly classify?: (err: unknown) => ApiError;
  readonly logger: GcpLogger;
  /**
   * Capture at the API, for endpoints whose request-response logging is not available: as on AWS, a due batch is
   * written when a request starts and the request's end waits for it at most `flushWaitMs`. Cloud Run functions
   * may throttle an instance's CPU between requests, so nothing runs on a timer there either.
   * @default - no capture
   */
  readonly capture?: { readonly writer: CaptureWriter; readonly flushWaitMs: number };
}

const ROUTE = /^\/models\/([^/]+)\/predict\/?$/;

/**
 * `POST /models/{model}/predict` on Cloud Run functions: the AWS API's route, validation (the shared request
 * parser), response `{ "model", "predictions" }` and error body `{ "error": { code, message, field? } }`, with
 * the model's Vertex AI endpoint (or Cloud Run service) behind it.
 */
export function createGcpInferenceHandler(deps: GcpInferenceDeps): (req: FunctionRequest, res: ServerResponse) => Promise<void> {
  const { config, logger } = deps;
  const parse = compileRequestParser(config.features, config);

  async function handle(req: FunctionRequest): Promise<Outcome> {
    const route = ROUTE.exec(new URL(req.url ?? '/', 'http://function').pathname);
    if (!route) return failed(apiError(404, 'BadRequest', 'expected POST /models/{model}/predict', 'path'));
    if (req.method !== 'POST') return failed(apiError(405, 'BadRequest', `method ${req.method}: expected POST`, 'method'));
    const requested = decodeURIComponent(route[1]);
    if (!config.model || requested !== config.model || !deps.predict) return unknownModel(requested, config.knownModels);
    const parsed = parse(await requestBody(req, config.maxBodyBytes));
    if (!parsed.ok) return failed(parsed.error);
    const call = deps.predict;
    const writer = deps.capture?.writer;
    // Captured here, a request gets an inference id (the caller's or a new one), returned and written with the record
    // so labels can name it, as on AWS. Vertex AI's own request log keys its rows by its own request_id instead.
    const inferenceId = writer ? (parsed.inferenceId ?? randomUUID()) : undefined;
    let answer: UpstreamAnswer | undefined;
    const outcome = await predict(
      config.model,
      parsed,
      parsed.rows,
      {
        call: async (rows) => (answer = await call(rows)),
        classify: deps.classify ?? vertexError,
        warn: (message, fields) => logger.warn(message, fields),
        error: (message, fields) => logger.error(message, fields),
        describe: errorFields,
      },
      { inferenceId },
    );
    if (writer && !outcome.error && answer) {
      try {
        // The JSON Vertex AI receives; the drift job reads {"instances": [...]} rows like SageMaker's JSON captures.
        if (writer.sample()) writer.add({ input: JSON.stringify({ instances: parsed.rows }), inputType: 'application/json', output: answer.body, outputType: answer.contentType ?? 'application/json', inferenceId });
      } catch (err) {
        logger.error('capture failed', errorFields(err));
      }
    }
    return outcome;
  }

  return async (req, res) => {
    const started = performance.now();
    deps.capture?.writer.flushIfDue();
    let outcome: Outcome;
    try {
      outcome = await handle(req);
    } catch (err) {
      // Nothing above should throw; if it does, the caller still gets JSON and no stack trace.
      logger.error('unhandled error', errorFields(err));
      outcome = failed(apiError(500, 'InternalError', 'internal error'));
    }
    const status = outcome.error?.status ?? 200;
    if (deps.capture) await deps.capture.writer.settle(deps.capture.flushWaitMs);
    const capture = deps.capture?.writer.takeStats();
    // One line per request: Cloud Logging turns it into a log-based view of latency, size and error codes.
    logger.info('prediction', {
      status,
      code: outcome.error?.code,
      instances: outcome.instances,
      latencyMs: Math.round(performance.now() - started),
      ...(capture && { captureSampled: capture.sampled, captureWritten: capture.written, captureDropped: capture.failed, captureFailures: capture.failedWrites }),
    });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(outcome.body);
  };
}
