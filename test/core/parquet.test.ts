import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { buildBaseline, checkDrift, DatasetProfile, detectFormat, hasParquetMagic, readColumns, readRows, readStreamRows, type RowSink } from '../../core';
import { canSplit } from '../../core/drift/pipeline';
import { windowSpecs } from '../../core/profile/baseline';

/**
 * Parquet files are written by DuckDB (`COPY ... TO '…parquet'`), the same data also as CSV, so each Parquet
 * result is checked against the CSV reader's on identical rows.
 */
let dir: string;
let instance: DuckDBInstance;
let db: DuckDBConnection;

/** 10,000 rows: x (DOUBLE, every 7th null), n (BIGINT), city (VARCHAR, every 11th null), extra (not a feature). */
const ROWS_SQL = `
  SELECT CASE WHEN i % 7 = 3 THEN NULL ELSE round(sin(i) * 10 + ${'${shift}'}, 4) END AS x,
         (i * 37) % 1000 AS n,
         CASE WHEN i % 11 = 5 THEN NULL ELSE ['paris', 'lyon', 'nice', 'lille'][1 + (i * i) % 4] END AS city,
         i AS extra
  FROM range(10000) t(i)`;

async function write(name: string, shift = 0, options = "FORMAT parquet, ROW_GROUP_SIZE 2048"): Promise<string> {
  const path = join(dir, name);
  await db.run(`COPY (${ROWS_SQL.replace('${shift}', String(shift))}) TO '${path}' (${options})`);
  return path;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parquet-'));
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  db = await instance.connect();
});
afterAll(() => {
  db.closeSync();
  instance.closeSync();
});

/** Every row the reader hands over, copied (readers reuse one array). */
function collect(): RowSink & { rows: unknown[][]; unexpected: [string, number][] } {
  const rows: unknown[][] = [];
  const unexpected: [string, number][] = [];
  return { rows, unexpected, addRow: (v) => rows.push([...v]), addInvalid: () => {}, addUnexpectedColumn: (n, r) => unexpected.push([n, r]) };
}

