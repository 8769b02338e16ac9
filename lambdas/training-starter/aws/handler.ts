// Starts a model's training pipeline on its schedule (EventBridge Scheduler) or on `DriftDetected`
// (source modelstack.drift), at most one running execution per model: SageMaker has no limit on concurrent
// executions of a pipeline (ParallelismConfiguration.MaxParallelExecutionSteps limits the steps of one execution),
// so the starter checks ListPipelineExecutions before StartPipelineExecution. The function runs with a reserved
// concurrency of 1, so two triggers are handled one after the other, and the idempotency token
// (StartPipelineExecution's ClientRequestToken, 32-128 characters) is the same for one model within an hour, so a
// retried or doubled trigger starts nothing new.
import { createHash } from 'node:crypto';
import { DescribeModelPackageCommand, ListModelPackagesCommand, ListPipelineExecutionsCommand, type SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';

/** What the starter knows of each model's pipeline (the TRAINING_PIPELINES variable, JSON). */
export interface TrainingPipelines {
  readonly [model: string]: { readonly pipeline: string; readonly packageGroup: string };
}

/**
 * The pipelines from the function's environment: `TRAINING_NAME_PREFIX` (`<platform>-<env>`) and `TRAINING_MODELS`
 * (comma-separated), each model's pipeline being `<prefix>-<model>-training` and its package group
 * `<prefix>-<model>` (compact: Lambda's environment variables hold 4 KB in all); else the `TRAINING_PIPELINES` JSON.
 */
export function pipelinesFromEnvironment(env: Readonly<Record<string, string | undefined>>): TrainingPipelines {
  const prefix = env.TRAINING_NAME_PREFIX;
  if (prefix) {
    const models = (env.TRAINING_MODELS ?? '').split(',').filter(Boolean);
    return Object.fromEntries(models.map((m) => [m, { pipeline: `${prefix}-${m}-training`, packageGroup: `${prefix}-${m}` }]));
  }
  return JSON.parse(env.TRAINING_PIPELINES ?? '{}') as TrainingPipelines;
}

/** A scheduled start (`{ model, trigger: "schedule" }`) or an EventBridge `DriftDetected` event. */
export type StarterEvent = { readonly model?: string; readonly trigger?: string; readonly 'detail-type'?: string; readonly detail?: { readonly model?: string } };

/** What the starter did. */
export interface StarterResult {
  readonly model?: string;
  readonly started: boolean;
  readonly reason: string;
  readonly executionArn?: string;
}

/** Executions in these states still run (ListPipelineExecutions' PipelineExecutionStatus). */
const RUNNING = new Set(['Executing', 'Stopping']);

export function createStarterHandler(deps: { sagemaker: SageMakerClient; pipelines: TrainingPipelines; now?: () => Date }) {
  return async (event: StarterEvent): Promise<StarterResult> => {
    const model = event.detail?.model ?? event.model;
    const trigger = event['detail-type'] === 'DriftDetected' ? 'drift' : (event.trigger ?? 'schedule');
    const target = model === undefined ? undefined : deps.pipelines[model];
    if (!model || !target) {
      return { model, started: false, reason: `no training pipeline for model ${JSON.stringify(model)}: expected one of ${Object.keys(deps.pipelines).join(', ')}` };
    }
    // The newest executions first: with this starter as the only one starting them, a running execution is the newest.
    const listed = await deps.sagemaker.send(new ListPipelineExecutionsCommand({ PipelineName: target.pipeline, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 20 }));
    const running = (listed.PipelineExecutionSummaries ?? []).find((e) => RUNNING.has(String(e.PipelineExecutionStatus)));
    if (running) return { model, started: false, reason: `${target.pipeline}: execution ${running.PipelineExecutionArn} is still ${String(running.PipelineExecutionStatus).toLowerCase()}` };

    const current = await currentModelData(deps.sagemaker, target.packageGroup);
    const hour = (deps.now?.() ?? new Date()).toISOString().slice(0, 13);
    const token = createHash('sha256').update(`${target.pipeline}|${hour}`).digest('hex').slice(0, 40);
    const out = await deps.sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: target.pipeline,
        PipelineExecutionDescription: `${trigger}: retrain ${model}`,
        // Without an approved version the parameter keeps its default, the pipeline's "none yet" marker prefix.
        PipelineParameters: current ? [{ Name: CURRENT_MODEL_DATA_PARAMETER, Value: current }] : [],
        ClientRequestToken: token,
      }),
    );
    return { model, started: true, reason: `${trigger}: started against ${current ?? 'no current version'}`, executionArn: out.PipelineExecutionArn };
  };
}

/**
 * The pipeline parameter Evaluate's current-version input reads (PARAMETER_NAMES.currentModelData in
 * infra/pipeline/training-pipeline.ts; not imported, so the bundle stays free of the config code).
 */
export const CURRENT_MODEL_DATA_PARAMETER = 'CurrentModelDataUrl';

/**
 * The latest approved package's model data (`s3://<registry>/models/<model>/<version>/model.tar.gz`), if any: the
 * CurrentModelDataUrl the starter and `modelstack pipeline run` pass (none: the parameter's default, the
 * no-current-version prefix).
 */
export async function currentModelData(sagemaker: Pick<SageMakerClient, 'send'>, group: string): Promise<string | undefined> {
  const listed = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 }));
  const arn = listed.ModelPackageSummaryList?.[0]?.ModelPackageArn;
  if (!arn) return undefined;
  const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const url = described.InferenceSpecification?.Containers?.[0]?.ModelDataUrl;
  // A package registered without model data cannot be scored: an explicit error beats comparing against nothing.
  if (!url) throw new Error(`${arn}: its InferenceSpecification has no ModelDataUrl: cannot evaluate a candidate against it`);
  return url;
}
