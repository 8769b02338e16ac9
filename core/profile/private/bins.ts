import { cdfQuantile, type SketchCdf } from './sketch-cdf';

/** Name of the categorical bin that collects values outside the kept categories. */
export const OTHER = '__other__';

/**
 * Numeric bin of x for ascending inner edges: bin i holds edges[i−1] < x ≤ edges[i], with
 * edges[−1] = −∞ and edges[m] = +∞ (numpy.searchsorted(edges, x, side="left")).
 */
export function numericBin(edges: Float64Array | number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inner edges from the baseline deciles (10 %, …, 90 %), ascending with ties removed. */
export function decileEdges(cdf: SketchCdf): number[] {
  const edges: number[] = [];
  if (cdf.xs.length === 0) return edges;
  for (let d = 1; d <= 9; d++) {
    const q = cdfQuantile(cdf, d / 10);
    if (Number.isFinite(q) && (edges.length === 0 || q > edges[edges.length - 1])) edges.push(q);
  }
  return edges;
}
