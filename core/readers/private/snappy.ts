/**
 * Snappy decompression for Parquet pages (format: https://github.com/google/snappy/blob/main/format_description.txt):
 * a varint of the uncompressed length, then elements tagged by their low two bits: a literal (00; its length in the
 * tag, or in the 1–4 bytes after it), or a copy of `length` bytes from `offset` bytes back in the output (01: 1-byte
 * offset, 10: 2-byte, 11: 4-byte). The same checks as hyparquet's decoder, which copies byte by byte; here a
 * literal and a copy that does not overlap its source are one `set`/`copyWithin` (memmove), which matters on
 * columns of doubles, mostly long literals: the decoder was the largest cost of a Parquet drift check. `output`
 * (outputLength bytes) may be reused memory: only the bytes the stream writes are read back.
 */
export function snappyUncompress(input: Uint8Array, outputLength: number, output = new Uint8Array(outputLength)): Uint8Array {
  const inputLength = input.length;
  let pos = 0;
  while (pos < inputLength && input[pos++] >= 128); // the preamble: the uncompressed length as a varint
  if (outputLength && pos >= inputLength) throw new Error('invalid snappy length header');
  let outPos = 0;
  while (pos < inputLength) {
    const c = input[pos++];
    if (pos >= inputLength) throw new Error('missing eof marker');
    const tag = c & 3;
    if (tag === 0) {
      let len = (c >>> 2) + 1;
      if (len > 60) {
        const lengthSize = len - 60;
        if (pos + lengthSize > inputLength) throw new Error('snappy error literal length exceeds input length');
        len = 0;
        for (let k = lengthSize - 1; k >= 0; k--) len = len * 256 + input[pos + k];
        len += 1;
        pos += lengthSize;
      }
      if (pos + len > inputLength) throw new Error('snappy error literal exceeds input length');
      if (outPos + len > outputLength) throw new Error('snappy error output exceeds the page size');
      if (len > 16) output.set(input.subarray(pos, pos + len), outPos);
      else for (let k = 0; k < len; k++) output[outPos + k] = input[pos + k];
      pos += len;
      outPos += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (tag === 1) {
      len = ((c >>> 2) & 7) + 4;
      offset = input[pos] + ((c >>> 5) << 8);
      pos += 1;
    } else if (tag === 2) {
      if (pos + 1 >= inputLength) throw new Error('snappy error end of input');
      len = (c >>> 2) + 1;
      offset = input[pos] + (input[pos + 1] << 8);
      pos += 2;
    } else {
      if (pos + 3 >= inputLength) throw new Error('snappy error end of input');
      len = (c >>> 2) + 1;
      offset = input[pos] + (input[pos + 1] << 8) + (input[pos + 2] << 16) + input[pos + 3] * 16777216;
      pos += 4;
    }
    if (offset === 0) throw new Error(`invalid offset ${offset} pos ${pos} inputLength ${inputLength}`);
    if (offset > outPos) throw new Error('cannot copy from before start of buffer');
    if (outPos + len > outputLength) throw new Error('snappy error output exceeds the page size');
    const from = outPos - offset;
    // An overlapping copy repeats its last `offset` bytes: byte by byte, in order.
    if (offset >= len && len > 16) output.copyWithin(outPos, from, from + len);
    else for (let k = 0; k < len; k++) output[outPos + k] = output[from + k];
    outPos += len;
  }
  if (outPos !== outputLength) throw new Error('premature end of input');
  return output;
}
