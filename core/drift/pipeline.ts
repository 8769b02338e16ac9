import { assembleBaseline, binSpecs, windowSpecs, type BaselineFile } from '../profile/baseline';
import { DEFAULT_CATEGORY_CAP } from '../profile/categorical-profile';
import { evaluateDrift, type DriftReport, type EvaluateOptions } from './evaluate';
import { integrityThresholds, type IntegrityThresholds } from './integrity-thresholds';
import { DatasetProfile, type FeatureSpec, type ProfileOptions } from '../profile/profile';
import { inferKinds } from '../readers/infer';
import { profileParallel } from './private/parallel';
import { detectFormat, readColumns, readRows, type DataFormat } from '../readers/read';
import { isGzip, type ProgressCallback } from '../readers/source';

export interface BaselineOptions extends ProfileOptions {
  /**
   * Format of the data file.
   * @default - from the file name (see `formatOf`)
   */
  format?: DataFormat;
  /**
   * Columns forced categorical; the kinds of the others are inferred from the first 10k rows.
   * @default - none: every kind is inferred
   */
  categorical?: string[];
  /**
   * Columns to leave out.
   * @default - none
   */
  exclude?: string[];
  /**
   * Called as each of the two passes reads the file.
   * @default - no progress reports
   */
  onProgress?: (pass: number, bytesRead: number, totalBytes: number) => void;
  /**
   * `minRows`: fewest valid rows (and values per feature) a training set needs.
   * @default - INTEGRITY_DEFAULTS
   */
  integrity?: IntegrityThresholds;
}

/** Column kinds: forced categorical, or inferred from a sample of rows. */
export async function resolveFeatures(path: string, options: BaselineOptions = {}): Promise<FeatureSpec[]> {
  const exclude = new Set(options.exclude ?? []);
  const columns = (await readColumns(path, { format: options.format })).filter((c) => !exclude.has(c));
  if (columns.length === 0) throw new Error(`${path}: no columns found (expected a CSV header or JSON objects)`);
  const tabbed = columns.find((c) => c.includes('\t'));
  if (tabbed !== undefined) throw new Error(`${path}: column name ${JSON.stringify(tabbed)} holds a tab: the file looks tab-separated; convert it to comma-separated CSV`);
  const categorical = new Set(options.categorical ?? []);
  for (const c of categorical) if (!columns.includes(c)) throw new Error(`--categorical: column ${c} is not in ${path}`);
  const inferred = await inferKinds(path, columns, { format: options.format });
  return inferred.map((f) => (categorical.has(f.name) ? { ...f, kind: 'categorical' } : f));
}

/**
 * Builds baseline.json from a data file in two streaming passes: profile (moments, sketch,
 * categories), then count rows in the decile bins read off the sketch.
 */
export async function buildBaseline(path: string, options: BaselineOptions = {}): Promise<{ baseline: BaselineFile; profile: DatasetProfile }> {
  const features = await resolveFeatures(path, options);
  const names = features.map((f) => f.name);
  const progress = (pass: number): ProgressCallback | undefined =>
    options.onProgress ? (read, total) => options.onProgress?.(pass, read, total) : undefined;
  const first = new DatasetProfile(features, options);
  await readRows(path, names, first, { format: options.format, onProgress: progress(1) });
  assertUsable(path, first, integrityThresholds(options.integrity).minRows);
  const binned = new DatasetProfile(binSpecs(first), options);
  await readRows(path, names, binned, { format: options.format, onProgress: progress(2) });
  return { baseline: assembleBaseline(first, binned, options.categoryCap ?? DEFAULT_CATEGORY_CAP), profile: first };
}

/**
 * Refuses a training set no drift check could be trusted against: no rows, mostly malformed rows, fewer than
 * `minRows` rows, or a feature without values. Each message names the file and what to do.
 */
export function assertUsable(path: string, first: DatasetProfile, minRows: number): void {
  const sample = first.invalidSamples[0];
  const firstBad = sample ? ` (first: line ${sample.line}: ${sample.reason})` : '';
  if (first.rows === 0 && first.invalidRows === 0) throw new Error(`${path}: no data rows (header only or empty): a baseline needs at least ${minRows} rows`);
  if (first.invalidRows > first.rows) {
    throw new Error(`${path}: ${first.invalidRows} of ${first.rows + first.invalidRows} rows are malformed${firstBad}: is the format right?`);
  }
  if (first.rows < minRows) throw new Error(`${path}: ${first.rows} valid rows: a baseline needs at least ${minRows}, or drift tests measure noise`);
  const empty = first.features.filter((_, i) => first.profiles[i].count === 0).map((f) => f.name);
  if (empty.length > 0) throw new Error(`${path}: no values in column ${empty.join(', ')}: fix the data or leave it out with --exclude ${empty.join(',')}`);
}

export interface DriftOptions extends EvaluateOptions {
  /**
   * Format of the window file.
   * @default - from the file name (see `formatOf`)
   */
  format?: DataFormat;
  /**
   * Called as the window file is read.
   * @default - no progress reports
   */
  onProgress?: ProgressCallback;
  /**
   * Worker threads for the window pass. More than one applies to uncompressed JSON Lines and CSV, which
   * split at line boundaries (CSV with quoted fields is read by one thread), and Parquet, which splits by row
   * group; gzip files are read by one thread.
   * @default 1
   */
  workers?: number;
}

/**
 * Whether a file can be profiled by several workers: uncompressed JSON Lines or CSV (a CSV file with quotes
 * falls back to one thread: a quoted field may span a cut), or Parquet.
 */
export async function canSplit(path: string, format?: DataFormat): Promise<boolean> {
  const detected = await detectFormat(path, format);
  return detected === 'parquet' || !(await isGzip(path));
}

/** Profiles a window file against the baseline's bins (one pass) and evaluates drift. */
export async function checkDrift(baseline: BaselineFile, path: string, options: DriftOptions = {}): Promise<DriftReport> {
  const specs = windowSpecs(baseline);
  const profileOptions = { compression: compressionOf(baseline) };
  const workers = options.workers ?? 1;
  let window: DatasetProfile;
  if (workers > 1 && (await canSplit(path, options.format))) {
    window = await profileParallel(path, await detectFormat(path, options.format), specs, profileOptions, workers, options.onProgress);
  } else {
    window = new DatasetProfile(specs, profileOptions);
    await readRows(path, specs.map((f) => f.name), window, { format: options.format, onProgress: options.onProgress });
  }
  return evaluateDrift(baseline, window, options);
}

/** The window sketch uses the baseline's compression so both CDFs have the same resolution. */
function compressionOf(baseline: BaselineFile): number | undefined {
  for (const f of baseline.features) if (f.kind === 'numeric') return f.sketch.compression;
  return undefined;
}
