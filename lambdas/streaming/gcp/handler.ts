import type { ServerResponse } from 'node:http';
import { apiError, type ApiError, compileRequestParser, errorBody, parsePredictions } from '../../../core/inference';
import { type VertexPredict, vertexError } from '../../inference/gcp/vertex';
import { errorFields, type GcpLogger } from '../../shared/gcp/log';
import { type FunctionRequest, requestBody } from '../../shared/gcp/request-body';
import type { StreamingResultRow, WriteResult } from './bigquery-results';
import type { GcpStreamingConfig } from './config';

export interface GcpStreamingDeps {
  readonly config: GcpStreamingConfig;
  /** Scores validated rows: the Vertex AI endpoint (`vertexPredictor`) or the model's Cloud Run service (`cloudRunPredictor`). */
  readonly predict: VertexPredict;
  /**
   * Maps a failed `predict` to the API error it answers with (its status decides redelivery): `cloudRunError` for a
   * Cloud Run service.
   * @default vertexError
   */
  readonly classify?: (err: unknown) => ApiError;
  readonly write: WriteResult;
  readonly logger: GcpLogger;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** What a Pub/Sub push subscription POSTs (https://cloud.google.com/pubsub/docs/push, "Receive messages"). */
interface PushEnvelope {
  readonly message: { readonly data?: string; readonly messageId: string; readonly publishTime?: string; readonly orderingKey?: string };
  readonly subscription?: string;
  readonly deliveryAttempt?: number;
}

/**
 * Scores one Pub/Sub push message on Cloud Run functions, as the AWS function scores one Kinesis record: the data is a
 * request body as the API takes it (`{ "instances": [...] }`), validated by the same parser, sent to the model's
 * Vertex AI endpoint or Cloud Run service, and one result row (predictions, or the validation error) goes to BigQuery. A message that fails
 * validation is written with its error and acknowledged (it would fail the same way again); a failed endpoint call or
 * row write answers with the API's error status, which Pub/Sub counts as a negative acknowledgement: it redelivers
 * with backoff and, after the subscription's `maxDeliveryAttempts`, forwards the message to the dead-letter topic.
 */
export function createGcpStreamingHandler(deps: GcpStreamingDeps): (req: FunctionRequest, res: ServerResponse) => Promise<void> {
  const { config, logger } = deps;
  const parse = compileRequestParser(config.features, config);
  const now = deps.now ?? (() => new Date());
  const classify = deps.classify ?? vertexError;
  // Base64 grows the data by a third; the envelope adds a little.
  const maxEnvelopeBytes = Math.ceil((config.maxBodyBytes * 4) / 3) + 64 * 1024;

  async function handle(req: FunctionRequest): Promise<{ status: number; body: string; fields: Record<string, unknown> }> {
    if (req.method !== 'POST') return failed(apiError(405, 'BadRequest', `method ${req.method}: expected POST`, 'method'));
    const envelope = pushEnvelope(await requestBody(req, maxEnvelopeBytes));
    if (!envelope) return failed(apiError(400, 'BadRequest', 'body: expected a Pub/Sub push message ({ "message": { "data", "messageId" } })', 'body'));
    const { message } = envelope;
    const base = {
      model: config.model,
      message_id: message.messageId,
      ordering_key: message.orderingKey || null,
      publish_time: message.publishTime ?? null,
      scored_at: now().toISOString(),
    };
    const fields = { messageId: message.messageId, deliveryAttempt: envelope.deliveryAttempt };
    const data = message.data === undefined ? undefined : Buffer.from(message.data, 'base64').toString('utf8');
    const parsed = parse(data);
    let row: StreamingResultRow;
    if (!parsed.ok) {
      const { code, message: reason, field } = parsed.error;
      row = { ...base, predictions: null, error_code: code, error_message: reason, error_field: field ?? null };
    } else {
      try {
        const upstream = await deps.predict(parsed.rows);
        const predictions = parsePredictions(upstream.body, upstream.contentType, parsed.rows.length);
        if (!predictions || predictions.length !== parsed.rows.length) return failed(apiError(502, 'ModelError', 'the model answered with an unreadable response'), fields);
        row = { ...base, predictions: JSON.stringify(predictions), error_code: null, error_message: null, error_field: null };
      } catch (err) {
        const error = classify(err);
        logger.warn('scoring failed; Pub/Sub will redeliver the message', { ...fields, code: error.code, ...errorFields(err) });
        return failed(error, fields);
      }
    }
    try {
      await deps.write(row);
    } catch (err) {
      logger.error('result not written; Pub/Sub will redeliver the message', { ...fields, ...errorFields(err) });
      return failed(apiError(503, 'UpstreamError', 'the result could not be written; retry later'), fields);
    }
    return { status: 200, body: JSON.stringify({ model: config.model, messageId: message.messageId, scored: row.error_code === null }), fields: { ...fields, code: row.error_code ?? undefined } };
  }

  return async (req, res) => {
    const started = performance.now();
    let outcome: { status: number; body: string; fields: Record<string, unknown> };
    try {
      outcome = await handle(req);
    } catch (err) {
      logger.error('unhandled error', errorFields(err));
      outcome = failed(apiError(500, 'InternalError', 'internal error'));
    }
    logger.info('stream message', { status: outcome.status, ...outcome.fields, latencyMs: Math.round(performance.now() - started) });
    res.writeHead(outcome.status, { 'content-type': 'application/json' });
    res.end(outcome.body);
  };
}

function failed(error: ApiError, fields: Record<string, unknown> = {}) {
  return { status: error.status, body: errorBody(error), fields: { ...fields, code: error.code } };
}

/** The push envelope, or undefined when the body is not one. */
function pushEnvelope(body: string | undefined): PushEnvelope | undefined {
  if (!body) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const message = (json as { message?: unknown } | null)?.message as Record<string, unknown> | undefined;
  if (typeof message !== 'object' || message === null || typeof message.messageId !== 'string' || (message.data !== undefined && typeof message.data !== 'string')) return undefined;
  return json as PushEnvelope;
}
