import type { BaselineFile, FeatureBaseline, NumericBaseline } from '../profile/baseline';
import { OTHER } from '../profile/private/bins';
import { CategoricalProfile } from '../profile/categorical-profile';
import { defaultMethod, isDrifted, methodApplies, METHODS, type DriftMethod } from './methods';
import { featureIntegrity, type IntegrityCheck, type IntegrityReport, windowIntegrity } from './integrity';
import { DRIFT_DEFAULTS } from './defaults';
import { integrityThresholds, type IntegrityThresholds } from './integrity-thresholds';
import { chiSquarePValue, jensenShannon, lInfinity, psi } from './private/metrics';
import { NumericProfile } from '../profile/numeric-profile';
import type { DatasetProfile, FeatureKind, InvalidRow } from '../profile/profile';
import { ksStatistic, sketchCdf, wasserstein1 } from '../profile/private/sketch-cdf';
import { kolmogorovSurvival } from './private/special';
import { TDigest } from '../profile/private/tdigest';

/** Floor of the Wasserstein normaliser, as Evidently's `wasserstein_distance_norm`. */
export const WASSERSTEIN_STD_FLOOR = 1e-3;
/** Share of drifted features from which a dataset counts as drifted: {@link DRIFT_DEFAULTS}' value. */
export const DEFAULT_DRIFT_SHARE = DRIFT_DEFAULTS.driftShareThreshold;

export interface FeatureMetrics {
  psi: number;
  jensenShannon: number;
  /**
   * Two-sample Kolmogorov–Smirnov statistic D between the baseline and window sketches; numeric features only.
   * @default - absent for categorical features
   */
  ks?: number;
  /**
   * Wasserstein-1 distance divided by the baseline's standard deviation (at least `WASSERSTEIN_STD_FLOOR`);
   * numeric features only.
   * @default - absent for categorical features
   */
  wasserstein?: number;
  /**
   * L-infinity distance between the binned distributions; categorical features only.
   * @default - absent for numeric features
   */
  lInfinity?: number;
  /**
   * Chi-square test p-value of the window's counts against the baseline's; categorical features only.
   * @default - absent for numeric features
   */
  chiSquarePValue?: number;
}

/** A feature's (or the dataset's) drift verdict; "insufficient-data" when there are too few values to judge. */
export type DriftStatus = 'ok' | 'drift' | 'insufficient-data';

export interface FeatureReport {
  name: string;
  kind: FeatureKind;
  method: DriftMethod;
  score: number;
  threshold: number;
  drifted: boolean;
  /** `drift` when drifted, `insufficient-data` when either side has fewer values than `minRows`, else `ok`. */
  status: DriftStatus;
  /** Why: the score against the threshold, or the value counts. */
  reason: string;
  /** Missing cells in the window. */
  missing: number;
  /** Non-missing values compared (numeric: valid numbers; categorical: all non-missing). */
  count: number;
  /**
   * Numeric only: non-numeric text in the window.
   * @default - absent for categorical features
   */
  invalid?: number;
  metrics: FeatureMetrics;
  /** The feature's integrity checks: values, missingRate, and wrongType (numeric) or newCategories (categorical). */
  integrity: IntegrityCheck[];
  /** Bin labels with baseline and window counts, for the HTML histograms. */
  histogram: { labels: string[]; baseline: number[]; current: number[] };
}

export interface DriftReport {
  rows: number;
  invalidRows: number;
  invalidRowSamples: InvalidRow[];
  drifted: boolean;
  /** `drift`, `ok`, or `insufficient-data` when no feature has enough values to judge. */
  driftStatus: DriftStatus;
  /** Share of drifted features among those with enough values. */
  driftShare: number;
  driftShareThreshold: number;
  driftedFeatures: number;
  /** The data-integrity checks and their verdict. */
  integrity: IntegrityReport;
  features: FeatureReport[];
  notes: string[];
}

export interface MethodOverride {
  /**
   * Drift method of the feature; it must apply to the feature's kind.
   * @default - `defaultMethod(kind, baselineRows)`
   */
  method?: DriftMethod;
  /**
   * Threshold of the method.
   * @default - the method's threshold in `METHODS`
   */
  threshold?: number;
}

export interface EvaluateOptions {
  /**
   * Per-feature method and/or threshold, by feature name.
   * @default - every feature uses its default method and threshold
   */
  overrides?: Record<string, MethodOverride>;
  /**
   * Dataset drift when the share of drifted features is ≥ this.
   * @default DEFAULT_DRIFT_SHARE (0.5)
   */
  driftShare?: number;
  /**
   * Thresholds of the data-integrity checks.
   * @default - INTEGRITY_DEFAULTS
   */
  integrity?: IntegrityThresholds;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4).replace(/\.?0+$/, '');
}

function numericLabels(edges: number[]): string[] {
  if (edges.length === 0) return ['all'];
  return [`≤ ${fmt(edges[0])}`, ...edges.slice(1).map((e, i) => `${fmt(edges[i])} – ${fmt(e)}`), `> ${fmt(edges[edges.length - 1])}`];
}

function digestOf(f: NumericBaseline): TDigest {
  return TDigest.fromJSON({ ...f.sketch, min: f.sketch.min ?? Infinity, max: f.sketch.max ?? -Infinity });
}

