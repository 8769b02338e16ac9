import { createReadStream, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { DatasetProfile, inferKinds, readColumns, readRows, readStreamRows, type RowSink } from '../../core';
import { parseCsvRecord } from '../../core/readers/csv';
import { forEachLine } from '../../core/readers/lines';

const dir = mkdtempSync(join(tmpdir(), 'modelstack-readers-'));
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

class Collect implements RowSink {
  rows: unknown[][] = [];
  invalid: { line: number; reason: string }[] = [];
  addRow(values: readonly unknown[]) {
    this.rows.push([...values]);
  }
  addInvalid(line: number, reason: string) {
    this.invalid.push({ line, reason });
  }
}

describe('parseCsvRecord', () => {
  test.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['', ['']],
    ['"x, y",2', ['x, y', '2']],
    ['"say ""hi""",', ['say "hi"', '']],
    ['1,"a"junk,3', ['1', 'ajunk', '3']],
    ['"last"', ['last']],
  ])('%s', (line, expected) => {
    const out: string[] = [];
    expect(parseCsvRecord(line, out)).toBe(expected.length);
    expect(out).toEqual(expected);
  });
  test('an open quote continues on the next line', () => {
    expect(parseCsvRecord('1,"multi', [])).toBe(-1);
  });
});

describe('forEachLine', () => {
  test('splits LF and CRLF across chunk boundaries, including multi-byte characters', async () => {
    const bytes = Buffer.from('héllo\r\nwörld\n\nlast', 'utf8');
    const chunks = [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)];
    const lines: [string, number][] = [];
    await forEachLine(Readable.from(chunks), (line, n) => void lines.push([line, n]));
    expect(lines).toEqual([
      ['héllo', 1],
      ['wörld', 2],
      ['', 3],
      ['last', 4],
    ]);
  });
  test('stops when the handler returns false', async () => {
    const lines: string[] = [];
    await forEachLine(Readable.from([Buffer.from('a\nb\nc\n')]), (line) => {
      lines.push(line);
      return lines.length < 2;
    });
    expect(lines).toEqual(['a', 'b']);
  });
});

