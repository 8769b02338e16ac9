import type { FeatureKind } from '../profile/profile';

/**
 * Drift methods. Distances drift when score ≥ threshold; p-value tests (ks, chisquare) drift when
 * p < threshold. Default thresholds are Evidently's.
 */
export const METHODS = {
  psi: { kinds: ['numeric', 'categorical'], threshold: 0.1, pValue: false },
  jensenshannon: { kinds: ['numeric', 'categorical'], threshold: 0.1, pValue: false },
  wasserstein: { kinds: ['numeric'], threshold: 0.1, pValue: false },
  ks: { kinds: ['numeric'], threshold: 0.05, pValue: true },
  linf: { kinds: ['categorical'], threshold: 0.1, pValue: false },
  chisquare: { kinds: ['categorical'], threshold: 0.05, pValue: true },
} as const satisfies Record<string, { kinds: readonly FeatureKind[]; threshold: number; pValue: boolean }>;

export type DriftMethod = keyof typeof METHODS;

/** Whether `name` is one of the drift methods in `METHODS` (for parsing user input). */
export function isMethod(name: string): name is DriftMethod {
  return Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Whether `method` can score a feature of `kind` (numeric or categorical). */
export function methodApplies(method: DriftMethod, kind: FeatureKind): boolean {
  return (METHODS[method].kinds as readonly FeatureKind[]).includes(kind);
}

/**
 * Evidently's default rule (as simplified for ModelStack): a numeric feature uses the normed
 * Wasserstein distance (0.1) when the baseline has more than 1000 rows, else the KS test (p < 0.05);
 * a categorical feature uses the Jensen–Shannon distance (0.1).
 */
export function defaultMethod(kind: FeatureKind, baselineRows: number): DriftMethod {
  if (kind === 'categorical') return 'jensenshannon';
  return baselineRows > 1000 ? 'wasserstein' : 'ks';
}

/** Whether `score` means drift: below `threshold` for p-value tests, at or above it for distances. */
export function isDrifted(method: DriftMethod, score: number, threshold: number): boolean {
  return METHODS[method].pValue ? score < threshold : score >= threshold;
}