/** Metrics of one feature; every value is finite, and "no drift" when either side is empty. */
function featureMetrics(base: FeatureBaseline, window: NumericProfile | CategoricalProfile): FeatureMetrics {
  const ref = base.bins.counts;
  const cur = window.binCounts;
  const metrics: FeatureMetrics = { psi: psi(ref, cur), jensenShannon: jensenShannon(ref, cur) };
  if (base.kind === 'numeric' && window instanceof NumericProfile) {
    const a = sketchCdf(digestOf(base));
    const b = sketchCdf(window.sketch);
    metrics.ks = ksStatistic(a, b);
    metrics.wasserstein = wasserstein1(a, b) / Math.max(base.std, WASSERSTEIN_STD_FLOOR);
  } else {
    metrics.lInfinity = lInfinity(ref, cur);
    metrics.chiSquarePValue = chiSquarePValue(ref, cur);
  }
  return metrics;
}

/**
 * Two-sample KS p-value from D, with the effective size n_e = n·m/(n+m) and Stephens' small-sample
 * correction λ = (√n_e + 0.12 + 0.11/√n_e)·D, p = Q_KS(λ) (Numerical Recipes §14.3).
 */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const ne = Math.sqrt((n * m) / (n + m));
  return kolmogorovSurvival((ne + 0.12 + 0.11 / ne) * d);
}

function scoreOf(method: DriftMethod, metrics: FeatureMetrics, nBase: number, nCur: number): number {
  switch (method) {
    case 'psi':
      return metrics.psi;
    case 'jensenshannon':
      return metrics.jensenShannon;
    case 'wasserstein':
      return metrics.wasserstein ?? 0;
    case 'ks':
      return ksPValue(metrics.ks ?? 0, nBase, nCur);
    case 'linf':
      return metrics.lInfinity ?? 0;
    case 'chisquare':
      return metrics.chiSquarePValue ?? 1;
  }
}

/** Compares a window profile (built with `windowSpecs(baseline)`) with its baseline. */
export function evaluateDrift(baseline: BaselineFile, window: DatasetProfile, options: EvaluateOptions = {}): DriftReport {
  const shareThreshold = options.driftShare ?? DEFAULT_DRIFT_SHARE;
  const limits = integrityThresholds(options.integrity);
  const features = baseline.features.map((base, i): FeatureReport => {
    const profile = window.profiles[i];
    if (window.features[i]?.name !== base.name) throw new Error(`window feature ${i} is not ${base.name}`);
    const override = options.overrides?.[base.name] ?? {};
    const method = override.method ?? defaultMethod(base.kind, baseline.rows);
    if (!methodApplies(method, base.kind)) throw new Error(`method ${method} does not apply to ${base.kind} feature ${base.name}`);
    const threshold = override.threshold ?? METHODS[method].threshold;
    const metrics = featureMetrics(base, profile);
    const score = scoreOf(method, metrics, base.count, profile.count);
    const labels = base.kind === 'numeric' ? numericLabels(base.bins.edges) : [...base.bins.categories, OTHER];
    const integrity = featureIntegrity(base, profile, window.rows, limits);
    const values = integrity[0];
    const drifted = values.status === 'ok' && isDrifted(method, score, threshold);
    const rule = METHODS[method].pValue ? `p ${fmt(score)} ${drifted ? '<' : '≥'} ${threshold}` : `${method} ${fmt(score)} ${drifted ? '≥' : '<'} ${threshold}`;
    return {
      name: base.name,
      kind: base.kind,
      method,
      score,
      threshold,
      drifted,
      status: values.status !== 'ok' ? 'insufficient-data' : drifted ? 'drift' : 'ok',
      reason: values.status !== 'ok' ? values.reason : rule,
      missing: profile.missing,
      count: profile.count,
      ...(profile instanceof NumericProfile ? { invalid: profile.invalid } : {}),
      metrics,
      integrity,
      histogram: { labels, baseline: [...base.bins.counts], current: Array.from(profile.binCounts) },
    };
  });
  const judged = features.filter((f) => f.status !== 'insufficient-data');
  const driftedFeatures = features.filter((f) => f.drifted).length;
  const driftShare = judged.length > 0 ? driftedFeatures / judged.length : 0;
  const drifted = judged.length > 0 && driftShare >= shareThreshold;
  const notes: string[] = [];
  for (const f of baseline.features) {
    if (f.kind === 'categorical' && f.folded > 0) {
      const other = f.bins.counts[f.bins.counts.length - 1];
      const share = f.count > 0 ? ((100 * other) / f.count).toFixed(1) : '0.0';
      notes.push(`${f.name}: baseline kept the top ${baseline.categoryCap} categories; ${other} rows (${share}%) of rarer values are counted in ${OTHER}.`);
    }
  }
  return {
    rows: window.rows,
    invalidRows: window.invalidRows,
    invalidRowSamples: [...window.invalidSamples],
    drifted,
    driftStatus: judged.length === 0 ? 'insufficient-data' : drifted ? 'drift' : 'ok',
    driftShare,
    driftShareThreshold: shareThreshold,
    driftedFeatures,
    integrity: windowIntegrity(baseline, window, features.map((f) => f.integrity), limits),
    features,
    notes,
  };
}
