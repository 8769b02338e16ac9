import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { Problems, SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT } from '../private/validation';
import type { IModelEndpoint } from './model-endpoint';
import type { IModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './private/nag';
import { unresolved } from './private/tokens';
import { operationsLayout } from './private/operations-layout';

/** Properties of a {@link BatchInference}. */
export interface BatchInferenceProps {
  /** Model name; input is read from `batch/<model>/input/`, output written to `batch/<model>/output/<job>/`. */
  readonly model: string;
  /** The endpoint whose currently serving model version scores the batch (so a promotion also moves batch scoring). */
  readonly endpoint: IModelEndpoint;
  /** The serving model's execution role; the transform job reads and writes the registry with it. */
  readonly executionRole: iam.IRole;
  /** The registry holding input and output (SSE-KMS with its key). */
  readonly registry: IModelRegistry;
  /** When to run, such as `events.Schedule.expression('cron(0 2 * * ? *)')`. */
  readonly schedule: events.Schedule;
  /** SageMaker instance type of the transform job. */
  readonly instanceType: string;
  /**
   * Instances of the transform job.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Content type of the input objects; they are split by line.
   * @default 'text/csv'
   */
  readonly contentType?: string;
  /**
   * A job running longer is stopped and the run fails.
   * @default Duration.hours(4)
   */
  readonly maxRuntime?: Duration;
  /** Key that encrypts the workflow's execution log. */
  readonly logEncryptionKey: kms.IKey;
  /**
   * How long the execution log is kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Scheduled batch inference for one model: a Step Functions workflow ends successfully at once when
 * `batch/<model>/input/` holds no object (nothing to score, no job, no alarm); otherwise it looks up the model
 * version the endpoint serves, runs a SageMaker batch transform over `batch/<model>/input/` in the registry, writes to
 * `batch/<model>/output/<job>/` (output and ML volume encrypted with the registry key), waits for the job, and
 * fails (stopping the job first when it ran too long) so `metricFailed`-based alarms fire.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
 * import * as events from 'aws-cdk-lib/aws-events';
 * import type * as kms from 'aws-cdk-lib/aws-kms';
 * import { BatchInference, type ModelEndpoint, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const endpoint: ModelEndpoint;
 * declare const logEncryptionKey: kms.IKey;
 *
 * const batch = new BatchInference(stack, 'ChurnBatch', {
 *   model: 'churn',
 *   endpoint,
 *   executionRole: endpoint.role,
 *   registry,
 *   schedule: events.Schedule.expression('cron(0 2 * * ? *)'),
 *   instanceType: 'ml.m5.xlarge',
 *   logEncryptionKey,
 * });
 * new cloudwatch.Alarm(stack, 'BatchFailed', { metric: batch.stateMachine.metricFailed(), threshold: 1, evaluationPeriods: 1 });
 * ```
 */
export class BatchInference extends Construct {
  /** The workflow that runs one batch transform and waits for it (JSONata, X-Ray traced, fully logged). */
  readonly stateMachine: sfn.StateMachine;
  /** The EventBridge rule that starts the workflow on `schedule`. */
  readonly schedule: events.Rule;
  /** The workflow's execution log, encrypted with `logEncryptionKey`. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BatchInferenceProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const { registry, endpoint } = props;
    const arn = (resource: string, resourceName: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const jobArns = arn('transform-job', `${endpoint.endpointName}-*`);
    const anyConfigArn = arn('endpoint-config', '*');
    const maxRuntimeMs = (props.maxRuntime ?? Duration.hours(4)).toMilliseconds();
    const inputUri = registry.bucket.s3UrlForObject(operationsLayout.batchInputPrefix(props.model));
    const outputUri = registry.bucket.s3UrlForObject(operationsLayout.batchOutputPrefix(props.model));

    const fail = sfn.Fail.jsonata(this, 'BatchFailed', { error: 'BatchTransformFailed', cause: "{% 'Transform job ' & $job & ': ' & ($reason ? $reason : 'see the execution history') %}" });
    const call = (id: string, action: string, iamResources: string[], parameters: Record<string, unknown>, assign?: Record<string, string>) => {
      const task = tasks.CallAwsService.jsonata(this, id, { service: 'sagemaker', action, iamResources, parameters, assign });
      task.addCatch(fail, { outputs: '{% $states.input %}' });
      return task;
    };

    // A transform job over a prefix with no objects fails (and would alarm), so a run without input ends here,
    // successfully. StartAfter skips a "folder" object named like the prefix itself.
    const inputPrefix = operationsLayout.batchInputPrefix(props.model);
    const listInput = tasks.CallAwsService.jsonata(this, 'ListBatchInput', {
      service: 's3',
      action: 'listObjectsV2',
      iamAction: 's3:ListBucket',
      iamResources: [registry.bucket.bucketArn],
      parameters: { Bucket: registry.bucket.bucketName, Prefix: inputPrefix, StartAfter: inputPrefix, MaxKeys: 1 },
      // A Choice state has no $states.result: the count goes on in a variable.
      assign: { inputObjects: '{% $states.result.KeyCount %}' },
    });
    listInput.addCatch(fail, { outputs: '{% $states.input %}' });
    const anyInput = sfn.Choice.jsonata(this, 'AnyBatchInput').when(
      sfn.Condition.jsonata('{% $inputObjects = 0 %}'),
      sfn.Succeed.jsonata(this, 'NoBatchInput', { comment: 'Nothing to score in this run' }),
    );

    const describeEndpoint = call('DescribeEndpoint', 'describeEndpoint', [endpoint.endpointArn], { EndpointName: endpoint.endpointName }, {
      config: '{% $states.result.EndpointConfigName %}',
      // Job names are at most 63 characters: an endpoint name (at most 52) and a 10-digit timestamp.
      job: `{% '${endpoint.endpointName}-' & $string($floor($millis() / 1000)) %}`,
      reason: '{% undefined %}',
    });
    const describeConfig = call('DescribeServingConfig', 'describeEndpointConfig', [anyConfigArn], { EndpointConfigName: '{% $config %}' }, {
      servingModel: '{% $states.result.ProductionVariants[0].ModelName %}',
    });
    const createJob = call('CreateTransformJob', 'createTransformJob', [jobArns], {
      TransformJobName: '{% $job %}',
      ModelName: '{% $servingModel %}',
      BatchStrategy: 'MultiRecord',
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: inputUri } },
        ContentType: props.contentType ?? 'text/csv',
        SplitType: 'Line',
      },
      TransformOutput: { S3OutputPath: `{% '${outputUri}' & $job & '/' %}`, KmsKeyId: registry.encryptionKey.keyArn, AssembleWith: 'Line' },
      TransformResources: { InstanceType: props.instanceType, InstanceCount: props.instanceCount ?? 1, VolumeKmsKeyId: registry.encryptionKey.keyArn },
    });
    const wait = sfn.Wait.jsonata(this, 'WaitForJob', { time: sfn.WaitTime.duration(Duration.minutes(2)) });
    const poll = call('DescribeTransformJob', 'describeTransformJob', [jobArns], { TransformJobName: '{% $job %}' }, {
      jobStatus: '{% $states.result.TransformJobStatus %}',
      reason: '{% $states.result.FailureReason %}',
    });
    const stop = call('StopOverdueJob', 'stopTransformJob', [jobArns], { TransformJobName: '{% $job %}' }, { reason: `{% 'stopped after running longer than ${maxRuntimeMs / 3_600_000} hours' %}` });
    stop.next(fail);
    const outcome = sfn.Choice.jsonata(this, 'JobOutcome')
      .when(sfn.Condition.jsonata("{% $jobStatus = 'Completed' %}"), sfn.Succeed.jsonata(this, 'Scored'))
      .when(
        sfn.Condition.jsonata(`{% $jobStatus = 'InProgress' and ($toMillis($now()) - $toMillis($states.context.Execution.StartTime)) > ${maxRuntimeMs} %}`),
        stop,
      )
      .when(sfn.Condition.jsonata("{% $jobStatus in ['InProgress', 'Stopping'] %}"), wait)
      .otherwise(fail);
    listInput.next(anyInput.otherwise(describeEndpoint));
    describeEndpoint.next(describeConfig).next(createJob).next(wait);
    wait.next(poll).next(outcome);

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, encryptionKey: props.logEncryptionKey });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(listInput),
      // The workflow itself gives up shortly after the job's own limit.
      timeout: Duration.millis(maxRuntimeMs).plus(Duration.minutes(30)),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    const role = this.stateMachine.role;
    // The listing task's grant covers the whole bucket; this keeps it to the model's own input prefix.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListOwnBatchInputOnly',
        effect: iam.Effect.DENY,
        actions: ['s3:ListBucket'],
        resources: [registry.bucket.bucketArn],
        conditions: { StringNotLike: { 's3:prefix': `${inputPrefix}*` } },
      }),
    );
    // SageMaker creates grants on the key for the job's ML volume and output.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'JobKeyGrant', actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [registry.encryptionKey.keyArn] }));
    acknowledgeWildcardResource(role, jobArns, "Each run creates a transform job named after the model's endpoint and a timestamp.");
    acknowledgeWildcardResource(role, anyConfigArn, 'Read-only: the first endpoint config of each endpoint has a CloudFormation-generated name.');
    acknowledgeWildcardResource(role, '*', 'X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* have no resource-level permissions.');

    // The transform job reads and writes the registry as the serving model's execution role.
    const input = registry.bucket.arnForObjects(`${operationsLayout.batchInputPrefix(props.model)}*`);
    const output = registry.bucket.arnForObjects(`${operationsLayout.batchOutputPrefix(props.model)}*`);
    const access = new iam.Policy(this, 'TransformAccess', {
      roles: [props.executionRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ListBatchInput',
          actions: ['s3:ListBucket'],
          resources: [registry.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${operationsLayout.batchInputPrefix(props.model)}*`] } },
        }),
        new iam.PolicyStatement({ sid: 'ReadBatchInput', actions: ['s3:GetObject'], resources: [input] }),
        new iam.PolicyStatement({ sid: 'WriteBatchOutput', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [output] }),
        new iam.PolicyStatement({ sid: 'BatchDataKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [registry.encryptionKey.keyArn] }),
      ],
    });
    acknowledgeWildcardResource(access, input, "The job reads every object under the model's own batch input prefix.");
    acknowledgeWildcardResource(access, output, "The job writes one object per input object under the model's own batch output prefix.");

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Batch inference of ${props.model}`,
      schedule: props.schedule,
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });
  }
}

function validateProps(props: BatchInferenceProps): void {
  const problems = new Problems('BatchInference');
  problems.check(unresolved(props.instanceType) || SAGEMAKER_INSTANCE_TYPE.test(props.instanceType), `instanceType "${props.instanceType}": ${SAGEMAKER_INSTANCE_TYPE_HINT}`);
  const count = props.instanceCount ?? 1;
  problems.check(unresolved(count) || (Number.isInteger(count) && count >= 1), `instanceCount ${count}: expected an integer of at least 1`);
  // Not a token: the workflow computes with it at synth (the overdue check).
  const hours = (props.maxRuntime ?? Duration.hours(4)).toHours({ integral: false });
  problems.check(hours > 0 && hours <= 48, `maxRuntime ${hours} h: expected at most 48 hours`);
  problems.throwIfAny();
}
