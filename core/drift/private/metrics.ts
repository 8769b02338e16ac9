import { chiSquareSurvival } from './special';

/**
 * Drift metrics on aligned bin counts (reference = baseline, current = window). Each follows the
 * scipy/Evidently definition noted on it; the reference fixtures check them to 1e-9.
 * A side with no values has nothing to compare: every function then returns "no drift"
 * (0 for distances, 1 for p-values) instead of NaN.
 */

const PSI_FLOOR = 1e-4;

function total(counts: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < counts.length; i++) s += counts[i];
  return s;
}

function checkAligned(ref: ArrayLike<number>, cur: ArrayLike<number>): void {
  if (ref.length !== cur.length) throw new Error(`bin counts differ in length (${ref.length} vs ${cur.length})`);
}

/**
 * Population stability index: PSI = Σ (c_i − r_i)·ln(c_i / r_i) over bin proportions, where a zero
 * proportion is replaced by 1e-4 (as Evidently does; no renormalisation afterwards).
 */
export function psi(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  checkAligned(ref, cur);
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return 0;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i] / nr || PSI_FLOOR;
    const c = cur[i] / nc || PSI_FLOOR;
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** x·log(x/y) with scipy.special.rel_entr's conventions (0 when x = 0). */
function relEntr(x: number, y: number): number {
  return x === 0 ? 0 : x * Math.log(x / y);
}

/**
 * Jensen–Shannon distance, base 2: sqrt(( KL(p‖m) + KL(q‖m) ) / 2 / ln 2) with m = (p + q)/2,
 * on the bin proportions — scipy.spatial.distance.jensenshannon(p, q, base=2). In [0, 1].
 */
export function jensenShannon(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  checkAligned(ref, cur);
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return 0;
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const p = ref[i] / nr;
    const q = cur[i] / nc;
    const m = (p + q) / 2;
    s += relEntr(p, m) + relEntr(q, m);
  }
  return Math.sqrt(Math.max(0, s / Math.LN2 / 2));
}

/** L-infinity distance max_i |p_i − q_i| between the bin proportions (TFDV's categorical check). */
export function lInfinity(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  checkAligned(ref, cur);
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return 0;
  let d = 0;
  for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ref[i] / nr - cur[i] / nc));
  return d;
}

/**
 * Chi-square goodness-of-fit p-value of the current counts against the baseline proportions:
 * expected_i = r_i · n_current, X² = Σ (o_i − e_i)² / e_i, p = Q((k − 1)/2, X²/2) —
 * scipy.stats.chisquare(o, e). Bins empty on both sides are dropped (scipy would return NaN); a bin
 * with observations but zero expectation makes X² infinite, so p = 0 (as scipy). With fewer than two
 * bins left there are no degrees of freedom and p = 1.
 */
export function chiSquarePValue(ref: ArrayLike<number>, cur: ArrayLike<number>): number {
  checkAligned(ref, cur);
  const nr = total(ref);
  const nc = total(cur);
  if (nr === 0 || nc === 0) return 1;
  let stat = 0;
  let kept = 0;
  for (let i = 0; i < ref.length; i++) {
    const expected = (ref[i] / nr) * nc;
    const observed = cur[i];
    if (expected === 0) {
      if (observed === 0) continue;
      return 0;
    }
    kept++;
    stat += ((observed - expected) * (observed - expected)) / expected;
  }
  return kept < 2 ? 1 : chiSquareSurvival(stat, kept - 1);
}
