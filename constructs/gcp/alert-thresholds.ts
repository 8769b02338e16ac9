// Kept free of cdktf so the config schema can read the defaults without loading the provider.
import { SHARED_THRESHOLD_DEFAULTS } from '../private/shared-thresholds';

/** Thresholds of the alert policies `PlatformMonitoring` creates; each alert fires above its threshold. */
export interface AlertThresholds {
  /**
   * 99th-percentile prediction latency in milliseconds, over 5 minutes (the name AWS's `aws.alarms` uses too).
   * @default 1000
   */
  readonly endpointLatencyP99Ms?: number;
  /**
   * Failed predictions as a percentage of all predictions, over 5 minutes.
   * @default 1
   */
  readonly errorRatePercent?: number;
  /**
   * Share of drifted features (0 to 1) in a model's latest drift check.
   * @default 0.5
   */
  readonly driftShare?: number;
}

/** The thresholds used where a config or prop leaves one out: the one place they are written. */
export const ALERT_THRESHOLD_DEFAULTS: Required<AlertThresholds> = {
  endpointLatencyP99Ms: SHARED_THRESHOLD_DEFAULTS.endpointLatencyP99Ms,
  errorRatePercent: 1,
  driftShare: SHARED_THRESHOLD_DEFAULTS.driftShare,
};

/** `given` over {@link ALERT_THRESHOLD_DEFAULTS} (undefined fields keep their default). */
export function alertThresholds(given: AlertThresholds = {}): Required<AlertThresholds> {
  return { ...ALERT_THRESHOLD_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<AlertThresholds>;
}
