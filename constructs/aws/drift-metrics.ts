import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The embedded metrics the drift-check function publishes (namespace `ModelStack`, Powertools service `drift`).
 * Dashboards and alarms build on these helpers so their names are written in one place.
 */
export const DRIFT_METRICS = {
  namespace: 'ModelStack',
  service: 'drift',
  /** Share of drifted features in the window (0..1). */
  driftShare: 'DriftShare',
  /** 1 per window whose dataset drifted. */
  datasetDrifted: 'DatasetDrifted',
  /** Rows profiled in the window. */
  rows: 'Rows',
  /** Rows that could not be read (malformed capture records). */
  invalidRows: 'InvalidRows',
  /** 1 per window with no captured data. */
  noCaptureData: 'NoCaptureData',
  /** 1 per failed check (missing or corrupt baseline, unreadable store, ...). */
  checkFailed: 'DriftCheckFailed',
  /** Data-integrity checks that failed in the window (missing columns, missing-rate rises, ...); 0 when none. */
  integrityFailures: 'IntegrityFailures',
  /** 1 per window where the window or a feature had too few values to judge. */
  insufficientData: 'InsufficientData',
  /** Per-feature drift score; extra dimension `Feature`. */
  featureScore: 'FeatureScore',
  /** Relative drop of the main model-quality metric against the baseline (0 = as good). */
  qualityDegradation: 'QualityDegradation',
} as const;

/**
 * One of the drift-check metrics of `model` (namespace `ModelStack`, dimensions `service: drift` and `Model`).
 *
 * @param model the model name, as the drift check labels it
 * @param metricName a metric name from {@link DRIFT_METRICS}, such as `DRIFT_METRICS.driftShare`
 * @param props statistic, period and other overrides
 */
export function driftMetric(model: string, metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: DRIFT_METRICS.namespace,
    metricName,
    dimensionsMap: { service: DRIFT_METRICS.service, Model: model },
    ...props,
  });
}
