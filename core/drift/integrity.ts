import type { BaselineFile, FeatureBaseline } from '../profile/baseline';
import { CategoricalProfile } from '../profile/categorical-profile';
import type { IntegrityThresholds } from './integrity-thresholds';
import { NumericProfile } from '../profile/numeric-profile';
import type { DatasetProfile } from '../profile/profile';
import { gammaQ } from './private/special';

/**
 * Data-integrity checks of a window against its baseline, beside the drift metrics (docs/drift.md, "Data
 * integrity"). Evidently's data-integrity and data-stability presets are the reference for what is checked; the
 * rate tests differ on purpose (a significance test plus a minimum increase, where Evidently fails any rate 10 %
 * above the reference's, which fires on sampling noise at low rates).
 */

/** A check's verdict, from best to worst. Only "fail" and "insufficient-data" fail `--fail-on-drift`. */
export type CheckStatus = 'ok' | 'warn' | 'insufficient-data' | 'fail';

/** Worst first: the order statuses combine in. */
const SEVERITY: Record<CheckStatus, number> = { ok: 0, warn: 1, 'insufficient-data': 2, fail: 3 };

/** The worst of `statuses` ("ok" when there are none). */
export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'ok';
  for (const s of statuses) if (SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

/** Window-level checks: `rows`, `malformedRows`, `missingColumns`, `unexpectedColumns`. Feature-level: the rest. */
export type IntegrityCheckName = 'rows' | 'malformedRows' | 'missingColumns' | 'unexpectedColumns' | 'values' | 'missingRate' | 'wrongType' | 'newCategories';

export interface IntegrityCheck {
  check: IntegrityCheckName;
  status: CheckStatus;
  /** One sentence saying what was measured against what. */
  reason: string;
  /**
   * The window's value: a rate (0 to 1) for rate checks, a count for `rows` and `values`.
   * @default - absent for the column checks
   */
  current?: number;
  /**
   * The baseline's value, in the same unit.
   * @default - absent for the column checks and `rows`
   */
  baseline?: number;
  /**
   * One-sided p-value of the two-proportion z-test (rate checks).
   * @default - absent for the other checks
   */
  pValue?: number;
  /**
   * The minimum increase (rate checks) or count (`rows`, `values`) the status was judged against.
   * @default - absent for the column checks
   */
  threshold?: number;
  /**
   * Column checks: the columns concerned.
   * @default - absent for the other checks
   */
  columns?: string[];
}

export interface IntegrityReport {
  /** The worst status of every check, window-level and feature-level. */
  status: CheckStatus;
  /** The checks that failed or lacked data, as `check` or `check:feature` (what the CLI, events and metrics name). */
  failed: string[];
  /** Window-level checks; each feature's own are in its report. */
  checks: IntegrityCheck[];
  /** The thresholds applied. */
  thresholds: Required<IntegrityThresholds>;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** P(Z ≥ z) for a standard normal Z: erfc(z/√2)/2, with erfc(x) = Q(1/2, x²) for x ≥ 0. */
export function normalUpperTail(z: number): number {
  if (z === Infinity) return 0;
  if (z === -Infinity) return 1;
  const half = 0.5 * gammaQ(0.5, (z * z) / 2);
  return z >= 0 ? half : 1 - half;
}

/**
 * One-sided two-proportion z-test (pooled variance) of H1: the window's rate x2/n2 is above the baseline's x1/n1.
 * Returns the p-value; 1 when either side has no observations, and exactly 0 or 1 when the pooled rate is 0 or 1.
 */
export function rateIncreasePValue(x1: number, n1: number, x2: number, n2: number): number {
  if (n1 === 0 || n2 === 0) return 1;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return p2 > p1 ? 0 : 1;
  return normalUpperTail((p2 - p1) / se);
}

interface RateInput {
  check: 'malformedRows' | 'missingRate' | 'wrongType' | 'newCategories';
  /** What is counted, for the reason: "missing", "malformed rows". */
  what: string;
  baseHits: number;
  baseN: number;
  hits: number;
  n: number;
  minIncrease: number;
  /** Also warn when the rate fell significantly by at least minIncrease (a missing rate falling to 0 may be an upstream fill value). */
  warnOnDecrease?: boolean;
}

function rateCheck(input: RateInput, significance: number): IntegrityCheck {
  const { check, what, baseHits, baseN, hits, n, minIncrease } = input;
  if (n === 0) return { check, status: 'insufficient-data', reason: `no values to measure the ${what} share on`, threshold: minIncrease };
  const current = hits / n;
  const base = baseN > 0 ? baseHits / baseN : 0;
  const pValue = baseN > 0 ? rateIncreasePValue(baseHits, baseN, hits, n) : current >= minIncrease ? 0 : 1;
  const change = `${what} ${pct(base)} in the baseline → ${pct(current)} (${hits} of ${n})`;
  const result = { check, current, baseline: base, pValue, threshold: minIncrease };
  if (pValue < significance && current - base >= minIncrease) {
    return { ...result, status: 'fail', reason: `${change}: up by at least ${pct(minIncrease)} with p = ${pValue.toPrecision(2)} < ${significance}` };
  }
  if (pValue < significance && current > base) {
    return { ...result, status: 'warn', reason: `${change}: a real increase (p = ${pValue.toPrecision(2)}) but less than ${pct(minIncrease)}` };
  }
  if (input.warnOnDecrease && base - current >= minIncrease && rateIncreasePValue(hits, n, baseHits, baseN) < significance) {
    return { ...result, status: 'warn', reason: `${change}: down by at least ${pct(minIncrease)}; check for a fill value upstream` };
  }
  return { ...result, status: 'ok', reason: `${change}: no increase of ${pct(minIncrease)} or more that is significant at ${significance}` };
}

/** Missing rate of a baseline feature over the baseline's rows. */
function baselineMissing(f: FeatureBaseline): { hits: number; n: number } {
  return { hits: f.missing, n: f.kind === 'numeric' ? f.count + f.missing + f.invalid : f.count + f.missing };
}

/** The checks of one feature, in a fixed order: values, missingRate, then wrongType (numeric) or newCategories (categorical). */
export function featureIntegrity(base: FeatureBaseline, profile: NumericProfile | CategoricalProfile, rows: number, t: Required<IntegrityThresholds>): IntegrityCheck[] {
  const checks: IntegrityCheck[] = [];
  const baseValues = base.count;
  if (baseValues < t.minRows) {
    checks.push({ check: 'values', status: 'insufficient-data', reason: `the baseline has ${baseValues} values; the drift test needs at least ${t.minRows}`, current: profile.count, baseline: baseValues, threshold: t.minRows });
  } else if (profile.count < t.minRows) {
    checks.push({ check: 'values', status: 'insufficient-data', reason: `${profile.count} values in the window; the drift test needs at least ${t.minRows}`, current: profile.count, baseline: baseValues, threshold: t.minRows });
  } else {
    checks.push({ check: 'values', status: 'ok', reason: `${profile.count} values (at least ${t.minRows})`, current: profile.count, baseline: baseValues, threshold: t.minRows });
  }
  const missing = baselineMissing(base);
  checks.push(rateCheck({ check: 'missingRate', what: 'missing', baseHits: missing.hits, baseN: missing.n, hits: profile.missing, n: rows, minIncrease: t.missingRateIncrease, warnOnDecrease: true }, t.significance));
  if (base.kind === 'numeric' && profile instanceof NumericProfile) {
    checks.push(
      rateCheck(
        { check: 'wrongType', what: 'non-numeric', baseHits: base.invalid, baseN: base.count + base.invalid, hits: profile.invalid, n: profile.count + profile.invalid, minIncrease: t.wrongTypeIncrease },
        t.significance,
      ),
    );
  } else if (base.kind === 'categorical' && profile instanceof CategoricalProfile) {
    // Unseen values land in the last bin, `__other__`, with the categories a capped baseline folded there.
    const other = profile.binCounts[profile.binCounts.length - 1];
    checks.push(
      rateCheck(
        { check: 'newCategories', what: 'unseen categories', baseHits: base.bins.counts[base.bins.counts.length - 1], baseN: base.count, hits: other, n: profile.count, minIncrease: t.newCategoryIncrease },
        t.significance,
      ),
    );
  }
  return checks;
}

/** The window-level checks and the overall verdict, given each feature's own checks (from `featureIntegrity`). */
export function windowIntegrity(baseline: BaselineFile, window: DatasetProfile, featureChecks: IntegrityCheck[][], t: Required<IntegrityThresholds>): IntegrityReport {
  const checks: IntegrityCheck[] = [];
  checks.push(
    window.rows < t.minRows
      ? { check: 'rows', status: 'insufficient-data', reason: `${window.rows} rows in the window; at least ${t.minRows} are needed`, current: window.rows, threshold: t.minRows }
      : { check: 'rows', status: 'ok', reason: `${window.rows} rows (at least ${t.minRows})`, current: window.rows, threshold: t.minRows },
  );
  const baseInvalid = baseline.invalidRows ?? 0;
  checks.push(
    rateCheck(
      { check: 'malformedRows', what: 'malformed rows', baseHits: baseInvalid, baseN: baseline.rows + baseInvalid, hits: window.invalidRows, n: window.rows + window.invalidRows, minIncrease: t.malformedRowIncrease },
      t.significance,
    ),
  );
  const absent = window.rows === 0 ? [] : baseline.features.filter((_, i) => window.profiles[i].absent === window.rows).map((f) => f.name);
  if (window.rows === 0) checks.push({ check: 'missingColumns', status: 'insufficient-data', reason: 'no rows to look for the baseline columns in' });
  else if (absent.length > 0) checks.push({ check: 'missingColumns', status: 'fail', reason: `not in any row (renamed or dropped?): ${absent.join(', ')}`, columns: absent });
  else checks.push({ check: 'missingColumns', status: 'ok', reason: `every baseline column is present` });
  const extra = [...window.unexpectedColumns.keys()];
  const tab = extra.some((name) => name.includes('\t')) ? ' (a tab in a column name: is the file tab-separated?)' : '';
  checks.push(
    extra.length > 0
      ? { check: 'unexpectedColumns', status: 'warn', reason: `columns that are not features: ${extra.map((n) => `${JSON.stringify(n)} (${window.unexpectedColumns.get(n)} rows)`).join(', ')}${tab}`, columns: extra }
      : { check: 'unexpectedColumns', status: 'ok', reason: 'no columns beyond the features' },
  );
  const failed = [
    ...checks.filter((c) => c.status === 'fail' || c.status === 'insufficient-data').map((c) => c.check),
    ...featureChecks.flatMap((fc, i) => fc.filter((c) => c.status === 'fail' || c.status === 'insufficient-data').map((c) => `${c.check}:${baseline.features[i].name}`)),
  ];
  return { status: worstStatus([...checks, ...featureChecks.flat()].map((c) => c.status)), failed, checks, thresholds: t };
}

