/// <reference path="./hyparquet-src.d.ts" />
import type { AsyncBuffer, ColumnMetaData, Compressors, DecodedArray, FileMetaData, SchemaElement } from 'hyparquet';
import { CategoricalProfile } from '../../profile/categorical-profile';
import { NumericProfile } from '../../profile/numeric-profile';
import type { DatasetProfile } from '../../profile/profile';
import type { ParquetColumnShare } from '../parquet';
import { snappyUncompress } from './snappy';

/**
 * The Parquet fast path of a drift check: decodes each feature column's pages with hyparquet's page-level
 * functions (page header, decompression, definition levels, dictionary) and feeds the feature's profile
 * column by column. hyparquet's own read assembles every nullable column through its general nested-list
 * (Dremel) assembler into row arrays; profiled on a 1M-row, 30-column DuckDB file that assembly and its garbage
 * were half the time. A flat OPTIONAL column has definition level 1 for a value and 0 for a null (Parquet format
 * spec, "Nested Encoding"), so a value is taken from the page's values exactly when its level is the maximum.
 */

type Modules = {
  column: typeof import('hyparquet/src/column.js');
  datapage: typeof import('hyparquet/src/datapage.js');
  convert: typeof import('hyparquet/src/convert.js');
  plain: typeof import('hyparquet/src/plain.js');
  schema: typeof import('hyparquet/src/schema.js');
  encoding: typeof import('hyparquet/src/encoding.js');
};
let loaded: Promise<Modules> | undefined;
function modules(): Promise<Modules> {
  loaded ??= Promise.all([
    import('hyparquet/src/column.js'),
    import('hyparquet/src/datapage.js'),
    import('hyparquet/src/convert.js'),
    import('hyparquet/src/plain.js'),
    import('hyparquet/src/schema.js'),
    import('hyparquet/src/encoding.js'),
  ]).then(([column, datapage, convert, plain, schema, encoding]) => ({ column, datapage, convert, plain, schema, encoding }));
  return loaded;
}

/** Bytes [start, end) of a column chunk: from its dictionary page (if any) through its last data page. */
function chunkRange(meta: ColumnMetaData): { start: number; end: number } {
  let start = Number(meta.data_page_offset);
  const dictionary = meta.dictionary_page_offset === undefined ? 0 : Number(meta.dictionary_page_offset);
  // Some writers store 0 for "no dictionary page"; a dictionary page always precedes the data pages.
  if (dictionary > 0 && dictionary < start) start = dictionary;
  return { start, end: start + Number(meta.total_compressed_size) };
}

/**
 * An AsyncBuffer that can also read into memory it reuses (fileAsyncBuffer): the bytes are valid until the next
 * read. Fresh memory per column chunk and per page costs a page fault per 4 KiB on first touch (see openChunks).
 */
export interface ReusingAsyncBuffer extends AsyncBuffer {
  sliceReused(start: number, end: number): Promise<Uint8Array>;
}

/** Reused memory for decompressed data pages and aligned doubles; grown, never shrunk, per thread. */
let pageScratch = new Uint8Array(0);
let doubleScratch = new Float64Array(0);

/** A data page decompressed into pageScratch (valid until the next page), with the given compressors otherwise. */
function reusingCompressors(compressors: Compressors): Compressors {
  if (compressors.SNAPPY !== snappyUncompress) return compressors;
  return {
    ...compressors,
    SNAPPY: (input: Uint8Array, outputLength: number) => {
      if (pageScratch.length < outputLength) pageScratch = new Uint8Array(Math.max(outputLength, 2 * pageScratch.length));
      return snappyUncompress(input, outputLength, pageScratch.subarray(0, outputLength));
    },
  };
}

/** Room for `count` doubles in reused memory: one page's numbers, valid until the next page. */
function doubleSpace(count: number): Float64Array {
  if (doubleScratch.length < count) doubleScratch = new Float64Array(Math.max(count, 2 * doubleScratch.length));
  return doubleScratch.subarray(0, count);
}

