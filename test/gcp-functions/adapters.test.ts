import { gzipSync } from 'node:zlib';
import { exportRequestLogs } from '../../lambdas/drift/gcp/bigquery-export';
import { GCP_DRIFT_ENV, readGcpDriftConfig } from '../../lambdas/drift/gcp/config';
import { bucketOf, gcsStore } from '../../lambdas/drift/gcp/gcs-store';
import { ensureOk, type GoogleApiError, googleHttp } from '../../lambdas/shared/gcp/google-http';
import { errorFields, gcpLogger } from '../../lambdas/shared/gcp/log';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { BUCKETS } from './harness';

let google: FakeGoogle;
let base: string;
beforeAll(async () => {
  google = new FakeGoogle();
  base = await google.start();
});
afterAll(() => google.stop());
beforeEach(() => {
  google.objects.clear();
  google.faults.length = 0;
  google.requests.length = 0;
});

const http = (options = {}) => googleHttp({ accessToken: async () => 'tok', maxAttempts: 3, initialBackoffMs: 1, timeoutMs: 500, ...options });
const ENV = {
  MODEL_NAME: 'churn',
  MODEL_VERSION: '2',
  ENVIRONMENT_NAME: 'dev',
  ENDPOINT_NAME: '1234567890',
  WINDOW_HOURS: '24',
  MAX_OBJECTS_PER_INVOCATION: '50',
  DRIFT_SHARE_THRESHOLD: '0.5',
  MODEL_TASK: 'regression',
  QUALITY_DEGRADATION_THRESHOLD: '0.05',
  [GCP_DRIFT_ENV.artifactsBucket]: 'a',
  [GCP_DRIFT_ENV.baselinesBucket]: 'b',
  [GCP_DRIFT_ENV.reportsBucket]: 'r',
  [GCP_DRIFT_ENV.project]: 'ms-demo-dev',
  [GCP_DRIFT_ENV.region]: 'europe-west1',
  [GCP_DRIFT_ENV.topic]: 'projects/ms-demo-dev/topics/t',
  [GCP_DRIFT_ENV.requestLogTable]: 'ms-demo-dev.ds.request_response_churn',
};

