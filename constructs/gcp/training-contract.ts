/**
 * The contract between a model's training workflow on Google Cloud and whoever starts and follows it
 * (`modelstack pipeline run|status`). No cdktf imports: the CLI loads this file cheaply.
 */
import { boundedName } from '../private/names';

/**
 * The name of a model's training workflow, `<namePrefix>-<model>-training` (`namePrefix` is `<platform>-<env>`), in
 * the environment's GCP region. Workflow names take at most 64 characters (letters, digits, `-` and `_`, starting
 * with a letter), so a longer name keeps its first 55 characters and ends with `-` and 8 hex digits of the full
 * name's SHA-256 (`boundedName`): stable and distinct.
 */
export function trainingWorkflowName(namePrefix: string, model: string): string {
  return boundedName([namePrefix, model, 'training'], 64);
}

/** Why an execution was started: its argument is `{"reason": ..., "model": "<model>"}` (JSON). */
export type TrainingReason = 'schedule' | 'drift' | 'manual';

/** An execution's argument. */
export interface TrainingWorkflowArgument {
  /** Why it runs. */
  readonly reason: TrainingReason;
  /** The model; a workflow trains one model and ends `skipped` for another. */
  readonly model: string;
}

/** What one execution answers: its result (JSON). */
export interface TrainingWorkflowResult {
  /** `registered` (a new version), `rejected` (the gate refused the candidate) or `skipped` (nothing trained). */
  readonly status: 'registered' | 'rejected' | 'skipped';
  /**
   * The version folder's name (the execution id), once a candidate was trained.
   * @default - none when skipped
   */
  readonly version?: string;
  /** Why, in words: the evaluation's decision, or why the run was skipped. */
  readonly reason: string;
  /**
   * The candidate's held-out metrics.
   * @default - none when skipped
   */
  readonly metrics?: Record<string, number>;
}
