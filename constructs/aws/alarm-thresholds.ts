// Kept free of aws-cdk-lib so the config schema can read the defaults without loading the CDK.

/** Thresholds of the alarms `PlatformMonitoring` creates. */
export interface AlarmThresholds {
  /** Endpoint ModelLatency p99 over 5 minutes, in milliseconds. @default 1000 */
  readonly endpointLatencyP99Ms?: number;
  /** Endpoint Invocation5XXErrors summed over 5 minutes. @default 5 */
  readonly endpoint5xxPer5Min?: number;
  /** Lambda errors summed over 5 minutes. @default 5 */
  readonly functionErrorsPer5Min?: number;
  /** Lambda duration p99 over 5 minutes, in milliseconds. @default 8000 */
  readonly functionDurationP99Ms?: number;
  /** API 5xx answers summed over 5 minutes. @default 5 */
  readonly api5xxPer5Min?: number;
  /** API latency p99 over 5 minutes, in milliseconds. @default 3000 */
  readonly apiLatencyP99Ms?: number;
  /** Share of drifted features from which the drift alarm fires. @default 0.5 */
  readonly driftShare?: number;
  /** Messages waiting in a dead-letter queue. @default 1 */
  readonly dlqDepth?: number;
}

/** The thresholds used where a config or prop leaves one out. */
export const ALARM_THRESHOLD_DEFAULTS: Required<AlarmThresholds> = {
  endpointLatencyP99Ms: 1000,
  endpoint5xxPer5Min: 5,
  functionErrorsPer5Min: 5,
  functionDurationP99Ms: 8000,
  api5xxPer5Min: 5,
  apiLatencyP99Ms: 3000,
  driftShare: 0.5,
  dlqDepth: 1,
};
