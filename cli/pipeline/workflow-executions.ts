// A model's training workflow on Google Cloud (Cloud Workflows), through the Workflow Executions REST API v1
// (https://cloud.google.com/workflows/docs/reference/executions/rest): executions.create, get and list.
import { type TrainingWorkflowResult, trainingWorkflowName } from '../../constructs/gcp/training-contract';
import { gcpEnvironment } from '../../infra/config/clouds';
import type { PlatformConfig } from '../../infra/config/schema';
import { type AccessTokenProvider, VertexApiError, VertexClient } from '../vertex-deploy/client';
import { CloudCallError, type ExecutionSummary, type ExecutionView, type PipelineExecutions } from './cloud';

/** The Workflow Executions API's host. */
export const WORKFLOW_EXECUTIONS_API = 'https://workflowexecutions.googleapis.com';

/** The workflow's resource name, in the environment's project and region. */
export function trainingWorkflowPath(config: PlatformConfig, envName: string, model: string): string {
  const { project, region } = gcpEnvironment(config, envName).gcp;
  return `projects/${project}/locations/${region}/workflows/${trainingWorkflowName(`${config.platform.name}-${envName}`, model)}`;
}

/** google.cloud.workflows.executions.v1.Execution, the fields read here. */
interface Execution {
  readonly name: string;
  readonly state?: string;
  readonly startTime?: string;
  readonly result?: string;
  readonly error?: { readonly payload?: string; readonly context?: string };
}

/** States of an execution that has not ended: QUEUED is an execution backlogged over the concurrency quota. */
const RUNNING = new Set(['ACTIVE', 'QUEUED']);

export interface WorkflowExecutionsOptions {
  readonly config: PlatformConfig;
  readonly environment: string;
  readonly model: string;
  readonly accessToken: AccessTokenProvider;
  /** Default WORKFLOW_EXECUTIONS_API. */
  readonly baseUrl?: string;
  /** Passed to the client (tests shorten the backoff of retried 429/503 answers). */
  readonly initialBackoffMs?: number;
}

/** A model's training workflow in one environment. */
export function workflowExecutions(options: WorkflowExecutionsOptions): PipelineExecutions {
  const { config, environment, model } = options;
  const workflow = trainingWorkflowPath(config, environment, model);
  const client = new VertexClient({
    region: gcpEnvironment(config, environment).gcp.region,
    baseUrl: options.baseUrl ?? WORKFLOW_EXECUTIONS_API,
    service: 'Workflows',
    accessToken: options.accessToken,
    initialBackoffMs: options.initialBackoffMs,
  });
  const call = async <T>(what: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    try {
      return await client.call<T>(what, method, path, body);
    } catch (err) {
      // VertexApiError names the call, the path, the status and Google's reason (PERMISSION_DENIED: ...).
      const notFound = err instanceof VertexApiError && err.status === 404 ? ': is the environment\'s Google Cloud stack deployed with the model\'s training workflow?' : '';
      if (err instanceof VertexApiError || (err as Error).message.startsWith('access token')) throw new CloudCallError(`${(err as Error).message}${notFound}`);
      throw err;
    }
  };
  const listed = async (query: string): Promise<ExecutionSummary[]> => {
    const page = await call<{ executions?: Execution[] }>('executions.list', 'GET', `${workflow}/executions?${query}`);
    return (page.executions ?? []).map((e) => ({ id: idOf(e.name), state: String(e.state), startedAt: e.startTime }));
  };
  return {
    target: `workflow ${workflow}`,
    // executions.list: newest first (descending createTime by default); the BASIC view holds name, state and times,
    // not the argument or result (https://cloud.google.com/workflows/docs/reference/executions/rest/v1/ExecutionView).
    list: (max) => listed(`view=BASIC&pageSize=${Math.min(1000, max)}`),
    async running() {
      // One equality per filter (AIP-160), as executions.list's reference writes its example: state="SUCCEEDED".
      // QUEUED: "placed in the backlog for processing at a later time" (Execution.State), so it will run.
      for (const state of RUNNING) {
        const found = await listed(`view=BASIC&pageSize=1&filter=${encodeURIComponent(`state="${state}"`)}`);
        if (found.length > 0) return found[0];
      }
      return undefined;
    },
    async start() {
      // `argument` is the workflow's input as a JSON string (at most 32 KB). executions.create has no request id,
      // so the client retries only the answers that mean Google did nothing (429, 503).
      const created = await call<Execution>('executions.create', 'POST', `${workflow}/executions`, { argument: JSON.stringify({ reason: 'manual', model }) });
      return idOf(created.name);
    },
    async describe(id) {
      const execution = await call<Execution>('executions.get', 'GET', `${workflow}/executions/${idOf(id)}`);
      return viewOf(execution);
    },
  };
}

/** The execution id at the end of its name (`.../executions/<id>`); an id stays as it is. */
function idOf(nameOrId: string): string {
  return nameOrId.split('/').at(-1)!;
}

/** What an execution means for the model: its state, and once it succeeded, the workflow's result. */
function viewOf(execution: Execution): ExecutionView {
  const state = String(execution.state);
  const base = { id: idOf(execution.name), state, startedAt: execution.startTime };
  if (RUNNING.has(state)) return { ...base, phase: 'running', details: [] };
  if (state !== 'SUCCEEDED') {
    // FAILED or CANCELLED carry `error` (payload: the error the workflow raised, often JSON; context: where).
    const reason = [execution.error?.payload, execution.error?.context].filter(Boolean).join(' at ') || `state ${state}`;
    return { ...base, phase: 'failed', reason, details: [] };
  }
  const result = parseResult(execution.result);
  if (typeof result === 'string') return { ...base, phase: 'failed', reason: result, details: [`result: ${execution.result ?? '(none)'}`] };
  const details = [`result: ${result.status}`, ...(result.metrics ? [`metrics: ${Object.entries(result.metrics).map(([k, v]) => `${k}=${v}`).join(', ')}`] : [])];
  if (result.status === 'registered') return { ...base, phase: 'registered', version: result.version, reason: result.reason, details };
  return { ...base, phase: 'notRegistered', reason: `${result.status}: ${result.reason ?? 'no reason given'}`, details };
}

/** The workflow's result, or why it is not one. */
function parseResult(text: string | undefined): TrainingWorkflowResult | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    return `the workflow succeeded without a JSON result: expected {"status": "registered" | "rejected" | "skipped", ...}`;
  }
  const status = (parsed as { status?: unknown } | null)?.status;
  if (status !== 'registered' && status !== 'rejected' && status !== 'skipped') {
    return `the workflow's result has status ${JSON.stringify(status)}: expected "registered", "rejected" or "skipped"`;
  }
  return parsed as TrainingWorkflowResult;
}
