// No imports: the config schema and the constructs read these defaults without loading the drift engine.

/**
 * Thresholds of the data-integrity checks (see docs/drift.md, "Data integrity"). A rate check fails when the
 * window's rate exceeds the baseline's by at least its minimum increase *and* a one-sided two-proportion z-test
 * says the increase is not chance (p < `significance`).
 */
export interface IntegrityThresholds {
  /**
   * Fewest rows a window (and fewest values a feature) needs before its drift is judged; below it the status is
   * "insufficient-data", never "ok". A baseline with fewer rows is refused.
   * @default 100
   */
  readonly minRows?: number;
  /**
   * p-value below which a rate change counts as real (one-sided two-proportion z-test).
   * @default 0.001
   */
  readonly significance?: number;
  /**
   * Increase of a feature's missing rate (share of rows) over the baseline's that fails, such as 0.05 for 5 points.
   * @default 0.05
   */
  readonly missingRateIncrease?: number;
  /**
   * Increase of a numeric feature's share of non-numeric values (of its non-missing values) that fails.
   * @default 0.05
   */
  readonly wrongTypeIncrease?: number;
  /**
   * Increase of a categorical feature's share of values outside the baseline's categories that fails.
   * @default 0.05
   */
  readonly newCategoryIncrease?: number;
  /**
   * Increase of the share of malformed rows (bad JSON, wrong field count) over the baseline's that fails.
   * @default 0.05
   */
  readonly malformedRowIncrease?: number;
}

/** Every integrity threshold's default: the one place they are written. */
export const INTEGRITY_DEFAULTS: Required<IntegrityThresholds> = {
  minRows: 100,
  significance: 0.001,
  missingRateIncrease: 0.05,
  wrongTypeIncrease: 0.05,
  newCategoryIncrease: 0.05,
  malformedRowIncrease: 0.05,
};

/** `given` over the defaults; throws naming every field that is out of range. */
export function integrityThresholds(given: IntegrityThresholds = {}): Required<IntegrityThresholds> {
  const t = { ...INTEGRITY_DEFAULTS, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Required<IntegrityThresholds>;
  const problems: string[] = [];
  if (!Number.isInteger(t.minRows) || t.minRows < 1) problems.push(`minRows ${t.minRows}: expected a positive integer`);
  for (const name of ['significance', 'missingRateIncrease', 'wrongTypeIncrease', 'newCategoryIncrease', 'malformedRowIncrease'] as const) {
    if (!(t[name] > 0 && t[name] < 1)) problems.push(`${name} ${t[name]}: expected more than 0 and less than 1`);
  }
  if (problems.length > 0) throw new Error(`integrity thresholds: ${problems.join('; ')}`);
  return t;
}