/** `count` PLAIN doubles at page[offset…] in reused aligned memory (hyparquet copies an unaligned run into a new array). */
function plainDoubles(page: Uint8Array, offset: number, count: number): Float64Array {
  const out = doubleSpace(count);
  new Uint8Array(out.buffer, 0, count * 8).set(page.subarray(offset, offset + count * 8));
  return out;
}

/**
 * Profiles the row groups [first, last) of `file` into `profile` column by column: every feature, or only
 * `share`'s (parallel profiling splits the columns; a feature the file lacks belongs to the primary share). Every
 * feature column must be flat (the caller checked). Resolves to the rows read.
 */
export async function profileParquetColumns(
  file: AsyncBuffer,
  metadata: FileMetaData,
  profile: DatasetProfile,
  compressors: Compressors,
  first: number,
  last: number,
  share?: ParquetColumnShare,
): Promise<number> {
  const { column, datapage, convert, plain, schema, encoding } = await modules();
  let indexScratch = new Int32Array(0);
  const names = profile.features.map((f) => f.name);
  const mine = share ? new Set(share.features) : null;
  const primary = share?.primary ?? true;
  const pageCompressors = reusingCompressors(compressors);
  const readChunk = (start: number, end: number): Promise<Uint8Array> =>
    'sliceReused' in file ? (file as ReusingAsyncBuffer).sliceReused(start, end) : Promise.resolve(file.slice(start, end)).then((b) => new Uint8Array(b));
  let rows = 0;
  for (let g = first; g < last; g++) {
    try {
      rows += await profileGroup(g);
    } catch (err) {
      throw new Error(`row group ${g}: ${(err as Error).message}`);
    }
  }
  return rows;

  async function profileGroup(g: number): Promise<number> {
    const group = metadata.row_groups[g];
    const groupRows = Number(group.num_rows);
    const seen = new Set<number>();
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta || meta.path_in_schema.length !== 1) continue;
      const i = names.indexOf(meta.path_in_schema[0]);
      if (i < 0) continue;
      seen.add(i);
      if (mine !== null && !mine.has(i)) continue;
      const schemaPath = schema.getSchemaPath(metadata.schema, meta.path_in_schema);
      const element: SchemaElement = schemaPath[schemaPath.length - 1].element;
      const decoder = { pathInSchema: meta.path_in_schema, type: meta.type, element, schemaPath, codec: meta.codec, parsers: convert.DEFAULT_PARSERS, compressors, utf8: true };
      const maxDefinition = element.repetition_type === 'REQUIRED' ? 0 : 1;
      const { start, end } = chunkRange(meta);
      const bytes = await readChunk(start, end);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const reader = { view, offset: 0 };
      const target = profile.profiles[i];
      let dictionary: DecodedArray | undefined;
      let values = 0;
      const total = Number(meta.num_values);
      while (values < total && reader.offset < view.byteLength) {
        const header = column.parquetHeader(reader);
        const compressed = new Uint8Array(view.buffer, view.byteOffset + reader.offset, header.compressed_page_size);
        reader.offset += header.compressed_page_size;
        let levels: number[] | undefined;
        let data: DecodedArray;
        let count: number;
        if (header.type === 'DICTIONARY_PAGE') {
          const page = datapage.decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, compressors);
          const pageReader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
          dictionary = convert.convert(plain.readPlain(pageReader, meta.type, header.dictionary_page_header!.num_values, element.type_length), decoder);
          continue;
        } else if (header.type === 'DATA_PAGE') {
          const daph = header.data_page_header!;
          // Into reused memory: this page's values are profiled before the next page is read.
          const page = datapage.decompressPage(compressed, Number(header.uncompressed_page_size), meta.codec, pageCompressors);
          count = daph.num_values;
          const dictionaryIndexes = dictionary !== undefined && (daph.encoding === 'PLAIN_DICTIONARY' || daph.encoding === 'RLE_DICTIONARY');
          if (meta.type !== 'BOOLEAN' && (daph.encoding === 'PLAIN' || dictionaryIndexes) && (maxDefinition === 0 || daph.definition_level_encoding === 'RLE')) {
            // A flat page decoded into reused typed arrays (hyparquet's readDataPage builds a holey Array of
            // levels and of dictionary indexes per page): [4-byte length, RLE/bit-packed levels], then the values.
            const pageReader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
            // A flat column's values are stored densely (one per defined row): the levels only say how many rows
            // are null, which is all a profile needs (counts do not depend on where the nulls are).
            const nulls = maxDefinition > 0 ? count - countDefined(page, pageReader, count) : 0;
            const present = count - nulls;
            if (dictionaryIndexes) {
              const bitWidth = pageReader.view.getUint8(pageReader.offset++);
              if (indexScratch.length < present) indexScratch = new Int32Array(present);
              const indexes = indexScratch.subarray(0, present);
              if (bitWidth) encoding.readRleBitPackedHybrid(pageReader, bitWidth, indexes, page.byteLength - pageReader.offset);
              else indexes.fill(0);
              feedDictionary(target, nulls, dictionary!, indexes);
            } else if (meta.type === 'DOUBLE' && element.converted_type === undefined && element.logical_type === undefined) {
              feedValues(target, nulls, plainDoubles(page, pageReader.offset, present));
            } else {
              const plainValues = convert.convert(plain.readPlain(pageReader, meta.type, present, element.type_length), decoder);
              feedValues(target, nulls, plainValues);
            }
            values += count;
            continue;
          }
          const decoded = datapage.readDataPage(page, daph, decoder);
          levels = decoded.definitionLevels;
          data = convert.convertWithDictionary(decoded.dataPage, dictionary, daph.encoding, decoder);
        } else if (header.type === 'DATA_PAGE_V2') {
          const daph2 = header.data_page_header_v2!;
          const decoded = datapage.readDataPageV2(compressed, header, decoder);
          levels = decoded.definitionLevels;
          data = convert.convertWithDictionary(decoded.dataPage, dictionary, daph2.encoding, decoder);
          count = daph2.num_values;
        } else continue; // index pages carry no values
        if (maxDefinition === 0 || !levels || levels.length === 0) {
          for (let k = 0; k < count; k++) target.add(cellValue(data[k]));
        } else {
          let v = 0;
          for (let k = 0; k < count; k++) target.add(levels[k] === maxDefinition ? cellValue(data[v++]) : null);
        }
        values += count;
      }
      if (values !== groupRows) throw new Error(`column ${names[i]} has ${values} values for ${groupRows} rows`);
    }
    // Features the file does not have are absent in every row.
    if (primary) {
      for (let i = 0; i < names.length; i++) if (!seen.has(i)) for (let k = 0; k < groupRows; k++) profile.profiles[i].add(undefined);
      profile.rows += groupRows;
    }
    return groupRows;
  }
}

