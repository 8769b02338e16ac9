import type { InputFeature } from '../core/inference';
import { positiveIntEnv } from '../shared/env';

/** What one inference function serves, read once at cold start from its environment. */
export interface InferenceConfig {
  /** The model this function serves; undefined for the catch-all that answers 404 for unknown models. */
  readonly model?: string;
  readonly endpointName?: string;
  readonly features: readonly InputFeature[];
  /** Every model the API serves, for the 404 message. */
  readonly knownModels: readonly string[];
  readonly maxBodyBytes: number;
  readonly maxInstances: number;
  /** Per-attempt timeout of the SageMaker call. */
  readonly upstreamTimeoutMs: number;
  /** SDK attempts per request, first included (throttles and 5xx are retried). */
  readonly upstreamMaxAttempts: number;
}

/** Environment variable names, shared with the construct that sets them. */
export const INFERENCE_ENV = {
  model: 'MODEL_NAME',
  endpointName: 'ENDPOINT_NAME',
  features: 'MODEL_FEATURES',
  knownModels: 'KNOWN_MODELS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxInstances: 'MAX_INSTANCES',
  upstreamTimeoutMs: 'UPSTREAM_TIMEOUT_MS',
  upstreamMaxAttempts: 'UPSTREAM_MAX_ATTEMPTS',
  /** Google Cloud: where Vertex AI predictions go, such as a Private Service Connect endpoint's `http://<internal IP>`. */
  vertexBaseUrl: 'VERTEX_API_BASE_URL',
} as const;

export function readInferenceConfig(env: NodeJS.ProcessEnv): InferenceConfig {
  const model = env[INFERENCE_ENV.model] || undefined;
  const endpointName = env[INFERENCE_ENV.endpointName] || undefined;
  if (model && !endpointName) throw new Error(`${INFERENCE_ENV.endpointName} must be set when ${INFERENCE_ENV.model} is`);
  return {
    model,
    endpointName,
    features: model ? (JSON.parse(env[INFERENCE_ENV.features] ?? '[]') as InputFeature[]) : [],
    knownModels: (env[INFERENCE_ENV.knownModels] ?? '').split(',').filter(Boolean),
    maxBodyBytes: positiveIntEnv(env, INFERENCE_ENV.maxBodyBytes, 1024 * 1024),
    maxInstances: positiveIntEnv(env, INFERENCE_ENV.maxInstances, 100),
    upstreamTimeoutMs: positiveIntEnv(env, INFERENCE_ENV.upstreamTimeoutMs, 10_000),
    upstreamMaxAttempts: positiveIntEnv(env, INFERENCE_ENV.upstreamMaxAttempts, 2),
  };
}

