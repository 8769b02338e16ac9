import type { InputFeature } from '../../core/inference';
import { positiveIntEnv, requiredEnv } from '../shared/env';

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
  const required = (name: string) => requiredEnv(env, name);
  return {
    model: required(STREAMING_ENV.model),
    endpointName: required(STREAMING_ENV.endpointName),
    deliveryStreamName: required(STREAMING_ENV.deliveryStreamName),
    features: JSON.parse(required(STREAMING_ENV.features)) as InputFeature[],
    maxBodyBytes: positiveIntEnv(env, STREAMING_ENV.maxBodyBytes, 1024 * 1024),
    maxInstances: positiveIntEnv(env, STREAMING_ENV.maxInstances, 100),
    upstreamTimeoutMs: positiveIntEnv(env, STREAMING_ENV.upstreamTimeoutMs, 10_000),
  };
}

