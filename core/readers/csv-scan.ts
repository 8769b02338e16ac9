import type { Readable } from 'node:stream';
import type { CategoricalProfile } from '../profile/categorical-profile';
import { NumericProfile } from '../profile/numeric-profile';
import type { DatasetProfile } from '../profile/profile';
import { parseCsvRecord } from './csv';
import { CsvRecordJoiner } from './private/csv-records';
import { forEachLineBytes } from './lines';

/**
 * The CSV fast path of a drift check: scans the file's bytes and feeds a DatasetProfile directly, without
 * building a string per line or per numeric field. Numeric fields are parsed from their bytes (see
 * parseAsciiNumber); categorical fields become strings (they are looked up in a Map). A line holding a quote
 * goes through the string parser (parseCsvRecord), so quoting, quoted newlines and every other rule are
 * exactly those of the row reader; so does the header. Results are identical to readRows + addRow.
 */

/** 10^0 … 10^22: every one is exactly representable as a double. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/**
 * Parses a plain decimal number (`-12.5`, `3`, `.5`, `1e-3`) from bytes [start, end), or returns NaN when
 * the fast path cannot decide (spaces, NA tokens, hex, more than 15 significant digits, |exponent| > 22, junk):
 * the caller then falls back to the string rules. With at most 15 digits the integer mantissa m is exact, and so
 * is 10^k for k ≤ 22, so m·10^k or m/10^k is one correctly rounded operation: the same double as Number(text)
 * (Clinger's fast path, "How to read floating point numbers accurately", PLDI 1990).
 */
export function parseAsciiNumber(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  let c = buf[i];
  if (c === 45 || c === 43) {
    negative = c === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0; // significant digits taken into the mantissa
  let seen = 0; // digits seen at all
  let scale = 0; // power of ten to apply
  while (i < end && (c = buf[i]) >= 48 && c <= 57) {
    if (mantissa !== 0 || c !== 48) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    }
    seen++;
    i++;
  }
  if (i < end && buf[i] === 46) {
    i++;
    while (i < end && (c = buf[i]) >= 48 && c <= 57) {
      if (mantissa !== 0 || c !== 48) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
      }
      scale--;
      seen++;
      i++;
    }
  }
  if (seen === 0 || digits > 15) return NaN;
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let expNegative = false;
    if (i < end && (buf[i] === 45 || buf[i] === 43)) {
      expNegative = buf[i] === 45;
      i++;
    }
    let exp = 0;
    const expStart = i;
    while (i < end && (c = buf[i]) >= 48 && c <= 57 && exp < 1000) {
      exp = exp * 10 + (c - 48);
      i++;
    }
    if (i === expStart) return NaN;
    scale += expNegative ? -exp : exp;
  }
  if (i !== end) return NaN;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (scale >= 0 && scale <= 22) value = mantissa * POW10[scale];
  else if (scale < 0 && scale >= -22) value = mantissa / POW10[-scale];
  else return NaN;
  return negative ? -value : value;
}

/** What the line scanner found in a field: a plain decimal (its value is parsed), nothing, or anything else. */
const PLAIN_NUMBER = 0;
const EMPTY_FIELD = 1;
const OTHER_FIELD = 2;

/** A ranged read met a quote: quoted fields may span the cut, so the caller reads the file with one thread. */
export class QuotedCsvRangeError extends Error {
  constructor(path: string) {
    super(`${path}: a quoted field in a CSV byte range: read the file whole`);
    this.name = 'QuotedCsvRangeError';
  }
}

export interface CsvScanOptions {
  /**
   * Stop after this many data rows.
   * @default - no limit
   */
  maxRows?: number;
  /**
   * The header line, for a byte range that starts after it (parallel profiling).
   * @default - the stream's first line is the header
   */
  header?: string;
  /**
   * The stream is one byte range of a file split at line starts: a quote in a data line throws
   * QuotedCsvRangeError (a quoted field may span the cut).
   * @default - true when `header` is given
   */
  inRange?: boolean;
  /**
   * Name for errors.
   * @default 'stream'
   */
  label?: string;
}

/**
 * Streams CSV bytes into `profile` (its features in order). Malformed rows are counted with their line
 * number. Resolves to the lines read (a given `header` is not counted).
 */
