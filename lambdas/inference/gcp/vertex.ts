import { type ApiError, apiError, type Row } from '../../../core/inference';
import { type AccessTokenProvider, errorDetail, GoogleApiError, googleHttp } from '../../shared/gcp/google-http';
import type { UpstreamResponse } from '../upstream';

/** Sends validated rows (feature order) to one Vertex AI endpoint as `{ "instances": [[...], ...] }`. */
export type VertexPredict = (rows: readonly Row[]) => Promise<UpstreamResponse>;

export interface VertexPredictOptions {
  /** `projects/<project>/locations/<region>/endpoints/<id>`. */
  readonly endpoint: string;
  readonly accessToken: AccessTokenProvider;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Attempts, the first included: 429 and 5xx answers are retried with backoff, timeouts are not. */
  readonly maxAttempts: number;
  /** Default `https://<region>-aiplatform.googleapis.com`; tests point it at a loopback server. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Vertex AI answered with an error status after its retries. */
export class VertexPredictError extends Error {
  constructor(
    readonly status: number,
    /** Google's canonical code, such as FAILED_PRECONDITION. */
    readonly detail: string,
  ) {
    super(`Vertex AI predict: HTTP ${status} ${detail}`);
    this.name = 'VertexPredictError';
  }
}

const ENDPOINT = /^projects\/[^/]+\/locations\/([a-z]+-[a-z]+\d+)\/endpoints\/\d+$/;

/**
 * The HTTP client of a prediction call: the caller is waiting, so a timed-out prediction answers 504 rather than
 * doubling the wait, and retries back off quickly (100 ms to 1 s). Shared by the Vertex AI and Cloud Run predictors.
 */
export function predictionHttp(options: { token: AccessTokenProvider; maxAttempts: number; timeoutMs: number; fetch?: typeof fetch; sleep?: (ms: number) => Promise<void> }): ReturnType<typeof googleHttp> {
  return googleHttp({
    accessToken: options.token,
    maxAttempts: options.maxAttempts,
    timeoutMs: options.timeoutMs,
    retryTimeouts: false,
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    fetch: options.fetch,
    sleep: options.sleep,
  });
}

export function vertexPredictor(options: VertexPredictOptions): VertexPredict {
  const match = ENDPOINT.exec(options.endpoint);
  if (!match) throw new Error(`endpoint "${options.endpoint}": expected projects/<project>/locations/<region>/endpoints/<numeric id>`);
  const base = (options.baseUrl ?? `https://${match[1]}-aiplatform.googleapis.com`).replace(/\/+$/, '');
  const url = `${base}/v1/${options.endpoint}:predict`;
  const send = predictionHttp({ ...options, token: options.accessToken });
  return async (rows) => {
    const response = await send('Vertex AI predict', url, { method: 'POST', json: { instances: rows } });
    if (!response.ok) throw new VertexPredictError(response.status, await errorDetail(response));
    return { body: await response.text(), contentType: response.headers.get('content-type') ?? 'application/json' };
  };
}

/** Maps a Vertex AI (or network) failure to what the caller sees, with the AWS API's codes. */
export function vertexError(err: unknown): ApiError {
  if (err instanceof GoogleApiError) {
    return err.timedOut ? apiError(504, 'UpstreamTimeout', 'the model endpoint did not answer in time') : apiError(502, 'UpstreamError', 'the model endpoint could not be reached');
  }
  if (!(err instanceof VertexPredictError)) return apiError(500, 'InternalError', 'internal error');
  const { status, detail } = err;
  if (status === 429) return apiError(429, 'Throttled', 'the model endpoint is throttling requests; retry with backoff');
  // Vertex AI answers FAILED_PRECONDITION while no model is deployed to the endpoint.
  if (status === 400 && /FAILED_PRECONDITION/.test(detail)) return apiError(503, 'ModelNotReady', 'the model endpoint is not ready; retry later');
  // The request passed our schema, so the model rejecting it (400) or failing (500) is a model error.
  if (status === 400 || status === 500) return apiError(502, 'ModelError', `the model failed to answer (status ${status})`);
  if (status === 504) return apiError(504, 'UpstreamTimeout', 'the model endpoint did not answer in time');
  return apiError(502, 'UpstreamError', 'the model endpoint returned an error');
}
