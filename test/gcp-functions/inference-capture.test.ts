import { CaptureWriter } from '../../core/capture';
import { emitCaptureRecord } from '../../core/readers/capture';
import { gcsCaptureStore } from '../../lambdas/inference/gcp/gcs-capture-store';
import { createGcpInferenceHandler } from '../../lambdas/inference/gcp/handler';
import { vertexPredictor } from '../../lambdas/inference/gcp/vertex';
import { googleHttp } from '../../lambdas/shared/gcp/google-http';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { baselineJson, rows as fixtureRows, SPEC } from '../drift/fixtures';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { BUCKETS, call, driftFunction, serve } from './harness';

const ENDPOINT = 'projects/ms-demo-dev/locations/europe-west1/endpoints/1234567890';
const PREFIX = 'data-capture/churn/1234567890/AllTraffic/';
const BUCKET = 'ms-dev-models-p';
const FEATURES = [
  { name: 'tenure', type: 'numeric' },
  { name: 'charges', type: 'numeric' },
  { name: 'contract', type: 'categorical' },
] as const;

let google: FakeGoogle;
let base: string;
let server: Awaited<ReturnType<typeof serve>>;
const logs: any[] = [];

beforeAll(async () => {
  google = new FakeGoogle();
  base = await google.start();
  server = await serve();
});
afterAll(async () => {
  await server.close();
  await google.stop();
});

// No test here is about timeouts: the limits are generous, so a loaded machine's slow loopback is not a 504.
const UPSTREAM_TIMEOUT_MS = 5000;

function use(writer: CaptureWriter) {
  logs.length = 0;
  server.use(
    createGcpInferenceHandler({
      config: { model: 'churn', endpointName: ENDPOINT, features: FEATURES, knownModels: ['churn'], maxBodyBytes: 4096, maxInstances: 10, upstreamTimeoutMs: UPSTREAM_TIMEOUT_MS, upstreamMaxAttempts: 1 },
      logger: gcpLogger({ model: 'churn' }, (line) => void logs.push(JSON.parse(line))),
      predict: vertexPredictor({ endpoint: ENDPOINT, accessToken: async () => 'token', timeoutMs: UPSTREAM_TIMEOUT_MS, maxAttempts: 1, baseUrl: base, sleep: async () => undefined }),
      capture: { writer, flushWaitMs: 2000 },
    }),
  );
}

const store = (attempts = 3) => gcsCaptureStore(googleHttp({ accessToken: async () => 'token', maxAttempts: attempts, initialBackoffMs: 1, timeoutMs: 2000 }), BUCKET, base);
const post = (rows: unknown[]) => fetch(`${server.url}/models/churn/predict`, { method: 'POST', body: JSON.stringify({ instances: rows }) });

