import { stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DatasetProfile, type DatasetState, type FeatureSpec, type ProfileOptions } from '../../profile/profile';
import { fileAsyncBuffer, parquetMetadata, type ParquetColumnShare } from '../../readers/parquet';
import { readRows, type DataFormat } from '../../readers/read';
import { lineAlignedRanges, type ByteRange, type ProgressCallback } from '../../readers/source';

/** A worker's share of a file: a byte range (CSV, JSON Lines) or a range of row groups (Parquet), both [start, end). */
export interface FilePart extends ByteRange {
  /**
   * What `start` and `end` count.
   * @default 'bytes'
   */
  unit?: 'bytes' | 'rowGroups';
  /**
   * Parquet: the feature columns this part profiles (parallel profiling splits a file's columns, not its rows).
   * @default - every feature column
   */
  columnShare?: ParquetColumnShare;
}

/**
 * Profiles one part of a JSON Lines or Parquet file. Runs inside a worker thread (profile-worker.ts),
 * but is a plain function so it can run (and be tested) in-process too.
 */
export async function profileRange(
  path: string,
  format: DataFormat,
  features: FeatureSpec[],
  options: ProfileOptions,
  range: FilePart,
  onProgress?: ProgressCallback,
): Promise<{ state: DatasetState; lines: number }> {
  const profile = new DatasetProfile(features, options);
  const part = range.unit === 'rowGroups' ? { rowGroups: { start: range.start, end: range.end }, columnShare: range.columnShare } : { range };
  const lines = await readRows(path, features.map((f) => f.name), profile, { format, ...part, onProgress });
  return { state: profile.toState(), lines };
}

/**
 * Splits a Parquet file's feature columns into at most `parts` shares of about equal work, each share reading
 * every row group: a file has few row groups (DuckDB writes 122,880 rows per group, so 1M rows are 9 groups) and
 * splitting those left one worker with 5 of 9; columns are many and a column's profile then comes from one
 * worker, exactly as a single pass makes it. Work is estimated per column as its uncompressed bytes plus 8 per
 * value (the profile's share), and shares are filled largest column first into the lightest share.
 */
async function columnParts(path: string, features: FeatureSpec[], parts: number): Promise<FilePart[]> {
  const { file, close } = await fileAsyncBuffer(path);
  let metadata: Awaited<ReturnType<typeof parquetMetadata>>;
  try {
    metadata = await parquetMetadata(file, path);
  } finally {
    await close();
  }
  const work = features.map(() => 0);
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      const i = meta && meta.path_in_schema.length === 1 ? features.findIndex((f) => f.name === meta.path_in_schema[0]) : -1;
      if (i >= 0) work[i] += Number(meta!.total_uncompressed_size) + 8 * Number(meta!.num_values);
    }
  }
  const shares = Array.from({ length: Math.max(1, Math.min(parts, features.length)) }, () => ({ features: [] as number[], work: 0 }));
  for (const i of features.map((_, i) => i).sort((a, b) => work[b] - work[a] || a - b)) {
    const lightest = shares.reduce((best, s) => (s.work < best.work ? s : best));
    lightest.features.push(i);
    lightest.work += work[i];
  }
  const groups = metadata.row_groups.length;
  return shares
    .filter((share, k) => k === 0 || share.features.length > 0)
    .map((share, k) => ({ start: 0, end: groups, unit: 'rowGroups' as const, columnShare: { features: share.features.sort((a, b) => a - b), primary: k === 0 } }));
}

export interface WorkerData {
  entry: string;
  path: string;
  format: DataFormat;
  features: FeatureSpec[];
  options: ProfileOptions;
  range: FilePart;
}

export type WorkerMessage =
  | { type: 'progress'; bytes: number }
  | { type: 'done'; state: DatasetState; lines: number }
  | { type: 'error'; message: string };

/** A 16 MB young generation keeps each worker's heap (and the process RSS) low: JSON.parse garbage dies young. */
const YOUNG_MB = 16;

// Workers start from JavaScript; under tsx or jest the entry is TypeScript, so register tsx first.
const BOOT = `
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs/api').register();
require(workerData.entry);
`;

function runWorker(data: Omit<WorkerData, 'entry'>, onBytes: (bytes: number) => void): Promise<{ state: DatasetState; lines: number }> {
  const entry = join(__dirname, `profile-worker${extname(__filename)}`);
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: { ...data, entry } satisfies WorkerData,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_MB },
    });
    let settled = false;
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') onBytes(msg.bytes);
      else {
        settled = true;
        if (msg.type === 'done') resolve(msg);
        else reject(new Error(msg.message));
        void worker.terminate();
      }
    });
    worker.on('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`profile worker exited with code ${code}`));
    });
  });
}

/**
 * Profiles an uncompressed JSON Lines or CSV file with `workers` threads, each on a line-aligned byte range (a
 * Parquet file: a share of its columns), and merges the profiles in file order (line numbers of malformed rows
 * are made file-global). A CSV file with a quote in a data line is read again by one thread.
 * This is the mergeability of profiles put to work: the result equals a single-threaded pass, up to
 * the sketch's merge error.
 */
export async function profileParallel(
  path: string,
  format: DataFormat,
  features: FeatureSpec[],
  options: ProfileOptions,
  workers: number,
  onProgress?: ProgressCallback,
): Promise<DatasetProfile> {
  try {
    return await profileParts(path, format, features, options, workers, onProgress);
  } catch (err) {
    // A quoted CSV field may span a cut: such a file is read by one thread.
    if (format !== 'csv' || !(err instanceof Error) || !QUOTED_RANGE.test(err.message)) throw err;
    const profile = new DatasetProfile(features, options);
    await readRows(path, features.map((f) => f.name), profile, { format, onProgress });
    return profile;
  }
}

/** The message of QuotedCsvRangeError, as it crosses the worker boundary. */
const QUOTED_RANGE = /a quoted field in a CSV byte range/;

async function profileParts(
  path: string,
  format: DataFormat,
  features: FeatureSpec[],
  options: ProfileOptions,
  workers: number,
  onProgress?: ProgressCallback,
): Promise<DatasetProfile> {
  const ranges: FilePart[] = format === 'parquet' ? await columnParts(path, features, workers) : await lineAlignedRanges(path, workers);
  const size = format === 'parquet' ? (await stat(path)).size : 0;
  const total = format === 'parquet' ? size : ranges.length > 0 ? ranges[ranges.length - 1].end : 0;
  const read = ranges.map(() => 0);
  const results = await Promise.all(
    ranges.map((range, i) =>
      runWorker({ path, format, features, options, range }, (bytes) => {
        read[i] = bytes;
        onProgress?.(Math.min(total, read.reduce((a, b) => a + b, 0)), total);
      }),
    ),
  );
  const merged = new DatasetProfile(features, options);
  let lineOffset = 0;
  for (const { state, lines } of results) {
    state.invalidSamples = state.invalidSamples.map((s) => ({ ...s, line: s.line + lineOffset }));
    merged.merge(DatasetProfile.fromState(state));
    lineOffset += lines;
  }
  return merged;
}
