/**
 * What the drift check on Google Cloud writes, and what the platform's alerts, dashboard and retraining trigger
 * read. The drift function imports these rather than repeating the strings. No cdktf imports: runtime code can
 * load this file cheaply.
 */

/** Custom Cloud Monitoring metric types (GAUGE; labelled with `DRIFT_METRIC_LABELS`). */
export const DRIFT_METRICS = {
  /** Share of the model's features that drifted in the latest check, 0 to 1 (DOUBLE). */
  share: 'custom.googleapis.com/modelstack/drift_share',
  /** 1 when a drift check failed to run to completion (unreadable window, missing baseline), else 0 (INT64). */
  checkFailures: 'custom.googleapis.com/modelstack/drift_check_failures',
  /** Data-integrity checks that failed in the latest window (missing columns, missing-rate rises, ...), 0 when none (INT64). */
  integrityFailures: 'custom.googleapis.com/modelstack/integrity_failures',
} as const;

/** Monitored-resource type the drift time series are written against. */
export const DRIFT_METRIC_RESOURCE_TYPE = 'global';

/** Labels on every drift time series. */
export const DRIFT_METRIC_LABELS = {
  model: 'model',
  environment: 'environment',
} as const;

/** The per-environment Pub/Sub topic the drift check publishes to when a model drifts. */
export function driftTopicName(namePrefix: string): string {
  return `${namePrefix}-DriftDetected`;
}

/** Attributes of a DriftDetected message (the body is the JSON drift summary). */
export const DRIFT_EVENT_ATTRIBUTES = {
  model: 'model',
  environment: 'environment',
} as const;

/**
 * Name of a platform Cloud Function (2nd gen, so also its Cloud Run service): `<prefix>-fn-<name>`. The
 * function-error alert matches every service named this way, so functions added later are covered.
 */
export function functionServiceName(namePrefix: string, name: string): string {
  return `${namePrefix}-fn-${name}`;
}
