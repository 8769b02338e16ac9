import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metadataIdTokenProvider } from '../../cli/vertex-deploy/token';
import { CaptureWriter } from '../../core/capture';
import { cloudRunError, cloudRunPredictor } from '../../lambdas/inference/gcp/cloud-run';
import { createGcpInferenceHandler } from '../../lambdas/inference/gcp/handler';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { call, serve } from './harness';

const FEATURES = [
  { name: 'tenure', type: 'numeric' },
  { name: 'contract', type: 'categorical' },
] as const;
const SERVICE = 'projects/ms-demo-dev/locations/europe-west1/services/ms-dev-serve-churn';

/** A signed-looking JWT whose payload carries `aud` and `exp` (the function only reads `exp`). */
const jwt = (aud: string, exp: number) => ['eyJhbGciOiJSUzI1NiJ9', Buffer.from(JSON.stringify({ aud, exp })).toString('base64url'), 'c2lnbmF0dXJl'].join('.');

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the model's Cloud Run service answers next: the model server's JSON by default. */
let answer: (body: any) => { status: number; type: string; body: string; delayMs?: number };
const modelServerAnswer = (body: any) => ({ status: 200, type: 'application/json', body: JSON.stringify({ predictions: body.instances.map((r: unknown[]) => Number(r[0]) / 100) }) });
const received: { authorization?: string; path?: string; body: any }[] = [];
const identityRequests: string[] = [];
let cloudRun: { url: string; server: Server };
let metadata: { url: string; server: Server };
let fn: Awaited<ReturnType<typeof serve>>;
const logs: any[] = [];
const captured: string[] = [];

beforeAll(async () => {
  metadata = await listen((req, res) => {
    // The metadata server refuses requests without Metadata-Flavor: Google.
    if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end('missing Metadata-Flavor');
    identityRequests.push(req.url!);
    const audience = new URL(req.url!, 'http://m').searchParams.get('audience')!;
    res.writeHead(200, { 'content-type': 'text/html' }).end(jwt(audience, Math.floor(Date.now() / 1000) + 3600));
  });
  cloudRun = await listen((req, res, text) => {
    const body = JSON.parse(text);
    received.push({ authorization: req.headers.authorization, path: req.url, body });
    const a = answer(body);
    setTimeout(() => res.writeHead(a.status, { 'content-type': a.type }).end(a.body), a.delayMs ?? 0);
  });
  fn = await serve();
  fn.use(
    createGcpInferenceHandler({
      config: { model: 'churn', endpointName: SERVICE, features: FEATURES, knownModels: ['churn'], maxBodyBytes: 4096, maxInstances: 10, upstreamTimeoutMs: 300, upstreamMaxAttempts: 2 },
      logger: gcpLogger({ model: 'churn' }, (line) => void logs.push(JSON.parse(line))),
      classify: cloudRunError,
      predict: cloudRunPredictor({
        url: cloudRun.url,
        idToken: metadataIdTokenProvider(cloudRun.url, { url: `${metadata.url}/computeMetadata/v1/instance/service-accounts/default/identity` }),
        timeoutMs: 300,
        maxAttempts: 2,
        sleep: async () => undefined,
      }),
      capture: { writer: new CaptureWriter({ prefix: 'data-capture/churn/ms-dev-serve-churn/AllTraffic/', samplingPercentage: 100, maxRecords: 1, store: { put: async (key, body) => void captured.push(`${key}\n${body}`) } }), flushWaitMs: 1000 },
    }),
  );
});
afterAll(async () => {
  await fn.close();
  for (const s of [cloudRun.server, metadata.server]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
beforeEach(() => {
  answer = modelServerAnswer;
  received.length = 0;
  logs.length = 0;
  captured.length = 0;
});

const predict = (instances: unknown[]) => call(`${fn.url}/models/churn/predict`, { instances });

describe('GCP inference function in front of a Cloud Run model service', () => {
  test('validated rows go to <url>/predict as {"instances"} with an identity token for the service; the answer and the capture are the API\'s', async () => {
    const first = await predict([{ tenure: 12, contract: 'monthly' }, { tenure: 30, contract: 'yearly' }]);
    // Captured at the API, a request gets an inference id, as on AWS.
    expect(first).toEqual({ status: 200, json: { model: 'churn', predictions: [0.12, 0.3], inferenceId: expect.stringMatching(/^[0-9a-f-]{36}$/) } });
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe('/predict');
    expect(received[0].body).toEqual({ instances: [[12, 'monthly'], [30, 'yearly']] });
    const token = received[0].authorization!.replace(/^Bearer /, '');
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).aud).toBe(cloudRun.url);
    expect(identityRequests[0]).toBe(`/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent(cloudRun.url)}`);
    // The token is cached until shortly before it expires: one metadata request for many predictions.
    await predict([{ tenure: 1, contract: 'monthly' }]);
    expect(identityRequests).toHaveLength(1);
    // Captured at the API, as for a VPC-peered Vertex AI endpoint, into the service's capture folder.
    expect(captured[0].split('\n')[0]).toMatch(/^data-capture\/churn\/ms-dev-serve-churn\/AllTraffic\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
    const record = JSON.parse(captured[0].split('\n')[1]);
    expect(record.captureData.endpointInput.data).toBe(JSON.stringify({ instances: [[12, 'monthly'], [30, 'yearly']] }));
    expect(record.captureData.endpointOutput.data).toBe(JSON.stringify({ predictions: [0.12, 0.3] }));
    expect(record.eventMetadata.inferenceId).toBe(first.json.inferenceId);
  });

  test('a request the schema rejects never reaches the service', async () => {
    const bad = await predict([{ tenure: 'lots', contract: 'monthly' }]);
    expect(bad.status).toBe(422);
    expect(bad.json.error.field).toBe('instances[0].tenure');
    expect(received).toHaveLength(0);
  });

  test('upstream failures map to the API\'s codes, never a 500', async () => {
    const cases: [ReturnType<typeof answer>, number, string][] = [
      // The placeholder image Terraform creates the service with answers HTML: no version is deployed yet.
      [{ status: 200, type: 'text/html; charset=utf-8', body: '<html>Congratulations</html>' }, 503, 'ModelNotReady'],
      // The model server answers 503 while its model loads (retried once, then reported).
      [{ status: 503, type: 'application/json', body: '{"status":"loading"}' }, 503, 'ModelNotReady'],
      [{ status: 429, type: 'text/plain', body: 'Rate exceeded.' }, 429, 'Throttled'],
      [{ status: 422, type: 'application/json', body: '{"error":{"code":"BadRequest","message":"row 1"}}' }, 502, 'ModelError'],
      [{ status: 500, type: 'application/json', body: '{"error":{}}' }, 502, 'ModelError'],
      // The function's account is not an invoker of the service.
      [{ status: 403, type: 'text/html', body: 'Forbidden' }, 502, 'UpstreamError'],
      [{ status: 200, type: 'application/json', body: '{"predictions":[1]}', delayMs: 800 }, 504, 'UpstreamTimeout'],
    ];
    for (const [upstream, status, code] of cases) {
      answer = () => upstream;
      const result = await predict([{ tenure: 1, contract: 'monthly' }]);
      expect({ upstream: upstream.status, status: result.status, code: result.json.error?.code }).toEqual({ upstream: upstream.status, status, code });
    }
  });
});
