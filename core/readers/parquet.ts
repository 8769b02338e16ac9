import { promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import type { AsyncBuffer, ColumnData, Compressors, FileMetaData } from 'hyparquet';
import { DatasetProfile } from '../profile/profile';
import { cellValue, profileParquetColumns } from './private/parquet-columns';
import { snappyUncompress } from './private/snappy';
import type { ReusingAsyncBuffer } from './private/parquet-columns';
import type { RowSink } from './read';
import type { ProgressCallback } from './source';

/**
 * Parquet input, read with hyparquet (pure JavaScript, no native binary: the function bundles stay small).
 * A file is read one row group at a time, only the feature columns, so memory is bounded by the largest row
 * group's feature columns, never the file. Parquet's file layout (magic `PAR1` at both ends, the footer's
 * FileMetaData listing the row groups and their column chunks) is in the Apache Parquet format spec
 * (parquet.apache.org/docs/file-format); hyparquet's `parquetRead` with `rowStart`/`rowEnd` on a row group's
 * bounds reads just that group's column chunks (hyparquet README, "onChunk").
 */

/** The 4 bytes every Parquet file starts and ends with. */
export const PARQUET_MAGIC = 'PAR1';

/** True when the file's first 4 bytes are `PAR1`. */
export async function hasParquetMagic(path: string): Promise<boolean> {
  const handle = await fs.open(path, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.toString('latin1') === PARQUET_MAGIC;
  } finally {
    await handle.close();
  }
}

/**
 * Codecs beyond hyparquet's built-in Snappy, from node:zlib (no extra dependency): GZIP and BROTLI, and ZSTD
 * where the runtime has it (Node ≥ 22.15). Snappy is the default of DuckDB, pyarrow, Spark, BigQuery and
 * Snowflake exports; LZ4 is refused with a clear error.
 */
function nodeCompressors(): Compressors {
  const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
  return {
    SNAPPY: snappyUncompress,
    GZIP: (input) => new Uint8Array(gunzipSync(input)),
    BROTLI: (input) => new Uint8Array(brotliDecompressSync(input)),
    ...(zstd ? { ZSTD: (input: Uint8Array) => new Uint8Array(zstd(input)) } : {}),
  };
}

type Hyparquet = typeof import('hyparquet');
let loaded: Promise<Hyparquet> | undefined;
/** hyparquet is an ES module, loaded on first use: reading CSV or JSON Lines never loads it. */
function hyparquet(): Promise<Hyparquet> {
  loaded ??= import('hyparquet');
  return loaded;
}

/**
 * An AsyncBuffer over a local file: positioned reads on one handle, counting bytes for progress. `sliceReused`
 * reads into one growing buffer instead (valid until its next call): the column-by-column profiler's reads.
 */
export async function fileAsyncBuffer(path: string, onProgress?: ProgressCallback): Promise<{ file: ReusingAsyncBuffer; close: () => Promise<void> }> {
  const stat = await fs.stat(path);
  if (!stat.isFile()) throw new Error(`${path} is not a file`);
  const handle = await fs.open(path, 'r');
  let read = 0;
  let scratch = new Uint8Array(0);
  const readInto = async (buffer: Uint8Array, start: number): Promise<Uint8Array> => {
    let done = 0;
    while (done < buffer.length) {
      const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    read += done;
    onProgress?.(Math.min(read, stat.size), stat.size);
    return buffer.subarray(0, done);
  };
  const length = (start: number, end?: number) => Math.max(0, Math.min(end ?? stat.size, stat.size) - start);
  const file: ReusingAsyncBuffer = {
    byteLength: stat.size,
    async slice(start: number, end?: number) {
      const buffer = new Uint8Array(length(start, end));
      const bytes = await readInto(buffer, start);
      return bytes.length === buffer.length ? buffer.buffer : buffer.buffer.slice(0, bytes.length);
    },
    async sliceReused(start: number, end: number) {
      const n = length(start, end);
      if (scratch.length < n) scratch = new Uint8Array(Math.max(n, 2 * scratch.length));
      return readInto(scratch.subarray(0, n), start);
    },
  };
  return { file, close: () => handle.close() };
}

/** An AsyncBuffer over bytes in memory (an object store's Parquet object). */
export function memoryAsyncBuffer(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.byteLength,
    slice: (start, end) => bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + (end ?? bytes.byteLength)) as ArrayBuffer,
  };
}

/** Largest Parquet object read from a stream (it must be held whole: the footer is at the end). */
export const MAX_STREAMED_PARQUET_BYTES = 256 << 20;

/** Collects a stream's bytes (a Parquet object from S3 or GCS), refusing more than `limit`. */
export async function streamToBytes(stream: Readable, label: string, limit = MAX_STREAMED_PARQUET_BYTES): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`${label}: Parquet object larger than ${limit >> 20} MiB: split it into smaller files (each is read whole)`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The file's metadata, or an error naming the file and what is wrong with it. */
async function metadataOf(file: AsyncBuffer, label: string): Promise<FileMetaData> {
  const { parquetMetadataAsync } = await hyparquet();
  try {
    return await parquetMetadataAsync(file);
  } catch (err) {
    throw new Error(`${label}: not a readable Parquet file (${(err as Error).message}): expected the PAR1 magic bytes and a footer`);
  }
}

