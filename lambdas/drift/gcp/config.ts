import type { DriftCheckSpec } from '../../../core/drift-job';
import { DRIFT_ENV, readDriftConfig } from '../config';

/** Environment variables of the GCP drift function on top of the shared ones in `DRIFT_ENV`. */
export const GCP_DRIFT_ENV = {
  artifactsBucket: 'ARTIFACTS_BUCKET',
  baselinesBucket: 'BASELINES_BUCKET',
  reportsBucket: 'REPORTS_BUCKET',
  project: 'PROJECT_ID',
  region: 'REGION',
  /** `projects/<p>/topics/<t>`. */
  topic: 'DRIFT_TOPIC',
  /** `projects/<p>/locations/<r>/workflows/<w>`; without it every window is checked in one pass. */
  workflow: 'WORKFLOW',
  /** `<project>.<dataset>.<table>` of the endpoint's request-response log; unset when the inference function captures. */
  requestLogTable: 'REQUEST_LOG_TABLE',
  exportPageRows: 'EXPORT_PAGE_ROWS',
} as const;

export interface GcpDriftConfig {
  readonly spec: DriftCheckSpec;
  readonly buckets: { readonly artifacts: string; readonly baselines: string; readonly reports: string };
  readonly project: string;
  readonly region: string;
  readonly topic: string;
  readonly workflow?: string;
  /** Undefined when the endpoint cannot log (a private endpoint): the inference function writes the captures. */
  readonly requestLogTable?: string;
  readonly exportPageRows: number;
}

/**
 * Reads the function's configuration. The check itself is specified exactly as on AWS (`readDriftConfig`, the
 * same variables): the endpoint id stands in for the SageMaker endpoint name and Vertex AI has no variants, so
 * captures are exported under `data-capture/<model>/<endpoint id>/AllTraffic/`.
 */
export function readGcpDriftConfig(env: NodeJS.ProcessEnv): GcpDriftConfig {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set`);
    return value;
  };
  const topic = required(GCP_DRIFT_ENV.topic);
  const { spec } = readDriftConfig({
    ...env,
    [DRIFT_ENV.bucket]: required(GCP_DRIFT_ENV.artifactsBucket),
    [DRIFT_ENV.eventBus]: topic,
    [DRIFT_ENV.variantName]: 'AllTraffic',
  });
  const pageRows = Number(env[GCP_DRIFT_ENV.exportPageRows] || 10_000);
  if (!Number.isInteger(pageRows) || pageRows < 1) throw new Error(`${GCP_DRIFT_ENV.exportPageRows}=${env[GCP_DRIFT_ENV.exportPageRows]}: expected a positive integer`);
  return {
    spec,
    buckets: { artifacts: required(GCP_DRIFT_ENV.artifactsBucket), baselines: required(GCP_DRIFT_ENV.baselinesBucket), reports: required(GCP_DRIFT_ENV.reportsBucket) },
    project: required(GCP_DRIFT_ENV.project),
    region: required(GCP_DRIFT_ENV.region),
    topic,
    workflow: env[GCP_DRIFT_ENV.workflow] || undefined,
    requestLogTable: env[GCP_DRIFT_ENV.requestLogTable] || undefined,
    exportPageRows: pageRows,
  };
}
