import type { InferenceConfig } from '../../lambdas/inference/config';
import { createGcpInferenceHandler } from '../../lambdas/inference/gcp/handler';
import { vertexError, vertexPredictor } from '../../lambdas/inference/gcp/vertex';
import { GoogleApiError } from '../../lambdas/shared/gcp/google-http';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { serve } from './harness';

const ENDPOINT = 'projects/ms-demo-dev/locations/europe-west1/endpoints/1234567890';
const CONFIG: InferenceConfig = {
  model: 'churn',
  endpointName: ENDPOINT,
  features: [
    { name: 'tenure', type: 'numeric' },
    { name: 'charges', type: 'numeric' },
    { name: 'contract', type: 'categorical' },
  ],
  knownModels: ['churn', 'sales-forecast'],
  maxBodyBytes: 4096,
  maxInstances: 10,
  upstreamTimeoutMs: 300,
  upstreamMaxAttempts: 3,
};

let google: FakeGoogle;
let base: string;
let server: Awaited<ReturnType<typeof serve>>;
const logs: any[] = [];

function use(config: Partial<InferenceConfig> = {}) {
  const full = { ...CONFIG, ...config };
  server.use(
    createGcpInferenceHandler({
      config: full,
      logger: gcpLogger({ model: full.model }, (line) => void logs.push(JSON.parse(line))),
      predict: full.endpointName
        ? vertexPredictor({ endpoint: full.endpointName, accessToken: async () => 'token', timeoutMs: full.upstreamTimeoutMs, maxAttempts: full.upstreamMaxAttempts, baseUrl: base, sleep: async () => undefined })
        : undefined,
    }),
  );
}

async function predict(body: string | undefined, path = '/models/churn/predict', method = 'POST') {
  const response = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'text/plain' }, body });
  return { status: response.status, type: response.headers.get('content-type'), json: (await response.json()) as any };
}

const instances = (n: number) => JSON.stringify({ instances: Array.from({ length: n }, (_, i) => ({ tenure: i + 1, charges: 20.5, contract: 'monthly' })) });

beforeAll(async () => {
  google = new FakeGoogle();
  base = await google.start();
  server = await serve();
});
afterAll(async () => {
  await server.close();
  await google.stop();
});
beforeEach(() => {
  google.faults.length = 0;
  google.requests.length = 0;
  logs.length = 0;
  use();
});

describe('GCP inference function (Vertex AI predict on a loopback server)', () => {
  test('validated rows go to the endpoint as instances in feature order; predictions come back as on AWS', async () => {
    let sent: unknown[] = [];
    google.predict = (rows) => ((sent = rows), { status: 200, body: { predictions: rows.map(() => 0.25), deployedModelId: '42' } });
    expect(await predict(instances(3))).toEqual({ status: 200, type: 'application/json', json: { model: 'churn', predictions: [0.25, 0.25, 0.25] } });
    expect(sent).toEqual([
      [1, 20.5, 'monthly'],
      [2, 20.5, 'monthly'],
      [3, 20.5, 'monthly'],
    ]);
    expect(google.requests).toEqual([{ method: 'POST', path: `/v1/${ENDPOINT}:predict` }]);
    expect(logs).toEqual([expect.objectContaining({ severity: 'INFO', message: 'prediction', model: 'churn', status: 200, instances: 3 })]);
  });

  test('validation errors use the shared codes and name the field', async () => {
    expect(await predict('{"instances": [{"tenure": "x", "charges": 1, "contract": "a"}]}')).toMatchObject({
      status: 422,
      json: { error: { code: 'SchemaMismatch', field: 'instances[0].tenure', message: 'instances[0].tenure: expected number, got string' } },
    });
    expect((await predict('{nope')).json.error.code).toBe('MalformedJson');
    expect((await predict(undefined)).json.error.code).toBe('BadRequest');
    expect(await predict(`{"instances": [], "pad": "${'x'.repeat(5000)}"}`)).toMatchObject({ status: 413, json: { error: { code: 'PayloadTooLarge' } } });
    expect(await predict(instances(1), '/models/sales/predict')).toMatchObject({ status: 404, json: { error: { code: 'UnknownModel', message: 'unknown model "sales": expected one of churn, sales-forecast', field: 'model' } } });
    expect(await predict(instances(1), '/other')).toMatchObject({ status: 404, json: { error: { code: 'BadRequest', field: 'path' } } });
    expect(await predict(undefined, '/models/churn/predict', 'GET')).toMatchObject({ status: 405, json: { error: { code: 'BadRequest', message: 'method GET: expected POST' } } });
    expect(google.requests).toEqual([]);
  });

  test('429 and 503 are retried within the bound; a throttle that persists is 429 Throttled', async () => {
    google.predict = (rows) => ({ status: 200, body: { predictions: rows.map(() => 1) } });
    google.fail(/:predict$/, 429, 1);
    google.fail(/:predict$/, 503, 1);
    expect((await predict(instances(2))).status).toBe(200);
    expect(google.requests).toHaveLength(3);

    google.fail(/:predict$/, 429, 3);
    expect(await predict(instances(1))).toMatchObject({ status: 429, json: { error: { code: 'Throttled' } } });
    expect(google.requests).toHaveLength(6);
  });

  test('model failures are 502, an endpoint without a deployed model 503, a timeout 504 (not retried)', async () => {
    google.predict = () => ({ status: 500, body: { error: { code: 500, status: 'INTERNAL', message: 'model crashed' } } });
    expect(await predict(instances(1))).toMatchObject({ status: 502, json: { error: { code: 'ModelError', message: 'the model failed to answer (status 500)' } } });
    google.predict = () => ({ status: 400, body: { error: { code: 400, status: 'FAILED_PRECONDITION', message: 'no deployed model' } } });
    expect(await predict(instances(1))).toMatchObject({ status: 503, json: { error: { code: 'ModelNotReady' } } });
    google.predict = () => ({ status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED', message: 'denied' } } });
    expect(await predict(instances(1))).toMatchObject({ status: 502, json: { error: { code: 'UpstreamError' } } });
    google.predict = (rows) => ({ status: 200, body: { predictions: rows.slice(1) } });
    expect(await predict(instances(2))).toMatchObject({ status: 502, json: { error: { code: 'ModelError', message: 'the model returned 1 predictions for 2 instances' } } });

    google.requests.length = 0;
    google.fail(/:predict$/, 'hang', 1);
    expect(await predict(instances(1))).toMatchObject({ status: 504, json: { error: { code: 'UpstreamTimeout' } } });
    expect(google.requests).toHaveLength(1);
    expect(logs.find((l) => l.message === 'upstream call failed' && l.code === 'UpstreamTimeout')).toMatchObject({ severity: 'ERROR' });
  });

  test('a function without an endpoint answers 404 for every model; unknown failures are 500 without details', async () => {
    use({ model: undefined, endpointName: undefined });
    expect((await predict(instances(1))).json.error.code).toBe('UnknownModel');
    expect(vertexError(new TypeError('boom'))).toEqual({ status: 500, code: 'InternalError', message: 'internal error' });
    expect(vertexError(new GoogleApiError('x', undefined, 'ECONNREFUSED'))).toMatchObject({ status: 502, code: 'UpstreamError' });
    expect(vertexError(Object.assign(new (class extends Error {})(), {}))).toMatchObject({ status: 500 });
    expect(() => vertexPredictor({ endpoint: 'endpoints/1', accessToken: async () => 't', timeoutMs: 1, maxAttempts: 1 })).toThrow(
      'endpoint "endpoints/1": expected projects/<project>/locations/<region>/endpoints/<numeric id>',
    );
  });
});
