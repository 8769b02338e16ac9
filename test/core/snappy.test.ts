import { snappyUncompress } from '../../core/readers/private/snappy';

/** Snappy elements (format_description.txt), encoded, with the output a byte-by-byte reading of the spec gives. */
type Element = { literal: number[] } | { copy: number; offset: number; tag: 1 | 2 | 3 };

function encode(elements: Element[]): { input: Uint8Array; expected: Uint8Array } {
  const body: number[] = [];
  const out: number[] = [];
  for (const e of elements) {
    if ('literal' in e) {
      const n = e.literal.length - 1;
      if (n < 60) body.push(n << 2);
      else if (n < 256) body.push(60 << 2, n);
      else body.push(61 << 2, n & 255, n >> 8);
      body.push(...e.literal);
      out.push(...e.literal);
    } else {
      const { copy: len, offset, tag } = e;
      if (tag === 1) body.push(((len - 4) << 2) | 1 | ((offset >> 8) << 5), offset & 255);
      else if (tag === 2) body.push(((len - 1) << 2) | 2, offset & 255, offset >> 8);
      else body.push(((len - 1) << 2) | 3, offset & 255, (offset >> 8) & 255, 0, 0);
      for (let k = 0; k < len; k++) out.push(out[out.length - offset]);
    }
  }
  const preamble: number[] = [];
  for (let n = out.length; ; n >>>= 7) {
    if (n < 128) {
      preamble.push(n);
      break;
    }
    preamble.push((n & 127) | 128);
  }
  return { input: Uint8Array.from([...preamble, ...body]), expected: Uint8Array.from(out) };
}

const bytes = (n: number, seed: number) => Array.from({ length: n }, (_, i) => (i * 131 + seed * 17) & 255);

test('Snappy: short and long literals, copies with 1-, 2- and 4-byte offsets, overlapping and not', () => {
  const { input, expected } = encode([
    { literal: bytes(36, 1) },
    { copy: 8, offset: 26, tag: 1 },
    { copy: 20, offset: 2, tag: 2 }, // overlapping: repeats the last two bytes
    { copy: 30, offset: 50, tag: 2 }, // a memmove
    { literal: bytes(100, 2) }, // length in one extra byte
    { literal: bytes(300, 3) }, // length in two extra bytes
    { copy: 5, offset: 3, tag: 3 },
    { copy: 64, offset: 400, tag: 3 },
    { literal: bytes(3, 4) },
  ]);
  expect(Array.from(snappyUncompress(input, expected.length))).toEqual(Array.from(expected));
});

test('Snappy: corrupt input is an error, never a short or overrun page', () => {
  const { input, expected } = encode([{ literal: bytes(40, 1) }, { copy: 10, offset: 5, tag: 2 }]);
  expect(() => snappyUncompress(input, expected.length + 1)).toThrow(/premature end of input/);
  expect(() => snappyUncompress(input, expected.length - 1)).toThrow(/exceeds the page size/);
  expect(() => snappyUncompress(input.subarray(0, 20), expected.length)).toThrow(/literal exceeds input length/);
  const before = encode([{ literal: bytes(4, 1) }, { copy: 4, offset: 9, tag: 1 }]);
  expect(() => snappyUncompress(before.input, 8)).toThrow(/before start of buffer/);
});