/** Top-level column names, in file order. */
export async function parquetColumns(file: AsyncBuffer, label: string): Promise<string[]> {
  const metadata = await metadataOf(file, label);
  const { parquetSchema } = await hyparquet();
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

export interface ParquetRowOptions {
  /**
   * Stop after this many rows.
   * @default - no limit
   */
  maxRows?: number;
  /**
   * Read only the row groups with these indexes, [start, end) (parallel profiling).
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

/** A worker's share of a Parquet file's feature columns (see ParquetRowOptions.columnShare). */
export interface ParquetColumnShare {
  /** Indexes into the features of the columns this share profiles. */
  features: readonly number[];
  /** Whether this share counts the rows and reports the file's columns that are not features (exactly one does). */
  primary: boolean;
}


/**
 * Reads the feature columns of `file`, one row group at a time, into `sink` (one reused row array, as the
 * text readers do). A feature not in the file's schema is absent (`undefined`) in every row; columns that are
 * not features are reported once with the file's row count. Nested columns (struct, list, map) are refused.
 * Resolves to the rows read.
 */
export async function readParquetRows(file: AsyncBuffer, label: string, features: readonly string[], sink: RowSink, options: ParquetRowOptions = {}): Promise<number> {
  const metadata = await metadataOf(file, label);
  const { parquetRead, parquetSchema } = await hyparquet();
  const schema = parquetSchema(metadata).children;
  const names = schema.map((c) => c.element.name);
  const nested = schema.filter((c) => c.children.length > 0 && features.includes(c.element.name)).map((c) => c.element.name);
  if (nested.length > 0) throw new Error(`${label}: column ${nested.join(', ')} is a nested Parquet type (struct, list or map): only flat columns can be features`);
  const present = features.filter((f) => names.includes(f));
  const slot = features.map((f) => present.indexOf(f));
  const groups = metadata.row_groups;
  const first = options.rowGroups?.start ?? 0;
  const last = Math.min(options.rowGroups?.end ?? groups.length, groups.length);
  const maxRows = options.maxRows ?? Infinity;
  const compressors = nodeCompressors();
  const values: unknown[] = new Array(features.length).fill(undefined);
  const profileSink = sink instanceof DatasetProfile && sink.features.length === features.length && sink.features.every((f, i) => f.name === features[i]);
  if (profileSink && options.maxRows === undefined) {
    // A drift check or baseline: column by column, straight into the profiles.
    let rows: number;
    try {
      rows = await profileParquetColumns(file, metadata, sink, compressors, first, last, options.columnShare);
    } catch (err) {
      throw new Error(`${label}: ${(err as Error).message}${/compression|codec/i.test((err as Error).message) ? ' (supported: uncompressed, SNAPPY, GZIP, BROTLI, ZSTD on Node ≥ 22.15)' : ''}`);
    }
    if (options.columnShare?.primary ?? true) for (const name of names) if (!features.includes(name)) sink.addUnexpectedColumn(name, rows);
    return rows;
  }
  if (options.columnShare) throw new Error(`${label}: a column share is read into a profile of the features, without maxRows`);
  let groupStart = 0;
  for (let g = 0; g < first; g++) groupStart += Number(groups[g].num_rows);
  let rows = 0;
  for (let g = first; g < last && rows < maxRows; g++) {
    const groupRows = Number(groups[g].num_rows);
    const groupEnd = groupStart + groupRows;
    // One row group's columns, each possibly in several pieces (pages), in row order.
    const pieces: ColumnData[][] = present.map(() => []);
    try {
      await parquetRead({
        file,
        metadata,
        columns: present,
        rowStart: groupStart,
        rowEnd: groupEnd,
        compressors,
        onChunk: (chunk) => pieces[present.indexOf(chunk.columnName)]?.push(chunk),
      });
    } catch (err) {
      throw new Error(`${label}: row group ${g}: ${(err as Error).message}${/compression|codec/i.test((err as Error).message) ? ' (supported: uncompressed, SNAPPY, GZIP, BROTLI, ZSTD on Node ≥ 22.15)' : ''}`);
    }
    for (const list of pieces) list.sort((a, b) => a.rowStart - b.rowStart);
    const piece = present.map(() => 0);
    const stop = Math.min(groupEnd, groupStart + (maxRows - rows));
    for (let r = groupStart; r < stop; r++) {
      for (let i = 0; i < features.length; i++) {
        const c = slot[i];
        if (c < 0) continue;
        const list = pieces[c];
        let k = piece[c];
        while (k < list.length && list[k].rowEnd <= r) k++;
        piece[c] = k;
        values[i] = k < list.length && list[k].rowStart <= r ? cellValue(list[k].columnData[r - list[k].rowStart]) : null;
      }
      sink.addRow(values);
      rows++;
    }
    groupStart = groupEnd;
  }
  if (sink.addUnexpectedColumn) for (const name of names) if (!features.includes(name)) sink.addUnexpectedColumn(name, rows);
  return rows;
}

/** The file's metadata (footer), with a clear error for a file that is not Parquet (parallel profiling plans from it). */
export function parquetMetadata(file: AsyncBuffer, label: string): Promise<FileMetaData> {
  return metadataOf(file, label);
}