describe('Parquet input', () => {
  test('several row groups, nulls, INT64 and a string column read row for row like the same data as CSV', async () => {
    const parquet = await write('rows.parquet');
    const csv = join(dir, 'rows.csv');
    await db.run(`COPY (${ROWS_SQL.replace('${shift}', '0')}) TO '${csv}' (FORMAT csv, HEADER)`);
    const groups = await db.runAndReadAll(`SELECT count(DISTINCT row_group_id) AS g FROM parquet_metadata('${parquet}')`);
    expect(Number(groups.getRowObjects()[0].g)).toBeGreaterThanOrEqual(4);

    const fromParquet = collect();
    expect(await readRows(parquet, ['x', 'n', 'city', 'absent'], fromParquet)).toBe(10000);
    expect(fromParquet.rows).toHaveLength(10000);
    expect(fromParquet.rows[3]).toEqual([null, 111, 'lyon', undefined]);
    expect(typeof fromParquet.rows[1][1]).toBe('number'); // INT64 arrives as bigint and is converted
    expect(fromParquet.rows[5][2]).toBeNull();
    expect(fromParquet.unexpected).toEqual([['extra', 10000]]);

    // The same profile as the CSV reader's over the same rows.
    const features = [
      { name: 'x', kind: 'numeric' as const },
      { name: 'n', kind: 'numeric' as const },
      { name: 'city', kind: 'categorical' as const },
    ];
    const a = new DatasetProfile(features);
    const b = new DatasetProfile(features);
    await readRows(parquet, ['x', 'n', 'city'], a);
    await readRows(csv, ['x', 'n', 'city'], b);
    expect(a.toState()).toEqual(b.toState());
    expect(a.profiles[0].missing).toBe(1429);
  });

  test('format: .parquet by name, PAR1 by content; columns from the schema', async () => {
    const parquet = await write('named.parquet');
    const unnamed = join(dir, 'export-000');
    writeFileSync(unnamed, readFileSync(parquet));
    expect(await hasParquetMagic(unnamed)).toBe(true);
    expect(await detectFormat(unnamed)).toBe('parquet');
    expect(await detectFormat(parquet)).toBe('parquet');
    expect(await readColumns(unnamed)).toEqual(['x', 'n', 'city', 'extra']);
    expect(await canSplit(parquet)).toBe(true);
  });

  test('baseline and drift from Parquet equal the CSV results; two workers, each on a share of the columns, give exactly the one-thread report', async () => {
    const train = await write('train.parquet');
    const trainCsv = join(dir, 'train.csv');
    await db.run(`COPY (${ROWS_SQL.replace('${shift}', '0')}) TO '${trainCsv}' (FORMAT csv, HEADER)`);
    const fromParquet = await buildBaseline(train, { exclude: ['extra'] });
    const fromCsv = await buildBaseline(trainCsv, { exclude: ['extra'] });
    expect(fromParquet.baseline).toEqual(fromCsv.baseline);
    expect(fromParquet.baseline.features.map((f) => [f.name, f.kind])).toEqual([
      ['x', 'numeric'],
      ['n', 'numeric'],
      ['city', 'categorical'],
    ]);

    const window = await write('window.parquet', 3);
    const one = await checkDrift(fromParquet.baseline, window, { workers: 1 });
    const two = await checkDrift(fromParquet.baseline, window, { workers: 2 });
    expect(one.rows).toBe(10000);
    expect(one.features.find((f) => f.name === 'x')?.drifted).toBe(true);
    expect(one.features.find((f) => f.name === 'n')?.drifted).toBe(false);
    // Each column is profiled whole by one worker, so nothing is merged from parts: the same numbers, and the rows
    // and the other columns counted once.
    expect(two).toEqual(one);
    // The fast path (nulls counted from the level runs, numbers copied a page at a time, dictionary categories counted
    // per entry) gives exactly the report of the same rows as CSV.
    const windowCsv = join(dir, 'window.csv');
    await db.run(`COPY (${ROWS_SQL.replace('${shift}', '3')}) TO '${windowCsv}' (FORMAT csv, HEADER)`);
    expect(await checkDrift(fromParquet.baseline, windowCsv, { workers: 1 })).toEqual(one);
    expect(one.integrity.checks.find((c) => c.check === 'unexpectedColumns')?.reason).toMatch(/"extra" \(10000 rows\)/);

    // A feature the file lacks is counted missing once per row, whichever worker holds it.
    const renamed = { ...fromParquet.baseline, features: fromParquet.baseline.features.map((f) => (f.name === 'n' ? { ...f, name: 'n_renamed' } : f)) };
    const lacking = await checkDrift(renamed, window, { workers: 2 });
    expect(lacking.rows).toBe(10000);
    expect(lacking.features.find((f) => f.name === 'n_renamed')).toMatchObject({ count: 0, missing: 10000 });
    expect(lacking).toEqual(await checkDrift(renamed, window, { workers: 1 }));
  });

  test('v1 pages (dictionary and PLAIN, read into typed arrays) and v2 pages (delta encodings, through hyparquet) give the same profile', async () => {
    const features = [
      { name: 'x', kind: 'numeric' as const },
      { name: 'n', kind: 'numeric' as const },
      { name: 'city', kind: 'categorical' as const },
    ];
    const profileOf = async (path: string) => {
      const p = new DatasetProfile(features);
      await readRows(path, ['x', 'n', 'city'], p);
      return p.toState();
    };
    const v1 = await profileOf(await write('v1.parquet'));
    expect(await profileOf(await write('v2.parquet', 0, 'FORMAT parquet, PARQUET_VERSION V2, ROW_GROUP_SIZE 2048'))).toEqual(v1);
  });

  test('GZIP-compressed Parquet reads like Snappy (node:zlib)', async () => {
    const gz = await write('gzip.parquet', 0, 'FORMAT parquet, COMPRESSION gzip');
    const sink = collect();
    expect(await readRows(gz, ['x', 'city'], sink, { maxRows: 100 })).toBe(100);
    expect(sink.rows[2]).toEqual([9.093, 'paris']);
  });

  test('a Parquet object from a stream (an S3 or GCS body) reads whole, then by row group', async () => {
    const parquet = await write('stream.parquet');
    const sink = collect();
    const n = await readStreamRows(Readable.from([readFileSync(parquet)]), 'parquet', ['x', 'city'], sink, undefined, 'obj.parquet');
    expect(n).toBe(10000);
    expect(sink.rows[3]).toEqual([null, 'lyon']);
  });

  test('malformed and unsupported files fail with an error naming the file and the problem', async () => {
    const notParquet = join(dir, 'text.parquet');
    writeFileSync(notParquet, 'x,city\n1,paris\n');
    await expect(readRows(notParquet, ['x'], collect())).rejects.toThrow(/text\.parquet: not a readable Parquet file \(.*PAR1.*\)/);

    const full = readFileSync(await write('whole.parquet'));
    const truncated = join(dir, 'truncated.parquet');
    writeFileSync(truncated, full.subarray(0, full.length - 100));
    await expect(readRows(truncated, ['x'], collect())).rejects.toThrow(/truncated\.parquet: not a readable Parquet file/);

    const lz4 = await write('lz4.parquet', 0, 'FORMAT parquet, COMPRESSION lz4');
    await expect(readRows(lz4, ['x'], collect())).rejects.toThrow(/lz4\.parquet: row group 0: .*LZ4.*\(supported: uncompressed, SNAPPY, GZIP, BROTLI/);
    await expect(buildBaseline(lz4)).rejects.toThrow(/lz4\.parquet: row group 0: .*LZ4.*\(supported: uncompressed, SNAPPY, GZIP, BROTLI/);

    const nested = join(dir, 'nested.parquet');
    await db.run(`COPY (SELECT {'a': i, 'b': 'x'} AS s, i AS x FROM range(10) t(i)) TO '${nested}' (FORMAT parquet)`);
    await expect(readRows(nested, ['s', 'x'], collect())).rejects.toThrow(/nested\.parquet: column s is a nested Parquet type/);
    await expect(buildBaseline(nested, { exclude: ['x'] })).rejects.toThrow(/column s is a nested Parquet type/);
  });

  test('a header-only (0-row) Parquet file is refused as a baseline, like an empty CSV', async () => {
    const empty = join(dir, 'empty.parquet');
    await db.run(`COPY (SELECT 1.5 AS x, 'a' AS city WHERE false) TO '${empty}' (FORMAT parquet)`);
    await expect(buildBaseline(empty)).rejects.toThrow(/empty\.parquet: no data rows/);
    const profile = new DatasetProfile(windowSpecs((await buildBaseline(await write('b.parquet'), { exclude: ['extra'] })).baseline));
    expect(await readRows(empty, ['x', 'n', 'city'], profile)).toBe(0);
  });
});
