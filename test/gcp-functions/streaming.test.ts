import { vertexPredictor } from '../../lambdas/inference/gcp/vertex';
import { googleHttp } from '../../lambdas/shared/gcp/google-http';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { bigQueryResults } from '../../lambdas/streaming/gcp/bigquery-results';
import { GCP_STREAMING_ENV, readGcpStreamingConfig } from '../../lambdas/streaming/gcp/config';
import { createGcpStreamingHandler } from '../../lambdas/streaming/gcp/handler';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { serve } from './harness';

const ENDPOINT = 'projects/ms-demo-dev/locations/europe-west1/endpoints/1234567890';
const TABLE = 'ms-demo-dev.ms_dev_stream_churn.predictions';
const config = readGcpStreamingConfig({
  [GCP_STREAMING_ENV.model]: 'churn',
  [GCP_STREAMING_ENV.endpointName]: ENDPOINT,
  [GCP_STREAMING_ENV.resultsTable]: TABLE,
  [GCP_STREAMING_ENV.features]: JSON.stringify([
    { name: 'tenure', type: 'numeric' },
    { name: 'plan', type: 'categorical' },
  ]),
  [GCP_STREAMING_ENV.maxInstances]: '3',
  [GCP_STREAMING_ENV.upstreamTimeoutMs]: '500',
});

let google: FakeGoogle;
let server: Awaited<ReturnType<typeof serve>>;
const logs: any[] = [];

beforeAll(async () => {
  google = new FakeGoogle();
  const base = await google.start();
  server = await serve();
  const http = googleHttp({ accessToken: async () => 'token', maxAttempts: 2, initialBackoffMs: 1, maxBackoffMs: 2, timeoutMs: 1000 });
  server.use(
    createGcpStreamingHandler({
      config,
      logger: gcpLogger({ model: 'churn' }, (line) => void logs.push(JSON.parse(line))),
      predict: vertexPredictor({ endpoint: ENDPOINT, accessToken: async () => 'token', timeoutMs: config.upstreamTimeoutMs, maxAttempts: 2, baseUrl: base, sleep: async () => undefined }),
      write: bigQueryResults(http, TABLE, base),
      now: () => new Date('2026-11-27T18:30:00.000Z'),
    }),
  );
});
afterAll(async () => {
  await server.close();
  await google.stop();
});
beforeEach(() => {
  google.faults.length = 0;
  google.requests.length = 0;
  google.insertedRows.length = 0;
  google.rejectRow = undefined;
  google.predict = (instances) => ({ status: 200, body: { predictions: instances.map(() => 0.75), deployedModelId: '1' } });
  logs.length = 0;
});

let nextId = 1;
/** A message as Pub/Sub pushes it (https://cloud.google.com/pubsub/docs/push): data base64-encoded in an envelope. */
function message(data: string | undefined, orderingKey?: string) {
  return { messageId: String(nextId++), publishTime: '2026-11-27T18:29:59.000Z', ...(data === undefined ? {} : { data: Buffer.from(data).toString('base64') }), ...(orderingKey ? { orderingKey } : {}) };
}

