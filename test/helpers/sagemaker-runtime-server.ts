import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake endpoint does with one request. */
export type Behaviour =
  | { kind: 'ok'; contentType?: string; body?: (csv: string) => string; delayMs?: number }
  | { kind: 'throttle' }
  | { kind: 'modelError'; originalStatus?: number }
  | { kind: 'notReady' }
  | { kind: 'hang' };

export interface InvocationRecord {
  readonly endpoint: string;
  readonly contentType?: string;
  readonly body: string;
  /**
   * The `X-Amzn-SageMaker-Inference-Id` header (InvokeEndpoint's InferenceId).
   * @default - absent when the caller sent none
   */
  readonly inferenceId?: string;
}

/**
 * A loopback server speaking the SageMaker runtime wire protocol (REST-JSON: `POST /endpoints/{name}/invocations`,
 * errors named by the `x-amzn-errortype` header) for the SDK, pointed at it with AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME.
 * By default it answers one CSV prediction per input line: the sum of the numeric cells.
 */
export class FakeSageMakerRuntime {
  readonly invocations: InvocationRecord[] = [];
  /** Decides each request's fate; replace it per test. */
  behave: (n: number) => Behaviour = () => ({ kind: 'ok' });
  /** Keep `invocations` (tests) or only count them (benchmarks). */
  record = true;
  count = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return send(res, 404, 'UnknownOperationException', { message: 'not found' });
      const body = Buffer.concat(chunks).toString('utf8');
      const n = this.count++;
      const inferenceId = req.headers['x-amzn-sagemaker-inference-id'] as string | undefined;
      if (this.record) this.invocations.push({ endpoint: decodeURIComponent(match[1]), contentType: req.headers['content-type'], body, ...(inferenceId ? { inferenceId } : {}) });
      const behaviour = this.behave(n);
      switch (behaviour.kind) {
        case 'throttle':
          return send(res, 429, 'ThrottlingException', { message: 'Rate exceeded' });
        case 'modelError':
          return send(res, 424, 'ModelError', {
            message: 'Received server error from primary with message "boom"',
            OriginalStatusCode: behaviour.originalStatus ?? 500,
            OriginalMessage: 'boom',
          });
        case 'notReady':
          return send(res, 429, 'ModelNotReadyException', { message: 'Model is not ready' });
        case 'hang':
          return; // never answers: the client's timeout must fire
        case 'ok': {
          const answer = () => {
            res.writeHead(200, { 'content-type': behaviour.contentType ?? 'text/csv', 'x-amzn-invoked-production-variant': 'AllTraffic' });
            res.end(behaviour.body ? behaviour.body(body) : sumPerLine(body));
          };
          if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
          else answer();
        }
      }
    });
  }
}

function send(res: ServerResponse, status: number, type: string, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': 'test' });
  res.end(JSON.stringify(body));
}

function sumPerLine(csv: string): string {
  return csv
    .split('\n')
    .map((line) => line.split(',').reduce((sum, cell) => sum + (Number.isFinite(Number(cell)) ? Number(cell) : 0), 0))
    .join('\n');
}

/** Environment for an SDK client in a test: loopback endpoint, fixed region, dummy credentials. */
export function sdkTestEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
}
