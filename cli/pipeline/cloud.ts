// `modelstack pipeline run|status` against a deployed pipeline: what both clouds' clients share (the view of an
// execution, the exit codes, following an execution until it ends). sagemaker-executions.ts and
// workflow-executions.ts speak each cloud's API.

/**
 * The exit codes of `pipeline run` and `pipeline status` (docs/training.md). 2, a usage error (bad flags, an invalid
 * config), is the CLI's own.
 */
export const PIPELINE_EXIT = {
  /** Started (without --wait), shown (status), or ended with a registered version. */
  ok: 0,
  /** Ended without registering: the gate refused the candidate (worse than the current version, or below the floor), or the run was skipped. */
  notRegistered: 1,
  /** Ended in error (failed, stopped, cancelled), or a cloud API call failed (permissions, not deployed, no credentials). */
  failed: 3,
  /** Not started: an execution of the model's pipeline is still running (at most one per model). */
  alreadyRunning: 4,
} as const;

/** Where an execution is: still running, or how it ended. */
export type ExecutionPhase = 'running' | 'registered' | 'notRegistered' | 'failed';

/** An execution as both clouds describe it to the user. */
export interface ExecutionView {
  /** What `status --execution` takes: the SageMaker execution ARN, the Workflows execution id. */
  readonly id: string;
  /** The cloud's own state (`Executing`, `Succeeded`; `ACTIVE`, `SUCCEEDED`). */
  readonly state: string;
  readonly phase: ExecutionPhase;
  readonly startedAt?: string;
  /** The registered version, once known. */
  readonly version?: string;
  /** Why it did not register, or why it failed. */
  readonly reason?: string;
  /** Details, one per line: steps with their status and failure reason, the workflow's result. */
  readonly details: readonly string[];
}

/** One line of `status`'s listing. */
export interface ExecutionSummary {
  readonly id: string;
  readonly state: string;
  readonly startedAt?: string;
  readonly note?: string;
}

/** A model's deployed pipeline in one environment, on one cloud. */
export interface PipelineExecutions {
  /** The pipeline's (workflow's) name and where it lives, for messages. */
  readonly target: string;
  /** The running execution, if any. */
  running(): Promise<ExecutionSummary | undefined>;
  /** Starts an execution and returns its id. */
  start(): Promise<string>;
  describe(id: string): Promise<ExecutionView>;
  /** The newest executions first. */
  list(max: number): Promise<ExecutionSummary[]>;
}

/** A cloud API call failed: the message names the service, the call and the cloud's reason. */
export class CloudCallError extends Error {}

/** How `--wait` polls: the first interval, multiplied per poll up to the last. */
export interface PollSchedule {
  /** Default 10000. */
  readonly initialMs?: number;
  /** Default 60000. */
  readonly maxMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Polls `id` until it ends, printing each new state and detail line (a step changing status) once; the waits grow by
 * half each poll from 10 s to a minute (a pipeline runs for tens of minutes; its API calls are rate limited).
 */
export async function follow(executions: PipelineExecutions, id: string, log: (line: string) => void, schedule: PollSchedule = {}): Promise<ExecutionView> {
  const sleep = schedule.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxMs = schedule.maxMs ?? 60_000;
  let waitMs = schedule.initialMs ?? 10_000;
  const shown = new Set<string>();
  let lastState = '';
  for (;;) {
    const view = await executions.describe(id);
    if (view.state !== lastState) log(`${view.state}`);
    lastState = view.state;
    for (const line of view.details) {
      if (!shown.has(line)) log(`  ${line}`);
      shown.add(line);
    }
    if (view.phase !== 'running') return view;
    await sleep(waitMs);
    waitMs = Math.min(maxMs, Math.round(waitMs * 1.5));
  }
}

/** The exit code of an execution that ended (or still runs: 0). */
export function exitCodeOf(view: ExecutionView): number {
  if (view.phase === 'notRegistered') return PIPELINE_EXIT.notRegistered;
  if (view.phase === 'failed') return PIPELINE_EXIT.failed;
  return PIPELINE_EXIT.ok;
}

/** The last line of a run: what happened, in one sentence. */
export function outcomeLine(model: string, view: ExecutionView): string {
  switch (view.phase) {
    case 'registered':
      return `${model}: registered${view.version ? ` version ${view.version}` : ''} (${view.id})`;
    case 'notRegistered':
      return `${model}: not registered: ${view.reason ?? view.state}`;
    case 'failed':
      return `${model}: execution ${view.id} ${view.state.toLowerCase()}: ${view.reason ?? 'no reason given'}`;
    default:
      return `${model}: execution ${view.id} is ${view.state.toLowerCase()}`;
  }
}

/** Every field of `view` as lines, for `status`. */
export function describeLines(view: ExecutionView): string[] {
  return [
    `execution ${view.id}`,
    `  state: ${view.state}${view.startedAt ? ` (started ${view.startedAt})` : ''}`,
    ...(view.version ? [`  version: ${view.version}`] : []),
    ...(view.reason ? [`  reason: ${view.reason}`] : []),
    ...view.details.map((d) => `  ${d}`),
  ];
}
