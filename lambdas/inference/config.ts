import { type CaptureStore, CaptureWriter } from '../../core/capture';
import type { InputFeature } from '../../core/inference';
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
  /**
   * Capture at the API, for endpoints that cannot capture themselves (SageMaker serverless).
   * @default - no capture by the function
   */
  readonly capture?: ApiCaptureConfig;
}

/** Where and how the function writes sampled requests and responses in SageMaker's data-capture format. */
export interface ApiCaptureConfig {
  /** The registry bucket. */
  readonly bucket: string;
  /** The endpoint's capture folder, `data-capture/<model>/<endpoint>/AllTraffic/`. */
  readonly prefix: string;
  /** Share of successful predictions captured, 1 to 100. */
  readonly samplingPercentage: number;
  /** A batch is written once it holds this many records. */
  readonly maxRecords: number;
  /** ... or once its oldest record is this old (checked when a request starts). */
  readonly maxAgeMs: number;
  /** How long the end of a request waits for a batch write in flight before it answers anyway. */
  readonly flushWaitMs: number;
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
  /** Google Cloud: the model's Cloud Run service URL; predictions go to `<url>/predict` instead of a Vertex AI endpoint. */
  cloudRunUrl: 'CLOUD_RUN_URL',
  /** Capture at the API: the bucket (S3 or Cloud Storage) the records go to; unset turns capture off. */
  captureBucket: 'CAPTURE_BUCKET',
  capturePrefix: 'CAPTURE_PREFIX',
  captureSamplingPercentage: 'CAPTURE_SAMPLING_PERCENTAGE',
  captureMaxRecords: 'CAPTURE_MAX_RECORDS',
  captureMaxAgeMs: 'CAPTURE_MAX_AGE_MS',
  captureFlushWaitMs: 'CAPTURE_FLUSH_WAIT_MS',
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
    capture: model ? readCaptureConfig(env) : undefined,
  };
}

/** Defaults of the capture batching; see docs/operations.md ("Capture at the inference API") for the trade-off. */
export const API_CAPTURE_DEFAULTS = { maxRecords: 100, maxAgeMs: 30_000, flushWaitMs: 50 } as const;

function readCaptureConfig(env: NodeJS.ProcessEnv): ApiCaptureConfig | undefined {
  const bucket = env[INFERENCE_ENV.captureBucket] || undefined;
  if (!bucket) return undefined;
  const prefix = env[INFERENCE_ENV.capturePrefix] ?? '';
  if (!/^data-capture\/.+\/$/.test(prefix)) throw new Error(`${INFERENCE_ENV.capturePrefix}="${prefix}": expected data-capture/<model>/<endpoint>/<variant>/`);
  const samplingPercentage = positiveIntEnv(env, INFERENCE_ENV.captureSamplingPercentage, 0);
  if (samplingPercentage < 1 || samplingPercentage > 100) {
    throw new Error(`${INFERENCE_ENV.captureSamplingPercentage}=${env[INFERENCE_ENV.captureSamplingPercentage] ?? ''}: expected an integer from 1 to 100`);
  }
  return {
    bucket,
    prefix,
    samplingPercentage,
    maxRecords: positiveIntEnv(env, INFERENCE_ENV.captureMaxRecords, API_CAPTURE_DEFAULTS.maxRecords),
    maxAgeMs: positiveIntEnv(env, INFERENCE_ENV.captureMaxAgeMs, API_CAPTURE_DEFAULTS.maxAgeMs),
    flushWaitMs: positiveIntEnv(env, INFERENCE_ENV.captureFlushWaitMs, API_CAPTURE_DEFAULTS.flushWaitMs),
  };
}


/**
 * The capture an inference handler takes, from the function's capture settings: one writer, so one buffer, per
 * execution environment (built at cold start), writing to `store(bucket)`.
 */
export function apiCapture(
  capture: ApiCaptureConfig | undefined,
  store: (bucket: string) => CaptureStore,
  onError: (err: unknown, records: number) => void,
): { readonly writer: CaptureWriter; readonly flushWaitMs: number } | undefined {
  if (!capture) return undefined;
  const { prefix, samplingPercentage, maxRecords, maxAgeMs } = capture;
  return { flushWaitMs: capture.flushWaitMs, writer: new CaptureWriter({ prefix, samplingPercentage, maxRecords, maxAgeMs, store: store(capture.bucket), onError }) };
}
