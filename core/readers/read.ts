import { promises as fs } from 'node:fs';
import { emitCaptureRecord, type RowEmitter } from './capture';
import { DatasetProfile } from '../profile/profile';
import { parseCsvRecord } from './csv';
import { CsvRecordJoiner } from './private/csv-records';
import { scanCsvIntoProfile } from './csv-scan';
import { JsonLineScanner } from './private/jsonl-scan';
import { forEachLine, forEachLineBytes } from './lines';
import type { Readable } from 'node:stream';
import { fileAsyncBuffer, hasParquetMagic, type ParquetColumnShare, memoryAsyncBuffer, parquetColumns, readParquetRows, streamToBytes } from './parquet';
import { isGzip, openChunks, openSource, type ByteRange, type ProgressCallback } from './source';

export type DataFormat = 'csv' | 'jsonl' | 'parquet';

/** Where rows go: a DatasetProfile satisfies this. */
export interface RowSink {
  addRow(values: readonly unknown[]): void;
  addInvalid(line: number, reason: string): void;
  /** Columns that are not features: a CSV header's others, a JSON object's other keys. Optional: inference needs none. */
  addUnexpectedColumn?(name: string, rows: number): void;
}

export interface ReadOptions {
  /**
   * Format of the file.
   * @default - from the file name (see `formatOf`)
   */
  format?: DataFormat;
  /**
   * Called as the file is read, with the bytes read so far and the total.
   * @default - no progress reports
   */
  onProgress?: ProgressCallback;
  /**
   * Stop after this many data rows (type inference reads a sample).
   * @default - no limit
   */
  maxRows?: number;
  /**
   * Read only this byte range of an uncompressed JSON Lines file (parallel profiling).
   * @default - the whole file
   */
  range?: ByteRange;
  /**
   * Read only these row groups, [start, end), of a Parquet file (parallel profiling).
   * @default - every row group
   */
  rowGroups?: { start: number; end: number };
  /**
   * Profile only these features' columns of a Parquet file (parallel profiling splits a file's columns across
   * workers); the share with `primary` also counts the rows and reports the columns that are not features.
   * @default - every feature column, primary
   */
  columnShare?: ParquetColumnShare;
}

/**
 * The format a file name implies: `.parquet` (any case) is Parquet, `.csv` or `.csv.gz` CSV, anything else
 * JSON Lines.
 */
export function formatOf(path: string): DataFormat {
  if (/\.parquet$/i.test(path)) return 'parquet';
  return /\.csv(\.gz)?$/i.test(path) ? 'csv' : 'jsonl';
}

/** The format of a local file: `explicit` if given, Parquet when it starts with `PAR1`, else from its name. */
export async function detectFormat(path: string, explicit?: DataFormat): Promise<DataFormat> {
  if (explicit) return explicit;
  // Only a readable regular file is sniffed; anything else falls through to the read, which reports it.
  const sniffed = await fs.stat(path).then(
    async (s) => s.isFile() && !(await isGzip(path)) && (await hasParquetMagic(path)),
    () => false,
  );
  return sniffed ? 'parquet' : formatOf(path);
}

/** The first line of an uncompressed file, without its line ending (a CSV header for a byte-range read). */
async function firstLine(path: string): Promise<string> {
  const handle = await fs.open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    for (let pos = 0; ; ) {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, pos);
      const nl = buffer.subarray(0, bytesRead).indexOf(10);
      chunks.push(buffer.subarray(0, nl >= 0 ? nl : bytesRead));
      if (nl >= 0 || bytesRead === 0) break;
      pos += bytesRead;
    }
    return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
  } finally {
    await handle.close();
  }
}

/** Reads a local Parquet file's feature columns by row group (see readParquetRows). */
async function readParquetFile(path: string, features: readonly string[], sink: RowSink, options: ReadOptions): Promise<number> {
  const { file, close } = await fileAsyncBuffer(path, options.onProgress);
  try {
    return await readParquetRows(file, path, features, sink, { maxRows: options.maxRows, rowGroups: options.rowGroups, columnShare: options.columnShare });
  } finally {
    await close();
  }
}

/**
 * Streams `path` and calls sink.addRow with the values of `features` in order (one reused array).
 * Malformed rows go to sink.addInvalid with their line number and never stop the read.
 * CSV takes column names from its header; JSON Lines rows are objects keyed by feature name, or
 * SageMaker capture records (detected per line by their `captureData` key).
 */
export async function readRows(path: string, features: readonly string[], sink: RowSink, options: ReadOptions = {}): Promise<number> {
  const format = await detectFormat(path, options.format);
  if (format === 'parquet') return readParquetFile(path, features, sink, options);
  if (format === 'csv' && isProfileOf(sink, features)) {
    // The byte-level scanner; a byte range (parallel profiling) gets the file's header line.
    const range = options.range;
    const header = range && range.start > 0 ? await firstLine(path) : undefined;
    const chunks = await openChunks(path, options.onProgress, range);
    return scanCsvIntoProfile(chunks, sink, { maxRows: options.maxRows, header, inRange: range !== undefined, label: path });
  }
  if (options.range && format === 'csv') throw new Error('CSV files are read whole (quoted fields may span lines)');
  return readTextRows(await openChunks(path, options.onProgress, options.range), format, features, sink, options.maxRows);
}

/**
 * As readRows, from an already decompressed byte stream (e.g. an S3 or GCS object body). Resolves to the lines
 * read (Parquet: rows). A Parquet stream is collected whole first (its footer is at the end), up to
 * MAX_STREAMED_PARQUET_BYTES, then read by row group.
 */
