import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function json(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

/** SSM's JSON 1.1 protocol on 127.0.0.1, for `GetParameter` only: parameters by name, ParameterNotFound otherwise. */
export class FakeSsm {
  readonly parameters = new Map<string, string>();
  readonly requests: { target: string; body: any; authorization: string }[] = [];
  private readonly server = createServer((req, res) => void this.route(req, res));

  start(): Promise<string> {
    return listen(this.server);
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers['x-amz-target']);
    const body = JSON.parse((await readBody(req)) || '{}');
    this.requests.push({ target, body, authorization: String(req.headers.authorization) });
    const type = 'application/x-amz-json-1.1';
    if (target !== 'AmazonSSM.GetParameter') return json(res, 400, { __type: 'UnknownOperationException', message: target }, type);
    const value = this.parameters.get(body.Name);
    if (value === undefined) return json(res, 400, { __type: 'ParameterNotFound', message: '' }, type);
    json(res, 200, { Parameter: { Name: body.Name, Type: 'String', Value: value, Version: 1, DataType: 'text' } }, type);
  }
}

/**
 * The Google REST calls `modelstack preflight` makes, on 127.0.0.1: Service Usage `services.batchGet` and Cloud
 * Storage `buckets.get` / `objects.get` (metadata). Every call must carry `Bearer <token>`.
 */
export class FakeGooglePreflight {
  /** Enabled APIs per project. */
  readonly enabled = new Map<string, Set<string>>();
  readonly buckets = new Set<string>();
  /** `bucket/object` */
  readonly objects = new Set<string>();
  /** Answer Service Usage calls as Google does for a project whose Service Usage API is off. */
  serviceUsageDisabled = false;
  readonly requests: string[] = [];
  private readonly server = createServer((req, res) => void this.route(req, res));

  constructor(private readonly token: string) {}

  start(): Promise<string> {
    return listen(this.server);
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    await readBody(req);
    if (req.headers.authorization !== `Bearer ${this.token}`) return json(res, 401, { error: { code: 401, status: 'UNAUTHENTICATED', message: 'bad token' } });
    let m: RegExpExecArray | null;
    if ((m = /^\/v1\/projects\/([^/]+)\/services:batchGet$/.exec(url.pathname)) && req.method === 'GET') {
      const project = decodeURIComponent(m[1]);
      if (this.serviceUsageDisabled) {
        return json(res, 403, {
          error: {
            code: 403,
            status: 'PERMISSION_DENIED',
            message: `Service Usage API has not been used in project ${project} before or it is disabled.`,
            details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED' }],
          },
        });
      }
      const names = url.searchParams.getAll('names');
      if (names.length > 30) return json(res, 400, { error: { code: 400, status: 'INVALID_ARGUMENT', message: 'at most 30 names' } });
      const enabled = this.enabled.get(project) ?? new Set();
      return json(res, 200, { services: names.map((name) => ({ name, state: enabled.has(name.split('/').pop()!) ? 'ENABLED' : 'DISABLED' })) });
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(url.pathname)) && req.method === 'GET') {
      const bucket = decodeURIComponent(m[1]);
      return this.buckets.has(bucket) ? json(res, 200, { name: bucket }) : json(res, 404, { error: { code: 404, message: 'The specified bucket does not exist.' } });
    }
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname)) && req.method === 'GET') {
      const key = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
      return this.objects.has(key) ? json(res, 200, { name: decodeURIComponent(m[2]) }) : json(res, 404, { error: { code: 404, message: `No such object: ${key}` } });
    }
    json(res, 404, { error: { code: 404, message: `not faked: ${url.pathname}` } });
  }
}
