import { CaptureWriter } from '../../core/capture';
import { runDriftCheck, type StoredReport } from '../../core/drift-job';
import { s3CaptureStore } from '../../lambdas/inference/aws/s3-capture-store';
import { s3Store } from '../../lambdas/drift/aws/s3-store';
import { startS3 } from '../helpers/s3rver';
import { FakeSageMakerRuntime, sdkTestEnv } from '../helpers/sagemaker-runtime-server';
import { buildHandler, captureConsole, CONTEXT, event } from '../inference/harness';
import { baselineJson, RecordingEvents, RecordingMetrics, rows, SPEC } from './fixtures';

const server = new FakeSageMakerRuntime();
const saved = { ...process.env };
let s3: Awaited<ReturnType<typeof startS3>>;

beforeAll(async () => {
  Object.assign(process.env, sdkTestEnv(await server.start()));
  s3 = await startS3('registry');
});
afterAll(async () => {
  await server.stop();
  await s3.stop();
  process.env = saved;
});

/** Sends `requests` requests of 10 rows each (the harness's maxInstances) through the inference handler with capture at the API, during 13:xx. */
async function serve(requests: number, shift: number, contracts?: string[]) {
  let now = Date.parse('2026-11-24T13:10:00Z');
  const writer = new CaptureWriter({
    prefix: SPEC.capturePrefix,
    samplingPercentage: 100,
    maxRecords: 20,
    now: () => now,
    store: s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: s3.endpoint, credentials: () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }) }),
  });
  const handler = buildHandler({}, undefined, { writer, flushWaitMs: 2000 });
  const ids: string[] = [];
  await captureConsole(async () => {
    for (let i = 0; i < requests; i++) {
      now += 1000; // one request a second
      const instances = rows(10, 500 + i, shift, contracts).map((line) => {
        const [tenure, charges, contract] = line.split(',');
        return { tenure: Number(tenure), charges: Number(charges), contract };
      });
      const answer = await handler(event(JSON.stringify({ instances })), CONTEXT);
      expect(answer.statusCode).toBe(200);
      ids.push(JSON.parse(answer.body!).inferenceId);
    }
  });
  await writer.flush(); // the environment's last batch: written here, lost if Lambda had shut the environment down
  return ids;
}

test('the drift check reads what the inference API captured, each record with the inference id the API returned', async () => {
  const store = s3Store(s3.client(), 'registry');
  await store.put('models/churn/1/baseline.json', await baselineJson(), 'application/json');
  const ids = await serve(100, 1, ['monthly']);
  const keys = await store.list(SPEC.capturePrefix);
  expect(keys).toHaveLength(5); // 100 records in batches of 20
  expect(keys.every((k) => k.startsWith(`${SPEC.capturePrefix}2026/11/24/13/`))).toBe(true);

  const events = new RecordingEvents();
  const metrics = new RecordingMetrics();
  const outcome = await runDriftCheck(SPEC, '2026-11-24T15:04:31Z', { store, events, metrics });
  expect(outcome).toMatchObject({ status: 'done', drifted: true });
  const report = JSON.parse((await store.readText('reports/churn/20261124T1500Z/report.json'))!) as StoredReport;
  expect(report).toMatchObject({ rows: 1000, invalidRows: 0, captureObjects: 5, drifted: true });
  expect(events.published).toHaveLength(1);
  // Each record carries the id the API answered with, which ground-truth labels name.
  const text = (await Promise.all(keys.map((k) => store.readText(k)))).join('');
  expect(text.trimEnd().split('\n').map((l) => JSON.parse(l).eventMetadata.inferenceId)).toEqual(ids);
});
