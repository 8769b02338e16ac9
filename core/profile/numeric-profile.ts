import { mergeMoments, populationVariance, type Moments } from './private/moments';
import { DEFAULT_COMPRESSION, TDigest, type TDigestJSON } from './private/tdigest';
import { MISSING, parseNumeric } from './values';

export interface NumericProfileJSON {
  kind: 'numeric';
  count: number;
  missing: number;
  invalid: number;
  mean: number;
  variance: number;
  min: number | null;
  max: number | null;
  sketch: TDigestJSON;
}

/** Everything a numeric profile holds, as plain data (for worker threads or storage). */
export interface NumericState {
  kind: 'numeric';
  edges: number[];
  missing: number;
  invalid: number;
  /**
   * Of the missing cells, those whose column was absent from the row (not in the CSV header or JSON object).
   * @default 0
   */
  absent?: number;
  moments: Moments;
  sketch: TDigestJSON;
  binCounts: number[];
}

const scratch = { value: 0, status: 0 };

/**
 * One-pass, constant-memory summary of a numeric column: missing/invalid counts, Welford moments,
 * min/max, a t-digest, and counts in fixed bins (when the baseline's edges are known).
 *
 * `add` is the hot loop of every drift check (rows × features calls), so it keeps the common case
 * (a JSON number) inline and allocation-free, with the moments as plain fields.
 */
export class NumericProfile {
  readonly kind = 'numeric' as const;
  missing = 0;
  invalid = 0;
  /** Of the missing cells, those whose column was absent from the row (the reader passes `undefined`). */
  absent = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  readonly sketch: TDigest;
  readonly edges: Float64Array;
  readonly binCounts: Float64Array;

  constructor(edges: readonly number[] = [], compression = DEFAULT_COMPRESSION) {
    this.edges = Float64Array.from(edges);
    this.binCounts = new Float64Array(edges.length + 1);
    this.sketch = new TDigest(compression);
  }

  get count(): number {
    return this.n;
  }

  get moments(): Moments {
    return { count: this.n, mean: this.mean, m2: this.m2 };
  }

  add(raw: unknown): void {
    if (typeof raw === 'number') {
      // NaN is missing; ±Infinity cannot enter the moments, so it is invalid.
      if (raw - raw === 0) this.addNumber(raw);
      else if (raw !== raw) this.missing++;
      else this.invalid++;
      return;
    }
    if (raw === undefined) {
      this.absent++;
      this.missing++;
      return;
    }
    parseNumeric(raw, scratch);
    if (scratch.status === 0) this.addNumber(scratch.value);
    else if (scratch.status === MISSING) this.missing++;
    else this.invalid++;
  }

  addNumber(x: number): void {
    // Welford's update.
    const n = ++this.n;
    const delta = x - this.mean;
    this.mean += delta / n;
    this.m2 += delta * (x - this.mean);
    this.sketch.add(x);
    // Bin i holds edges[i−1] < x ≤ edges[i]; a linear scan beats bisection for ≤ 10 edges.
    const edges = this.edges;
    let b = 0;
    while (b < edges.length && edges[b] < x) b++;
    this.binCounts[b]++;
  }

  /** Folds `other` (same edges) into this profile. */
  merge(other: NumericProfile): void {
    if (other.edges.length !== this.edges.length || other.edges.some((e, i) => e !== this.edges[i])) {
      throw new Error('cannot merge numeric profiles with different bin edges');
    }
    this.missing += other.missing;
    this.invalid += other.invalid;
    this.absent += other.absent;
    const merged = mergeMoments(this.moments, other.moments);
    this.n = merged.count;
    this.mean = merged.mean;
    this.m2 = merged.m2;
    this.sketch.merge(other.sketch);
    for (let i = 0; i < this.binCounts.length; i++) this.binCounts[i] += other.binCounts[i];
  }

  toState(): NumericState {
    return {
      kind: 'numeric',
      edges: Array.from(this.edges),
      missing: this.missing,
      invalid: this.invalid,
      absent: this.absent,
      moments: this.moments,
      sketch: this.sketch.toJSON(),
      binCounts: Array.from(this.binCounts),
    };
  }

  static fromState(state: NumericState): NumericProfile {
    const p = new NumericProfile(state.edges, state.sketch.compression);
    p.missing = state.missing;
    p.invalid = state.invalid;
    p.absent = state.absent ?? 0;
    p.n = state.moments.count;
    p.mean = state.moments.mean;
    p.m2 = state.moments.m2;
    p.sketch.merge(TDigest.fromJSON(state.sketch));
    p.binCounts.set(state.binCounts);
    return p;
  }

  get variance(): number {
    return populationVariance(this.moments);
  }

  toJSON(): NumericProfileJSON {
    const empty = this.count === 0;
    return {
      kind: 'numeric',
      count: this.count,
      missing: this.missing,
      invalid: this.invalid,
      mean: this.mean,
      variance: this.variance,
      min: empty ? null : this.sketch.min,
      max: empty ? null : this.sketch.max,
      sketch: this.sketch.toJSON(),
    };
  }
}