describe('GCP inference function with capture at the API (Cloud Storage on a loopback server)', () => {
  test('sampled predictions are written in batches to the capture folder, in the format the drift job reads', async () => {
    use(new CaptureWriter({ prefix: PREFIX, samplingPercentage: 100, maxRecords: 2, store: store() }));
    for (const tenure of [1, 2, 3]) expect((await post([{ tenure, charges: 20.5, contract: 'monthly' }])).status).toBe(200);
    const names = google.names(BUCKET, PREFIX);
    expect(names).toHaveLength(1); // two records; the third waits for the next batch
    expect(names[0]).toMatch(/^data-capture\/churn\/1234567890\/AllTraffic\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-[0-9a-f-]{36}\.jsonl$/);
    const records = google.text(BUCKET, names[0])!.trimEnd().split('\n').map((l) => JSON.parse(l));
    const rows: unknown[] = [];
    for (const record of records) emitCaptureRecord(record, 3, [], { row: (r) => rows.push(r), invalid: (reason) => rows.push(reason) });
    expect(rows).toEqual([
      [1, 20.5, 'monthly'],
      [2, 20.5, 'monthly'],
    ]);
    expect(records[0].captureData.endpointOutput).toMatchObject({ mode: 'OUTPUT', encoding: 'JSON' });
    expect(logs.map((l) => l.captureWritten)).toEqual([0, 0, 2]);
    // Each record carries the inference id its answer returned, which ground-truth labels join on.
    expect(records.every((r) => /^[0-9a-f-]{36}$/.test(r.eventMetadata.inferenceId))).toBe(true);
  });

  test("the caller's inferenceId is returned and captured", async () => {
    const writer = new CaptureWriter({ prefix: 'data-capture/churn/ids/AllTraffic/', samplingPercentage: 100, maxRecords: 1, store: store() });
    use(writer);
    const response = await fetch(`${server.url}/models/churn/predict`, { method: 'POST', body: JSON.stringify({ instances: [{ tenure: 1, charges: 2, contract: 'monthly' }], inferenceId: 'order-42' }) });
    expect(((await response.json()) as { inferenceId?: string }).inferenceId).toBe('order-42');
    await writer.flush();
    const [name] = google.names(BUCKET, 'data-capture/churn/ids/');
    expect(JSON.parse(google.text(BUCKET, name)!).eventMetadata.inferenceId).toBe('order-42');
  });

  test('a batch whose first write landed but whose answer was lost is not written twice nor counted as failed (create-only insert)', async () => {
    const key = `${PREFIX}2026/11/27/10/retried.jsonl`;
    await store().put(key, 'first\n');
    await expect(store().put(key, 'first\n')).resolves.toBeUndefined();
    expect(google.text(BUCKET, key)).toBe('first\n');
  });

  test('a failing Cloud Storage neither fails the prediction nor holds it past the wait bound; the failure is logged', async () => {
    const errors: string[] = [];
    use(new CaptureWriter({ prefix: `${PREFIX}faults/`, samplingPercentage: 100, maxRecords: 1, store: store(1), onError: (err) => void errors.push((err as Error).message) }));
    google.fail(/\/upload\/storage/, 503, 1);
    expect((await post([{ tenure: 1, charges: 1, contract: 'a' }])).status).toBe(200);
    expect((await post([{ tenure: 2, charges: 1, contract: 'a' }])).status).toBe(200); // writes the first: 503
    expect(errors).toHaveLength(1);
    expect(logs[1]).toMatchObject({ message: 'prediction', status: 200, captureDropped: 1, captureFailures: 1 });
  });
  test('the drift function of an endpoint without a request log reads what the inference function captured', async () => {
    let now = Date.parse('2026-11-24T13:10:00Z');
    const prefix = 'data-capture/churn/1234567890/AllTraffic/';
    const writer = new CaptureWriter({ prefix, samplingPercentage: 100, maxRecords: 20, now: () => now, store: store() });
    use(writer);
    for (let i = 0; i < 100; i++) {
      now += 1000;
      const instances = fixtureRows(10, 700 + i, 1, ['monthly']).map((line) => {
        const [tenure, charges, contract] = line.split(',');
        return { tenure: Number(tenure), charges: Number(charges), contract };
      });
      expect((await post(instances)).status).toBe(200);
    }
    await writer.flush();
    expect(BUCKETS.artifacts).toBe(BUCKET);
    google.putObject(BUCKETS.baselines, 'models/churn/1/baseline.json', await baselineJson(), 'application/json');
    const fn = driftFunction(base, { ...SPEC, capturePrefix: prefix }, {}, { workflow: false, exportRequestLog: false });
    server.use(fn.handler);
    const { status, json } = await call(server.url, {}, { 'X-CloudScheduler-ScheduleTime': '2026-11-24T15:15:00Z' });
    expect({ status, json }).toMatchObject({ status: 200, json: { status: 'done', drifted: true } });
    const report = JSON.parse(google.text(BUCKETS.reports, 'reports/churn/20261124T1500Z/report.json')!);
    expect(report).toMatchObject({ rows: 1000, invalidRows: 0, captureObjects: 5, drifted: true });
    expect(google.requests.some((r) => r.path.includes('bigquery'))).toBe(false);
  });
});
