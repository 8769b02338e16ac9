import { type ApiError, apiError, errorBody } from './api-error';
import { parsePredictions } from './payload';
import type { ParsedRequest } from './request';

/** What one request came to: an answer or an error, and how many instances it carried (for metrics). */
export interface Outcome {
  readonly body: string;
  /**
   * What went wrong.
   * @default - absent when the request succeeded
   */
  readonly error?: ApiError;
  readonly instances: number;
}

/** The outcome of a request that failed with `error`; its body is the error's JSON body. */
export function failed(error: ApiError, instances = 0): Outcome {
  return { body: errorBody(error), error, instances };
}

/** A 404 `UnknownModel` outcome that names the models this front end serves. */
export function unknownModel(requested: string | undefined, knownModels: readonly string[]): Outcome {
  return failed(apiError(404, 'UnknownModel', `unknown model "${requested ?? ''}": expected one of ${knownModels.join(', ')}`, 'model'));
}

/** A model server's raw answer. */
export interface UpstreamAnswer {
  readonly body: string;
  /**
   * The answer's Content-Type header.
   * @default - absent when the model server sent none
   */
  readonly contentType?: string;
}

/** How a front end reaches its model server and reports trouble; one per cloud. */
export interface PredictDeps<Rows> {
  call(rows: Rows): Promise<UpstreamAnswer>;
  /** Maps a failed call to what the caller sees (429, 502, 503, 504...). */
  classify(err: unknown): ApiError;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
  /** Log fields that describe a failed call (never the payload). */
  describe(err: unknown): Record<string, unknown>;
}

/**
 * The part of `POST /models/{model}/predict` after validation, shared by every cloud: call the model, map its
 * failure, and check that it answered one prediction per instance. `answer.inferenceId` is echoed in the body.
 */
export async function predict<Rows>(
  model: string,
  parsed: Extract<ParsedRequest, { ok: true }>,
  payload: Rows,
  deps: PredictDeps<Rows>,
  answer: { readonly inferenceId?: string } = {},
): Promise<Outcome> {
  const instances = parsed.rows.length;
  let upstream: UpstreamAnswer;
  try {
    upstream = await deps.call(payload);
  } catch (err) {
    const error = deps.classify(err);
    (error.status >= 500 ? deps.error : deps.warn)('upstream call failed', { code: error.code, ...deps.describe(err) });
    return failed(error, instances);
  }
  const predictions = parsePredictions(upstream.body, upstream.contentType, instances);
  if (!predictions || predictions.length !== instances) {
    deps.error('unreadable model response', { contentType: upstream.contentType, length: upstream.body.length });
    const got = predictions ? `${predictions.length} predictions` : 'an unreadable response';
    return failed(apiError(502, 'ModelError', `the model returned ${got} for ${instances} instances`), instances);
  }
  const body = answer.inferenceId === undefined ? { model, predictions } : { model, predictions, inferenceId: answer.inferenceId };
  return { body: JSON.stringify(body), instances };
}
