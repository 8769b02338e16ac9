import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** Return false from the callback to stop reading early. */
export type LineHandler = (line: string, lineNo: number) => boolean | void;

/**
 * Calls `onLine` for every line of the stream (LF or CRLF; 1-based line numbers), holding only the
 * current chunk and one partial line in memory. Synchronous per line — no promise per row.
 * Resolves to the number of lines read.
 */
export async function forEachLine(stream: Readable | AsyncIterable<Buffer | string>, onLine: LineHandler): Promise<number> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lineNo = 0;
  const emit = (line: string): boolean => {
    lineNo++;
    const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
    return onLine(end === line.length ? line : line.slice(0, end), lineNo) !== false;
  };
  try {
    for await (const chunk of stream) {
      const text = carry + decoder.write(chunk as Buffer);
      let start = 0;
      let nl = text.indexOf('\n', start);
      while (nl !== -1) {
        if (!emit(text.slice(start, nl))) return lineNo;
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      carry = text.slice(start);
    }
    carry += decoder.end();
    if (carry.length > 0) emit(carry);
    return lineNo;
  } finally {
    if ('destroy' in stream) stream.destroy();
  }
}

/** Return false from the callback to stop reading early. Bytes [start, end) of buf are the line, without its line ending. */
export type ByteLineHandler = (buf: Buffer, start: number, end: number, lineNo: number) => boolean | void;

/**
 * As forEachLine, without decoding: calls `onLine` with each line's bytes (LF or CRLF; 1-based line numbers),
 * so a byte-level parser need not build a string per line. Resolves to the number of lines read.
 * A chunk may be reused once the next is requested (openChunks): `buf` is valid only during the call, and the
 * line that straddles two chunks is copied.
 */
export async function forEachLineBytes(stream: Readable | AsyncIterable<Buffer | string>, onLine: ByteLineHandler): Promise<number> {
  let carry: Buffer | null = null;
  let lineNo = 0;
  const emit = (buf: Buffer, start: number, end: number): boolean => {
    lineNo++;
    return onLine(buf, start, end > start && buf[end - 1] === 13 ? end - 1 : end, lineNo) !== false;
  };
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      let start = 0;
      if (carry) {
        // Only the line that straddles the chunks is copied.
        const first = buf.indexOf(10);
        if (first < 0) {
          carry = Buffer.concat([carry, buf]);
          continue;
        }
        const joined = Buffer.concat([carry, buf.subarray(0, first)]);
        carry = null;
        if (!emit(joined, 0, joined.length)) return lineNo;
        start = first + 1;
      }
      let nl = buf.indexOf(10, start);
      while (nl !== -1) {
        if (!emit(buf, start, nl)) return lineNo;
        start = nl + 1;
        nl = buf.indexOf(10, start);
      }
      if (start < buf.length) carry = Buffer.from(buf.subarray(start));
    }
    if (carry && carry.length > 0) emit(carry, 0, carry.length);
    return lineNo;
  } finally {
    if ('destroy' in stream) stream.destroy();
  }
}
