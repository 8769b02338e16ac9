// No imports: the config schema and the constructs of both clouds read these defaults without loading the drift engine.

/** Settings of a scheduled drift and model-quality check (see docs/drift.md), the same on both clouds. */
export interface DriftSettings {
  /**
   * Hours per window; the check runs at this rate over the hours that just ended.
   * @default 24
   */
  readonly windowHours?: number;
  /**
   * Capture objects one invocation profiles; larger windows fan out in shards of this size.
   * @default 50
   */
  readonly maxObjectsPerInvocation?: number;
  /**
   * Share of drifted features (0 to 1) from which the dataset counts as drifted; the drift-share alarm of both
   * clouds fires from the same share.
   * @default 0.5
   */
  readonly driftShareThreshold?: number;
  /**
   * Relative loss of the main quality metric (accuracy, or RMSE for regressors) against the model's `quality.json`
   * from which the window's quality counts as degraded and the quality alarm fires.
   * @default 0.05
   */
  readonly qualityDegradationThreshold?: number;
}

/** Every drift setting's default: the one place they are written. */
export const DRIFT_DEFAULTS: Required<DriftSettings> = {
  windowHours: 24,
  maxObjectsPerInvocation: 50,
  driftShareThreshold: 0.5,
  qualityDegradationThreshold: 0.05,
};

/** Valid ranges, shared by the config schema and the constructs' validation. */
export const DRIFT_LIMITS = {
  /** A week: the longest window either cloud schedules. */
  maxWindowHours: 168,
  maxObjectsPerInvocation: 10_000,
} as const;

/** The problems of `given` over the defaults, each naming its field and the expected value (empty when valid). */
export function driftSettingsProblems(given: DriftSettings = {}): string[] {
  const s = driftSettings(given);
  const problems: string[] = [];
  if (!(Number.isInteger(s.windowHours) && s.windowHours >= 1 && s.windowHours <= DRIFT_LIMITS.maxWindowHours)) {
    problems.push(`windowHours ${s.windowHours}: expected a whole number of hours from 1 to ${DRIFT_LIMITS.maxWindowHours}`);
  }
  const max = s.maxObjectsPerInvocation;
  if (!(Number.isInteger(max) && max >= 1 && max <= DRIFT_LIMITS.maxObjectsPerInvocation)) {
    problems.push(`maxObjectsPerInvocation ${max}: expected a whole number from 1 to ${DRIFT_LIMITS.maxObjectsPerInvocation}`);
  }
  for (const name of ['driftShareThreshold', 'qualityDegradationThreshold'] as const) {
    if (!(s[name] > 0 && s[name] <= 1)) problems.push(`${name} ${s[name]}: expected more than 0 and at most 1`);
  }
  return problems;
}

/** `given` over {@link DRIFT_DEFAULTS} (undefined fields keep their default). */
export function driftSettings(given: DriftSettings = {}): Required<DriftSettings> {
  return { ...DRIFT_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<DriftSettings>;
}
