import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from '../helpers/loopback-server';

/** A step as ListPipelineExecutionSteps returns it. */
export interface FakeStep {
  readonly StepName: string;
  readonly StepStatus: 'Starting' | 'Executing' | 'Stopping' | 'Stopped' | 'Failed' | 'Succeeded';
  readonly FailureReason?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** How the next started execution goes: running for `describes` DescribePipelineExecution calls, then `status`. */
export interface FakeOutcome {
  readonly describes: number;
  readonly status: 'Succeeded' | 'Failed' | 'Stopped';
  readonly failureReason?: string;
  readonly steps: readonly FakeStep[];
}

export interface FakeExecution {
  readonly pipeline: string;
  readonly arn: string;
  readonly token: string;
  readonly displayName?: string;
  readonly parameters: ReadonlyArray<{ Name: string; Value: string }>;
  readonly created: number;
  status: string;
  describes: number;
  readonly outcome: FakeOutcome;
}

const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';

/**
 * The SageMaker control plane's pipeline-execution calls on 127.0.0.1, in its wire protocol (AWS JSON 1.1: `POST /`,
 * `X-Amz-Target: SageMaker.<Operation>`, errors as `{ "__type", "message" }` with HTTP 400), checking each request
 * as the API reference states: StartPipelineExecution (ClientRequestToken of 32-128 characters, the display name's
 * pattern, only parameters the pipeline declares; the same token returns the same execution), DescribePipelineExecution,
 * ListPipelineExecutionSteps, ListPipelineExecutions (newest first), and ListModelPackages and DescribeModelPackage
 * (the latest approved package, when `approvedModelData` is set). A pipeline is named by name or ARN; an ARN of another account is refused.
 */
const APPROVED_PACKAGE_ARN = `arn:aws:sagemaker:${REGION}:${ACCOUNT}:model-package/modelstack-dev-churn/3`;

export class FakeSageMakerPipelines extends LoopbackServer {
  readonly calls: Array<{ operation: string; input: any }> = [];
  readonly executions: FakeExecution[] = [];
  /** Operations answered with AccessDeniedException, as for a role without the IAM action. */
  readonly denied = new Set<string>();
  /** The latest approved package's ModelDataUrl; none approved when unset. */
  approvedModelData?: string;
  /** How the next started execution goes. */
  nextOutcome: FakeOutcome = { describes: 1, status: 'Succeeded', steps: [] };
  private readonly pipelines = new Map<string, readonly string[]>();

