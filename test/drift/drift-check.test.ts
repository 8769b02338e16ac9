import type { Logger } from '@aws-lambda-powertools/logger';
import { DriftCheckError, type DriftDeps, mergeShards, profileShard, runDriftCheck, type Shard, type ShardPlan, type StoredReport } from '../../core/drift-job';
import { createDriftHandler } from '../../lambdas/drift/aws/handler';
import { s3Store } from '../../lambdas/drift/aws/s3-store';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { startS3 } from '../helpers/s3rver';
import { baselineJson, captureFile, RecordingEvents, RecordingMetrics, rows, SPEC } from './fixtures';

let s3: Awaited<ReturnType<typeof startS3>>;
let store: ReturnType<typeof s3Store>;
let baseline: string;

beforeAll(async () => {
  s3 = await startS3('registry');
  store = s3Store(s3.client(), 'registry');
  baseline = await baselineJson();
  await store.put('models/churn/1/baseline.json', baseline, 'application/json');
});
afterAll(() => s3.stop());

function deps(extra: Partial<DriftDeps> = {}) {
  const events = new RecordingEvents();
  const metrics = new RecordingMetrics();
  return { events, metrics, deps: { store, events, metrics, ...extra } as DriftDeps };
}

/** Capture files for the two hours before `day`T15:00Z, 4 files of 250 rows each. */
async function capture(day: string, shift: number, contracts?: string[]) {
  let file = 0;
  for (const hour of ['13', '14']) {
    for (let i = 0; i < 2; i++, file++) {
      const key = `${SPEC.capturePrefix}2026/11/${day}/${hour}/capture-${i}.jsonl`;
      await store.put(key, captureFile(rows(250, 100 + file, shift, contracts), 5, file * 1000), 'application/jsonl');
    }
  }
}

const at = (day: string) => `2026-11-${day}T15:04:31Z`;
const readReport = async (key: string) => JSON.parse((await store.readText(key))!) as StoredReport;

