import type { TDigest } from './tdigest';

/**
 * A piecewise-linear CDF read off a t-digest. Knots are (x, F) pairs with x and F non-decreasing:
 * (min, 0), then per centroid of weight w > 1 the point (mean, (before + w/2)/n) — half its weight is
 * taken to lie below its mean — and per single point a vertical step (x, before/n) → (x, (before+1)/n),
 * which keeps small samples exact; finally (max, 1). Between knots the CDF is linear.
 */
export interface SketchCdf {
  xs: Float64Array;
  fs: Float64Array;
}

/** Reads the piecewise-linear CDF off `digest` (empty knots for an empty digest). */
export function sketchCdf(digest: TDigest): SketchCdf {
  const { means, weights } = digest.centroids();
  const n = digest.count;
  const xs: number[] = [];
  const fs: number[] = [];
  if (n === 0) return { xs: new Float64Array(0), fs: new Float64Array(0) };
  const lo = digest.min;
  const hi = digest.max;
  xs.push(lo);
  fs.push(0);
  let before = 0;
  for (let i = 0; i < means.length; i++) {
    // Running means can drift an ulp outside [min, max]; clamp to keep the knots sorted.
    const x = Math.min(hi, Math.max(lo, means[i]));
    const w = weights[i];
    if (w === 1) {
      xs.push(x, x);
      fs.push(before / n, (before + 1) / n);
    } else {
      xs.push(x);
      fs.push((before + w / 2) / n);
    }
    before += w;
  }
  xs.push(hi);
  fs.push(1);
  return { xs: Float64Array.from(xs), fs: Float64Array.from(fs) };
}

/** Index of the last knot with xs[k] ≤ x (−1 if none). */
function lastAtOrBelow(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the first knot with xs[k] ≥ x (xs.length if none). */
function firstAtOrAbove(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** F(x), right-continuous. */
export function cdfAt(cdf: SketchCdf, x: number): number {
  const { xs, fs } = cdf;
  const k = lastAtOrBelow(xs, x);
  if (k < 0) return 0;
  if (k >= xs.length - 1) return 1;
  return fs[k] + ((fs[k + 1] - fs[k]) * (x - xs[k])) / (xs[k + 1] - xs[k]);
}

/** F(x−), the left limit (differs from F(x) only at vertical steps). */
export function cdfBefore(cdf: SketchCdf, x: number): number {
  const { xs, fs } = cdf;
  const k = firstAtOrAbove(xs, x);
  if (k === 0) return 0;
  if (k >= xs.length) return 1;
  return fs[k - 1] + ((fs[k] - fs[k - 1]) * (x - xs[k - 1])) / (xs[k] - xs[k - 1]);
}

/** Inverse CDF: the smallest x with F(x) ≥ q, interpolated linearly. */
export function cdfQuantile(cdf: SketchCdf, q: number): number {
  const { xs, fs } = cdf;
  if (xs.length === 0) return NaN;
  let k = 0;
  while (k < fs.length && fs[k] < q) k++;
  if (k === 0) return xs[0];
  if (k >= fs.length) return xs[xs.length - 1];
  const df = fs[k] - fs[k - 1];
  return df > 0 ? xs[k - 1] + ((q - fs[k - 1]) / df) * (xs[k] - xs[k - 1]) : xs[k];
}

/** Sorted, de-duplicated union of both knot sets. */
function unionPoints(a: SketchCdf, b: SketchCdf): Float64Array {
  const all = new Float64Array(a.xs.length + b.xs.length);
  all.set(a.xs);
  all.set(b.xs, a.xs.length);
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[n - 1]) all[n++] = all[i];
  return all.subarray(0, n);
}

/**
 * Kolmogorov–Smirnov statistic D = sup_x |F(x) − G(x)|. Both CDFs are linear between knots, so the
 * supremum is attained at a knot of either sketch, approached from the left or the right.
 */
export function ksStatistic(a: SketchCdf, b: SketchCdf): number {
  if (a.xs.length === 0 || b.xs.length === 0) return 0;
  let d = 0;
  for (const x of unionPoints(a, b)) {
    d = Math.max(d, Math.abs(cdfAt(a, x) - cdfAt(b, x)), Math.abs(cdfBefore(a, x) - cdfBefore(b, x)));
  }
  return d;
}

/**
 * Wasserstein-1 distance W = ∫ |F(x) − G(x)| dx (equal to scipy.stats.wasserstein_distance for the
 * exact samples). Between consecutive union knots F − G is linear, so each piece integrates exactly:
 * ∫|linear| = h·(|l|+|r|)/2 without a sign change, h·(l² + r²)/(2(|l|+|r|)) with one.
 */
export function wasserstein1(a: SketchCdf, b: SketchCdf): number {
  if (a.xs.length === 0 || b.xs.length === 0) return 0;
  const pts = unionPoints(a, b);
  let total = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const h = pts[i + 1] - pts[i];
    const l = cdfAt(a, pts[i]) - cdfAt(b, pts[i]);
    const r = cdfBefore(a, pts[i + 1]) - cdfBefore(b, pts[i + 1]);
    const al = Math.abs(l);
    const ar = Math.abs(r);
    if (al + ar === 0) continue;
    total += l * r >= 0 ? (h * (al + ar)) / 2 : (h * (l * l + r * r)) / (2 * (al + ar));
  }
  return total;
}