describe('readRows', () => {
  test('CSV: header mapping, quotes, multi-line fields, malformed rows counted with line numbers', async () => {
    const path = file('a.csv', 'b,a,note\r\n1,x,"hello, world"\n2,y,"two\nlines"\n3,z\n\n4,w,ok\n5,v,"open');
    const sink = new Collect();
    await readRows(path, ['a', 'b', 'missing'], sink);
    expect(sink.rows).toEqual([
      ['x', '1', undefined],
      ['y', '2', undefined],
      ['w', '4', undefined],
    ]);
    expect(sink.invalid).toEqual([
      { line: 5, reason: 'expected 3 fields, got 2' },
      { line: 8, reason: 'unterminated quoted field at end of file' },
    ]);
  });

  test('JSONL, gzip detected by content: bad JSON and non-objects are counted, blank lines ignored', async () => {
    const text = '{"a":1,"b":"x"}\nnot json\n[1,2]\n\n{"a":null}\n{"b":2,"a":3.5}\n';
    const path = file('data.jsonl.gz', gzipSync(text));
    const sink = new Collect();
    await readRows(path, ['a', 'b'], sink);
    expect(sink.rows).toEqual([
      [1, 'x'],
      [null, undefined],
      [3.5, 2],
    ]);
    expect(sink.invalid).toEqual([
      { line: 2, reason: 'invalid JSON' },
      { line: 3, reason: 'expected a JSON object' },
    ]);
  });

  test('maxRows stops early', async () => {
    const sink = new Collect();
    await readRows(file('m.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n'), ['a'], sink, { maxRows: 2 });
    expect(sink.rows).toEqual([[1], [2]]);
  });

  test('SageMaker data capture: CSV, JSON and BASE64 payloads; bad records counted', async () => {
    const rec = (data: string, encoding: string, type = 'text/csv') =>
      JSON.stringify({ captureData: { endpointInput: { observedContentType: type, mode: 'INPUT', data, encoding } }, eventMetadata: { eventId: 'e' } });
    const lines = [
      rec('1,red', 'CSV'),
      rec('2,blue\n3,green', 'CSV'),
      rec('4', 'CSV'),
      rec(JSON.stringify({ x: 5, color: 'pink' }), 'JSON', 'application/json'),
      rec(JSON.stringify({ instances: [[6, 'a'], [7, 'b']] }), 'JSON', 'application/json'),
      rec(JSON.stringify([8, 'c']), 'JSON', 'application/json'),
      rec(JSON.stringify([1, 2, 3]), 'JSON', 'application/json'),
      rec(Buffer.from('9,teal').toString('base64'), 'BASE64', 'text/csv'),
      rec(Buffer.from(JSON.stringify({ x: 10, color: 'gold' })).toString('base64'), 'BASE64', 'application/json'),
      rec(Buffer.from('x').toString('base64'), 'BASE64', 'application/x-npy'),
      rec('{oops', 'JSON', 'application/json'),
      rec('1,2', 'XML'),
      rec('"open,quote', 'CSV'),
      rec('42', 'JSON', 'application/json'),
      JSON.stringify({ captureData: {} }),
    ];
    const sink = new Collect();
    await readRows(file('capture.jsonl', lines.join('\n')), ['x', 'color'], sink);
    expect(sink.rows).toEqual([
      ['1', 'red'],
      ['2', 'blue'],
      ['3', 'green'],
      [5, 'pink'],
      [6, 'a'],
      [7, 'b'],
      [8, 'c'],
      ['9', 'teal'],
      [10, 'gold'],
    ]);
    expect(sink.invalid.map((i) => i.line)).toEqual([3, 7, 10, 11, 12, 13, 14, 15]);
    expect(sink.invalid[0].reason).toBe('capture CSV payload has 1 fields, expected 2');
    expect(sink.invalid[5].reason).toBe('capture CSV payload has an unterminated quote');
  });

  test('files larger than the reused 1 MiB read buffer: lines across its boundaries read like a fresh-buffer stream', async () => {
    // openChunks reads every chunk into the same memory: a line cut at a chunk's end must be copied before the next
    // read overwrites it. 2+ MiB of lines of varying length put cuts inside lines, numbers and categories.
    const features = [
      { name: 'x', kind: 'numeric' as const },
      { name: 'city', kind: 'categorical' as const },
    ];
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ x: i * 1.25 + (i % 13) / 7, city: ['paris', 'lyon', 'saint-étienne', 'nice'][i % 4] }));
    const csv = file('large.csv', `x,city\n${rows.map((r) => `${r.x},${r.city}`).join('\n')}\n`);
    const jsonl = file('large.jsonl', rows.map((r) => JSON.stringify(r)).join('\n'));
    for (const path of [csv, jsonl]) {
      const fromFile = new DatasetProfile(features);
      const lines = await readRows(path, ['x', 'city'], fromFile);
      const fromStream = new DatasetProfile(features);
      await readStreamRows(createReadStream(path, { highWaterMark: 1 << 20 }), path.endsWith('.csv') ? 'csv' : 'jsonl', ['x', 'city'], fromStream);
      expect(statSync(path).size).toBeGreaterThan(2 << 20);
      expect(fromFile.rows).toBe(200_000);
      expect(fromFile.invalidRows).toBe(0);
      expect(lines).toBe(path.endsWith('.csv') ? 200_001 : 200_000);
      expect(fromFile.toState()).toEqual(fromStream.toState());
    }
  });

  test('readStreamRows reads an already-open stream', async () => {
    const sink = new Collect();
    await readStreamRows(Readable.from([Buffer.from('a,b\n1,2\n')]), 'csv', ['b'], sink);
    expect(sink.rows).toEqual([['2']]);
  });

  test('unreadable files reject', async () => {
    await expect(readRows(join(dir, 'nope.csv'), ['a'], new Collect())).rejects.toThrow(/ENOENT/);
    await expect(readRows(dir, ['a'], new Collect())).rejects.toThrow(/is not a file/);
  });
});

describe('columns and kinds', () => {
  test('CSV header and JSONL keys in first-seen order', async () => {
    expect(await readColumns(file('h.csv', ' a ,b\n1,2\n'))).toEqual(['a', 'b']);
    expect(await readColumns(file('k.jsonl', '{"b":1}\nbad\n{"a":2,"b":3}\n'))).toEqual(['b', 'a']);
  });
  test('numeric when ≥ 95 % of sampled values are numbers; all-missing is categorical', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${i % 2 ? 'x' : 'y'},,${i === 3 ? 'oops' : i}`);
    const path = file('kinds.csv', `n,c,empty,mostly\n${rows.join('\n')}\n`);
    const kinds = await inferKinds(path, ['n', 'c', 'empty', 'mostly']);
    expect(kinds.map((k) => k.kind)).toEqual(['numeric', 'categorical', 'categorical', 'numeric']);
  });
});
