// Cloud-free (no imports beyond the drift defaults): the AWS and Google Cloud threshold modules and the config schema read it.
import { DRIFT_DEFAULTS } from '../../core/drift/defaults';

/**
 * Alarm defaults both clouds share, by the name both configs use: each cloud's threshold module takes them from here,
 * so they cannot drift apart. (docs/cloud-parity.md lists what still differs: comparisons, periods, units.)
 */
export const SHARED_THRESHOLD_DEFAULTS = {
  /** p99 model latency over 5 minutes, in milliseconds, from which an endpoint alarms. */
  endpointLatencyP99Ms: 1000,
  /**
   * Share of drifted features from which the drift alarm fires: the share from which the drift check itself calls a
   * window drifted (emits DriftDetected, may start retraining), so the alarm and the event agree by default.
   */
  driftShare: DRIFT_DEFAULTS.driftShareThreshold,
} as const;
