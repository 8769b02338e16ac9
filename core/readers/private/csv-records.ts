import { parseCsvRecord } from '../csv';

/**
 * Joins physical lines into CSV records, since a quoted field may span lines: `push` parses the record so far into
 * `out` and returns its field count, or −1 while a quoted field is still open. After a complete record, `text` is
 * its text and `recordLine` the line it started on; `unterminatedLine` is where an open record began (0: none).
 */
export class CsvRecordJoiner {
  text = '';
  recordLine = 0;
  private pending = '';
  private pendingLine = 0;

  /** True while a quoted field continues on the next line. */
  get open(): boolean {
    return this.pending !== '';
  }

  /** The line the record still open at the end of the input started on, or 0 when none is open. */
  get unterminatedLine(): number {
    return this.pending === '' ? 0 : this.pendingLine;
  }

  push(line: string, lineNo: number, out: string[]): number {
    const text = this.pending === '' ? line : `${this.pending}\n${line}`;
    const n = parseCsvRecord(text, out);
    if (n < 0) {
      if (this.pending === '') this.pendingLine = lineNo;
      this.pending = text;
      return n;
    }
    this.recordLine = this.pending === '' ? lineNo : this.pendingLine;
    this.pending = '';
    this.text = text;
    return n;
  }
}
