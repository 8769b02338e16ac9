import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A fault the next matching requests get: a status (with Google's JSON error), or no answer at all. */
export interface Fault {
  readonly match: RegExp;
  readonly kind: 429 | 500 | 503 | 'hang';
  /** How many matching requests get it. */
  times: number;
}

export interface LoggedRow {
  readonly requestId: string;
  readonly time: Date;
  readonly request: readonly string[];
  readonly response: readonly string[];
}

/**
 * The few Google REST endpoints the GCP functions call, on 127.0.0.1, with in-memory state: Cloud Storage JSON API
 * (list with pages of `listPageSize`, media download, metadata, media insert with `ifGenerationMatch=0`, delete),
 * BigQuery `jobs.query`/`getQueryResults` over `loggedRows` (the first answer is an unfinished job, so the client
 * polls), BigQuery `tabledata.insertAll` (rows kept in `insertedRows`, a repeated `insertId` dropped as BigQuery's
 * best-effort deduplication does), Pub/Sub publish, Monitoring `timeSeries.create`, Workflows executions and Vertex AI
 * predict.
 */
export class FakeGoogle {
  readonly objects = new Map<string, { body: Buffer; contentType: string }>();
  readonly published: { topic: string; data: any; attributes: Record<string, string> }[] = [];
  readonly timeSeries: any[] = [];
  readonly executions: { workflow: string; argument: any }[] = [];
  readonly requests: { method: string; path: string }[] = [];
  readonly faults: Fault[] = [];
  loggedRows: LoggedRow[] = [];
  /** Rows streamed in with insertAll, by table (`project.dataset.table`). */
  readonly insertedRows: { table: string; insertId?: string; json: any }[] = [];
  /** Rows it refuses with an `insertErrors` entry (HTTP 200), as BigQuery does for a row that does not fit the schema. */
  rejectRow?: (row: any) => boolean;
  listPageSize = 2;
  bigQueryPageRows?: number;
  /** Answers a predict call; default: one prediction (the first value) per instance. */
  predict: (instances: unknown[]) => { status: number; body: unknown } = (instances) => ({
    status: 200,
    body: { predictions: instances.map((i) => (Array.isArray(i) ? i[0] : 0)), deployedModelId: '1' },
  });
  /** Called for each new workflow execution (a test runs the fan-out there). */
  onExecution?: (argument: any) => Promise<void>;
  pendingExecutions: Promise<void>[] = [];
  private server?: Server;
  private jobs = new Map<string, { rows: LoggedRow[]; polled: boolean }>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  fail(match: RegExp, kind: Fault['kind'], times = 1): void {
    this.faults.push({ match, kind, times });
  }

  text(bucket: string, name: string): string | undefined {
    return this.objects.get(`${bucket}/${name}`)?.body.toString('utf8');
  }

  names(bucket: string, prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).map((k) => k.slice(bucket.length + 1)).sort();
  }

  putObject(bucket: string, name: string, body: string | Buffer, contentType = 'application/octet-stream'): void {
    this.objects.set(`${bucket}/${name}`, { body: Buffer.from(body), contentType });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    this.requests.push({ method: req.method ?? 'GET', path: `${path}${url.search}` });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const fault = this.faults.find((f) => f.times > 0 && f.match.test(`${req.method} ${path}`));
    if (fault) {
      fault.times--;
      if (fault.kind === 'hang') return; // the client's timeout must fire
      return json(res, fault.kind, { error: { code: fault.kind, status: fault.kind === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE', message: 'injected fault' } });
    }
    const json$ = () => JSON.parse(body.toString('utf8') || '{}');
    let m: RegExpExecArray | null;
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && req.method === 'GET') return this.list(res, decodeURIComponent(m[1]), url.searchParams);
    if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const key = `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`;
      const object = this.objects.get(key);
      if (req.method === 'DELETE') {
        if (!object) return json(res, 404, notFound(key));
        this.objects.delete(key);
        res.writeHead(204).end();
        return;
      }
      if (!object) return json(res, 404, notFound(key));
      if (url.searchParams.get('alt') === 'media') {
        res.writeHead(200, { 'content-type': object.contentType });
        res.end(object.body);
        return;
      }
      return json(res, 200, { name: m[2] });
    }
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && req.method === 'POST') {
      const key = `${decodeURIComponent(m[1])}/${url.searchParams.get('name')}`;
      if (url.searchParams.get('ifGenerationMatch') === '0' && this.objects.has(key)) {
        return json(res, 412, { error: { code: 412, status: 'FAILED_PRECONDITION', message: 'At least one of the pre-conditions you specified did not hold.' } });
      }
      this.objects.set(key, { body, contentType: String(req.headers['content-type']) });
      return json(res, 200, { name: url.searchParams.get('name'), generation: String(Date.now()) });
    }
    if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/queries(?:\/([^/]+))?$/.exec(path))) return this.query(res, req.method === 'POST' ? json$() : undefined, m[2], url.searchParams);
    if ((m = /^\/bigquery\/v2\/projects\/([^/]+)\/datasets\/([^/]+)\/tables\/([^/]+)\/insertAll$/.exec(path)) && req.method === 'POST') {
      const table = `${m[1]}.${m[2]}.${m[3]}`;
      const insertErrors: any[] = [];
      (json$().rows as { insertId?: string; json: any }[]).forEach((row, index) => {
        if (this.rejectRow?.(row.json)) return void insertErrors.push({ index, errors: [{ reason: 'invalid', message: 'no such field' }] });
        if (row.insertId && this.insertedRows.some((r) => r.table === table && r.insertId === row.insertId)) return;
        this.insertedRows.push({ table, insertId: row.insertId, json: row.json });
      });
      return json(res, 200, { kind: 'bigquery#tableDataInsertAllResponse', ...(insertErrors.length ? { insertErrors } : {}) });
    }
    if ((m = /^\/v1\/(projects\/[^/]+\/topics\/[^/:]+):publish$/.exec(path))) {
      const { messages } = json$();
      const ids = messages.map((msg: any) => {
        this.published.push({ topic: m![1], data: JSON.parse(Buffer.from(msg.data, 'base64').toString('utf8')), attributes: msg.attributes });
        return String(this.published.length);
      });
      return json(res, 200, { messageIds: ids });
    }
    if (/^\/v3\/projects\/[^/]+\/timeSeries$/.test(path)) {
      this.timeSeries.push(...json$().timeSeries);
      return json(res, 200, {});
    }
    if ((m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/workflows\/[^/]+)\/executions$/.exec(path))) {
      const argument = JSON.parse(json$().argument);
      this.executions.push({ workflow: m[1], argument });
      if (this.onExecution) this.pendingExecutions.push(this.onExecution(argument));
      return json(res, 200, { name: `${m[1]}/executions/exec-${this.executions.length}`, state: 'ACTIVE' });
    }
    if (/^\/v1\/projects\/[^/]+\/locations\/[^/]+\/endpoints\/\d+:predict$/.test(path)) {
      const answer = this.predict(json$().instances);
      return json(res, answer.status, answer.body);
    }
    json(res, 404, notFound(path));
  }

  private list(res: ServerResponse, bucket: string, params: URLSearchParams): void {
    const prefix = params.get('prefix') ?? '';
    const all = this.names(bucket, prefix);
    const start = Number(params.get('pageToken') ?? 0);
    const page = all.slice(start, start + this.listPageSize);
    const next = start + this.listPageSize < all.length ? String(start + this.listPageSize) : undefined;
    json(res, 200, { ...(page.length ? { items: page.map((name) => ({ name })) } : {}), ...(next ? { nextPageToken: next } : {}) });
  }

  private query(res: ServerResponse, body: any, jobId: string | undefined, params: URLSearchParams): void {
    if (body) {
      if (!/^SELECT request_id, logging_time, request_payload, response_payload FROM `[\w.-]+`/.test(body.query)) return json(res, 400, { error: { message: 'unexpected query' } });
      const value = (name: string) => new Date(body.queryParameters.find((p: any) => p.name === name).parameterValue.value).getTime();
      const rows = this.loggedRows.filter((r) => r.time.getTime() >= value('start') && r.time.getTime() < value('end'));
      const id = `job-${this.jobs.size + 1}`;
      this.jobs.set(id, { rows, polled: false });
      return json(res, 200, { jobComplete: false, jobReference: { projectId: 'p', jobId: id, location: body.location } });
    }
    const job = this.jobs.get(jobId ?? '');
    if (!job) return json(res, 404, notFound(jobId ?? ''));
    if (!job.polled) {
      job.polled = true;
      return json(res, 200, { jobComplete: false, jobReference: { jobId } });
    }
    const size = this.bigQueryPageRows ?? Number(params.get('maxResults'));
    const start = Number(params.get('pageToken') ?? 0);
    const rows = job.rows.slice(start, start + size).map((r) => ({
      f: [{ v: r.requestId }, { v: String(r.time.getTime() / 1000) }, { v: r.request.map((v) => ({ v })) }, { v: r.response.map((v) => ({ v })) }],
    }));
    const next = start + size < job.rows.length ? String(start + size) : undefined;
    json(res, 200, { jobComplete: true, jobReference: { jobId }, totalRows: String(job.rows.length), ...(rows.length ? { rows } : {}), ...(next ? { pageToken: next } : {}) });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function notFound(what: string) {
  return { error: { code: 404, status: 'NOT_FOUND', message: `No such object: ${what}` } };
}
