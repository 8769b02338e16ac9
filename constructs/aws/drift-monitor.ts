import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { driftSettings, type DriftSettings, driftSettingsProblems } from '../../core/drift/defaults';
import { integrityThresholds, type IntegrityThresholds } from '../../core/drift/integrity-thresholds';
import { registryLayout } from '../../core/layout';
import type { ModelTask } from '../../core/quality';
import { DRIFT_ENV } from '../../lambdas/drift/config';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { DRIFT_METRICS, driftMetric } from './drift-metrics';
import { AlarmFactory } from './monitoring/alarm-factory';
import { type IModelEndpoint, VARIANT_NAME } from './model-endpoint';
import type { IModelRegistry } from './model-registry';
import { BundledFunction } from './private/bundled-function';
import { logsEncryptionKey } from './private/logs-key';
import { acknowledgeWildcardResource, acknowledgeWildcardsOf } from './private/nag';

/**
 * Properties of a {@link DriftMonitor}. The check's settings (`windowHours`, `maxObjectsPerInvocation`,
 * `driftShareThreshold`, `qualityDegradationThreshold`) and their defaults are the cloud-free {@link DriftSettings}.
 */
export interface DriftMonitorProps extends DriftSettings {
  /** The registry holding the model's baseline and the captured data; reports are written to it. */
  readonly registry: IModelRegistry;
  /** Model name in the registry. */
  readonly model: string;
  /**
   * The endpoint whose captured data is checked: it captures data itself, or (a serverless endpoint) its inference
   * function does (`InferenceModel.capture`), into the same `data-capture/<model>/<endpoint>/AllTraffic/` folder.
   */
  readonly endpoint: IModelEndpoint;
  /** Environment name, written into reports and events. */
  readonly environment: string;
  /**
   * The served artifact version, whose `baseline.json` (and `quality.json`) are the reference.
   */
  readonly modelVersion: string;
  /**
   * Where the check's failure, quality and dead-letter alarms notify, on alarm and on OK.
   * @default - no action
   */
  readonly alarmAction?: cloudwatch.IAlarmAction;
  /** What the model predicts; decides the model-quality metrics computed when labels arrive. */
  readonly task: ModelTask;
  /**
   * Thresholds of the data-integrity checks run beside the drift metrics.
   * @default - INTEGRITY_DEFAULTS
   */
  readonly integrity?: IntegrityThresholds;
  /**
   * Where `DriftDetected` and `DataIntegrityFailed` events go (`source: modelstack.drift`).
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Key for the dead-letter queue and the logs.
   * @default - a new rotating key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long function and state-machine logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A scheduled drift check of one model's captured traffic against its baseline: an EventBridge Scheduler
 * schedule invokes a bundled function per window; windows too large for one invocation fan out on a Step
 * Functions Distributed Map (profile shards, then merge and evaluate) with the same bundle. Reports go to
 * `reports/<model>/<window>/` in the registry, `DriftDetected` and `DataIntegrityFailed` to EventBridge, metrics to CloudWatch.
 * Failed invocations land in a KMS-encrypted dead-letter queue; failures and dead letters are alarmed.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
 * import { DriftMonitor, type ModelEndpoint, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const endpoint: ModelEndpoint; // capturing (dataCaptureSamplingPercentage > 0), or served with InferenceModel.capture
 *
 * const drift = new DriftMonitor(stack, 'ChurnDrift', {
 *   registry,
 *   model: 'churn',
 *   modelVersion: '3',
 *   endpoint,
 *   environment: 'prod',
 *   task: 'classification',
 * });
 * new cloudwatch.Alarm(stack, 'Drifted', { metric: drift.metricDriftShare(), threshold: 0.5, evaluationPeriods: 1 });
 * ```
 */
export class DriftMonitor extends Construct {
  /** The bundled drift-check function (check, shard-profiling and merge modes). */
  readonly function: lambda.Function;
  /** The fan-out workflow: a Distributed Map over the shard plan, then merge and evaluate. */
  readonly stateMachine: sfn.StateMachine;
  /** The EventBridge Scheduler schedule that starts a check every `windowHours`. */
  readonly schedule: scheduler.Schedule;
  /** Receives invocations that failed after their retries (KMS-encrypted, kept 14 days). */
  readonly deadLetterQueue: sqs.Queue;
  /** Fires when a check fails (missing or corrupt baseline, unreadable store, ...). */
  readonly failureAlarm: cloudwatch.Alarm;
  /** Fires when an invocation was dead-lettered after its retries. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** Fires when model quality on labelled traffic fell further below its baseline than the threshold allows. */
  readonly qualityAlarm: cloudwatch.Alarm;
  private readonly model: string;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const { registry, model } = props;
    this.model = model;
    const settings = driftSettings(props);
    const key = props.encryptionKey ?? logsEncryptionKey(this, 'Key', `Drift check of ${model}: logs and dead letters`);
    const retention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    // A fixed name lets the function know the state machine's ARN without a reference cycle.
    const stateMachineName = `${props.endpoint.endpointName}-drift`;
    const stateMachineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the drift check; its depth is alarmed.',
    });

    const bundled = new BundledFunction(this, 'Check', {
      bundle: 'aws-drift',
      description: `Drift check of ${model}`,
      logEncryptionKey: key,
      logRetention: retention,
      memorySize: 1024,
      timeout: Duration.minutes(15),
      environment: {
        [DRIFT_ENV.bucket]: registry.bucket.bucketName,
        [DRIFT_ENV.model]: model,
        [DRIFT_ENV.modelVersion]: props.modelVersion,
        [DRIFT_ENV.environment]: props.environment,
        [DRIFT_ENV.endpointName]: props.endpoint.endpointName,
        [DRIFT_ENV.variantName]: VARIANT_NAME,
        [DRIFT_ENV.windowHours]: String(settings.windowHours),
        [DRIFT_ENV.maxObjects]: String(settings.maxObjectsPerInvocation),
        [DRIFT_ENV.driftShare]: String(settings.driftShareThreshold),
        [DRIFT_ENV.task]: props.task,
        [DRIFT_ENV.qualityDegradation]: String(settings.qualityDegradationThreshold),
        [DRIFT_ENV.eventBus]: eventBus.eventBusName,
        [DRIFT_ENV.stateMachineArn]: stateMachineArn,
        ...(props.integrity ? { [DRIFT_ENV.integrity]: JSON.stringify(props.integrity) } : {}),
        POWERTOOLS_SERVICE_NAME: DRIFT_METRICS.service,
        POWERTOOLS_METRICS_NAMESPACE: DRIFT_METRICS.namespace,
      },
    });
    this.function = bundled.function;
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'Asynchronous invocations that fail go to the KMS-encrypted dead-letter queue through an on-failure destination, which supersedes a function-level DLQ.',
    });
    this.function.configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.deadLetterQueue) });
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      Validations.of(bundled.role).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: "Granted by CDK's grantSendMessages for the KMS-encrypted dead-letter queue, on that queue's key only.",
      });
    }
    this.grantStoreAccess(bundled.role, props);
    eventBus.grantPutEventsTo(this.function);
    bundled.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));

    this.stateMachine = this.fanOut(stateMachineName, props, key, retention);

    const scheduleRole = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: `Drift check of ${model} every ${settings.windowHours} h`,
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(settings.windowHours)),
      target: new ScheduleLambdaInvoke(this.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ mode: 'check', scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 2,
        deadLetterQueue: this.deadLetterQueue,
        role: scheduleRole,
      }),
    });
    // The target construct grants only sqs:SendMessage; Scheduler also needs the queue key to deliver into an
    // SSE-KMS queue ("Configuring a schedule's dead-letter queue", EventBridge Scheduler User Guide).
    key.grant(scheduleRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    for (const role of [scheduleRole, this.stateMachine.role]) {
      acknowledgeWildcardResource(role, `${this.function.functionArn}:*`, 'Versions and aliases of the drift-check function only.');
    }

    // The drift check owns these alarms (in its own stack), with the environment's action: each exists once.
    const alarms = new AlarmFactory({ action: props.alarmAction, overrides: { qualityDegradation: { threshold: settings.qualityDegradationThreshold } } });
    const quality = alarms.defaults.qualityDegradation.threshold;
    this.failureAlarm = alarms.addAlarm(this, 'FailureAlarm', 'driftCheckFailures', { description: `Drift check of ${model} failed: see the function's logs`, metric: this.metricCheckFailures() });
    this.qualityAlarm = alarms.addAlarm(this, 'QualityAlarm', 'qualityDegradation', {
      description: `Model quality of ${model} degraded by more than ${quality * 100} % against its baseline`,
      metric: this.metricQualityDegradation(),
    });
    this.deadLetterAlarm = alarms.addAlarm(this, 'DeadLetterAlarm', 'deadLetters', {
      description: `Drift check of ${model}: invocations were dead-lettered`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
    });
  }

  /** Share of drifted features per window. @default maximum over 1 hour */
  metricDriftShare(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return driftMetric(this.model, DRIFT_METRICS.driftShare, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  /** Failed data-integrity checks per window (0 when none). @default maximum over 1 hour */
  metricIntegrityFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return driftMetric(this.model, DRIFT_METRICS.integrityFailures, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  /** Failed checks. @default sum over 5 minutes */
  metricCheckFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return driftMetric(this.model, DRIFT_METRICS.checkFailed, { statistic: 'Sum', ...props });
  }

  /** Relative loss of model quality against its baseline (0 = as good). @default maximum over 1 hour */
  metricQualityDegradation(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return driftMetric(this.model, DRIFT_METRICS.qualityDegradation, { statistic: 'Maximum', period: Duration.hours(1), ...props });
  }

  /** Rows checked per window. @default sum over 1 hour */
  metricRows(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return driftMetric(this.model, DRIFT_METRICS.rows, { statistic: 'Sum', period: Duration.hours(1), ...props });
  }

  /** Reads only this model's baseline, captured data and labels; writes only its reports. */
  private grantStoreAccess(role: iam.Role, props: DriftMonitorProps): void {
    const { registry, model } = props;
    const readable = [registryLayout.dataCapturePrefix(model), registryLayout.groundTruthPrefix(model), registryLayout.reportsPrefix(model)];
    registry.grantReadModel(role, model);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [registry.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': readable.map((p) => `${p}*`) } },
      }),
    );
    const readObjects = readable.map((p) => registry.bucket.arnForObjects(`${p}*`));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: readObjects }));
    const reports = registry.bucket.arnForObjects(`${registryLayout.reportsPrefix(model)}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [reports] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [registry.encryptionKey.keyArn] }));
    for (const arn of [...readObjects, registry.bucket.arnForObjects(`${registryLayout.modelPrefix(model)}*`)]) {
      acknowledgeWildcardResource(role, arn, `Objects under this model's own prefix only (${model}).`);
    }
  }

  /** Distributed Map over the shard plan, then merge and evaluate: both steps run the same function. */
  private fanOut(name: string, props: DriftMonitorProps, key: kms.IKey, retention: logs.RetentionDays): sfn.StateMachine {
    const { registry, model } = props;
    const profile = new tasks.LambdaInvoke(this, 'ProfileShard', {
      lambdaFunction: this.function,
      payload: sfn.TaskInput.fromObject({ mode: 'profile-shard', windowEnd: sfn.JsonPath.stringAt('$.windowEnd'), shard: sfn.JsonPath.objectAt('$.shard') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    const shards = new sfn.DistributedMap(this, 'Shards', {
      // The plan is a JSON array in the registry; the bucket is given by name so the role's read stays scoped.
      itemReader: new sfn.S3JsonItemReader({ bucketNamePath: registry.bucket.bucketName, key: sfn.JsonPath.stringAt('$.planKey') }),
      itemSelector: { 'windowEnd.$': '$.windowEnd', 'shard.$': '$$.Map.Item.Value' },
      resultPath: sfn.JsonPath.DISCARD,
      maxConcurrency: 10,
    }).itemProcessor(profile);
    const merge = new tasks.LambdaInvoke(this, 'MergeAndEvaluate', {
      lambdaFunction: this.function,
      payload: sfn.TaskInput.fromObject({ mode: 'merge', windowEnd: sfn.JsonPath.stringAt('$.windowEnd'), shardCount: sfn.JsonPath.numberAt('$.shardCount') }),
      payloadResponseOnly: true,
    });
    const logGroup = new logs.LogGroup(this, 'FanOutLogs', { retention, encryptionKey: key });
    const machine = new sfn.StateMachine(this, 'FanOut', {
      stateMachineName: name,
      definitionBody: sfn.DefinitionBody.fromChainable(shards.next(merge)),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    const plans = registry.bucket.arnForObjects(`${registryLayout.reportsPrefix(model)}*`);
    machine.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [plans] }));
    registry.encryptionKey.grantDecrypt(machine);
    acknowledgeWildcardResource(machine.role, plans, "The shard plan under this model's own report prefix.");
    Validations.of(machine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing and CloudWatch Logs delivery actions have no resource-level permissions.',
    });
    const childExecutions = machine.node.tryFindChild('DistributedMapPolicy');
    if (childExecutions instanceof iam.Policy) acknowledgeWildcardsOf(childExecutions, "The Distributed Map's own child executions of this state machine.");
    return machine;
  }
}

function validateProps(props: DriftMonitorProps): void {
  const problems = new Problems('DriftMonitor');
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  for (const problem of driftSettingsProblems(props)) problems.check(false, problem);
  try {
    integrityThresholds(props.integrity);
  } catch (err) {
    problems.check(false, (err as Error).message);
  }
  problems.throwIfAny();
}
