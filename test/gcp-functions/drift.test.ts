import { DRIFT_METRICS } from '../../constructs/gcp/drift-contract';
import type { DriftCheckSpec } from '../../core/drift-job';
import { FakeGoogle, type LoggedRow } from '../helpers/gcp-fake-google';
import { baselineJson, random } from '../drift/fixtures';
import { BUCKETS, call, driftFunction, serve, TOPIC, WORKFLOW } from './harness';

const SPEC: DriftCheckSpec = {
  model: 'churn',
  modelVersion: '1',
  environment: 'dev',
  capturePrefix: 'data-capture/churn/1234567890/AllTraffic/',
  windowHours: 2,
  maxObjectsPerInvocation: 100,
  driftShareThreshold: 0.5,
  task: 'classification',
  qualityDegradationThreshold: 0.05,
};

/** Logged requests as Vertex AI writes them: one instance per request_payload element, `[tenure, charges, contract]`. */
function logged(day: string, n: number, seed: number, shift: number, perRequest = 4): LoggedRow[] {
  const r = random(seed);
  const contracts = shift > 0 ? ['monthly'] : ['monthly', 'yearly', 'two-year'];
  const rows: LoggedRow[] = [];
  for (let i = 0; i < n; i += perRequest) {
    const instances = Array.from({ length: Math.min(perRequest, n - i) }, () =>
      JSON.stringify([Math.round(r() * 60 + shift * 30), Number((20 + r() * 80 + shift * 50).toFixed(2)), contracts[Math.floor(r() * contracts.length)]]),
    );
    // Spread over the two hours before 15:00 on `day`.
    const time = new Date(`2026-11-${day}T13:00:00Z`);
    time.setUTCSeconds((i / n) * 7199);
    rows.push({ requestId: `${day}${i}`, time, request: instances, response: instances.map(() => '0.4') });
  }
  return rows;
}

const at = (day: string) => `2026-11-${day}T15:15:00Z`;
let google: FakeGoogle;
let base: string;
let baseline: string;
let server: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  baseline = await baselineJson();
  google = new FakeGoogle();
  base = await google.start();
  server = await serve();
});
afterAll(async () => {
  await server.close();
  await google.stop();
});
beforeEach(() => {
  google.objects.clear();
  google.published.length = 0;
  google.timeSeries.length = 0;
  google.executions.length = 0;
  google.faults.length = 0;
  google.onExecution = undefined;
  google.pendingExecutions = [];
  google.requests.length = 0;
  google.putObject(BUCKETS.baselines, 'models/churn/1/baseline.json', baseline, 'application/json');
});

async function withFunction<T>(spec: DriftCheckSpec, run: (url: string, fn: ReturnType<typeof driftFunction>) => Promise<T>, http = {}, workflow = true): Promise<T> {
  const fn = driftFunction(base, spec, http, { workflow });
  server.use(fn.handler);
  return run(server.url, fn);
}

