import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { type ApiError, apiError } from '../../../core/inference';
import type { UpstreamResponse } from '../upstream';

export type { UpstreamResponse } from '../upstream';

/** Sends a CSV payload to one SageMaker endpoint, tagged with the request's inference id. */
export type Invoke = (csv: string, inferenceId?: string) => Promise<UpstreamResponse>;

export function sageMakerInvoker(options: { endpointName: string; timeoutMs: number; maxAttempts: number }): Invoke {
  // The endpoint URL can be overridden with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME (tests and benchmarks do).
  const client = new SageMakerRuntimeClient({
    maxAttempts: options.maxAttempts,
    // Without throwOnRequestTimeout the SDK only logs a warning when requestTimeout passes.
    requestHandler: { requestTimeout: options.timeoutMs, throwOnRequestTimeout: true, connectionTimeout: Math.min(options.timeoutMs, 3000) },
  });
  return async (csv, inferenceId) => {
    const out = await client.send(
      // InferenceId is written into the captured record (eventMetadata.inferenceId): ground truth joins on it
      // (SageMaker Developer Guide, "Ingest Ground Truth labels and merge them with predictions").
      new InvokeEndpointCommand({ EndpointName: options.endpointName, ContentType: 'text/csv', Accept: 'application/json, text/csv', Body: csv, InferenceId: inferenceId }),
    );
    return { body: out.Body ? Buffer.from(out.Body).toString('utf8') : '', contentType: out.ContentType };
  };
}

/** Maps a SageMaker runtime (or network) failure to what the caller sees. */
export function upstreamError(err: unknown): ApiError {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; OriginalStatusCode?: number };
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  if (name === 'ModelNotReadyException') return apiError(503, 'ModelNotReady', 'the model endpoint is not ready; retry later');
  if (name === 'ThrottlingException' || status === 429) return apiError(429, 'Throttled', 'the model endpoint is throttling requests; retry with backoff');
  if (name === 'ModelError') return apiError(502, 'ModelError', `the model failed to answer${e.OriginalStatusCode ? ` (status ${e.OriginalStatusCode})` : ''}`);
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError' || /ETIMEDOUT|timed? ?out/i.test(String((err as Error)?.message))) {
    return apiError(504, 'UpstreamTimeout', 'the model endpoint did not answer in time');
  }
  if (status !== undefined || name === 'ValidationError' || name === 'ServiceUnavailable' || name === 'InternalFailure') {
    return apiError(502, 'UpstreamError', 'the model endpoint returned an error');
  }
  return apiError(500, 'InternalError', 'internal error');
}