/**
 * How many of a v1 data page's `count` definition levels (bit width 1: [4-byte length, RLE/bit-packed hybrid], Parquet
 * format, "Run Length Encoding / Bit-Packing Hybrid") are 1, counted from the runs without writing a level per row;
 * moves the reader past them.
 */
function countDefined(page: Uint8Array, reader: { view: DataView; offset: number }, count: number): number {
  const length = reader.view.getUint32(reader.offset, true);
  let pos = reader.offset + 4;
  const end = pos + length;
  let seen = 0;
  let defined = 0;
  while (seen < count && pos < end) {
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      const b = page[pos++];
      header += (b & 127) * 2 ** shift;
      if (b < 128) break;
    }
    if (header % 2 === 1) {
      // Bit-packed: (header >> 1) groups of 8 levels, one byte each; bits past `count` are padding.
      const bytes = Math.floor(header / 2);
      for (let g = 0; g < bytes && seen < count; g++, pos++) {
        const take = Math.min(8, count - seen);
        defined += BIT_COUNT[page[pos] & ((1 << take) - 1)];
        seen += take;
      }
    } else {
      // RLE: a run of (header >> 1) copies of one level, stored in one byte.
      const run = Math.min(Math.floor(header / 2), count - seen);
      if (page[pos++] & 1) defined += run;
      seen += run;
    }
  }
  if (seen < count) throw new Error(`definition levels end after ${seen} of ${count} values`);
  reader.offset = end;
  return defined;
}

