/**
 * Count, mean and sum of squared deviations (M2). NumericProfile computes them per run of a few thousand
 * values (two passes) and merges the runs, like profiles, with Chan et al.'s parallel formula, so merge(A, B)
 * equals one pass over A ∪ B up to rounding.
 */
export interface Moments {
  count: number;
  mean: number;
  m2: number;
}

/** The moments of `a` and `b` together (Chan et al.'s parallel update); the inputs are not changed. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (b.count === 0) return { ...a };
  if (a.count === 0) return { ...b };
  const count = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    count,
    mean: a.mean + (delta * b.count) / count,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / count,
  };
}

/** Population variance (ddof = 0, as numpy's default and Evidently's normalisation use). */
export function populationVariance(m: Moments): number {
  return m.count > 0 ? Math.max(0, m.m2 / m.count) : 0;
}
