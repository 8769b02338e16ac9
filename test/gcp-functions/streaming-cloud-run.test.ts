import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metadataIdTokenProvider } from '../../cli/vertex-deploy/token';
import { cloudRunError, cloudRunPredictor } from '../../lambdas/inference/gcp/cloud-run';
import { googleHttp } from '../../lambdas/shared/gcp/google-http';
import { gcpLogger } from '../../lambdas/shared/gcp/log';
import { bigQueryResults } from '../../lambdas/streaming/gcp/bigquery-results';
import { GCP_STREAMING_ENV, readGcpStreamingConfig } from '../../lambdas/streaming/gcp/config';
import { createGcpStreamingHandler } from '../../lambdas/streaming/gcp/handler';
import { FakeGoogle } from '../helpers/gcp-fake-google';
import { serve } from './harness';

// The streaming function of a model served on Cloud Run (`gcp.servingOverride`): it calls the model server on the
// service's URL with an identity token, as the inference function does, and classifies failures the same way.
const SERVICE = 'projects/ms-demo-dev/locations/europe-west1/services/ms-dev-serve-churn';
const TABLE = 'ms-demo-dev.ms_dev_stream_churn.predictions';

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
let answer: (body: any) => { status: number; type: string; body: string };
const modelServer = (body: any) => ({ status: 200, type: 'application/json', body: JSON.stringify({ predictions: body.instances.map((r: unknown[]) => Number(r[0]) / 100) }) });
const received: { authorization?: string; path?: string; body: any }[] = [];
let google: FakeGoogle;
let cloudRun: { url: string; server: Server };
let metadata: { url: string; server: Server };
let fn: Awaited<ReturnType<typeof serve>>;
let config: ReturnType<typeof readGcpStreamingConfig>;

beforeAll(async () => {
  google = new FakeGoogle();
  const bigquery = await google.start();
  metadata = await listen((req, res) => {
    if (req.headers['metadata-flavor'] !== 'Google') return void res.writeHead(403).end('missing Metadata-Flavor');
    const audience = new URL(req.url!, 'http://m').searchParams.get('audience')!;
    res.writeHead(200, { 'content-type': 'text/html' }).end(jwt(audience, Math.floor(Date.now() / 1000) + 3600));
  });
  cloudRun = await listen((req, res, text) => {
    const body = JSON.parse(text);
    received.push({ authorization: req.headers.authorization, path: req.url, body });
    const a = answer(body);
    res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
  });
  // The variables the construct sets for a Cloud Run model.
  config = readGcpStreamingConfig({
    [GCP_STREAMING_ENV.model]: 'churn',
    [GCP_STREAMING_ENV.endpointName]: SERVICE,
    [GCP_STREAMING_ENV.cloudRunUrl]: cloudRun.url,
    [GCP_STREAMING_ENV.resultsTable]: TABLE,
    [GCP_STREAMING_ENV.features]: JSON.stringify([
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical' },
    ]),
    [GCP_STREAMING_ENV.upstreamTimeoutMs]: '500',
  });
  fn = await serve();
  fn.use(
    createGcpStreamingHandler({
      config,
      logger: gcpLogger({ model: 'churn' }, () => undefined),
      classify: cloudRunError,
      predict: cloudRunPredictor({
        url: config.cloudRunUrl!,
        idToken: metadataIdTokenProvider(config.cloudRunUrl!, { url: `${metadata.url}/computeMetadata/v1/instance/service-accounts/default/identity` }),
        timeoutMs: config.upstreamTimeoutMs,
        maxAttempts: 2,
        sleep: async () => undefined,
      }),
      write: bigQueryResults(googleHttp({ accessToken: async () => 'token', maxAttempts: 1, timeoutMs: 1000 }), TABLE, bigquery),
    }),
  );
});
afterAll(async () => {
  await fn.close();
  await google.stop();
  for (const s of [cloudRun.server, metadata.server]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});
beforeEach(() => {
  answer = modelServer;
  received.length = 0;
  google.insertedRows.length = 0;
});

let nextId = 1;
async function push(instances: unknown[]): Promise<{ status: number; json: any }> {
  const message = { messageId: `m${nextId++}`, publishTime: '2026-11-27T18:29:59.000Z', data: Buffer.from(JSON.stringify({ instances })).toString('base64') };
  const response = await fetch(`${fn.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, subscription: 'projects/ms-demo-dev/subscriptions/ms-dev-stream-churn' }) });
  return { status: response.status, json: await response.json() };
}

describe('GCP streaming function in front of a Cloud Run model service (loopback model server, metadata server and BigQuery)', () => {
  test('the message\'s rows go to <url>/predict with an identity token for the service; the predictions are streamed to BigQuery', async () => {
    const result = await push([{ tenure: 12, plan: 'gold' }, { plan: 'basic', tenure: 30 }]);
    expect(result).toEqual({ status: 200, json: { model: 'churn', messageId: expect.any(String), scored: true } });
    expect(received).toHaveLength(1);
    expect(received[0].path).toBe('/predict');
    expect(received[0].body).toEqual({ instances: [[12, 'gold'], [30, 'basic']] });
    const token = received[0].authorization!.replace(/^Bearer /, '');
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).aud).toBe(cloudRun.url);
    expect(google.insertedRows.map((r) => r.json.predictions)).toEqual(['[0.12,0.3]']);
    // No Vertex AI call: the Cloud Run service alone scores.
    expect(google.requests.some((r) => r.path.includes(':predict'))).toBe(false);
  });

  test('Cloud Run failures are classified as the inference function does: a status Pub/Sub redelivers, nothing written', async () => {
    const cases: [ReturnType<typeof answer>, number, string][] = [
      // The placeholder image Terraform creates the service with: no version deployed yet.
      [{ status: 200, type: 'text/html', body: '<html>Congratulations</html>' }, 503, 'ModelNotReady'],
      [{ status: 503, type: 'application/json', body: '{"status":"loading"}' }, 503, 'ModelNotReady'],
      [{ status: 429, type: 'text/plain', body: 'Rate exceeded.' }, 429, 'Throttled'],
      [{ status: 500, type: 'application/json', body: '{}' }, 502, 'ModelError'],
      // The function's account is not an invoker of the service.
      [{ status: 403, type: 'text/html', body: 'Forbidden' }, 502, 'UpstreamError'],
    ];
    for (const [upstream, status, code] of cases) {
      answer = () => upstream;
      const result = await push([{ tenure: 1, plan: 'gold' }]);
      expect({ upstream: upstream.status, status: result.status, code: result.json.error?.code }).toEqual({ upstream: upstream.status, status, code });
    }
    expect(google.insertedRows).toEqual([]);
  });

  test('without CLOUD_RUN_URL the function is on Vertex AI (no Cloud Run URL in its configuration)', () => {
    expect(readGcpStreamingConfig({ [GCP_STREAMING_ENV.model]: 'churn', [GCP_STREAMING_ENV.endpointName]: 'projects/p/locations/r/endpoints/1', [GCP_STREAMING_ENV.resultsTable]: TABLE, [GCP_STREAMING_ENV.features]: '[]' }).cloudRunUrl).toBeUndefined();
  });
});