/** Set bits per byte value. */
const BIT_COUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let x = b; x; x >>= 1) n += x & 1;
  return n;
});

/**
 * A page's present numbers (dense, in row order) into a numeric profile: all at once when every one is finite (the
 * digest's buffer takes them in one copy, in the same order as one by one), else each as add() would take it.
 */
function feedNumbers(target: NumericProfile, nulls: number, values: Float64Array): void {
  target.missing += nulls;
  const n = values.length;
  let finite = true;
  for (let k = 0; k < n; k++) {
    const x = values[k];
    if (x - x !== 0) {
      finite = false;
      break;
    }
  }
  if (finite) {
    target.addNumbers(values);
    return;
  }
  for (let k = 0; k < n; k++) {
    const x = values[k];
    if (x - x === 0) target.addNumber(x);
    else if (x !== x) target.missing++;
    else target.invalid++;
  }
}

/** `values` as doubles: itself, or converted into reused memory. */
function asDoubles(values: Float32Array | Int32Array, count: number): Float64Array {
  const out = doubleSpace(count);
  out.set(values.subarray(0, count));
  return out;
}

const isNumberArray = (a: DecodedArray): a is Float64Array | Float32Array | Int32Array => a instanceof Float64Array || a instanceof Float32Array || a instanceof Int32Array;

/** One page's present values (dense) into a profile, after its `nulls` nulls. */
function feedValues(target: DatasetProfile['profiles'][number], nulls: number, values: DecodedArray): void {
  if (target instanceof NumericProfile && isNumberArray(values)) return feedNumbers(target, nulls, values instanceof Float64Array ? values : asDoubles(values, values.length));
  for (let k = 0; k < nulls; k++) target.add(null);
  for (let k = 0; k < values.length; k++) target.add(cellValue(values[k]));
}

/** Reused per-entry counts of a dictionary page's indexes. */
let entryCounts = new Int32Array(0);

/**
 * As feedValues, the values being dictionary entries by index. A window's categories (fixed bins) are counted per
 * dictionary entry first, then added once per entry with their count.
 */
function feedDictionary(target: DatasetProfile['profiles'][number], nulls: number, dictionary: DecodedArray, indexes: Int32Array): void {
  const n = indexes.length;
  if (target instanceof NumericProfile && isNumberArray(dictionary)) {
    const out = doubleSpace(n);
    for (let k = 0; k < n; k++) out[k] = dictionary[indexes[k]];
    return feedNumbers(target, nulls, out);
  }
  if (target instanceof CategoricalProfile && target.fixed) {
    if (entryCounts.length < dictionary.length) entryCounts = new Int32Array(dictionary.length);
    const counts = entryCounts.subarray(0, dictionary.length);
    counts.fill(0);
    for (let k = 0; k < n; k++) counts[indexes[k]]++;
    for (let k = 0; k < nulls; k++) target.add(null);
    for (let e = 0; e < counts.length; e++) if (counts[e] > 0) target.addRepeated(cellValue(dictionary[e]), counts[e]);
    return;
  }
  for (let k = 0; k < nulls; k++) target.add(null);
  for (let k = 0; k < n; k++) target.add(cellValue(dictionary[indexes[k]]));
}

/** Parquet cell → what the profiles take: INT64 arrives as bigint, timestamps and dates as Date. */
export function cellValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  return v;
}