export async function scanCsvIntoProfile(stream: Readable | AsyncIterable<Buffer>, profile: DatasetProfile, options: CsvScanOptions = {}): Promise<number> {
  const features = profile.features.map((f) => f.name);
  const profiles = profile.profiles;
  const width = features.length;
  const numeric = profiles.map((p) => p instanceof NumericProfile);
  const maxRows = options.maxRows ?? Infinity;
  const inRange = options.inRange ?? options.header !== undefined;
  const fields: string[] = [];
  /** Feature i's field index, and per field index the feature it feeds (−1: none). */
  let columnOf: Int32Array | null = null;
  let featureOfField: Int32Array = new Int32Array(0);
  let headerWidth = 0;
  let unexpected: string[] = [];
  let absent: number[] = [];
  let lineNo = 0;
  const records = new CsvRecordJoiner();
  let rows = 0;
  const fieldStart = new Int32Array(1024);
  const fieldEnd = new Int32Array(1024);

  const setHeader = (text: string) => {
    headerWidth = parseCsvRecord(text, fields);
    const header = fields.map((f) => f.trim());
    columnOf = Int32Array.from(features.map((f) => header.indexOf(f)));
    featureOfField = new Int32Array(headerWidth).fill(-1);
    columnOf.forEach((c, i) => {
      if (c >= 0) featureOfField[c] = i;
    });
    absent = features.map((_, i) => i).filter((i) => columnOf![i] < 0);
    unexpected = header.filter((h) => h !== '' && !features.includes(h));
  };
  if (options.header !== undefined) setHeader(options.header);

  /** The string path: a line with a quote, or continuing a quoted field. Returns false to stop. */
  const slowLine = (line: string): boolean => {
    const n = records.push(line, lineNo, fields);
    if (n < 0) return true;
    const { recordLine, text } = records;
    if (columnOf === null) {
      setHeader(text);
      return true;
    }
    if (n === 1 && fields[0].trim() === '') return true;
    if (n !== headerWidth) {
      profile.addInvalid(recordLine, `expected ${headerWidth} fields, got ${n}`);
      return true;
    }
    profile.rows++;
    for (let i = 0; i < width; i++) profiles[i].add(columnOf[i] < 0 ? undefined : fields[columnOf[i]]);
    return ++rows < maxRows;
  };

  /** Per field of the current line: its value when `fieldKind` is PLAIN_NUMBER. */
  const fieldValue = new Float64Array(1024);
  const fieldKind = new Uint8Array(1024);

  /**
   * One line, bytes [start, end) of buf without its line ending (forEachLineBytes strips LF or CRLF). Returns false
   * to stop. One pass splits the line at commas and parses each field as a plain decimal (digits with at most one
   * dot and a leading sign) while it goes, the way parseAsciiNumber would (the same mantissa, the same scale, so
   * the same double); a field that is anything else (an exponent, spaces, text, more than 15 significant digits)
   * is kept by its bounds for parseAsciiNumber and the string rules. Values are committed once the line has the
   * header's field count, so a malformed line adds nothing.
   */
  const line = (buf: Buffer, start: number, end: number): boolean => {
    lineNo++;
    if (columnOf === null || records.open || headerWidth > fieldStart.length) return slowLine(buf.toString('utf8', start, end));
    let n = 0;
    let s = start;
    let mantissa = 0;
    let significant = 0;
    let seen = 0;
    let fraction = -1; // digits after the dot; −1: no dot
    let negative = false;
    let plain = true;
    for (let k = start; k <= end; k++) {
      const c = k < end ? buf[k] : 44;
      if (c === 44) {
        if (n < fieldStart.length) {
          fieldStart[n] = s;
          fieldEnd[n] = k;
          if (k === s) fieldKind[n] = EMPTY_FIELD;
          else if (plain && seen > 0 && significant <= 15 && fraction <= 22) {
            const value = mantissa === 0 ? 0 : fraction > 0 ? mantissa / POW10[fraction] : mantissa;
            fieldValue[n] = negative ? -value : value;
            fieldKind[n] = PLAIN_NUMBER;
          } else fieldKind[n] = OTHER_FIELD;
        }
        n++;
        s = k + 1;
        mantissa = 0;
        significant = 0;
        seen = 0;
        fraction = -1;
        negative = false;
        plain = true;
      } else if (c >= 48 && c <= 57) {
        if (mantissa !== 0 || c !== 48) {
          mantissa = mantissa * 10 + (c - 48);
          significant++;
        }
        seen++;
        if (fraction >= 0) fraction++;
      } else if (c === 46 && fraction < 0) fraction = 0;
      else if ((c === 45 || c === 43) && k === s) negative = c === 45;
      else if (c === 34) {
        if (inRange) throw new QuotedCsvRangeError(options.label ?? 'stream');
        return slowLine(buf.toString('utf8', start, end));
      } else plain = false;
    }
    if (n === 1) return slowLine(buf.toString('utf8', start, end)); // blank-line rules are the string parser's
    if (n !== headerWidth) {
      profile.addInvalid(lineNo, `expected ${headerWidth} fields, got ${n}`);
      return true;
    }
    profile.rows++;
    for (let f = 0; f < n; f++) {
      const i = featureOfField[f];
      if (i < 0) continue;
      const fs = fieldStart[f];
      const fe = fieldEnd[f];
      const p = profiles[i];
      if (numeric[i]) {
        const kind = fieldKind[f];
        if (kind === PLAIN_NUMBER) (p as NumericProfile).addNumber(fieldValue[f]);
        else if (kind === EMPTY_FIELD) (p as NumericProfile).missing++;
        else {
          const x = parseAsciiNumber(buf, fs, fe);
          if (x === x) (p as NumericProfile).addNumber(x);
          else p.add(buf.toString('utf8', fs, fe));
        }
      } else if (!(p as CategoricalProfile).addBytes(buf, fs, fe)) p.add(buf.toString('utf8', fs, fe));
    }
    for (let k = 0; k < absent.length; k++) profiles[absent[k]].add(undefined);
    return ++rows < maxRows;
  };

  await forEachLineBytes(stream, (buf, start, end) => line(buf, start, end));
  if (records.open) profile.addInvalid(records.unterminatedLine, 'unterminated quoted field at end of file');
  for (const name of unexpected) profile.addUnexpectedColumn(name, rows);
  return lineNo;
}