describe('GCP drift function (Cloud Storage, BigQuery, Pub/Sub, Monitoring, Workflows on a loopback server)', () => {
  test('a drifted window: export from BigQuery, one report in the reports bucket, metrics, one DriftDetected', async () => {
    google.loggedRows = logged('23', 400, 7, 1);
    await withFunction(SPEC, async (url) => {
      const { status, json } = await call(url, {}, { 'X-CloudScheduler-ScheduleTime': at('23') });
      expect(status).toBe(200);
      expect(json).toEqual({ status: 'done', reportKey: 'reports/churn/20261123T1500Z/report.json', drifted: true });
    });
    // One object per result page (50 rows) and hour, in the capture layout the core reads.
    expect(google.names(BUCKETS.artifacts, SPEC.capturePrefix)).toEqual(expect.arrayContaining([`${SPEC.capturePrefix}2026/11/23/13/bq-00000.jsonl`, `${SPEC.capturePrefix}2026/11/23/14/bq-00000.jsonl`]));
    const report = JSON.parse(google.text(BUCKETS.reports, 'reports/churn/20261123T1500Z/report.json')!);
    expect(report).toMatchObject({ model: 'churn', environment: 'dev', rows: 400, invalidRows: 0, drifted: true, windowStart: '2026-11-23T13:00:00.000Z' });
    expect(google.text(BUCKETS.reports, 'reports/churn/20261123T1500Z/report.html')).toContain('<html');
    expect(google.published).toEqual([
      { topic: TOPIC, attributes: { model: 'churn', environment: 'dev' }, data: expect.objectContaining({ model: 'churn', reportKey: 'reports/churn/20261123T1500Z/report.json' }) },
    ]);
    expect(google.timeSeries).toEqual([
      expect.objectContaining({ metric: { type: DRIFT_METRICS.checkFailures, labels: { model: 'churn', environment: 'dev' } }, valueType: 'INT64', points: [{ interval: { endTime: '2026-11-23T15:20:00.000Z' }, value: { int64Value: '0' } }] }),
      expect.objectContaining({ metric: { type: DRIFT_METRICS.share, labels: { model: 'churn', environment: 'dev' } }, resource: { type: 'global', labels: { project_id: 'p' } }, metricKind: 'GAUGE', valueType: 'DOUBLE', points: [expect.objectContaining({ value: { doubleValue: report.driftShare } })] }),
      expect.objectContaining({ metric: { type: DRIFT_METRICS.integrityFailures, labels: { model: 'churn', environment: 'dev' } }, metricKind: 'GAUGE', valueType: 'INT64', points: [expect.objectContaining({ value: { int64Value: '0' } })] }),
    ]);
    expect(report.integrity.status).toBe('ok');
    expect(google.published[0].data).toMatchObject({ integrityStatus: 'ok', integrityFailures: [] });
  });

  test('a window with an integrity failure: integrity_failures counts it, and nothing is published (the topic starts retraining)', async () => {
    // An undrifted window where `charges` is null in 70 % of the instances.
    google.loggedRows = logged('26', 400, 10, 0).map((row, i) => ({ ...row, request: row.request.map((x, j) => ((i * 4 + j) % 10 < 7 ? JSON.stringify([JSON.parse(x)[0], null, JSON.parse(x)[2]]) : x)) }));
    await withFunction(SPEC, async (url) => {
      const { status, json } = await call(url, { scheduledTime: at('26') });
      expect(status).toBe(200);
      expect(json).toMatchObject({ status: 'done', drifted: false });
    });
    const report = JSON.parse(google.text(BUCKETS.reports, 'reports/churn/20261126T1500Z/report.json')!);
    expect(report.integrity).toMatchObject({ status: 'fail', failed: ['missingRate:charges'] });
    expect(google.timeSeries.find((t) => t.metric.type === DRIFT_METRICS.integrityFailures)).toMatchObject({ points: [{ value: { int64Value: '1' } }] });
    expect(google.published).toEqual([]);
  });

  test('running the same window twice writes one report and publishes one DriftDetected', async () => {
    google.loggedRows = logged('24', 200, 8, 1);
    await withFunction(SPEC, async (url) => {
      const first = await call(url, { scheduledTime: at('24') });
      const second = await call(url, { scheduledTime: at('24') });
      expect(first.json.status).toBe('done');
      expect(second.json).toEqual({ status: 'already-done', reportKey: 'reports/churn/20261124T1500Z/report.json', drifted: true });
    });
    expect(google.names(BUCKETS.reports)).toEqual(['reports/churn/20261124T1500Z/report.html', 'reports/churn/20261124T1500Z/report.json']);
    expect(google.published).toHaveLength(1);
    // The second run read no logs: a reported window is not exported again.
    expect(google.requests.filter((r) => r.path.includes('/bigquery/') && r.method === 'POST')).toHaveLength(2);
  });

  test('a large window fans out to the workflow; the merged shards give the same report as one pass', async () => {
    google.loggedRows = logged('25', 600, 9, 0.5);
    const onePass = await withFunction(SPEC, async (url) => (await call(url, { scheduledTime: at('25') })).json);
    const single = JSON.parse(google.text(BUCKETS.reports, onePass.reportKey)!);

    const other = { ...SPEC, model: 'churn-copy', capturePrefix: 'data-capture/churn-copy/1234567890/AllTraffic/', maxObjectsPerInvocation: 1 };
    google.putObject(BUCKETS.baselines, 'models/churn-copy/1/baseline.json', baseline);
    await withFunction(other, async (url) => {
      // What the workflow does: every shard in parallel (profile-shard), then the merge.
      google.onExecution = async (plan) => {
        const shards = await Promise.all(
          Array.from({ length: plan.shardCount }, (_, i) => call(url, { mode: 'profile-shard', windowEnd: plan.windowEnd, planKey: plan.planKey, shardIndex: i })),
        );
        expect(shards.map((s) => s.json)).toEqual(Array.from({ length: plan.shardCount }, (_, i) => ({ shardKey: `reports/churn-copy/20261125T1500Z/shards/${i}.json` })));
        const merged = await call(url, { mode: 'merge', windowEnd: plan.windowEnd, shardCount: plan.shardCount });
        expect(merged.json.status).toBe('done');
      };
      const started = await call(url, { scheduledTime: at('25') });
      expect(started.json).toEqual({ status: 'fanned-out', execution: `${WORKFLOW}/executions/exec-1`, shards: 4 });
      await Promise.all(google.pendingExecutions);
    });
    expect(google.executions).toEqual([{ workflow: WORKFLOW, argument: { windowEnd: '2026-11-25T15:00:00.000Z', planKey: 'reports/churn-copy/20261125T1500Z/shards/plan.json', shardCount: 4 } }]);
    // Working state stays in the artifacts bucket; only the finished report goes to the retained bucket.
    expect(google.names(BUCKETS.artifacts, 'reports/churn-copy/')).toContain('reports/churn-copy/20261125T1500Z/shards/3.json');
    const fanned = JSON.parse(google.text(BUCKETS.reports, 'reports/churn-copy/20261125T1500Z/report.json')!);
    expect(fanned.captureObjects).toBe(4);
    expect(fanned.rows).toBe(single.rows);
    expect(fanned.drifted).toBe(single.drifted);
    expect(fanned.integrity).toEqual(single.integrity);
    fanned.features.forEach((f: any, i: number) => {
      expect(f.name).toBe(single.features[i].name);
      expect(f.drifted).toBe(single.features[i].drifted);
      expect(f.histogram).toEqual(single.features[i].histogram);
      for (const [metric, value] of Object.entries(single.features[i].metrics)) expect(f.metrics[metric]).toBeCloseTo(value as number, 2);
    });
    expect(google.published.map((p) => p.data.model)).toEqual(single.drifted ? ['churn', 'churn-copy'] : []);
  });

  test('429 and 503 answers are retried within the bound; a timeout is retried; past the bound the check fails with 500 and a failure metric', async () => {
    google.loggedRows = logged('26', 100, 10, 0);
    google.fail(/^GET \/storage\/v1\/b\/[^/]+\/o$/, 429, 2);
    google.fail(/^POST \/upload\//, 503, 1);
    google.fail(/^POST \/bigquery\//, 'hang', 1);
    await withFunction(
      SPEC,
      async (url) => {
        const { status, json } = await call(url, { scheduledTime: at('26') });
        expect({ status, drifted: json.drifted }).toEqual({ status: 200, drifted: false });
      },
      { timeoutMs: 300 },
    );
    expect(google.faults.every((f) => f.times === 0)).toBe(true);

    // Three answers of 503 in a row exhaust the three attempts.
    google.fail(/^GET \/storage\/v1\/b\/[^/]+\/o\/models/, 503, 3);
    await withFunction(SPEC, async (url, fn) => {
      const { status, json } = await call(url, { scheduledTime: at('27') });
      expect(status).toBe(500);
      expect(json.error).toEqual({ code: 'DriftCheckFailed', message: expect.stringMatching(/^GCS get gs:\/\/ms-dev-baselines-p\/models\/churn\/1\/baseline.json failed: HTTP 503 UNAVAILABLE: injected fault/) });
      expect(fn.logs.find((l) => l.message === 'drift check failed')).toMatchObject({ severity: 'ERROR', model: 'churn' });
    });
    expect(google.timeSeries.at(-1)).toMatchObject({ metric: { type: DRIFT_METRICS.checkFailures }, points: [{ value: { int64Value: '1' } }] });
  });

  test('a failed publish releases the claim, so the retry publishes the event, once', async () => {
    google.loggedRows = logged('28', 200, 11, 1);
    google.fail(/:publish$/, 500, 3);
    await withFunction(SPEC, async (url) => {
      expect((await call(url, { scheduledTime: at('28') })).status).toBe(500);
      expect(google.names(BUCKETS.artifacts, 'reports/')).toEqual([]);
      expect((await call(url, { scheduledTime: at('28') })).json.status).toBe('already-done');
      expect((await call(url, { scheduledTime: at('28') })).json.status).toBe('already-done');
    });
    expect(google.published).toHaveLength(1);
  });

  test('no logged requests (or no table yet) gives a no-data report; a missing baseline is a clear failure', async () => {
    google.loggedRows = [];
    await withFunction(SPEC, async (url) => expect((await call(url, { scheduledTime: at('29') })).json).toMatchObject({ status: 'no-data', drifted: false }), {}, false);
    google.objects.delete(`${BUCKETS.baselines}/models/churn/1/baseline.json`);
    await withFunction(SPEC, async (url) => {
      const { status, json } = await call(url, { scheduledTime: at('30') });
      expect(status).toBe(500);
      expect(json.error.message).toMatch(/^baseline models\/churn\/1\/baseline.json is missing/);
    });
  });

  test('bad requests are refused with 400 and not counted as failed checks', async () => {
    await withFunction(SPEC, async (url) => {
      expect(await call(url, '{nope')).toEqual({ status: 400, json: { error: { code: 'BadRequest', message: expect.stringMatching(/^body: malformed JSON/) } } });
      expect((await call(url, [])).json.error.message).toBe('body: expected a JSON object');
      expect((await call(url, { mode: 'explode' })).json.error.message).toBe('mode "explode": expected check, profile-shard or merge');
      expect((await call(url, { mode: 'merge', windowEnd: 'soon', shardCount: 2 })).json.error.message).toBe('windowEnd: expected an ISO-8601 time');
      expect((await call(url, { mode: 'merge', windowEnd: at('23'), shardCount: 0 })).json.error.message).toBe('shardCount: expected an integer of at least 1');
      expect((await call(url, { mode: 'profile-shard', windowEnd: at('23'), planKey: '../etc', shardIndex: 0 })).json.error.message).toBe('planKey: expected the key of a shard plan under reports/');
      google.putObject(BUCKETS.artifacts, 'reports/churn/x/shards/plan.json', JSON.stringify([{ index: 0, keys: [] }]));
      expect(await call(url, { mode: 'profile-shard', windowEnd: at('23'), planKey: 'reports/churn/x/shards/plan.json', shardIndex: 5 })).toEqual({
        status: 400,
        json: { error: { code: 'BadRequest', message: 'shardIndex 5: not in the plan reports/churn/x/shards/plan.json' } },
      });
    });
    expect(google.timeSeries).toEqual([]);
  });
});
