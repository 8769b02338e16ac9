import type { InputFeature } from '../core/inference';

/** What one streaming function scores, read once at cold start from its environment. */
export interface StreamingConfig {
  readonly model: string;
  readonly endpointName: string;
  readonly deliveryStreamName: string;
  readonly features: readonly InputFeature[];
  readonly maxBodyBytes: number;
  readonly maxInstances: number;
  readonly upstreamTimeoutMs: number;
}

/** Environment variable names, shared with the construct that sets them. */
export const STREAMING_ENV = {
  model: 'MODEL_NAME',
  endpointName: 'ENDPOINT_NAME',
  deliveryStreamName: 'DELIVERY_STREAM_NAME',
  features: 'MODEL_FEATURES',
  maxBodyBytes: 'MAX_BODY_BYTES',
  maxInstances: 'MAX_INSTANCES',
  upstreamTimeoutMs: 'UPSTREAM_TIMEOUT_MS',
} as const;

export function readStreamingConfig(env: NodeJS.ProcessEnv): StreamingConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set`);
    return value;
  };
  return {
    model: required(STREAMING_ENV.model),
    endpointName: required(STREAMING_ENV.endpointName),
    deliveryStreamName: required(STREAMING_ENV.deliveryStreamName),
    features: JSON.parse(required(STREAMING_ENV.features)) as InputFeature[],
    maxBodyBytes: positiveInt(env, STREAMING_ENV.maxBodyBytes, 1024 * 1024),
    maxInstances: positiveInt(env, STREAMING_ENV.maxInstances, 100),
    upstreamTimeoutMs: positiveInt(env, STREAMING_ENV.upstreamTimeoutMs, 10_000),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: expected a positive integer`);
  return value;
}
