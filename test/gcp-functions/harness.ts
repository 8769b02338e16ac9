import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DriftCheckSpec } from '../../core/drift-job';
import { exportRequestLogs } from '../../lambdas/drift/gcp/bigquery-export';
import { endpointsAt, monitoringMetrics, pubsubEvents, workflowsLauncher } from '../../lambdas/drift/gcp/gcp-ports';
import { gcsStore } from '../../lambdas/drift/gcp/gcs-store';
import { googleHttp, type GoogleHttpOptions } from '../../lambdas/shared/gcp/google-http';
import { createGcpDriftHandler } from '../../lambdas/drift/gcp/handler';
import { gcpLogger } from '../../lambdas/shared/gcp/log';

export const BUCKETS = { artifacts: 'ms-dev-models-p', baselines: 'ms-dev-baselines-p', reports: 'ms-dev-reports-p' };
export const TOPIC = 'projects/p/topics/ms-dev-DriftDetected';
export const WORKFLOW = 'projects/p/locations/europe-west1/workflows/ms-dev-drift-churn';

/**
 * A function on a loopback port, as the Functions Framework would serve it. One server per test file, whose
 * handler a test swaps (`use`): a new server per test could reuse a port that fetch still holds a pooled
 * connection to.
 */
export async function serve(): Promise<{ url: string; use: (handler: Handler) => void; close: () => Promise<void> }> {
  let current: Handler = async (_req, res) => void res.writeHead(503).end();
  const server: Server = createServer((req, res) => void current(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    use: (handler) => {
      current = handler;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The drift function wired as its entry point wires it, with every Google API at `google`. */
export function driftFunction(google: string, spec: DriftCheckSpec, http: Partial<GoogleHttpOptions> = {}, options: { workflow?: boolean; exportRequestLog?: boolean } = {}) {
  const endpoints = endpointsAt(google);
  const logs: any[] = [];
  const send = googleHttp({ accessToken: async () => 'test-token', maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5, timeoutMs: 2000, ...http });
  const store = gcsStore(send, BUCKETS, endpoints.storage);
  const handler = createGcpDriftHandler(spec, {
    store,
    events: pubsubEvents(send, TOPIC, endpoints.pubsub),
    metrics: monitoringMetrics(send, { project: 'p', model: spec.model, environment: spec.environment, now: () => new Date('2026-11-23T15:20:00Z') }, endpoints.monitoring),
    launcher: options.workflow === false ? undefined : workflowsLauncher(send, WORKFLOW, endpoints.workflows),
    // Without a request log (a private endpoint), the inference function's captures are read as they are.
    exportWindow: options.exportRequestLog === false ? undefined : (window) =>
      exportRequestLogs(send, store, window, { table: 'ms-demo-dev.ms_dev_request_logs.request_response_churn', project: 'p', location: 'europe-west1', capturePrefix: spec.capturePrefix, pageRows: 50, baseUrl: endpoints.bigquery, waitMs: 10 }),
    logger: gcpLogger({ model: spec.model }, (line) => void logs.push(JSON.parse(line))),
  });
  return { handler, store, logs };
}

/** POSTs `body` to a function and returns its status and JSON answer. */
export async function call(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}
