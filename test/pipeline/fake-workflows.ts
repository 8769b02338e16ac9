import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from '../helpers/loopback-server';

/** How the next created execution goes: ACTIVE for `gets` executions.get calls, then `state` with its result or error. */
export interface WorkflowOutcome {
  readonly gets: number;
  readonly state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  /** The workflow's return value (sent as a JSON string, as the API does). */
  readonly result?: unknown;
  readonly error?: { payload: string; context?: string };
}

export interface FakeWorkflowExecution {
  readonly workflow: string;
  readonly id: string;
  /** The argument as sent: a JSON string. */
  readonly argument: string;
  readonly startTime: string;
  state: string;
  gets: number;
  readonly outcome: WorkflowOutcome;
}

/**
 * The Workflow Executions REST API v1 on 127.0.0.1 (https://cloud.google.com/workflows/docs/reference/executions/rest):
 * executions.create (`argument` must be a JSON string), executions.get (the result as a JSON string once SUCCEEDED,
 * `error` once FAILED), executions.list (newest first, `filter=state="..."`, `pageSize`, the BASIC view without result
 * or argument). Requests need `Authorization: Bearer <token>`; a denied workflow answers 403 PERMISSION_DENIED; an
 * unknown workflow 404 NOT_FOUND. It also answers as the metadata server's token endpoint, with that token.
 */
export class FakeWorkflows extends LoopbackServer {
  readonly requests: Array<{ method: string; path: string; query: string }> = [];
  readonly executions: FakeWorkflowExecution[] = [];
  /** Workflows the caller may not execute (403). */
  readonly denied = new Set<string>();
  nextOutcome: WorkflowOutcome = { gets: 1, state: 'SUCCEEDED', result: { status: 'registered', version: '1', reason: 'first version' } };
  private readonly workflows = new Set<string>();

  constructor(private readonly token = 'test-token') {
    super();
  }

  /** A deployed workflow: `projects/<p>/locations/<l>/workflows/<name>`. */
  addWorkflow(path: string): void {
    this.workflows.add(path);
  }

  /** An execution started by someone else (the scheduler), in `state`. */
  addExecution(workflow: string, state: string, outcome: WorkflowOutcome = { gets: 0, state: 'SUCCEEDED', result: { status: 'skipped', reason: 'x' } }): FakeWorkflowExecution {
    const execution = { workflow, id: `sched-${this.executions.length + 1}`, argument: '{"reason":"schedule"}', startTime: new Date(1_800_000_000_000 + this.executions.length * 60_000).toISOString(), state, gets: 0, outcome };
    this.executions.push(execution);
    return execution;
  }


  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The metadata server too (GCE_METADATA_HOST pointing here), for a CLI run with Application Default Credentials:
    // Google's auth library checks that it answers (GET .../instance), with Metadata-Flavor: Google both ways.
    if (req.method === 'GET' && req.url?.startsWith('/computeMetadata/v1/instance')) {
      const ok = req.headers['metadata-flavor'] === 'Google';
      const token = req.url.split('?')[0] === '/computeMetadata/v1/instance/service-accounts/default/token';
      res.writeHead(ok ? 200 : 403, { 'content-type': 'application/json', 'metadata-flavor': 'Google' });
      res.end(JSON.stringify(ok && token ? { access_token: this.token, expires_in: 3599, token_type: 'Bearer' } : {}));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://fake');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const error = (code: number, status: string, message: string) => json(code, { error: { code, status, message } });
    if (req.headers.authorization !== `Bearer ${this.token}`) return error(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.');
    const m = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/workflows\/[^/]+)\/executions(?:\/([^/]+))?$/.exec(url.pathname);
    if (!m) return error(404, 'NOT_FOUND', `no route ${url.pathname}`);
    const [, workflow, id] = m;
    if (this.denied.has(workflow)) {
      return error(403, 'PERMISSION_DENIED', `Permission 'workflows.executions.${req.method === 'POST' ? 'create' : id ? 'get' : 'list'}' denied on resource '${workflow}' (or it may not exist).`);
    }
    if (!this.workflows.has(workflow)) return error(404, 'NOT_FOUND', `Resource '${workflow}' was not found`);
    const full = (e: FakeWorkflowExecution) => ({
      name: `${e.workflow}/executions/${e.id}`,
      state: e.state,
      startTime: e.startTime,
      argument: e.argument,
      ...(e.state === 'SUCCEEDED' ? { result: JSON.stringify(e.outcome.result) } : {}),
      ...(e.state === 'FAILED' || e.state === 'CANCELLED' ? { error: e.outcome.error } : {}),
    });
    if (req.method === 'POST' && !id) {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      if (typeof body.argument !== 'string') return error(400, 'INVALID_ARGUMENT', 'Invalid value at \'execution.argument\': expected a JSON string');
      try {
        JSON.parse(body.argument);
      } catch {
        return error(400, 'INVALID_ARGUMENT', 'argument is not valid JSON');
      }
      const execution: FakeWorkflowExecution = {
        workflow,
        id: `exec-${this.executions.length + 1}`,
        argument: body.argument,
        startTime: new Date(1_800_000_000_000 + this.executions.length * 60_000).toISOString(),
        state: 'ACTIVE',
        gets: 0,
        outcome: this.nextOutcome,
      };
      this.executions.push(execution);
      return json(200, full(execution));
    }
    if (req.method === 'GET' && id) {
      const execution = this.executions.find((e) => e.workflow === workflow && e.id === id);
      if (!execution) return error(404, 'NOT_FOUND', `Resource '${workflow}/executions/${id}' was not found`);
      execution.gets++;
      if (execution.state === 'ACTIVE' && execution.gets > execution.outcome.gets) execution.state = execution.outcome.state;
      return json(200, full(execution));
    }
    if (req.method === 'GET') {
      const filter = url.searchParams.get('filter');
      const state = filter === null ? undefined : /^state="([A-Z_]+)"$/.exec(filter)?.[1];
      if (filter !== null && !state) return error(400, 'INVALID_ARGUMENT', `unsupported filter ${filter}`);
      const found = this.executions
        .filter((e) => e.workflow === workflow && (!state || e.state === state))
        .reverse()
        .slice(0, Number(url.searchParams.get('pageSize') ?? 100));
      const view = url.searchParams.get('view') ?? 'BASIC';
      return json(200, found.length ? { executions: found.map((e) => (view === 'FULL' ? full(e) : { name: `${e.workflow}/executions/${e.id}`, state: e.state, startTime: e.startTime })) } : {});
    }
    return error(405, 'METHOD_NOT_ALLOWED', req.method ?? '');
  }
}