describe('scheduled drift check against S3 (s3rver)', () => {
  test('a drifted window gets one report (JSON and HTML), metrics, and one DriftDetected event', async () => {
    await capture('20', 1, ['monthly']);
    const { deps: d, events, metrics } = deps();
    const outcome = await runDriftCheck(SPEC, at('20'), d);

    expect(outcome).toEqual({ status: 'done', reportKey: 'reports/churn/20261120T1500Z/report.json', drifted: true });
    const report = await readReport('reports/churn/20261120T1500Z/report.json');
    expect(report).toMatchObject({ model: 'churn', environment: 'dev', rows: 1000, invalidRows: 0, drifted: true, captureObjects: 4 });
    expect(report.windowStart).toBe('2026-11-20T13:00:00.000Z');
    expect(report.features.map((f) => f.name)).toEqual(['tenure', 'charges', 'contract']);
    expect(await store.readText('reports/churn/20261120T1500Z/report.html')).toMatch(/^<!DOCTYPE html>/i);

    expect(events.published).toEqual([
      expect.objectContaining({ model: 'churn', environment: 'dev', windowEnd: '2026-11-20T15:00:00.000Z', reportKey: 'reports/churn/20261120T1500Z/report.json' }),
    ]);
    expect(events.published[0].driftedFeatures.length).toBeGreaterThanOrEqual(2);
    expect(events.published[0]).toMatchObject({ integrityStatus: 'ok', integrityFailures: [] });
    expect(events.integrity).toEqual([]);
    expect(metrics.named('IntegrityFailures')).toEqual([{ name: 'IntegrityFailures', value: 0, dimensions: undefined }]);
    expect(metrics.named('Rows')).toEqual([{ name: 'Rows', value: 1000, dimensions: undefined }]);
    expect(metrics.named('DriftShare')[0].value).toBeGreaterThanOrEqual(0.5);
    expect(metrics.named('FeatureScore').map((m) => m.dimensions)).toEqual([{ Feature: 'tenure' }, { Feature: 'charges' }, { Feature: 'contract' }]);
  });

  test('running the same window twice writes one report and raises one event', async () => {
    await capture('21', 1, ['monthly']);
    const first = deps();
    await runDriftCheck(SPEC, at('21'), first.deps);
    const written = await store.readText('reports/churn/20261121T1500Z/report.json');

    const second = deps({ events: first.events });
    const again = await runDriftCheck(SPEC, at('21'), second.deps);
    expect(again).toEqual({ status: 'already-done', reportKey: 'reports/churn/20261121T1500Z/report.json', drifted: true });
    expect(first.events.published).toHaveLength(1);
    expect(await store.readText('reports/churn/20261121T1500Z/report.json')).toBe(written);
    expect(second.metrics.values).toEqual([]);
  });

  test('if publishing the event fails, a retry publishes it, still only once', async () => {
    await capture('22', 1, ['monthly']);
    const { deps: d, events } = deps();
    events.failNext = true;
    await expect(runDriftCheck(SPEC, at('22'), d)).rejects.toThrow('EventBridge unavailable');
    await runDriftCheck(SPEC, at('22'), d);
    await runDriftCheck(SPEC, at('22'), d);
    expect(events.published).toHaveLength(1);
  });

  test('an undrifted window gets a report and no event', async () => {
    await capture('23', 0);
    const { deps: d, events, metrics } = deps();
    const outcome = await runDriftCheck(SPEC, at('23'), d);
    expect(outcome).toMatchObject({ status: 'done', drifted: false });
    expect(events.published).toEqual([]);
    expect(metrics.named('DatasetDrifted')).toEqual([{ name: 'DatasetDrifted', value: 0, dimensions: undefined }]);
  });

  test('a window without captured data gets a report that says so and a metric, not an error', async () => {
    const { deps: d, events, metrics } = deps();
    const outcome = await runDriftCheck(SPEC, at('24'), d);
    expect(outcome).toEqual({ status: 'no-data', reportKey: 'reports/churn/20261124T1500Z/report.json', drifted: false });
    const report = await readReport(outcome.status === 'no-data' ? outcome.reportKey : '');
    expect(report.rows).toBe(0);
    expect(report.notes[0]).toBe('No captured data between 2026-11-24T13:00:00.000Z and 2026-11-24T15:00:00.000Z.');
    expect(metrics.named('NoCaptureData')).toHaveLength(1);
    expect(events.published).toEqual([]);
  });

  test('malformed capture records are counted and skipped', async () => {
    const key = `${SPEC.capturePrefix}2026/11/25/14/broken.jsonl`;
    await store.put(key, captureFile(rows(20, 7)) + '{not json\n' + JSON.stringify({ captureData: { endpointInput: { data: '1,2', encoding: 'CSV', observedContentType: 'text/csv' } } }) + '\n', 'application/jsonl');
    const { deps: d } = deps();
    const outcome = await runDriftCheck(SPEC, at('25'), d);
    const report = await readReport(outcome.status === 'done' ? outcome.reportKey : '');
    expect(report.rows).toBe(20);
    expect(report.invalidRows).toBe(2);
    expect(report.invalidRowSamples.map((s) => s.line)).toEqual([5, 6]);
  });

  test('a Parquet object in the window (a feature-store export) is read by row group beside the capture files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drift-parquet-'));
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, ['tenure,charges,contract', ...rows(600, 31, 1, ['monthly'])].join('\n'));
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const db = await instance.connect();
    await db.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${join(dir, 'rows.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 256)`);
    db.closeSync();
    instance.closeSync();
    const hour = `${SPEC.capturePrefix}2026/11/12/14/`;
    await s3.client().send(new PutObjectCommand({ Bucket: 'registry', Key: `${hour}export.parquet`, Body: readFileSync(join(dir, 'rows.parquet')) }));
    await store.put(`${hour}capture.jsonl`, captureFile(rows(100, 32, 1, ['monthly'])), 'application/jsonl');

    const { deps: d } = deps();
    const outcome = await runDriftCheck(SPEC, at('12'), d);
    const report = await readReport(outcome.status === 'done' ? outcome.reportKey : '');
    expect(report).toMatchObject({ rows: 700, invalidRows: 0, drifted: true, captureObjects: 2 });
    expect(report.integrity.status).toBe('ok');
  });

  test('a missing or corrupt baseline is a clear error and writes nothing', async () => {
    await capture('26', 1);
    const { deps: d } = deps();
    await expect(runDriftCheck({ ...SPEC, modelVersion: '9' }, at('26'), d)).rejects.toThrow(
      new DriftCheckError('baseline models/churn/9/baseline.json is missing: run `modelstack baseline` on the training data and upload it there'),
    );
    await store.put('models/churn/8/baseline.json', '{"schemaVersion": 1, "rows": "many"', 'application/json');
    await expect(runDriftCheck({ ...SPEC, modelVersion: '8' }, at('26'), d)).rejects.toThrow(/^baseline models\/churn\/8\/baseline.json is corrupt: not JSON/);
    await store.put('models/churn/7/baseline.json', '{"schemaVersion": 2}', 'application/json');
    await expect(runDriftCheck({ ...SPEC, modelVersion: '7' }, at('26'), d)).rejects.toThrow(/^baseline models\/churn\/7\/baseline.json is corrupt: invalid baseline/);
    expect(await store.list('reports/churn/20261126T1500Z/')).toEqual([]);
  });

  test('a large window fans out; the merged shard profiles give the same report as one pass', async () => {
    await capture('27', 0.5, ['monthly', 'yearly']);
    const onePass = await runDriftCheck(SPEC, at('27'), deps().deps);
    const single = await readReport(onePass.status === 'done' ? onePass.reportKey : '');
    // Same data, another model name so the window is fresh: copy the capture files.
    const other = { ...SPEC, model: 'churn-copy', capturePrefix: 'data-capture/churn-copy/ms-dev-churn/AllTraffic/', maxObjectsPerInvocation: 1 };
    await store.put('models/churn-copy/1/baseline.json', baseline, 'application/json');
    for (const key of await store.list(`${SPEC.capturePrefix}2026/11/27/`)) {
      await store.put(key.replace(SPEC.capturePrefix, other.capturePrefix), (await store.readText(key))!, 'application/jsonl');
    }

    const plans: ShardPlan[] = [];
    const launcher = { start: async (plan: ShardPlan) => (plans.push(plan), 'execution-1') };
    const { deps: d, events } = deps({ launcher });
    expect(await runDriftCheck(other, at('27'), d)).toEqual({ status: 'fanned-out', execution: 'execution-1', shards: 4 });
    expect(plans).toEqual([{ windowEnd: '2026-11-27T15:00:00.000Z', planKey: 'reports/churn-copy/20261127T1500Z/shards/plan.json', shardCount: 4 }]);

    // What the Distributed Map does: every shard in parallel, then the merge.
    const shards = JSON.parse((await store.readText(plans[0].planKey))!) as Shard[];
    await Promise.all(shards.map((shard) => profileShard(other, plans[0].windowEnd, shard, d)));
    const merged = await mergeShards(other, plans[0].windowEnd, plans[0].shardCount, d);
    const fanned = await readReport(merged.status === 'done' ? merged.reportKey : '');

    expect(fanned.rows).toBe(single.rows);
    expect(fanned.drifted).toBe(single.drifted);
    expect(fanned.integrity).toEqual(single.integrity);
    expect(fanned.features.map((f) => f.integrity)).toEqual(single.features.map((f) => f.integrity));
    expect(fanned.captureObjects).toBe(4);
    fanned.features.forEach((f, i) => {
      const s = single.features[i];
      expect(f.name).toBe(s.name);
      expect(f.drifted).toBe(s.drifted);
      expect(f.histogram).toEqual(s.histogram);
      for (const [metric, value] of Object.entries(s.metrics)) expect((f.metrics as unknown as Record<string, number>)[metric]).toBeCloseTo(value as number, 2);
    });
    expect(events.published).toHaveLength(single.drifted ? 1 : 0);
  });

  test('integrity: a window missing a column and 61 % missing values gets its checks, metrics and one DataIntegrityFailed event', async () => {
    // JSON object payloads without `contract`, and `tenure` missing in 61 % of rows.
    const r = rows(1000, 29, 0);
    let file = 0;
    for (const hour of ['13', '14']) {
      const part = r.slice(file * 500, (file + 1) * 500).map((line, i) => {
        const [tenure, charges] = line.split(',');
        return { tenure: (file * 500 + i) % 100 < 61 ? null : Number(tenure), charges: Number(charges) };
      });
      const records = part.map((row, i) =>
        JSON.stringify({ captureData: { endpointInput: { observedContentType: 'application/json', mode: 'INPUT', data: JSON.stringify(row), encoding: 'JSON' } }, eventMetadata: { eventId: `e-${i}` } }),
      );
      await store.put(`${SPEC.capturePrefix}2026/11/29/${hour}/capture.jsonl`, `${records.join('\n')}\n`, 'application/jsonl');
      file++;
    }
    const { deps: d, events, metrics } = deps();
    const outcome = await runDriftCheck(SPEC, at('29'), d);
    const report = await readReport(outcome.status === 'done' ? outcome.reportKey : '');
    expect(report.integrity.status).toBe('fail');
    expect(report.integrity.failed).toEqual(['missingColumns', 'missingRate:tenure', 'values:contract', 'missingRate:contract', 'newCategories:contract']);
    expect(report.integrity.checks.find((c) => c.check === 'missingColumns')).toMatchObject({ status: 'fail', columns: ['contract'] });
    expect(metrics.named('IntegrityFailures')).toEqual([{ name: 'IntegrityFailures', value: 3, dimensions: undefined }]);
    expect(metrics.named('InsufficientData')).toEqual([{ name: 'InsufficientData', value: 1, dimensions: undefined }]);
    expect(events.integrity).toEqual([
      {
        model: 'churn',
        environment: 'dev',
        windowStart: '2026-11-29T13:00:00.000Z',
        windowEnd: '2026-11-29T15:00:00.000Z',
        failed: report.integrity.failed,
        reasons: ['missingColumns: not in any row (renamed or dropped?): contract', expect.stringMatching(/^missingRate:tenure: missing 0\.0% in the baseline → 61\.0% \(610 of 1000\)/)],
        reportKey: 'reports/churn/20261129T1500Z/report.json',
      },
    ]);
    // A rerun of the window neither rewrites nor republishes.
    await runDriftCheck(SPEC, at('29'), deps({ events }).deps);
    expect(events.integrity).toHaveLength(1);
    expect(await store.readText('reports/churn/20261129T1500Z/report.html')).toContain('Data integrity checks failed: missingColumns, missingRate:tenure');
  });

  test('a drifted window with failing integrity: DriftDetected carries the integrity verdict', async () => {
    await capture('30', 1, ['monthly', 'weekly']);
    const { deps: d, events } = deps();
    await runDriftCheck(SPEC, at('30'), d);
    expect(events.published).toHaveLength(1);
    expect(events.published[0]).toMatchObject({ integrityStatus: 'fail', integrityFailures: ['newCategories:contract'] });
    expect(events.integrity.map((e) => e.failed)).toEqual([['newCategories:contract']]);
  });

  test('the handler counts a failure in DriftCheckFailed and rethrows it for retry and the DLQ', async () => {
    const { deps: d, metrics } = deps();
    const logger = { appendKeys: jest.fn(), info: jest.fn(), error: jest.fn() } as unknown as Logger;
    const handler = createDriftHandler({ ...SPEC, modelVersion: '404' }, d, logger);
    await expect(handler({ scheduledTime: at('28') })).rejects.toThrow(DriftCheckError);
    expect(metrics.named('DriftCheckFailed')).toEqual([{ name: 'DriftCheckFailed', value: 1, dimensions: undefined }]);
    expect(metrics.flushes).toBe(1);
    expect(logger.error).toHaveBeenCalledWith('drift check failed', expect.any(DriftCheckError));
  });
});
