import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { cli, dataset } from './helpers';

/** The CLI on Parquet written by DuckDB from the seeded CSV dataset (30 features, 8 drifted). */
test('baseline and drift read Parquet (by name, or by its PAR1 bytes) and flag the same features as on CSV', async () => {
  const csv = await dataset(3000, 'csv');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const db = await instance.connect();
  const toParquet = async (name: 'base' | 'drifted') => {
    const out = join(csv.dir, `${name}.parquet`);
    // The dataset's deliberately malformed lines are skipped: Parquet rows are typed, never malformed.
    await db.run(`COPY (SELECT * FROM read_csv('${csv[name]}', ignore_errors = true)) TO '${out}' (FORMAT parquet, ROW_GROUP_SIZE 1024)`);
    return out;
  };
  const base = await toParquet('base');
  const drifted = await toParquet('drifted');
  db.closeSync();
  instance.closeSync();

  const baselineJson = join(csv.dir, 'baseline-parquet.json');
  const b = await cli(['baseline', '--data', base, '--out', baselineJson]);
  expect(b).toMatchObject({ code: 0, stderr: '' });
  expect(b.stdout).toMatch(/baseline: 3000 rows, 24 numeric and 6 categorical features/);

  const noExtension = join(csv.dir, 'window-export');
  copyFileSync(drifted, noExtension);
  const report = join(csv.dir, 'parquet-report.json');
  const d = await cli(['drift', '--baseline', baselineJson, '--data', noExtension, '--out', report, '--workers', '2']);
  expect(d).toMatchObject({ code: 0, stderr: '' });
  const fromParquet = JSON.parse(readFileSync(report, 'utf8'));
  expect(fromParquet.rows).toBe(3000);

  expect((await cli(['baseline', '--data', csv.base, '--out', csv.baseline])).code).toBe(0);
  await cli(['drift', '--baseline', csv.baseline, '--data', csv.drifted, '--out', csv.report]);
  const fromCsv = JSON.parse(readFileSync(csv.report, 'utf8'));
  const flagged = (r: { features: { name: string; drifted: boolean }[] }) => r.features.filter((f) => f.drifted).map((f) => f.name);
  expect(flagged(fromParquet)).toEqual(flagged(fromCsv));
  expect(flagged(fromParquet)).toHaveLength(8);
});
