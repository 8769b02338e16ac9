// Kept free of aws-cdk-lib so the config schema can read the defaults without loading the CDK.
import { SHARED_THRESHOLD_DEFAULTS } from '../private/shared-thresholds';

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
  endpointLatencyP99Ms: SHARED_THRESHOLD_DEFAULTS.endpointLatencyP99Ms,
  endpoint5xxPer5Min: 5,
  functionErrorsPer5Min: 5,
  functionDurationP99Ms: 8000,
  api5xxPer5Min: 5,
  apiLatencyP99Ms: 3000,
  driftShare: SHARED_THRESHOLD_DEFAULTS.driftShare,
  dlqDepth: 1,
};

/**
 * How one kind of alarm evaluates where no config or prop says otherwise. Numbers only (no CDK types), so the
 * defaults stay readable beside {@link ALARM_THRESHOLD_DEFAULTS}.
 */
export interface AlarmDefault {
  /** The value the alarm compares its metric with. */
  readonly threshold: number;
  /** Periods the alarm looks at. */
  readonly evaluationPeriods: number;
  /**
   * Breaching periods (of `evaluationPeriods`) that fire it.
   * @default - evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
  /**
   * How the metric is compared with the threshold.
   * @default 'at-or-above'
   */
  readonly comparison?: 'at-or-above' | 'above' | 'below';
  /**
   * Whether missing data breaches (an absence alarm) or not.
   * @default false
   */
  readonly missingDataBreaches?: boolean;
}

/** Every kind of alarm the AWS constructs create. */
export type AlarmKind =
  | 'endpointErrors'
  | 'endpointLatencyP99Ms'
  | 'endpointNoInvocations'
  | 'functionErrors'
  | 'functionThrottles'
  | 'functionDurationP99Ms'
  | 'api5xx'
  | 'apiLatencyP99Ms'
  | 'driftShare'
  | 'integrityFailures'
  | 'driftCheckFailures'
  | 'qualityDegradation'
  | 'workflowFailed'
  | 'workflowTimedOut'
  | 'deadLetters'
  | 'captureFailures';

/**
 * The one definition of every alarm's defaults (thresholds, periods, comparison). `PlatformMonitoring` takes
 * overrides per kind (`alarmDefaults`), and the config's `aws.alarms` thresholds on top ({@link alarmDefaultsWith}).
 */
export const ALARM_DEFAULTS: Readonly<Record<AlarmKind, AlarmDefault>> = {
  endpointErrors: { threshold: ALARM_THRESHOLD_DEFAULTS.endpoint5xxPer5Min, evaluationPeriods: 1 },
  endpointLatencyP99Ms: { threshold: ALARM_THRESHOLD_DEFAULTS.endpointLatencyP99Ms, evaluationPeriods: 3, datapointsToAlarm: 2 },
  // Hourly invocations below 1 for 3 hours; no data at all is the same as none.
  endpointNoInvocations: { threshold: 1, evaluationPeriods: 3, comparison: 'below', missingDataBreaches: true },
  functionErrors: { threshold: ALARM_THRESHOLD_DEFAULTS.functionErrorsPer5Min, evaluationPeriods: 1 },
  functionThrottles: { threshold: 1, evaluationPeriods: 2 },
  functionDurationP99Ms: { threshold: ALARM_THRESHOLD_DEFAULTS.functionDurationP99Ms, evaluationPeriods: 3, datapointsToAlarm: 2 },
  api5xx: { threshold: ALARM_THRESHOLD_DEFAULTS.api5xxPer5Min, evaluationPeriods: 1 },
  apiLatencyP99Ms: { threshold: ALARM_THRESHOLD_DEFAULTS.apiLatencyP99Ms, evaluationPeriods: 3, datapointsToAlarm: 2 },
  driftShare: { threshold: ALARM_THRESHOLD_DEFAULTS.driftShare, evaluationPeriods: 1 },
  integrityFailures: { threshold: 1, evaluationPeriods: 1 },
  driftCheckFailures: { threshold: 1, evaluationPeriods: 1 },
  qualityDegradation: { threshold: 0.05, evaluationPeriods: 1, comparison: 'above' },
  workflowFailed: { threshold: 1, evaluationPeriods: 1 },
  workflowTimedOut: { threshold: 1, evaluationPeriods: 1 },
  deadLetters: { threshold: ALARM_THRESHOLD_DEFAULTS.dlqDepth, evaluationPeriods: 1 },
  captureFailures: { threshold: 1, evaluationPeriods: 1 },
};

/** Overrides of {@link ALARM_DEFAULTS}, per kind and field. */
export type AlarmDefaultOverrides = { readonly [K in AlarmKind]?: Partial<AlarmDefault> };

/** {@link ALARM_DEFAULTS} with the config's thresholds, then `overrides`, applied. */
export function alarmDefaultsWith(thresholds: AlarmThresholds = {}, overrides: AlarmDefaultOverrides = {}): Record<AlarmKind, AlarmDefault> {
  const t = { ...ALARM_THRESHOLD_DEFAULTS, ...thresholds };
  const fromThresholds: Partial<Record<AlarmKind, number>> = {
    endpointErrors: t.endpoint5xxPer5Min,
    endpointLatencyP99Ms: t.endpointLatencyP99Ms,
    functionErrors: t.functionErrorsPer5Min,
    functionDurationP99Ms: t.functionDurationP99Ms,
    api5xx: t.api5xxPer5Min,
    apiLatencyP99Ms: t.apiLatencyP99Ms,
    driftShare: t.driftShare,
    deadLetters: t.dlqDepth,
  };
  const merged = {} as Record<AlarmKind, AlarmDefault>;
  for (const kind of Object.keys(ALARM_DEFAULTS) as AlarmKind[]) {
    const threshold = fromThresholds[kind];
    const override = Object.fromEntries(Object.entries(overrides[kind] ?? {}).filter(([, v]) => v !== undefined));
    merged[kind] = { ...ALARM_DEFAULTS[kind], ...(threshold === undefined ? {} : { threshold }), ...override };
  }
  return merged;
}
