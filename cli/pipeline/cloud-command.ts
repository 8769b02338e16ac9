// The actions of `modelstack pipeline run --env` and `pipeline status`: what they print and the exit code.
import type { CliIO } from '../io';
import type { CloudTarget } from '../pipeline-command';
import { CloudCallError, describeLines, exitCodeOf, follow, outcomeLine, PIPELINE_EXIT, type PollSchedule } from './cloud';

/** A cloud call's failure on stderr, exit 3; anything else is a bug and propagates. */
async function reportingCloudErrors(io: CliIO, action: () => Promise<number>): Promise<number> {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof CloudCallError)) throw err;
    io.stderr(`modelstack: error: ${err.message}\n`);
    return PIPELINE_EXIT.failed;
  }
}

/**
 * Starts an execution of the model's deployed pipeline, unless one is still running (the platform runs at most one
 * per model: the schedule and drift starters skip then too), and with `wait` follows it to its end.
 */
export function runInCloud(target: CloudTarget, options: { wait: boolean; poll?: PollSchedule }, io: CliIO): Promise<number> {
  const { executions, model } = target;
  const log = (line: string) => io.stdout(`${line}\n`);
  return reportingCloudErrors(io, async () => {
    const running = await executions.running();
    if (running) {
      io.stderr(
        `${model}: not started: execution ${running.id} of ${executions.target} is still ${running.state}${running.startedAt ? ` (started ${running.startedAt})` : ''}; ` +
          `at most one execution runs per model: follow it with modelstack pipeline status --model ${model} --env ${target.environment} --cloud ${target.cloud} --execution ${running.id} --wait\n`,
      );
      return PIPELINE_EXIT.alreadyRunning;
    }
    const id = await executions.start();
    log(`${model}: started execution ${id} of ${executions.target}`);
    if (!options.wait) {
      log(`follow it: modelstack pipeline status --model ${model} --env ${target.environment} --cloud ${target.cloud} --execution ${id} --wait`);
      return PIPELINE_EXIT.ok;
    }
    return finish(model, await follow(executions, id, log, options.poll), io);
  });
}

/** One execution with its details (and with `wait` followed to its end), or the recent ones and the newest's details. */
export function showStatus(target: CloudTarget, options: { execution?: string; wait: boolean; poll?: PollSchedule }, io: CliIO): Promise<number> {
  const { executions, model } = target;
  const log = (line: string) => io.stdout(`${line}\n`);
  return reportingCloudErrors(io, async () => {
    let id = options.execution;
    if (id === undefined) {
      const recent = await executions.list(10);
      if (recent.length === 0) {
        log(`${model}: no executions of ${executions.target} yet: start one with modelstack pipeline run --model ${model} --env ${target.environment} --cloud ${target.cloud}`);
        return PIPELINE_EXIT.ok;
      }
      log(`${model}: the ${recent.length} most recent executions of ${executions.target}, newest first:`);
      for (const e of recent) log(`  ${e.startedAt ?? '-'}  ${e.state.padEnd(10)}  ${e.id}${e.note ? `  ${e.note}` : ''}`);
      id = recent[0].id;
    }
    if (options.wait) return finish(model, await follow(executions, id, log, options.poll), io);
    for (const line of describeLines(await executions.describe(id))) log(line);
    return PIPELINE_EXIT.ok;
  });
}

/** The outcome's line (stdout when registered, stderr otherwise) and its exit code. */
function finish(model: string, view: Parameters<typeof exitCodeOf>[0], io: CliIO): number {
  const line = `${outcomeLine(model, view)}\n`;
  if (view.phase === 'registered') io.stdout(line);
  else io.stderr(line);
  return exitCodeOf(view);
}
