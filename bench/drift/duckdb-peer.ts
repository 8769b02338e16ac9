import { DuckDBInstance } from '@duckdb/node-api';
import { columnNames, NUMERIC } from './columns';

/**
 * The DuckDB peer of the drift benchmark: read the whole window and compute per-column aggregates, 2 threads
 * (`@duckdb/node-api`). `basic`: count, mean, population variance, min and max per numeric column, count per
 * categorical one (the issue's "read + per-column aggregates"). `sketch` adds what a drift check also builds:
 * the nine deciles of each numeric column (approx_quantile, DuckDB's t-digest) and the per-value counts of each
 * categorical one (histogram). Prints {"seconds", "rows"}.
 *
 *     tsx bench/drift/duckdb-peer.ts WINDOW.(csv|jsonl|parquet) [basic|sketch]
 */
async function main(): Promise<void> {
  const path = process.argv[2];
  const sketch = process.argv[3] === 'sketch';
  const start = process.hrtime.bigint();
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const db = await instance.connect();
  const source = path.endsWith('.parquet')
    ? `read_parquet('${path}')`
    : path.endsWith('.csv')
      ? `read_csv('${path}')`
      : `read_json('${path}', format = 'newline_delimited')`;
  const names = columnNames();
  const numeric = names.slice(0, NUMERIC).map(
    (c) => `count(${c}), avg(${c}), var_pop(${c}), min(${c}), max(${c})${sketch ? `, approx_quantile(${c}, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])` : ''}`,
  );
  const categorical = names.slice(NUMERIC).map((c) => `count(${c})${sketch ? `, histogram(${c})` : ''}`);
  const result = await db.runAndReadAll(`SELECT count(*) AS rows, ${[...numeric, ...categorical].join(', ')} FROM ${source}`);
  const rows = Number(result.getRows()[0][0]);
  db.closeSync();
  instance.closeSync();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(`${JSON.stringify({ seconds, rows })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err}\n`);
  process.exit(2);
});
