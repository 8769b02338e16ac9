import type { InputFeature } from '../../../core/inference';
import { positiveIntEnv, requiredEnv } from '../../shared/env';
import { INFERENCE_ENV } from '../../inference/config';
import { STREAMING_ENV } from '../config';

/** What one Google Cloud streaming function scores, read once per instance from its environment. */
export interface GcpStreamingConfig {
  readonly model: string;
  /** The Vertex AI endpoint, `projects/<p>/locations/<r>/endpoints/<id>`, or the Cloud Run service's resource name. */
  readonly endpointName: string;
  /** The model's Cloud Run service URL when it is served there; else undefined (Vertex AI). */
  readonly cloudRunUrl?: string;
  /** Where results go: `<project>.<dataset>.<table>`. */
  readonly resultsTable: string;
  readonly features: readonly InputFeature[];
  readonly maxBodyBytes: number;
  readonly maxInstances: number;
  readonly upstreamTimeoutMs: number;
}

/** Environment variable names, shared with the construct that sets them: the AWS function's, plus the results table. */
export const GCP_STREAMING_ENV = {
  model: STREAMING_ENV.model,
  endpointName: STREAMING_ENV.endpointName,
  features: STREAMING_ENV.features,
  maxBodyBytes: STREAMING_ENV.maxBodyBytes,
  maxInstances: STREAMING_ENV.maxInstances,
  upstreamTimeoutMs: STREAMING_ENV.upstreamTimeoutMs,
  resultsTable: 'RESULTS_TABLE',
  /** Where Vertex AI predictions go (tests: a loopback server). */
  vertexBaseUrl: 'VERTEX_API_BASE_URL',
  /** A model on Cloud Run (`gcp.servingOverride`): its service's URL, called with an identity token instead of Vertex AI (the inference function's variable). */
  cloudRunUrl: INFERENCE_ENV.cloudRunUrl,
} as const;

export function readGcpStreamingConfig(env: NodeJS.ProcessEnv): GcpStreamingConfig {
  const required = (name: string) => requiredEnv(env, name);
  const resultsTable = required(GCP_STREAMING_ENV.resultsTable);
  if (!/^[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w+\.[\w$-]+$/.test(resultsTable)) throw new Error(`${GCP_STREAMING_ENV.resultsTable}=${resultsTable}: expected <project>.<dataset>.<table>`);
  return {
    model: required(GCP_STREAMING_ENV.model),
    endpointName: required(GCP_STREAMING_ENV.endpointName),
    cloudRunUrl: env[GCP_STREAMING_ENV.cloudRunUrl] || undefined,
    resultsTable,
    features: JSON.parse(required(GCP_STREAMING_ENV.features)) as InputFeature[],
    maxBodyBytes: positiveIntEnv(env, GCP_STREAMING_ENV.maxBodyBytes, 1024 * 1024),
    maxInstances: positiveIntEnv(env, GCP_STREAMING_ENV.maxInstances, 100),
    upstreamTimeoutMs: positiveIntEnv(env, GCP_STREAMING_ENV.upstreamTimeoutMs, 10_000),
  };
}