export async function readStreamRows(
  stream: Readable,
  format: DataFormat,
  features: readonly string[],
  sink: RowSink,
  maxRowsOption?: number,
  label = 'stream',
): Promise<number> {
  if (format === 'parquet') return readParquetRows(memoryAsyncBuffer(await streamToBytes(stream, label)), label, features, sink, { maxRows: maxRowsOption });
  return readTextRows(stream, format, features, sink, maxRowsOption, label);
}

/** readStreamRows for CSV and JSON Lines, from a stream or from reused chunks (openChunks). */
async function readTextRows(
  stream: Readable | AsyncIterable<Buffer>,
  format: 'csv' | 'jsonl',
  features: readonly string[],
  sink: RowSink,
  maxRowsOption?: number,
  label = 'stream',
): Promise<number> {
  if (format === 'csv' && isProfileOf(sink, features)) {
    return scanCsvIntoProfile(stream, sink, { maxRows: maxRowsOption, label });
  }
  const maxRows = maxRowsOption ?? Infinity;
  const width = features.length;
  const values: unknown[] = new Array(width).fill(undefined);
  let rows = 0;

  if (format === 'csv') {
    const fields: string[] = [];
    let unexpected: string[] = [];
    let columnOf: number[] | null = null;
    let headerWidth = 0;
    const records = new CsvRecordJoiner();
    const lines = await forEachLine(stream, (line, lineNo) => {
      const n = records.push(line, lineNo, fields);
      if (n < 0) return true;
      if (columnOf === null) {
        headerWidth = n;
        const header = fields.map((f) => f.trim());
        columnOf = features.map((f) => header.indexOf(f));
        unexpected = header.filter((h) => h !== '' && !features.includes(h));
        return true;
      }
      if (n === 1 && fields[0].trim() === '') return true; // blank line
      if (n !== headerWidth) {
        sink.addInvalid(records.recordLine, `expected ${headerWidth} fields, got ${n}`);
        return true;
      }
      for (let i = 0; i < width; i++) values[i] = columnOf[i] < 0 ? undefined : fields[columnOf[i]];
      sink.addRow(values);
      return ++rows < maxRows;
    });
    if (records.open) sink.addInvalid(records.unterminatedLine, 'unterminated quoted field at end of file');
    for (const name of unexpected) sink.addUnexpectedColumn?.(name, rows);
    return lines;
  }

  let lineNo = 0;
  const fields: string[] = [];
  const featureSet = new Set(features);
  /** Copies an object row's features into `values` and reports keys that are not features. */
  const fromObject = (obj: Record<string, unknown>) => {
    let present = 0;
    for (let i = 0; i < width; i++) if ((values[i] = obj[features[i]]) !== undefined) present++;
    if (!sink.addUnexpectedColumn) return;
    // Counting keys is cheap (V8's enum cache); the names are only looked at when there are more keys than features.
    let keys = 0;
    for (const _ in obj) keys++;
    if (keys > present) for (const key in obj) if (!featureSet.has(key)) sink.addUnexpectedColumn(key, 1);
  };
  const emitter: RowEmitter = {
    row(row) {
      if (Array.isArray(row)) for (let i = 0; i < width; i++) values[i] = row[i];
      else fromObject(row as Record<string, unknown>);
      sink.addRow(values);
      rows++;
    },
    invalid(reason) {
      sink.addInvalid(lineNo, reason);
    },
  };
  const onLine = (line: string, n: number): boolean => {
    lineNo = n;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      if (line.trim() !== '') sink.addInvalid(n, 'invalid JSON');
      return true;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      sink.addInvalid(n, 'expected a JSON object');
      return true;
    }
    const obj = record as Record<string, unknown>;
    if (obj.captureData !== undefined) emitCaptureRecord(obj, width, fields, emitter);
    else {
      fromObject(obj);
      sink.addRow(values);
      rows++;
    }
    return rows < maxRows;
  };
  if (isProfileOf(sink, features)) {
    // The byte-level path; lines it does not fully accept go through JSON.parse above.
    const scanner = new JsonLineScanner(sink);
    return forEachLineBytes(stream, (buf, start, end, n) => {
      if (!scanner.scan(buf, start, end)) return onLine(buf.toString('utf8', start, end), n);
      return ++rows < maxRows;
    });
  }
  return forEachLine(stream, onLine);
}

/** True when `sink` is a DatasetProfile of exactly `features`, in order (the byte-level readers feed it directly). */
function isProfileOf(sink: RowSink, features: readonly string[]): sink is DatasetProfile {
  return sink instanceof DatasetProfile && sink.features.length === features.length && sink.features.every((f, i) => f.name === features[i]);
}

/**
 * Column names of a file: the CSV header, or the keys of the first `sampleRows` JSON objects in
 * first-seen order (capture records have no names: use the baseline's).
 */
export async function readColumns(path: string, options: ReadOptions & { sampleRows?: number } = {}): Promise<string[]> {
  const format = await detectFormat(path, options.format);
  if (format === 'parquet') {
    const { file, close } = await fileAsyncBuffer(path);
    try {
      return await parquetColumns(file, path);
    } finally {
      await close();
    }
  }
  const stream = await openSource(path);
  const names = new Set<string>();
  const sampleRows = options.sampleRows ?? 1000;
  let seen = 0;
  await forEachLine(stream, (line) => {
    if (format === 'csv') {
      const fields: string[] = [];
      if (parseCsvRecord(line, fields) > 0) fields.forEach((f) => names.add(f.trim()));
      return false;
    }
    try {
      const obj = JSON.parse(line);
      if (typeof obj === 'object' && obj !== null && !Array.isArray(obj) && obj.captureData === undefined) {
        Object.keys(obj).forEach((k) => names.add(k));
        seen++;
      }
    } catch {
      // Malformed lines are reported by the profiling pass.
    }
    return seen < sampleRows;
  });
  return [...names];
}