  /** A deployed pipeline and the parameters its definition declares. */
  addPipeline(name: string, parameters: readonly string[]): string {
    this.pipelines.set(name.toLowerCase(), parameters);
    return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:pipeline/${name.toLowerCase()}`;
  }

  /** An execution started by someone else (the schedule), in `status`. */
  addExecution(pipeline: string, status: string, outcome: FakeOutcome = { describes: 0, status: 'Succeeded', steps: [] }): FakeExecution {
    const execution: FakeExecution = {
      pipeline: pipeline.toLowerCase(),
      arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:pipeline/${pipeline.toLowerCase()}/execution/${Math.random().toString(36).slice(2, 14)}`,
      token: `scheduled-${this.executions.length}`.padEnd(32, '0'),
      parameters: [],
      created: 1_800_000_000 + this.executions.length * 60,
      status,
      describes: 0,
      outcome,
    };
    this.executions.push(execution);
    return execution;
  }


  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^SageMaker\./, '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const fail = (type: string, message: string) => reply(400, { __type: type, message });
    if (req.method !== 'POST' || !target.startsWith('SageMaker.') || !/^application\/x-amz-json-1\.1/.test(String(req.headers['content-type']))) {
      return fail('UnknownOperationException', `expected POST / with X-Amz-Target: SageMaker.<Operation> and Content-Type application/x-amz-json-1.1, got ${req.method} ${target}`);
    }
    if (!/^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization))) return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    this.calls.push({ operation, input });
    if (this.denied.has(operation)) {
      return fail('AccessDeniedException', `User: arn:aws:sts::${ACCOUNT}:assumed-role/data-scientist/cli is not authorized to perform: sagemaker:${operation} because no identity-based policy allows the sagemaker:${operation} action`);
    }
    const pipelineOf = (nameOrArn: string): string | undefined => {
      const arn = /^arn:aws:sagemaker:([a-z0-9-]+):(\d{12}):pipeline\/(.+)$/.exec(nameOrArn);
      if (arn && (arn[1] !== REGION || arn[2] !== ACCOUNT)) return undefined;
      const name = (arn ? arn[3] : nameOrArn).toLowerCase();
      return this.pipelines.has(name) ? name : undefined;
    };
    const executionOf = (arn: string) => this.executions.find((e) => e.arn === arn);

    switch (operation) {
      case 'ListModelPackages':
        return reply(200, { ModelPackageSummaryList: this.approvedModelData ? [{ ModelPackageArn: APPROVED_PACKAGE_ARN, ModelApprovalStatus: 'Approved' }] : [] });
      case 'DescribeModelPackage':
        if (input.ModelPackageName !== APPROVED_PACKAGE_ARN || !this.approvedModelData) return fail('ValidationException', `Model package ${input.ModelPackageName} does not exist.`);
        return reply(200, { ModelPackageArn: APPROVED_PACKAGE_ARN, InferenceSpecification: { Containers: [{ Image: 'image', ModelDataUrl: this.approvedModelData }] } });
      case 'ListPipelineExecutions': {
        const pipeline = pipelineOf(String(input.PipelineName));
        if (!pipeline) return fail('ResourceNotFound', `Pipeline ${input.PipelineName} does not exist.`);
        const found = this.executions.filter((e) => e.pipeline === pipeline).sort((a, b) => (input.SortOrder === 'Ascending' ? a.created - b.created : b.created - a.created));
        return reply(200, {
          PipelineExecutionSummaries: found.slice(0, Number(input.MaxResults ?? 10)).map((e) => ({
            PipelineExecutionArn: e.arn,
            PipelineExecutionStatus: e.status,
            StartTime: e.created,
            PipelineExecutionDisplayName: e.displayName,
            ...(e.status === 'Failed' && e.outcome.failureReason ? { PipelineExecutionFailureReason: e.outcome.failureReason } : {}),
          })),
        });
      }
      case 'StartPipelineExecution': {
        const pipeline = pipelineOf(String(input.PipelineName));
        if (!pipeline) return fail('ResourceNotFound', `Pipeline ${input.PipelineName} does not exist.`);
        const token = String(input.ClientRequestToken ?? '');
        if (token.length < 32 || token.length > 128) return fail('ValidationException', `ClientRequestToken: expected 32 to 128 characters, got ${token.length}`);
        if (input.PipelineExecutionDisplayName !== undefined && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/.test(input.PipelineExecutionDisplayName)) {
          return fail('ValidationException', `PipelineExecutionDisplayName ${input.PipelineExecutionDisplayName} does not match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}`);
        }
        const declared = this.pipelines.get(pipeline)!;
        const unknown = (input.PipelineParameters ?? []).filter((p: { Name: string }) => !declared.includes(p.Name));
        if (unknown.length > 0) return fail('ValidationException', `Pipeline parameter(s) ${unknown.map((p: { Name: string }) => p.Name).join(', ')} not present in the pipeline definition.`);
        const same = this.executions.find((e) => e.pipeline === pipeline && e.token === token);
        if (same) return reply(200, { PipelineExecutionArn: same.arn });
        const execution: FakeExecution = {
          pipeline,
          arn: `arn:aws:sagemaker:${REGION}:${ACCOUNT}:pipeline/${pipeline}/execution/${Math.random().toString(36).slice(2, 14)}`,
          token,
          displayName: input.PipelineExecutionDisplayName,
          parameters: input.PipelineParameters ?? [],
          created: 1_800_000_000 + this.executions.length * 60,
          status: 'Executing',
          describes: 0,
          outcome: this.nextOutcome,
        };
        this.executions.push(execution);
        return reply(200, { PipelineExecutionArn: execution.arn });
      }
      case 'DescribePipelineExecution': {
        const execution = executionOf(String(input.PipelineExecutionArn));
        if (!execution) return fail('ResourceNotFound', `Pipeline execution ${input.PipelineExecutionArn} does not exist.`);
        execution.describes++;
        if (execution.status === 'Executing' && execution.describes > execution.outcome.describes) execution.status = execution.outcome.status;
        return reply(200, {
          PipelineArn: execution.arn.replace(/\/execution\/.*$/, ''),
          PipelineExecutionArn: execution.arn,
          PipelineExecutionDisplayName: execution.displayName,
          PipelineExecutionStatus: execution.status,
          CreationTime: execution.created,
          LastModifiedTime: execution.created + execution.describes,
          ...(execution.status === 'Failed' ? { FailureReason: execution.outcome.failureReason ?? 'Step failure: One or multiple steps failed.' } : {}),
        });
      }
      case 'ListPipelineExecutionSteps': {
        const execution = executionOf(String(input.PipelineExecutionArn));
        if (!execution) return fail('ResourceNotFound', `Pipeline execution ${input.PipelineExecutionArn} does not exist.`);
        const steps = execution.status === 'Executing' ? [{ StepName: 'PrepareData', StepStatus: 'Executing' }] : execution.outcome.steps;
        return reply(200, { PipelineExecutionSteps: steps.map((s, i) => ({ ...s, StartTime: execution.created + i })) });
      }
      default:
        return fail('UnknownOperationException', operation);
    }
  }
}
