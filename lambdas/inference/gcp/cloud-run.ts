import { type ApiError, apiError } from '../../../core/inference';
import { type AccessTokenProvider, errorDetail, GoogleApiError } from '../../shared/gcp/google-http';
import { predictionHttp, type VertexPredict } from './vertex';

export interface CloudRunPredictOptions {
  /** The service's URL, `https://<service>-<project number>.<region>.run.app`; also the identity token's audience. */
  readonly url: string;
  /** Identity tokens for the service's URL (`metadataIdTokenProvider(url)`). */
  readonly idToken: AccessTokenProvider;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** Attempts, the first included: 429 and 5xx answers are retried with backoff, timeouts are not. */
  readonly maxAttempts: number;
  /**
   * The model server's predict route (`AIP_PREDICT_ROUTE` of the service).
   * @default '/predict'
   */
  readonly predictRoute?: string;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The model's Cloud Run service answered with an error status after its retries, or not as the model server does. */
export class CloudRunPredictError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    /** A 2xx that is not the model server's JSON: the service still runs the placeholder image (no version deployed). */
    readonly notModelServer = false,
  ) {
    super(`Cloud Run predict: HTTP ${status} ${detail}`);
    this.name = 'CloudRunPredictError';
  }
}

/**
 * Sends validated rows (feature order) to the model server on Cloud Run as `{ "instances": [[...], ...] }`, the body
 * Vertex AI would forward, with an identity token for the service (https://cloud.google.com/run/docs/authenticating/service-to-service).
 */
export function cloudRunPredictor(options: CloudRunPredictOptions): VertexPredict {
  const base = options.url.replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+$/.test(base)) throw new Error(`Cloud Run URL "${options.url}": expected https://<host>`);
  const url = `${base}${options.predictRoute ?? '/predict'}`;
  const send = predictionHttp({ ...options, token: options.idToken });
  return async (rows) => {
    const response = await send('Cloud Run predict', url, { method: 'POST', json: { instances: rows } });
    if (!response.ok) throw new CloudRunPredictError(response.status, await errorDetail(response));
    const contentType = response.headers.get('content-type') ?? '';
    const body = await response.text();
    if (!/^application\/json\b/i.test(contentType)) throw new CloudRunPredictError(response.status, `answered ${contentType || 'no content type'}, not JSON`, true);
    return { body, contentType };
  };
}

/** Maps a Cloud Run (or network) failure to what the caller sees, with the same codes as for a Vertex AI endpoint. */
export function cloudRunError(err: unknown): ApiError {
  if (err instanceof GoogleApiError) {
    return err.timedOut ? apiError(504, 'UpstreamTimeout', 'the model endpoint did not answer in time') : apiError(502, 'UpstreamError', 'the model endpoint could not be reached');
  }
  if (!(err instanceof CloudRunPredictError)) return apiError(500, 'InternalError', 'internal error');
  const { status } = err;
  if (err.notModelServer) return apiError(503, 'ModelNotReady', 'no model version is deployed yet; retry later');
  if (status === 429) return apiError(429, 'Throttled', 'the model endpoint is throttling requests; retry with backoff');
  // The model server answers 503 while its model loads (its health route says so too).
  if (status === 503) return apiError(503, 'ModelNotReady', 'the model endpoint is not ready; retry later');
  // The request passed our schema, so the model server rejecting it (4xx but auth) or failing (500) is a model error.
  if (status === 500 || (status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 404)) {
    return apiError(502, 'ModelError', `the model failed to answer (status ${status})`);
  }
  if (status === 504) return apiError(504, 'UpstreamTimeout', 'the model endpoint did not answer in time');
  // 401/403 (the function's account is not an invoker), 404 (no such service) and other statuses: a platform fault.
  return apiError(502, 'UpstreamError', 'the model endpoint returned an error');
}
