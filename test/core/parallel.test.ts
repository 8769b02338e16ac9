import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CategoricalProfile, DatasetProfile, NumericProfile, readRows, type FeatureSpec } from '../../core';
import { canSplit } from '../../core/drift/pipeline';
import { profileParallel, profileRange } from '../../core/drift/private/parallel';
import { lineAlignedRanges } from '../../core/readers/source';
import { lcg } from './reference-samples';

const dir = mkdtempSync(join(tmpdir(), 'modelstack-parallel-'));
const features: FeatureSpec[] = [
  { name: 'x', kind: 'numeric', edges: [0.25, 0.5, 0.75] },
  { name: 'c', kind: 'categorical', categories: ['a', 'b'] },
];
const u = lcg(3);
const lines = Array.from({ length: 5000 }, (_, i) => (i % 997 === 500 ? '{broken' : JSON.stringify({ x: u(), c: u() < 0.5 ? 'a' : 'c' })));
const path = join(dir, 'w.jsonl');
writeFileSync(path, `${lines.join('\n')}\n`);

function summary(p: DatasetProfile) {
  const x = p.profiles[0] as NumericProfile;
  const c = p.profiles[1] as CategoricalProfile;
  return { rows: p.rows, invalid: p.invalidRows, samples: p.invalidSamples, n: x.count, bins: Array.from(x.binCounts), cats: Array.from(c.binCounts) };
}

describe('parallel profiling', () => {
  test('line-aligned ranges cover the file exactly', async () => {
    const ranges = await lineAlignedRanges(path, 3);
    expect(ranges[0].start).toBe(0);
    ranges.slice(1).forEach((r, i) => expect(r.start).toBe(ranges[i].end));
    expect(await lineAlignedRanges(join(dir, 'w.jsonl'), 1)).toEqual([{ start: 0, end: ranges[2].end }]);
    const tiny = join(dir, 'tiny.jsonl');
    writeFileSync(tiny, '{"x":1}');
    expect(await lineAlignedRanges(tiny, 4)).toEqual([{ start: 0, end: 7 }]);
  });

  test('three worker threads give the one-thread profile, with file-global line numbers', async () => {
    const one = new DatasetProfile(features);
    await readRows(path, ['x', 'c'], one);
    const progress: number[] = [];
    const three = await profileParallel(path, 'jsonl', features, {}, 3, (read) => progress.push(read));
    expect(summary(three)).toEqual(summary(one));
    expect(three.invalidSamples.map((s) => s.line)).toEqual([501, 1498, 2495, 3492, 4489]);
    expect(progress[progress.length - 1]).toBeGreaterThan(0);
    const m1 = (one.profiles[0] as NumericProfile).moments;
    const m3 = (three.profiles[0] as NumericProfile).moments;
    expect(m3.mean).toBeCloseTo(m1.mean, 12);
  });

  test('profileRange runs in-process on one range; workers report errors', async () => {
    const [first] = await lineAlignedRanges(path, 2);
    const { state, lines: n } = await profileRange(path, 'jsonl', features, {}, first);
    expect(state.rows + state.invalidRows).toBe(n);
    await expect(profileParallel(join(dir, 'missing.jsonl'), 'jsonl', features, {}, 2)).rejects.toThrow(/ENOENT/);
    const gz = join(dir, 'w.jsonl.gz');
    writeFileSync(gz, gzipSync(lines.join('\n')));
    expect(await canSplit(gz)).toBe(false);
    // A worker that fails posts its error back.
    await expect(profileParallel(gz, 'jsonl', features, {}, 2)).rejects.toThrow(/cannot be read by byte range/);
  });

  test('uncompressed JSON Lines and CSV are split; gzip is not; a row sink that is not a profile reads CSV whole', async () => {
    expect(await canSplit(path)).toBe(true);
    const csv = join(dir, 'a.csv');
    writeFileSync(csv, 'x\n1\n');
    expect(await canSplit(csv)).toBe(true);
    const gzCsv = join(dir, 'a.csv.gz');
    writeFileSync(gzCsv, gzipSync('x\n1\n'));
    expect(await canSplit(gzCsv)).toBe(false);
    await expect(readRows(csv, ['x'], { addRow() {}, addInvalid() {} }, { range: { start: 0, end: 2 } })).rejects.toThrow(/read whole/);
  });
});
