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
 * One-pass, constant-memory summary of a numeric column: missing/invalid counts, moments (count, mean, M2),
 * min/max, a t-digest, and counts in fixed bins (when the baseline's edges are known).
 *
 * `addNumber` is the hot loop of every drift check (rows × features calls), so it only stores the value in the
 * digest's buffer; the moments and the bin counts are taken from each sorted run the digest flushes (two passes
 * over a few thousand values, and a merge walk against the edges), which costs far less than a Welford update
 * (a division) and a scan of the edges per value. Every read flushes first, so the figures are always whole.
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
  private readonly digest: TDigest;
  readonly edges: Float64Array;
  private readonly bins: Float64Array;

  constructor(edges: readonly number[] = [], compression = DEFAULT_COMPRESSION) {
    this.edges = Float64Array.from(edges);
    this.bins = new Float64Array(edges.length + 1);
    this.digest = new TDigest(compression, (run) => this.addSortedRun(run));
  }

  /** The quantile sketch, with every value added so far. */
  get sketch(): TDigest {
    this.digest.flush();
    return this.digest;
  }

  /** Counts per bin: bin i holds edges[i−1] < x ≤ edges[i]. */
  get binCounts(): Float64Array {
    this.digest.flush();
    return this.bins;
  }

  get count(): number {
    return this.n + this.digest.pending;
  }

  get moments(): Moments {
    this.digest.flush();
    return { count: this.n, mean: this.mean, m2: this.m2 };
  }

  add(raw: unknown): void {
    if (typeof raw === 'number') {
      // NaN is missing; ±Infinity cannot enter the moments, so it is invalid.
      if (raw - raw === 0) this.digest.add(raw);
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
    if (scratch.status === 0) this.digest.add(scratch.value);
    else if (scratch.status === MISSING) this.missing++;
    else this.invalid++;
  }

  /** Adds a finite number. */
  addNumber(x: number): void {
    this.digest.add(x);
  }

  /** Adds finite numbers, in order (as addNumber on each; the caller checked they are finite). */
  addNumbers(values: Float64Array): void {
    this.digest.addAll(values);
  }

  /** Folds a sorted run of finite values into the moments (two-pass, then Chan et al.'s merge) and the bins. */
  private addSortedRun(run: Float64Array): void {
    const k = run.length;
    let sum = 0;
    for (let i = 0; i < k; i++) sum += run[i];
    let mean = sum / k;
    let m2 = 0;
    if (Number.isFinite(mean)) {
      for (let i = 0; i < k; i++) {
        const d = run[i] - mean;
        m2 += d * d;
      }
    } else {
      // The sum overflowed (values near ±1.8e308): Welford's update does not.
      mean = 0;
      for (let i = 0; i < k; i++) {
        const delta = run[i] - mean;
        mean += delta / (i + 1);
        m2 += delta * (run[i] - mean);
      }
    }
    const merged = mergeMoments({ count: this.n, mean: this.mean, m2: this.m2 }, { count: k, mean, m2 });
    this.n = merged.count;
    this.mean = merged.mean;
    this.m2 = merged.m2;
    // The run is ascending: one walk assigns every value to its bin.
    const edges = this.edges;
    const bins = this.bins;
    let b = 0;
    for (let i = 0; i < k; i++) {
      const x = run[i];
      while (b < edges.length && edges[b] < x) b++;
      bins[b]++;
    }
  }

  /** Folds `other` (same edges) into this profile. */
  merge(other: NumericProfile): void {
    if (other.edges.length !== this.edges.length || other.edges.some((e, i) => e !== this.edges[i])) {
      throw new Error('cannot merge numeric profiles with different bin edges');
    }
    this.missing += other.missing;
    this.invalid += other.invalid;
    this.absent += other.absent;
    // Both flushed first, so each one's pending values are in its own moments and bins before they are merged.
    const merged = mergeMoments(this.moments, other.moments);
    this.n = merged.count;
    this.mean = merged.mean;
    this.m2 = merged.m2;
    this.digest.merge(other.sketch);
    const bins = other.binCounts;
    for (let i = 0; i < this.bins.length; i++) this.bins[i] += bins[i];
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
    p.digest.merge(TDigest.fromJSON(state.sketch));
    p.bins.set(state.binCounts);
    return p;
  }

  get variance(): number {
    return populationVariance(this.moments);
  }

  toJSON(): NumericProfileJSON {
    this.digest.flush();
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
