import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DatasetProfile, type DatasetState, type FeatureSpec, type ProfileOptions } from './profile';
import { readRows, type DataFormat } from './readers/read';
import { lineAlignedRanges, type ByteRange, type ProgressCallback } from './readers/source';

/**
 * Profiles one byte range of a JSON Lines file. Runs inside a worker thread (profile-worker.ts),
 * but is a plain function so it can run (and be tested) in-process too.
 */
export async function profileRange(
  path: string,
  format: DataFormat,
  features: FeatureSpec[],
  options: ProfileOptions,
  range: ByteRange,
  onProgress?: ProgressCallback,
): Promise<{ state: DatasetState; lines: number }> {
  const profile = new DatasetProfile(features, options);
  const lines = await readRows(path, features.map((f) => f.name), profile, { format, range, onProgress });
  return { state: profile.toState(), lines };
}

export interface WorkerData {
  entry: string;
  path: string;
  format: DataFormat;
  features: FeatureSpec[];
  options: ProfileOptions;
  range: ByteRange;
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
 * Profiles an uncompressed JSON Lines file with `workers` threads, each on a line-aligned byte range,
 * and merges the profiles in file order (line numbers of malformed rows are made file-global).
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
  const ranges = await lineAlignedRanges(path, workers);
  const total = ranges.length > 0 ? ranges[ranges.length - 1].end : 0;
  const read = ranges.map(() => 0);
  const results = await Promise.all(
    ranges.map((range, i) =>
      runWorker({ path, format, features, options, range }, (bytes) => {
        read[i] = bytes;
        onProgress?.(read.reduce((a, b) => a + b, 0), total);
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
