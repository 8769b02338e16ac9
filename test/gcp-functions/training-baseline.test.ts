// The Google Cloud training workflow's baseline function, served on a loopback port as the Functions Framework would,
// against the fake Cloud Storage JSON API: it profiles the prepared training features into baseline.json with the
// drift engine's profiler (the AWS Baseline step's core) and answers the caller's mistakes with a 400 and the reason.
import { GCP_BASELINE_ENV, readGcpBaselineConfig } from '../../lambdas/training-baseline/gcp/config';
import { createGcpBaselineHandler } from '../../lambdas/training-baseline/gcp/handler';
import { googleHttp } from '../../lambdas/shared/gcp/google-http';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { parseBaseline } from '../../core/profile/baseline';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { call, serve } from './harness';

const BUCKET = 'ms-dev-models-p';
const WORK = 'pipelines/churn/exec-1';
let google: FakeGoogle;
let server: Awaited<ReturnType<typeof serve>>;
const logs: any[] = [];

beforeAll(async () => {
  google = new FakeGoogle();
  const base = await google.start();
  server = await serve();
  const handler = createGcpBaselineHandler({
    http: googleHttp({ accessToken: async () => 'tok', maxAttempts: 3, initialBackoffMs: 1, timeoutMs: 2000 }),
    registryBucket: BUCKET,
    logger: gcpLogger({ function: 'training-baseline' }, (line) => void logs.push(JSON.parse(line))),
    storageUrl: base,
  });
  server.use(handler);
});
afterAll(async () => {
  await server.close();
  await google.stop();
});
beforeEach(() => {
  google.objects.clear();
  google.faults.length = 0;
  logs.length = 0;
});

function featuresCsv(rows: number): string {
  const lines = ['tenure_months,contract'];
  for (let i = 0; i < rows; i++) lines.push(`${i % 60},${['month-to-month', 'one-year', 'two-year'][i % 3]}`);
  return `${lines.join('\n')}\n`;
}

describe('the GCP training baseline function', () => {
  test('profiles the training features CSV the workflow names and writes baseline.json where it says', async () => {
    google.putObject(BUCKET, `${WORK}/prepared/features/train-features.csv`, featuresCsv(300), 'text/csv');
    const output = `gs://${BUCKET}/${WORK}/baseline/baseline.json`;
    const answer = await call(server.url, { features: `gs://${BUCKET}/${WORK}/prepared/features/train-features.csv`, categorical: 'contract', output });
    expect(answer).toEqual({ status: 200, json: { baseline: output } });
    const baseline = parseBaseline(JSON.parse(google.text(BUCKET, `${WORK}/baseline/baseline.json`)!));
    expect(baseline.rows).toBe(300);
    expect(baseline.features.map((f) => [f.name, f.kind])).toEqual([
      ['tenure_months', 'numeric'],
      ['contract', 'categorical'],
    ]);
    expect(google.objects.get(`${BUCKET}/${WORK}/baseline/baseline.json`)!.contentType).toBe('application/json');
    expect(logs).toEqual([expect.objectContaining({ severity: 'INFO', message: 'baseline written', baseline: output })]);
  });

  test('a folder: the first CSV file by name, across listing pages; a retried call rewrites the same object', async () => {
    for (const name of ['c.csv', 'notes.txt', 'a.csv', 'b.csv']) google.putObject(BUCKET, `${WORK}/prepared/features/${name}`, name === 'a.csv' ? featuresCsv(150) : name === 'notes.txt' ? 'x' : featuresCsv(10));
    const args = { features: `gs://${BUCKET}/${WORK}/prepared/features`, output: `gs://${BUCKET}/${WORK}/baseline/baseline.json` };
    expect(await call(server.url, args)).toMatchObject({ status: 200 });
    expect(await call(server.url, args)).toMatchObject({ status: 200 });
    expect(parseBaseline(JSON.parse(google.text(BUCKET, `${WORK}/baseline/baseline.json`)!)).rows).toBe(150);
  });

  test('refuses, with a 400 naming the argument, locations outside the registry\'s work folders, a folder without a CSV and a body that is no object', async () => {
    const cases: [unknown, string][] = [
      [{ features: 'gs://other-bucket/pipelines/x.csv', output: `gs://${BUCKET}/${WORK}/baseline.json` }, `argument "features" must be under gs://${BUCKET}/pipelines/, got gs://other-bucket/pipelines/x.csv`],
      [{ features: `gs://${BUCKET}/${WORK}/f.csv`, output: `gs://${BUCKET}/models/churn/1/baseline.json` }, 'argument "output" must be under'],
      [{ features: `gs://${BUCKET}/${WORK}/f.csv`, output: `gs://${BUCKET}/${WORK}/baseline.txt` }, 'argument "output" must name a .json object'],
      [{ features: `s3://${BUCKET}/${WORK}/f.csv`, output: `gs://${BUCKET}/${WORK}/b.json` }, 'argument "features" must be an gs:// URI, got "s3://'],
      [{ features: `gs://${BUCKET}/pipelines/churn/empty/prepared/features`, output: `gs://${BUCKET}/pipelines/churn/empty/baseline/baseline.json` }, `no CSV file under gs://${BUCKET}/pipelines/churn/empty/prepared/features`],
      [{ features: 42 }, 'argument "features" must be a string, got 42'],
      ['[1, 2]', 'expected a JSON object'],
      ['not json', 'expected a JSON object'],
    ];
    for (const [body, reason] of cases) {
      const answer = await call(server.url, body);
      expect({ body, status: answer.status, error: answer.json.error }).toEqual({ body, status: 400, error: expect.stringContaining(reason) });
    }
    const get = await fetch(`${server.url}/`);
    expect(get.status).toBe(405);
    expect(await get.json()).toEqual({ error: 'method GET: expected POST with a JSON body' });
    expect(google.names(BUCKET)).toEqual([]);
  });

  test('a Cloud Storage failure answers 500 with its message (no stack trace) and logs it; a transient one is retried', async () => {
    google.putObject(BUCKET, `${WORK}/prepared/features/train-features.csv`, featuresCsv(120));
    const args = { features: `gs://${BUCKET}/${WORK}/prepared/features/train-features.csv`, output: `gs://${BUCKET}/${WORK}/baseline/baseline.json` };
    google.fail(/\/upload\/storage\/v1\/b\//, 503, 1);
    expect((await call(server.url, args)).status).toBe(200);
    google.fail(/\/upload\/storage\/v1\/b\//, 500, 3);
    const failed = await call(server.url, args);
    expect(failed.status).toBe(500);
    expect(failed.json.error).toMatch(/^Baseline step failed: GCS insert gs:\/\/ms-dev-models-p\/pipelines\/churn\/exec-1\/baseline\/baseline\.json failed/);
    expect(JSON.stringify(failed.json)).not.toMatch(/\n\s+at /);
    expect(logs.at(-1)).toMatchObject({ severity: 'ERROR', message: 'baseline failed' });
  });

  test('its configuration: the registry bucket, named when missing', () => {
    expect(readGcpBaselineConfig({ [GCP_BASELINE_ENV.registryBucket]: BUCKET })).toEqual({ registryBucket: BUCKET });
    expect(() => readGcpBaselineConfig({})).toThrow('REGISTRY_BUCKET: expected the registry\'s artifacts bucket name');
  });
});
