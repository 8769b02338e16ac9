/**
 * Splits one CSV record (RFC 4180: comma separated, double-quoted fields, "" escapes a quote) into
 * `out`. Returns the field count, or −1 when a quoted field is still open at the end of the text
 * (the record continues on the next line).
 */
export function parseCsvRecord(text: string, out: string[]): number {
  out.length = 0;
  if (text.indexOf('"') === -1) {
    // Fast path: no quoting anywhere on the line.
    let start = 0;
    let comma = text.indexOf(',');
    while (comma !== -1) {
      out.push(text.slice(start, comma));
      start = comma + 1;
      comma = text.indexOf(',', start);
    }
    out.push(text.slice(start));
    return out.length;
  }
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) return -1;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // Tolerate junk between the closing quote and the next comma by appending it.
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      out.push(value + text.slice(i, end));
      if (comma === -1) return out.length;
      i = comma + 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        out.push(text.slice(i));
        return out.length;
      }
      out.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
