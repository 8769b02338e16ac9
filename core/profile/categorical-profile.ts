import { categoryOf } from './values';

/** Default number of categories a baseline keeps; the rest are counted in `__other__`. */
export const DEFAULT_CATEGORY_CAP = 1000;

/** Everything a categorical profile holds, as plain data (for worker threads or storage). */
export interface CategoricalState {
  kind: 'categorical';
  categories: string[] | null;
  cap: number;
  count: number;
  missing: number;
  /**
   * Of the missing cells, those whose column was absent from the row.
   * @default 0
   */
  absent?: number;
  other: number;
  folded: number;
  counts: [string, number][];
  binCounts: number[];
}

/**
 * Counts per category. Two modes:
 * - fixed bins (a window checked against a baseline): only the baseline's categories get counters,
 *   anything else goes to `__other__`; memory is bounded by the baseline and merge is exact.
 * - open (building a baseline): counts every category exactly while there are at most 10×cap of them;
 *   past that the rarest are folded into `__other__` (so counts stay exact for the categories that
 *   matter and memory stays bounded). `finalBins()` keeps the top `cap` and folds the rest.
 */
export class CategoricalProfile {
  readonly kind = 'categorical' as const;
  count = 0;
  missing = 0;
  /** Of the missing cells, those whose column was absent from the row (the reader passes `undefined`). */
  absent = 0;
  other = 0;
  /** Categories folded into `other` at least once (the report says so when non-zero). */
  folded = 0;
  readonly fixed: boolean;
  readonly counts = new Map<string, number>();
  /** Fixed mode: category → index into binCounts (last index is `__other__`). */
  private readonly index = new Map<string, number>();
  private readonly categories: readonly string[] | null;
  readonly binCounts: Float64Array;

  constructor(
    categories: readonly string[] | null = null,
    readonly cap = DEFAULT_CATEGORY_CAP,
  ) {
    this.fixed = categories !== null;
    this.categories = categories;
    const cats = categories ?? [];
    cats.forEach((c, i) => this.index.set(c, i));
    this.binCounts = new Float64Array(cats.length + 1);
  }

  add(raw: unknown): void {
    const category = categoryOf(raw);
    if (category === null) {
      if (raw === undefined) this.absent++;
      this.missing++;
      return;
    }
    this.count++;
    if (this.fixed) {
      const i = this.index.get(category);
      this.binCounts[i === undefined ? this.binCounts.length - 1 : i]++;
      return;
    }
    this.counts.set(category, (this.counts.get(category) ?? 0) + 1);
    if (this.counts.size > this.cap * 10) this.prune();
  }

  /** As add(raw) `times` times: a fixed-bins window (where order cannot matter) counts a Parquet dictionary entry once. */
  addRepeated(raw: unknown, times: number): void {
    if (!this.fixed) {
      for (let k = 0; k < times; k++) this.add(raw);
      return;
    }
    const category = categoryOf(raw);
    if (category === null) {
      if (raw === undefined) this.absent += times;
      this.missing += times;
      return;
    }
    this.count += times;
    const i = this.index.get(category);
    this.binCounts[i === undefined ? this.binCounts.length - 1 : i] += times;
  }

  /**
   * Counts a cell given as its UTF-8 bytes [start, end) when they spell one of the baseline's categories exactly
   * (fixed mode), and returns true; else counts nothing and returns false, and the caller adds the cell as a
   * string. The byte readers use it so that a known category costs no string (nor the garbage collection of one).
   */
  addBytes(buf: Uint8Array, start: number, end: number): boolean {
    if (!this.fixed || end <= start) return false;
    const table = this.byteTable ?? this.buildByteTable();
    const mask = table.slots.length - 1;
    const length = end - start;
    for (let slot = hashBytes(buf, start, end) & mask; ; slot = (slot + 1) & mask) {
      const i = table.slots[slot];
      if (i < 0) return false;
      const key = table.keys[i];
      if (key.length !== length) continue;
      let k = 0;
      while (k < length && key[k] === buf[start + k]) k++;
      if (k === length) {
        this.count++;
        this.binCounts[i]++;
        return true;
      }
    }
  }

  /** Fixed mode's categories as UTF-8 bytes in an open-addressing table (built on first use). */
  private byteTable: { keys: Uint8Array[]; slots: Int32Array } | null = null;

  private buildByteTable(): { keys: Uint8Array[]; slots: Int32Array } {
    const keys = (this.categories ?? []).map((c) => new TextEncoder().encode(c));
    let size = 16;
    while (size < keys.length * 2) size *= 2;
    const slots = new Int32Array(size).fill(-1);
    keys.forEach((key, i) => {
      let slot = hashBytes(key, 0, key.length) & (size - 1);
      while (slots[slot] >= 0) slot = (slot + 1) & (size - 1);
      slots[slot] = i;
    });
    this.byteTable = { keys, slots };
    return this.byteTable;
  }

  merge(other: CategoricalProfile): void {
    if (this.fixed !== other.fixed || this.binCounts.length !== other.binCounts.length) {
      throw new Error('cannot merge categorical profiles with different bins');
    }
    this.count += other.count;
    this.missing += other.missing;
    this.absent += other.absent;
    this.other += other.other;
    this.folded += other.folded;
    for (let i = 0; i < this.binCounts.length; i++) this.binCounts[i] += other.binCounts[i];
    for (const [c, n] of other.counts) this.counts.set(c, (this.counts.get(c) ?? 0) + n);
    if (this.counts.size > this.cap * 10) this.prune();
  }

  toState(): CategoricalState {
    return {
      kind: 'categorical',
      categories: this.categories === null ? null : [...this.categories],
      cap: this.cap,
      count: this.count,
      missing: this.missing,
      absent: this.absent,
      other: this.other,
      folded: this.folded,
      counts: [...this.counts.entries()],
      binCounts: Array.from(this.binCounts),
    };
  }

  static fromState(state: CategoricalState): CategoricalProfile {
    const p = new CategoricalProfile(state.categories, state.cap);
    p.count = state.count;
    p.missing = state.missing;
    p.absent = state.absent ?? 0;
    p.other = state.other;
    p.folded = state.folded;
    for (const [c, n] of state.counts) p.counts.set(c, n);
    p.binCounts.set(state.binCounts);
    return p;
  }

  /** Keeps the `cap` most frequent categories (ties by name) and folds the rest into `__other__`. */
  private prune(): void {
    const ranked = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [c, n] of ranked.slice(this.cap)) {
      this.other += n;
      this.folded++;
      this.counts.delete(c);
    }
  }

  /** Open mode: the baseline bins — top `cap` categories, descending by count, then `__other__`. */
  finalBins(): { categories: string[]; counts: number[]; folded: number } {
    if (this.counts.size > this.cap) this.prune();
    const ranked = [...this.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return {
      categories: ranked.map(([c]) => c),
      counts: [...ranked.map(([, n]) => n), this.other],
      folded: this.folded,
    };
  }
}


/** FNV-1a over bytes [start, end). */
function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ buf[k], 0x01000193);
  return h >>> 0;
}
