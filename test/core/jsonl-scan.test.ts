import { Readable } from 'node:stream';
import fc from 'fast-check';
import { DatasetProfile, readStreamRows, type FeatureSpec } from '../../core';

const features: FeatureSpec[] = [
  { name: 'x', kind: 'numeric', edges: [-1, 0, 1] },
  { name: 'y', kind: 'numeric' },
  { name: 'city', kind: 'categorical', categories: ['paris', 'zürich', '1'] },
];
const names = features.map((f) => f.name);

/** JSON.parse's profile: a sink that is not a DatasetProfile takes the string path. */
async function parsed(text: string): Promise<DatasetProfile> {
  const profile = new DatasetProfile(features);
  const sink = {
    addRow: (v: readonly unknown[]) => profile.addRow(v),
    addInvalid: (line: number, reason: string) => profile.addInvalid(line, reason),
    addUnexpectedColumn: (name: string, rows: number) => profile.addUnexpectedColumn(name, rows),
  };
  await readStreamRows(Readable.from([Buffer.from(text)]), 'jsonl', names, sink);
  return profile;
}

/** The byte scanner's profile, the stream cut into small chunks so lines straddle them. */
async function scanned(text: string): Promise<DatasetProfile> {
  const buf = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(buf.length / 11) }, (_, i) => buf.subarray(i * 11, i * 11 + 11));
  const profile = new DatasetProfile(features);
  await readStreamRows(Readable.from(chunks), 'jsonl', names, profile);
  return profile;
}

describe('byte-level JSON Lines scanner', () => {
  test('gives JSON.parse\'s exact profile on tricky lines', async () => {
    const text = [
      '{"x": 1.5, "y": -2e3, "city": "paris"}',
      '{"city":"zürich","x":0,"y":-0}\r',
      '{"x": 01, "city": "paris"}',
      '{"x": .5}',
      '{"x": 1.}',
      '{"x": "12.5", "y": "NA", "city": 1}',
      '{"x": 1, "x": 2}',
      '{"x": "a\\"b", "city": "pa\\u0072is"}',
      '{"x": [1], "y": {"a": 1}}',
      '{"x": 1, "extra": true}',
      '{"x": true, "y": false, "city": null}',
      '{}',
      '   ',
      '{"x": 1,}',
      '{"x": 1} trailing',
      '[1, 2]',
      '{"x": 12345678901234567, "y": 1e400, "city": 1.0}',
      '{"captureData": {"endpointInput": {"data": "1,2,paris", "encoding": "CSV", "observedContentType": "text/csv"}}}',
      ' { "x" : 3 , "y" :4 } ',
      '{"x": 1',
    ].join('\n');
    const a = await scanned(text);
    const b = await parsed(text);
    expect(a.toState()).toEqual(b.toState());
    expect(a.rows).toBe(12);
  });

  test('equals JSON.parse on random flat and not-so-flat objects', async () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom('paris', 'zürich', '1', '', 'NA', 'a"b', 'x\\y', '3.25'),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.constant([1]),
    );
    const row = fc.dictionary(fc.constantFrom('x', 'y', 'city', 'other'), value, { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 20 }), async (rows) => {
        const text = rows.map((r) => JSON.stringify(r)).join('\n');
        expect((await scanned(text)).toState()).toEqual((await parsed(text)).toState());
      }),
      { numRuns: 200 },
    );
  });
});
