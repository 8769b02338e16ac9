// A model's deployed AWS::SageMaker::Pipeline, through the SageMaker API (AWS SDK v3): start an execution, describe
// it with its steps, list the recent ones. API reference: StartPipelineExecution, DescribePipelineExecution,
// ListPipelineExecutionSteps, ListPipelineExecutions (https://docs.aws.amazon.com/sagemaker/latest/APIReference/).
import { createHash } from 'node:crypto';
import {
  DescribePipelineExecutionCommand,
  type DescribePipelineExecutionCommandOutput,
  ListPipelineExecutionsCommand,
  type ListPipelineExecutionsCommandOutput,
  ListPipelineExecutionStepsCommand,
  type ListPipelineExecutionStepsCommandOutput,
  type PipelineExecutionStep,
  SageMakerClient,
  StartPipelineExecutionCommand,
  type StartPipelineExecutionCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { modelPackageGroupOf, namePrefixOf } from '../../infra/aws/names';
import { awsEnvironment } from '../../infra/config/clouds';
import type { PlatformConfig } from '../../infra/config/schema';
import { PARAMETER_NAMES, STEP_NAMES } from '../../infra/pipeline/training-pipeline';
import { currentModelData } from '../../lambdas/training-starter/aws/handler';
import { CloudCallError, type ExecutionSummary, type ExecutionView, type PipelineExecutions } from './cloud';

/** The SageMaker calls this client makes; a `SageMakerClient` is one. */
export interface SageMakerPipelineApi {
  send(command: StartPipelineExecutionCommand): Promise<StartPipelineExecutionCommandOutput>;
  send(command: DescribePipelineExecutionCommand): Promise<DescribePipelineExecutionCommandOutput>;
  send(command: ListPipelineExecutionStepsCommand): Promise<ListPipelineExecutionStepsCommandOutput>;
  send(command: ListPipelineExecutionsCommand): Promise<ListPipelineExecutionsCommandOutput>;
}

/** `<platform>-<env>-<model>-training`, the name infra/aws/training.ts gives the model's pipeline. */
export function sageMakerPipelineName(config: PlatformConfig, envName: string, model: string): string {
  return `${namePrefixOf(config, envName)}-${model}-training`;
}

/**
 * The pipeline's ARN in the environment's account and region. The calls name the pipeline by ARN (PipelineName takes
 * "the name or Amazon Resource Name (ARN) of the pipeline"), so credentials for another account cannot start a
 * same-named pipeline there: SageMaker refuses the call instead. The ARN's name is lower case, as SageMaker writes it.
 */
export function sageMakerPipelineArn(config: PlatformConfig, envName: string, model: string): string {
  const { account, region } = awsEnvironment(config, envName).aws;
  return `arn:aws:sagemaker:${region}:${account}:pipeline/${sageMakerPipelineName(config, envName, model).toLowerCase()}`;
}

/** PipelineExecutionStatus values of an execution that has not ended. */
const RUNNING = new Set(['Executing', 'Stopping']);

export interface SageMakerExecutionsOptions {
  readonly config: PlatformConfig;
  readonly environment: string;
  readonly model: string;
  readonly client: SageMakerPipelineApi;
  /** The parameters the pipeline definition declares (StartPipelineExecution refuses any other). */
  readonly declaredParameters: readonly string[];
  /** Values for declared parameters; CurrentModelDataUrl defaults to the latest approved version's model data. */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly now?: () => Date;
}

/** Runs `call`, turning an SDK error into one line naming the call and SageMaker's reason. */
async function sageMaker<T>(call: string, target: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
    const hint =
      e.name === 'CredentialsProviderError'
        ? ': set AWS_PROFILE or AWS credentials for the environment\'s account'
        : e.name === 'ResourceNotFound'
          ? ': is the environment deployed (its registry stack holds the pipeline), and are the credentials for its account?'
          : '';
    throw new CloudCallError(`SageMaker ${call} on ${target} failed: ${e.name}${status}: ${e.message}${hint}`);
  }
}