async function push(msg: object, deliveryAttempt = 1): Promise<{ status: number; json: any }> {
  const response = await fetch(`${server.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: msg, subscription: 'projects/ms-demo-dev/subscriptions/ms-dev-stream-churn', deliveryAttempt }),
  });
  return { status: response.status, json: await response.json() };
}

/**
 * Pub/Sub's side of a push subscription with a dead-letter policy: a 2xx answer acknowledges; anything else is
 * redelivered until `maxDeliveryAttempts`, then the message goes to the dead-letter topic.
 */
async function deliver(msg: object, maxDeliveryAttempts = 5): Promise<{ attempts: number; deadLettered: boolean; statuses: number[] }> {
  const statuses: number[] = [];
  for (let attempt = 1; attempt <= maxDeliveryAttempts; attempt++) {
    const { status } = await push(msg, attempt);
    statuses.push(status);
    if (status >= 200 && status < 300) return { attempts: attempt, deadLettered: false, statuses };
  }
  return { attempts: maxDeliveryAttempts, deadLettered: true, statuses };
}

const body = (instances: unknown[]) => JSON.stringify({ instances });

describe('GCP streaming function (Pub/Sub push → Vertex AI → BigQuery, on loopback fakes)', () => {
  test('a valid message is scored with the API\'s validation, rows in feature order, and one result row is streamed to BigQuery', async () => {
    let sent: unknown[] = [];
    google.predict = (instances) => ((sent = instances), { status: 200, body: { predictions: [0.1, 0.9], deployedModelId: '1' } });
    const msg = message(body([{ plan: 'gold', tenure: 3 }, { tenure: 12, plan: 'basic' }]), 'customer-7');
    expect(await push(msg)).toEqual({ status: 200, json: { model: 'churn', messageId: (msg as any).messageId, scored: true } });
    expect(sent).toEqual([
      [3, 'gold'],
      [12, 'basic'],
    ]);
    expect(google.insertedRows).toEqual([
      {
        table: TABLE,
        insertId: (msg as any).messageId,
        json: {
          model: 'churn',
          message_id: (msg as any).messageId,
          ordering_key: 'customer-7',
          publish_time: '2026-11-27T18:29:59.000Z',
          scored_at: '2026-11-27T18:30:00.000Z',
          predictions: '[0.1,0.9]',
          error_code: null,
          error_message: null,
          error_field: null,
        },
      },
    ]);
    expect(google.requests.map((r) => r.path)).toEqual([`/v1/${ENDPOINT}:predict`, `/bigquery/v2/projects/ms-demo-dev/datasets/ms_dev_stream_churn/tables/predictions/insertAll`]);
  });

  test.each([
    ['not JSON', '{"instances": [', 'MalformedJson', undefined],
    ['a missing feature', body([{ tenure: 3 }]), 'SchemaMismatch', 'instances[0].plan'],
    ['too many instances', body([1, 2, 3, 4].map((tenure) => ({ tenure, plan: 'gold' }))), 'SchemaMismatch', 'instances'],
    ['no data', undefined, 'BadRequest', undefined],
  ])('a message with %s is written with its error and acknowledged, never retried or scored', async (_what, data, code, field) => {
    const result = await deliver(message(data));
    expect(result).toEqual({ attempts: 1, deadLettered: false, statuses: [200] });
    expect(google.requests.some((r) => r.path.includes(':predict'))).toBe(false);
    expect(google.insertedRows).toHaveLength(1);
    expect(google.insertedRows[0].json).toMatchObject({ predictions: null, error_code: code, error_field: field ?? null });
  });

  test('a failed endpoint call is negatively acknowledged with the API\'s code; the redelivery scores it, once', async () => {
    let calls = 0;
    google.predict = (instances) => (++calls <= 2 ? { status: 500, body: { error: { code: 500, status: 'INTERNAL', message: 'boom' } } } : { status: 200, body: { predictions: instances.map(() => 1) } });
    const result = await deliver(message(body([{ tenure: 1, plan: 'gold' }])));
    // The first delivery tries twice (both 500), the second succeeds.
    expect(result).toEqual({ attempts: 2, deadLettered: false, statuses: [502, 200] });
    expect(google.insertedRows.map((r) => r.json.predictions)).toEqual(['[1]']);
    expect(logs).toContainEqual(expect.objectContaining({ severity: 'WARNING', message: 'scoring failed; Pub/Sub will redeliver the message', code: 'ModelError', deliveryAttempt: 1 }));
  });

  test('a model that never answers ends in the dead-letter topic after maxDeliveryAttempts, with nothing written', async () => {
    google.predict = () => ({ status: 400, body: { error: { code: 400, status: 'FAILED_PRECONDITION', message: 'no deployed model' } } });
    const result = await deliver(message(body([{ tenure: 1, plan: 'gold' }])), 5);
    expect(result).toEqual({ attempts: 5, deadLettered: true, statuses: [503, 503, 503, 503, 503] });
    expect(google.insertedRows).toEqual([]);
  });

  test('a row BigQuery refuses is redelivered; the redelivery is written once (the message id is the insert id)', async () => {
    google.rejectRow = () => true;
    const msg = message(body([{ tenure: 1, plan: 'gold' }]));
    const first = await push(msg);
    expect(first).toEqual({ status: 503, json: { error: { code: 'UpstreamError', message: 'the result could not be written; retry later' } } });
    expect(logs).toContainEqual(expect.objectContaining({ severity: 'ERROR', message: 'result not written; Pub/Sub will redeliver the message' }));
    google.rejectRow = undefined;
    expect((await push(msg, 2)).status).toBe(200);
    expect((await push(msg, 3)).status).toBe(200); // a duplicate delivery: BigQuery drops the second row
    expect(google.insertedRows).toHaveLength(1);
  });

  test('what is not a Pub/Sub push gets a 4xx JSON error with a reason, never a 500 or a trace', async () => {
    const posted = await fetch(`${server.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [] }) });
    expect(posted.status).toBe(400);
    expect(await posted.json()).toEqual({ error: { code: 'BadRequest', message: 'body: expected a Pub/Sub push message ({ "message": { "data", "messageId" } })', field: 'body' } });
    const got = await fetch(`${server.url}/`);
    expect(got.status).toBe(405);
    expect(JSON.stringify(await got.json())).not.toMatch(/at .*\.ts/);
  });

  test('configuration errors name the variable', () => {
    expect(() => readGcpStreamingConfig({})).toThrow('RESULTS_TABLE must be set');
    expect(() => readGcpStreamingConfig({ [GCP_STREAMING_ENV.model]: 'churn', [GCP_STREAMING_ENV.endpointName]: ENDPOINT, [GCP_STREAMING_ENV.resultsTable]: 'predictions' })).toThrow(
      'RESULTS_TABLE=predictions: expected <project>.<dataset>.<table>',
    );
  });
});