describe('GCS object store', () => {
  const store = () => gcsStore(http(), BUCKETS, base);

  test('routes the shared layout to the three buckets; finished reports are write-once', () => {
    expect(bucketOf(BUCKETS, 'models/churn/1/baseline.json')).toEqual({ bucket: BUCKETS.baselines, writeOnce: false });
    expect(bucketOf(BUCKETS, 'reports/churn/20261123T1500Z/report.html')).toEqual({ bucket: BUCKETS.reports, writeOnce: true });
    expect(bucketOf(BUCKETS, 'reports/churn/20261123T1500Z/drift-detected.json')).toEqual({ bucket: BUCKETS.artifacts, writeOnce: false });
    expect(bucketOf(BUCKETS, 'data-capture/churn/x')).toEqual({ bucket: BUCKETS.artifacts, writeOnce: false });
  });

  test('lists every page, reads, unpacks .gz, creates once, deletes; missing objects read as absent', async () => {
    const s = store();
    for (const n of [3, 1, 2, 4, 5]) google.putObject(BUCKETS.artifacts, `data-capture/churn/e/AllTraffic/2026/11/23/13/${n}.jsonl`, `line ${n}\n`);
    expect(await s.list('data-capture/churn/e/AllTraffic/2026/11/23/13/')).toEqual([1, 2, 3, 4, 5].map((n) => `data-capture/churn/e/AllTraffic/2026/11/23/13/${n}.jsonl`));
    expect(google.requests.filter((r) => r.path.startsWith(`/storage/v1/b/${BUCKETS.artifacts}/o?`))).toHaveLength(3);
    google.putObject(BUCKETS.artifacts, 'ground-truth/churn/labels.jsonl.gz', gzipSync('{"inferenceId":"1","label":1}\n'));
    expect(await s.readText('ground-truth/churn/labels.jsonl.gz')).toBe('{"inferenceId":"1","label":1}\n');
    expect(await s.readText('models/churn/9/baseline.json')).toBeUndefined();
    expect(await s.exists('models/churn/9/baseline.json')).toBe(false);
    expect(await s.putIfAbsent('reports/churn/w/report.json', '{"a":1}', 'application/json')).toBe(true);
    expect(await s.putIfAbsent('reports/churn/w/report.json', '{"a":2}', 'application/json')).toBe(false);
    expect(await s.exists('reports/churn/w/report.json')).toBe(true);
    // A second report.html of the window keeps the first (the retention policy forbids replacing it).
    await s.put('reports/churn/w/report.html', 'first', 'text/html');
    await s.put('reports/churn/w/report.html', 'second', 'text/html');
    expect(google.text(BUCKETS.reports, 'reports/churn/w/report.html')).toBe('first');
    await s.put('reports/churn/w/shards/0.json', 'v1', 'application/json');
    await s.put('reports/churn/w/shards/0.json', 'v2', 'application/json');
    expect(google.text(BUCKETS.artifacts, 'reports/churn/w/shards/0.json')).toBe('v2');
    await s.delete('reports/churn/w/shards/0.json');
    await s.delete('reports/churn/w/shards/0.json');
    expect(await s.exists('reports/churn/w/shards/0.json')).toBe(false);
  });

  test('errors name the object and carry Google’s status', async () => {
    google.fail(/^GET \/storage\/v1\/b\/[^/]+\/o\//, 500, 3);
    await expect(store().read('models/churn/1/baseline.json')).rejects.toThrow(`GCS get gs://${BUCKETS.baselines}/models/churn/1/baseline.json failed: HTTP 500 UNAVAILABLE: injected fault`);
    google.fail(/^POST \/upload\//, 429, 3);
    await expect(store().put('data-capture/churn/x', 'x', 'text/plain')).rejects.toThrow(/HTTP 429 RESOURCE_EXHAUSTED/);
    expect(google.requests).toHaveLength(6);
  });
});

describe('Google HTTP client', () => {
  test('a connection failure is retried, then reported with the attempts', async () => {
    const send = http({ maxAttempts: 2 });
    await expect(send('probe', 'http://127.0.0.1:1/')).rejects.toThrow(/^probe failed: fetch failed after 2 attempts$/);
    const e = await send('probe', 'http://127.0.0.1:1/').catch((err: GoogleApiError) => err);
    expect(e).toMatchObject({ name: 'GoogleApiError', status: undefined, timedOut: false });
  });

  test('Retry-After is honoured within the cap; a non-JSON error body is quoted', async () => {
    const waits: number[] = [];
    let n = 0;
    const fetchStub = (async () =>
      ++n === 1 ? new Response('slow down', { status: 503, headers: { 'retry-after': '2' } }) : new Response('<html>bad gateway</html>', { status: 400 })) as typeof fetch;
    const send = googleHttp({ accessToken: async () => 't', fetch: fetchStub, sleep: async (ms) => void waits.push(ms), maxBackoffMs: 1500 });
    const response = await send('x', 'http://127.0.0.1:1/', { method: 'POST', body: 'b', contentType: 'text/plain' });
    expect(waits).toEqual([1500]);
    await expect(ensureOk('x', response)).rejects.toThrow('x failed: HTTP 400 <html>bad gateway</html>');
  });
});

describe('BigQuery export', () => {
  const window = { start: new Date('2026-11-23T13:00:00Z'), end: new Date('2026-11-23T14:00:00Z') };
  const options = { table: 'ms-demo-dev.ds.t', project: 'ms-demo-dev', location: 'europe-west1', capturePrefix: 'data-capture/churn/e/AllTraffic/', pageRows: 2, baseUrl: base, waitMs: 1 };

  test('pages become objects; a re-export with fewer pages removes the stale ones; a missing table is no data', async () => {
    const store = gcsStore(http(), BUCKETS, base);
    const row = (i: number) => ({ requestId: String(i), time: new Date(Date.UTC(2026, 10, 23, 13, i)), request: ['[1,2,"a"]', '[3,4,"b"]'], response: ['0.1', '0.9'] });
    google.loggedRows = [0, 1, 2, 3, 4].map(row);
    expect(await exportRequestLogs(http(), store, window, { ...options, baseUrl: base })).toBe(5);
    const prefix = 'data-capture/churn/e/AllTraffic/2026/11/23/13/';
    expect(google.names(BUCKETS.artifacts, prefix)).toEqual([0, 1, 2].map((n) => `${prefix}bq-0000${n}.jsonl`));
    const first = JSON.parse(google.text(BUCKETS.artifacts, `${prefix}bq-00000.jsonl`)!.split('\n')[0]);
    expect(first).toEqual({
      captureData: {
        endpointInput: { observedContentType: 'application/json', mode: 'INPUT', encoding: 'JSON', data: '[[1,2,"a"],[3,4,"b"]]' },
        endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', encoding: 'JSON', data: '{"predictions":[0.1,0.9]}' },
      },
      eventMetadata: { inferenceId: '0', inferenceTime: '2026-11-23T13:00:00.000Z' },
      eventVersion: '0',
    });
    google.loggedRows = [row(0)];
    expect(await exportRequestLogs(http(), store, window, { ...options, baseUrl: base })).toBe(1);
    expect(google.names(BUCKETS.artifacts, prefix)).toEqual([`${prefix}bq-00000.jsonl`]);

    const notFound = googleHttp({ accessToken: async () => 't', fetch: (async () => new Response('{"error":{"status":"NOT_FOUND"}}', { status: 404 })) as typeof fetch });
    expect(await exportRequestLogs(notFound, store, window, options)).toBe(0);
  });

  test('a job that never finishes and a malformed table name are clear errors', async () => {
    const store = gcsStore(http(), BUCKETS, base);
    const pending = googleHttp({ accessToken: async () => 't', fetch: (async () => Response.json({ jobComplete: false, jobReference: { jobId: 'j' } })) as typeof fetch });
    await expect(exportRequestLogs(pending, store, window, { ...options, maxPolls: 2 })).rejects.toThrow('BigQuery export of ms-demo-dev.ds.t for 2026-11-23T13:00:00.000Z failed: the query job did not finish');
    await expect(exportRequestLogs(pending, store, window, { ...options, table: 'ds.t; DROP' })).rejects.toThrow('request log table "ds.t; DROP": expected <project>.<dataset>.<table>');
  });
});

describe('configuration and logs', () => {
  test('the GCP drift config reuses the shared spec: the endpoint id and AllTraffic name the capture folder', () => {
    const config = readGcpDriftConfig(ENV);
    expect(config.spec).toMatchObject({ model: 'churn', modelVersion: '2', capturePrefix: 'data-capture/churn/1234567890/AllTraffic/', windowHours: 24, task: 'regression' });
    expect(config).toMatchObject({ buckets: { artifacts: 'a', baselines: 'b', reports: 'r' }, workflow: undefined, exportPageRows: 10_000 });
    expect(() => readGcpDriftConfig({ ...ENV, [GCP_DRIFT_ENV.topic]: '' })).toThrow('DRIFT_TOPIC must be set');
    expect(() => readGcpDriftConfig({ ...ENV, [GCP_DRIFT_ENV.exportPageRows]: '-1' })).toThrow('EXPORT_PAGE_ROWS=-1: expected a positive integer');
  });

  test('the entry points build their clients from the environment without calling anything', async () => {
    Object.assign(process.env, ENV, { [GCP_DRIFT_ENV.workflow]: 'projects/ms-demo-dev/locations/europe-west1/workflows/w' });
    const drift = await import('../../lambdas/drift/gcp/index');
    expect(typeof drift.drift).toBe('function');
    process.env.ENDPOINT_NAME = 'projects/ms-demo-dev/locations/europe-west1/endpoints/1234567890';
    process.env.MODEL_FEATURES = '[{"name":"tenure","type":"numeric"}]';
    const inference = await import('../../lambdas/inference/gcp/index');
    expect(typeof inference.predict).toBe('function');
    for (const name of [...Object.keys(ENV), GCP_DRIFT_ENV.workflow, 'MODEL_FEATURES']) delete process.env[name];
  });

  test('log lines are JSON with a severity; errors become name and message', () => {
    const lines: string[] = [];
    const log = gcpLogger({ model: 'churn' }, (line) => void lines.push(line));
    log.warn('careful', { n: 1 });
    expect(JSON.parse(lines[0])).toEqual({ severity: 'WARNING', message: 'careful', model: 'churn', n: 1 });
    expect(errorFields(new RangeError('too big'))).toEqual({ error: { name: 'RangeError', message: 'too big' } });
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    gcpLogger({}).info('to stdout');
    expect(write).toHaveBeenCalledWith('{"severity":"INFO","message":"to stdout"}\n');
    write.mockRestore();
  });
});