/** A model's SageMaker pipeline in one environment. */
export function sageMakerExecutions(options: SageMakerExecutionsOptions): PipelineExecutions {
  const { config, environment, model, client } = options;
  const pipelineArn = sageMakerPipelineArn(config, environment, model);
  const target = `pipeline ${pipelineArn}`;
  const summary = (e: { PipelineExecutionArn?: string; PipelineExecutionStatus?: string; StartTime?: Date; PipelineExecutionDisplayName?: string; PipelineExecutionFailureReason?: string }): ExecutionSummary => ({
    id: String(e.PipelineExecutionArn),
    state: String(e.PipelineExecutionStatus),
    startedAt: e.StartTime?.toISOString(),
    note: [e.PipelineExecutionDisplayName, e.PipelineExecutionFailureReason].filter(Boolean).join(': ') || undefined,
  });
  const list = async (max: number) => {
    const listed = await sageMaker('ListPipelineExecutions', target, () =>
      client.send(new ListPipelineExecutionsCommand({ PipelineName: pipelineArn, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: Math.min(100, max) })),
    );
    return (listed.PipelineExecutionSummaries ?? []).map(summary);
  };
  return {
    target,
    list,
    async running() {
      // Newest first: whoever starts executions checks this first (the starter, this CLI), so a running one is recent.
      return (await list(20)).find((e) => RUNNING.has(e.state));
    },
    async start() {
      const now = (options.now ?? (() => new Date()))();
      const parameters: Record<string, string> = { ...options.parameters };
      const current = PARAMETER_NAMES.currentModelData;
      if (parameters[current] === undefined && options.declaredParameters.includes(current)) {
        // As the starter does: the gate compares the candidate with the latest approved version's model data; with
        // none approved yet the parameter keeps its default (the no-current-version prefix PrepareData writes).
        const url = await sageMaker('ListModelPackages', target, () => currentModelData(client as SageMakerClient, modelPackageGroupOf(config, environment, model)));
        if (url) parameters[current] = url;
      }
      // API_StartPipelineExecution.html: PipelineExecutionDisplayName matches ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}; the
      // ClientRequestToken (32-128 characters, "an idempotent operation completes no more than once") makes a retried
      // call (the SDK's, or the same command again within the second) start one execution, not two.
      const displayName = `manual-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}`;
      const token = createHash('sha256').update(`${pipelineArn}|${displayName}`).digest('hex').slice(0, 40);
      const out = await sageMaker('StartPipelineExecution', target, () =>
        client.send(
          new StartPipelineExecutionCommand({
            PipelineName: pipelineArn,
            PipelineExecutionDisplayName: displayName,
            PipelineExecutionDescription: `manual: modelstack pipeline run --model ${model} --env ${environment}`,
            PipelineParameters: Object.entries(parameters).map(([Name, Value]) => ({ Name, Value })),
            ClientRequestToken: token,
          }),
        ),
      );
      return String(out.PipelineExecutionArn);
    },
    async describe(id) {
      const arn = executionArn(pipelineArn, id);
      const execution = await sageMaker('DescribePipelineExecution', target, () => client.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: arn })));
      const steps: PipelineExecutionStep[] = [];
      let next: string | undefined;
      do {
        const page = await sageMaker('ListPipelineExecutionSteps', target, () =>
          client.send(new ListPipelineExecutionStepsCommand({ PipelineExecutionArn: arn, SortOrder: 'Ascending', MaxResults: 100, NextToken: next })),
        );
        steps.push(...(page.PipelineExecutionSteps ?? []));
        next = page.NextToken;
      } while (next);
      return viewOf(arn, execution, steps);
    },
  };
}

/** An execution ARN, from an ARN or the id at its end (`.../execution/<id>`). */
export function executionArn(pipelineArn: string, id: string): string {
  return id.startsWith('arn:') ? id : `${pipelineArn}/execution/${id}`;
}

/**
 * What an execution means for the model. The gate's false branch is the Refuse Fail step: the execution fails with
 * the step's ErrorMessage as the step's FailureReason (the execution's own FailureReason only says a step failed), so
 * a failed Refuse step is "not registered" and any other failure an error
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PipelineExecutionStep.html: FailureReason, and
 * Metadata.Fail.ErrorMessage). The version is the execution id: the definition publishes to
 * models/<model>/<execution id>/.
 */
function viewOf(arn: string, execution: DescribePipelineExecutionCommandOutput, steps: PipelineExecutionStep[]): ExecutionView {
  const state = String(execution.PipelineExecutionStatus);
  const details = steps.map((s) => `${s.StepName}: ${s.StepStatus}${s.FailureReason ? ` (${s.FailureReason})` : ''}${s.Metadata?.RegisterModel?.Arn ? ` -> ${s.Metadata.RegisterModel.Arn}` : ''}`);
  const refused = steps.find((s) => s.StepName === STEP_NAMES.refuse && s.StepStatus === 'Failed');
  const failedStep = steps.find((s) => s.StepStatus === 'Failed');
  const base = { id: arn, state, startedAt: execution.CreationTime?.toISOString(), details };
  if (RUNNING.has(state)) return { ...base, phase: 'running' };
  if (state === 'Succeeded') {
    // The Register step's line carries the model package's ARN.
    return { ...base, phase: 'registered', version: arn.split('/').at(-1) };
  }
  if (refused) return { ...base, phase: 'notRegistered', reason: refused.FailureReason ?? refused.Metadata?.Fail?.ErrorMessage ?? 'refused by the gate' };
  const reason = failedStep ? `step ${failedStep.StepName}: ${failedStep.FailureReason ?? 'no reason given'}` : (execution.FailureReason ?? undefined);
  return { ...base, phase: 'failed', reason };
}

/** A SageMaker client in the environment's region, with the default credential chain (AWS_PROFILE, SSO, a role). */
export function sageMakerClientIn(config: PlatformConfig, envName: string): SageMakerClient {
  return new SageMakerClient({ region: awsEnvironment(config, envName).aws.region });
}
