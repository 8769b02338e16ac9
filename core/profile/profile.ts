import { CategoricalProfile, type CategoricalState } from './categorical-profile';
import { NumericProfile, type NumericState } from './numeric-profile';
import { DEFAULT_COMPRESSION } from './private/tdigest';

export type FeatureKind = 'numeric' | 'categorical';

export interface FeatureSpec {
  name: string;
  kind: FeatureKind;
  /**
   * Numeric: the baseline's inner bin edges.
   * @default - none: building a baseline, the bins are not known yet
   */
  edges?: number[];
  /**
   * Categorical: the baseline's categories (others count as the catch-all bin).
   * @default - none: building a baseline, the categories are learnt from the data
   */
  categories?: string[];
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

export interface InvalidRow {
  line: number;
  reason: string;
}

/** How many malformed rows are kept with their line number and reason. */
export const INVALID_SAMPLE_LIMIT = 10;

/** How many names of columns outside the features a profile keeps (with the rows each appeared in). */
export const UNEXPECTED_COLUMN_LIMIT = 50;

/** A dataset profile as plain data: what a worker thread sends back to be merged. */
export interface DatasetState {
  features: FeatureSpec[];
  rows: number;
  invalidRows: number;
  invalidSamples: InvalidRow[];
  /**
   * Columns in the data that are not features, with the rows each appeared in.
   * @default - none
   */
  unexpectedColumns?: [string, number][];
  profiles: (NumericState | CategoricalState)[];
}

export interface ProfileOptions {
  /**
   * t-digest compression of the numeric sketches (higher: more centroids, more accurate quantiles).
   * @default DEFAULT_COMPRESSION (500)
   */
  compression?: number;
  /**
   * Most distinct categories a categorical profile keeps.
   * @default DEFAULT_CATEGORY_CAP (1000)
   */
  categoryCap?: number;
}

/**
 * Profile of a dataset: one feature profile per column plus row bookkeeping. Rows arrive as value
 * arrays aligned with `features` (readers reuse one array, so adding a row allocates nothing).
 * profile(A ∪ B) = merge(profile(A), profile(B)), exactly for counts, bins and categories, up to
 * rounding for moments, and within the sketch error for quantiles.
 */
export class DatasetProfile {
  rows = 0;
  invalidRows = 0;
  readonly invalidSamples: InvalidRow[] = [];
  /** Columns in the data that are not features → rows they appeared in (at most UNEXPECTED_COLUMN_LIMIT names). */
  readonly unexpectedColumns = new Map<string, number>();
  readonly profiles: FeatureProfile[];

  constructor(
    readonly features: readonly FeatureSpec[],
    options: ProfileOptions = {},
  ) {
    const compression = options.compression ?? DEFAULT_COMPRESSION;
    this.profiles = features.map((f) =>
      f.kind === 'numeric'
        ? new NumericProfile(f.edges ?? [], compression)
        : new CategoricalProfile(f.categories ?? null, options.categoryCap),
    );
  }

  addRow(values: readonly unknown[]): void {
    this.rows++;
    const profiles = this.profiles;
    for (let i = 0; i < profiles.length; i++) profiles[i].add(values[i]);
  }

  addInvalid(line: number, reason: string): void {
    this.invalidRows++;
    if (this.invalidSamples.length < INVALID_SAMPLE_LIMIT) this.invalidSamples.push({ line, reason });
  }

  /** Counts `rows` rows in which column `name`, not a feature, appeared. */
  addUnexpectedColumn(name: string, rows: number): void {
    const seen = this.unexpectedColumns.get(name);
    if (seen !== undefined) this.unexpectedColumns.set(name, seen + rows);
    else if (this.unexpectedColumns.size < UNEXPECTED_COLUMN_LIMIT) this.unexpectedColumns.set(name, rows);
  }

  toState(): DatasetState {
    return {
      features: this.features.map((f) => ({ ...f })),
      rows: this.rows,
      invalidRows: this.invalidRows,
      invalidSamples: [...this.invalidSamples],
      unexpectedColumns: [...this.unexpectedColumns],
      profiles: this.profiles.map((p) => p.toState()),
    };
  }

  static fromState(state: DatasetState): DatasetProfile {
    const p = new DatasetProfile(state.features);
    p.rows = state.rows;
    p.invalidRows = state.invalidRows;
    p.invalidSamples.push(...state.invalidSamples);
    for (const [name, rows] of state.unexpectedColumns ?? []) p.addUnexpectedColumn(name, rows);
    state.profiles.forEach((s, i) => {
      p.profiles[i] = s.kind === 'numeric' ? NumericProfile.fromState(s) : CategoricalProfile.fromState(s);
    });
    return p;
  }

  /** Folds `other` (same features and bins) into this profile. */
  merge(other: DatasetProfile): void {
    if (other.features.length !== this.features.length || other.features.some((f, i) => f.name !== this.features[i].name)) {
      throw new Error('cannot merge profiles of different features');
    }
    this.rows += other.rows;
    this.invalidRows += other.invalidRows;
    for (const s of other.invalidSamples) {
      if (this.invalidSamples.length < INVALID_SAMPLE_LIMIT) this.invalidSamples.push(s);
    }
    for (const [name, rows] of other.unexpectedColumns) this.addUnexpectedColumn(name, rows);
    this.profiles.forEach((p, i) => {
      const o = other.profiles[i];
      if (p instanceof NumericProfile && o instanceof NumericProfile) p.merge(o);
      else if (p instanceof CategoricalProfile && o instanceof CategoricalProfile) p.merge(o);
      else throw new Error(`feature ${this.features[i].name} has different kinds`);
    });
  }
}
