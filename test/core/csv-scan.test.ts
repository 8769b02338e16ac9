import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { DatasetProfile, readRows, readStreamRows, type FeatureSpec } from '../../core';
import { profileParallel } from '../../core/drift/private/parallel';
import { parseAsciiNumber } from '../../core/readers/csv-scan';
import { lcg } from './reference-samples';

const dir = mkdtempSync(join(tmpdir(), 'modelstack-csv-scan-'));
const bytes = (s: string) => Buffer.from(s, 'latin1');
const parse = (s: string) => parseAsciiNumber(bytes(s), 0, s.length);

/** The row reader's profile: a sink that is not a DatasetProfile takes the string path (parseCsvRecord per line). */
async function stringPath(text: string, features: FeatureSpec[]): Promise<DatasetProfile> {
  const profile = new DatasetProfile(features);
  const sink = {
    addRow: (v: readonly unknown[]) => profile.addRow(v),
    addInvalid: (line: number, reason: string) => profile.addInvalid(line, reason),
    addUnexpectedColumn: (name: string, rows: number) => profile.addUnexpectedColumn(name, rows),
  };
  await readStreamRows(Readable.from([Buffer.from(text)]), 'csv', features.map((f) => f.name), sink);
  return profile;
}

/** The byte scanner's profile, the stream cut into small chunks so lines straddle them. */
async function scanned(text: string, features: FeatureSpec[]): Promise<DatasetProfile> {
  const buf = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(buf.length / 7) }, (_, i) => buf.subarray(i * 7, i * 7 + 7));
  const profile = new DatasetProfile(features);
  await readStreamRows(Readable.from(chunks), 'csv', features.map((f) => f.name), profile);
  return profile;
}

describe('byte-level CSV scanner', () => {
  test('parseAsciiNumber gives the double Number() gives, or NaN to fall back', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
        const x = parse(String(d));
        return x !== x || Object.is(x, Number(String(d))) || (x === 0 && d === 0);
      }),
      { numRuns: 5000 },
    );
    // Decimal text with up to 15 digits always takes the fast path, and agrees with Number().
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 9), max: 10 ** 9 }), fc.integer({ min: 0, max: 6 }), (m, k) => {
        const text = (m / 10 ** k).toFixed(k);
        return parse(text) === Number(text);
      }),
      { numRuns: 5000 },
    );
    for (const text of ['12.5', '-3', '+7', '.5', '5.', '1e3', '2.5E-4', '0.000']) expect(parse(text)).toBe(Number(text));
    for (const text of ['NA', ' 1', '1 ', '0x10', '1e', '-', '.', 'e5', '1.2.3', 'Infinity', '1234567890123456', '1e400', '1,5']) {
      expect(parse(text)).toBeNaN();
    }
  });

  test('gives the row reader\'s exact profile: quotes, quoted newlines, CRLF, blank lines, bad rows, NA tokens, absent and extra columns', async () => {
    const features: FeatureSpec[] = [
      { name: 'x', kind: 'numeric', edges: [0, 10] },
      { name: 'city', kind: 'categorical', categories: ['paris', 'Zürich'] },
      { name: 'y', kind: 'numeric' },
      { name: 'gone', kind: 'numeric' },
    ];
    const text = [
      'x, city ,y,extra',
      '1.5,paris,2,a',
      '-3,"Zürich",1e2,b\r',
      '',
      'NA,"multi',
      'line",  4 ,c',
      ' 7 ,lyon,,d',
      'abc,paris,0x10,e',
      '1,2,3',
      '   ',
      '12345678901234567,nice,5,f',
      '9,"unterminated',
    ].join('\n');
    const a = await scanned(text, features);
    const b = await stringPath(text, features);
    expect(a.toState()).toEqual(b.toState());
    expect(a.rows).toBe(6);
    expect(a.invalidSamples).toEqual([
      { line: 9, reason: 'expected 4 fields, got 3' },
      { line: 12, reason: 'unterminated quoted field at end of file' },
    ]);
    expect([...a.unexpectedColumns]).toEqual([['extra', 6]]);
  });

  test('fields parsed while splitting give the row reader\'s exact profile on any mix of digits, dots, signs, exponents and text', async () => {
    // The scanner parses plain decimals during the split and leaves anything else to parseAsciiNumber and the string
    // rules: generated fields cross every boundary between the two (leading zeros, 15/16 significant digits,
    // 22/23 decimals, lone signs and dots, two dots, exponents, spaces, NA).
    const piece = fc.constantFrom('0', '00', '1', '7', '9', '123456789', '.', '-', '+', 'e', 'E', '5e-3', ' ', 'NA', 'x', '0000000000000000000001');
    const field = fc.oneof(fc.array(piece, { maxLength: 5 }).map((p) => p.join('')), fc.integer({ min: 1, max: 30 }).map((d) => `0.${'0'.repeat(d - 1)}1`), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String));
    const features: FeatureSpec[] = [
      { name: 'a', kind: 'numeric', edges: [-1, 0, 1] },
      { name: 'b', kind: 'numeric' },
      { name: 'c', kind: 'categorical', categories: ['1', '.'] },
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(field, field, field), { minLength: 1, maxLength: 40 }), async (rows) => {
        const text = `a,b,c\n${rows.map((r) => r.join(',')).join('\n')}\n`;
        expect((await scanned(text, features)).toState()).toEqual((await stringPath(text, features)).toState());
      }),
      { numRuns: 300 },
    );
  });

  test('two workers split a CSV file at line starts and give the one-thread profile; a quoted file falls back to one thread', async () => {
    const features: FeatureSpec[] = [
      { name: 'x', kind: 'numeric', edges: [0.25, 0.5, 0.75] },
      { name: 'c', kind: 'categorical', categories: ['a', 'b'] },
    ];
    const u = lcg(5);
    const body = Array.from({ length: 20000 }, (_, i) => (i % 4999 === 100 ? 'short' : `${u().toFixed(6)},${u() < 0.5 ? 'a' : 'c'}`));
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, `x,c\n${body.join('\n')}\n`);
    const one = new DatasetProfile(features);
    await readRows(plain, ['x', 'c'], one);
    const two = await profileParallel(plain, 'csv', features, {}, 2);
    expect(two.rows).toBe(one.rows);
    expect(two.toState().profiles.map((p) => ('binCounts' in p ? p.binCounts : []))).toEqual(one.toState().profiles.map((p) => ('binCounts' in p ? p.binCounts : [])));
    expect(two.invalidSamples).toEqual(one.invalidSamples);
    expect(one.invalidSamples.map((s) => s.line)).toEqual([102, 5101, 10100, 15099]);

    // A quoted field holding a newline right where the cut falls: the ranges cannot be trusted.
    const quoted = join(dir, 'quoted.csv');
    const half = body.slice(0, 10000).join('\n');
    writeFileSync(quoted, `x,c\n${half}\n0.5,"a\nb"\n${body.slice(10000).join('\n')}\n`);
    const single = new DatasetProfile(features);
    await readRows(quoted, ['x', 'c'], single);
    const split = await profileParallel(quoted, 'csv', features, {}, 2);
    expect(split.toState()).toEqual(single.toState());
  });
});
