import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import type { IModelRegistry } from './model-registry';
import { BundledFunction } from './private/bundled-function';
import { logsEncryptionKey } from './private/logs-key';
import { acknowledgeWildcardResource } from './private/nag';
import type { TrainingPipeline } from './training-pipeline';

/** Properties of a {@link TrainingBaseline}. */
export interface TrainingBaselineProps {
  /** The registry whose `pipelines/` work folders the function reads the features from and writes baseline.json to. */
  readonly registry: IModelRegistry;
  /** The function's name: the one the pipeline definitions' Baseline step names, `<platform>-<env>-training-baseline`. */
  readonly functionName: string;
  /**
   * Key of the function's logs.
   * @default - a new rotating key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The function behind the training pipelines' Baseline step (a Lambda step): it profiles a pipeline execution's
 * prepared training features into baseline.json with the drift engine's profiler. One per environment, shared by
 * every model's pipeline; it reads and writes only the registry's `pipelines/` work folders.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { TrainingBaseline, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * const baseline = new TrainingBaseline(stack, 'TrainingBaseline', { registry, functionName: 'modelstack-dev-training-baseline' });
 * // baseline.function is what a TrainingPipeline's baselineFunction takes.
 * ```
 */
export class TrainingBaseline extends Construct {
  /** The bundled function. */
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: TrainingBaselineProps) {
    super(scope, id);
    new Problems('TrainingBaseline').check(/^[a-zA-Z0-9-_]{1,64}$/.test(props.functionName), `functionName "${props.functionName}": expected at most 64 letters, digits, hyphens or underscores`).throwIfAny();
    const key = props.encryptionKey ?? logsEncryptionKey(this, 'Key', 'Training baseline function: logs');
    const bundled = new BundledFunction(this, 'Baseline', {
      bundle: 'aws-training-baseline',
      description: 'Training pipelines: profiles the training features into baseline.json',
      logEncryptionKey: key,
      logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // The profiler holds the features file in /tmp and its sketches in memory.
      memorySize: 2048,
      timeout: Duration.minutes(10),
      environment: { REGISTRY_BUCKET: props.registry.bucket.bucketName },
    });
    this.function = bundled.function;
    // A fixed name: the pipeline definitions name the function literally (a Lambda step's FunctionArn).
    (this.function.node.defaultChild as lambda.CfnFunction).functionName = props.functionName;
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'Invoked synchronously by SageMaker Pipelines (a Lambda step), which records a failure as the step failing: there is no asynchronous event to dead-letter.',
    });
    const bucket = props.registry.bucket;
    bundled.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': ['pipelines/*'] } } }));
    const work = bucket.arnForObjects('pipelines/*');
    bundled.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [work] }));
    props.registry.encryptionKey.grant(bundled.role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResource(bundled.role, work, "The training pipelines' per-execution work folders only.");
  }
}

/** One model's pipeline and what starts it. */
export interface TrainingStarterTarget {
  /** Model name: `DriftDetected` events match on `detail.model`. */
  readonly model: string;
  /** The model's training pipeline. */
  readonly pipeline: TrainingPipeline;
  /** The model's package group: the latest approved version in it is the one a candidate must beat. */
  readonly packageGroupName: string;
  /**
   * When to retrain, as an EventBridge Scheduler expression in UTC, such as `cron(0 3 ? * MON *)`.
   * @default - no schedule
   */
  readonly schedule?: string;
  /**
   * Whether a `DriftDetected` event of this model in this environment starts the pipeline.
   * @default false
   */
  readonly retrainOnDrift?: boolean;
}

/** Properties of a {@link TrainingStarter}. */
export interface TrainingStarterProps {
  /**
   * Prefix of the targets' names, `<platform>-<env>`: each pipeline must be `<namePrefix>-<model>-training` and each
   * package group `<namePrefix>-<model>`, so the starter's environment holds just the prefix and the model names
   * (Lambda's environment variables hold 4 KB in all, too little for a map of 50 models' names).
   */
  readonly namePrefix: string;
  /** The environment's name: `DriftDetected` events match on `detail.environment`, as the drift check writes it. */
  readonly environment: string;
  /** The pipelines the starter may start. */
  readonly targets: readonly TrainingStarterTarget[];
  /**
   * Where `DriftDetected` events arrive (`source: modelstack.drift`).
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Key of the logs and the dead-letter queue.
   * @default - a new rotating key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Starts models' training pipelines on their EventBridge Scheduler schedules and on their `DriftDetected` events,
 * at most one running execution per model: the starter function (reserved concurrency 1) starts nothing while an
 * execution of the model's pipeline is executing or stopping, and passes the latest approved version's model data as
 * `CurrentModelDataUrl`. Deliveries that fail after their retries land in a KMS-encrypted dead-letter queue.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { TrainingStarter, type TrainingPipeline } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const churn: TrainingPipeline;
 * new TrainingStarter(stack, 'TrainingStarter', {
 *   environment: 'dev',
 *   namePrefix: 'modelstack-dev',
 *   targets: [{ model: 'churn', pipeline: churn, packageGroupName: 'modelstack-dev-churn', schedule: 'cron(0 3 ? * MON *)', retrainOnDrift: true }],
 * });
 * ```
 */
export class TrainingStarter extends Construct {
  /** The starter function. */
  readonly function: lambda.Function;
  /** Receives triggers that could not be delivered after their retries (KMS-encrypted, kept 14 days). */
  readonly deadLetterQueue: sqs.Queue;
  /** The schedule of each model that has one, by model. */
  readonly schedules: Readonly<Record<string, scheduler.Schedule>>;
  /** The `DriftDetected` rule of each model that retrains on drift, by model. */
  readonly driftRules: Readonly<Record<string, events.Rule>>;

  constructor(scope: Construct, id: string, props: TrainingStarterProps) {
    super(scope, id);
    const problems = new Problems('TrainingStarter');
    const models = props.targets.map((t) => t.model);
    problems.check(new Set(models).size === models.length, `targets: each model at most once, got ${models.join(', ')}`);
    for (const t of props.targets) {
      problems.check(t.schedule === undefined || /^(cron|rate|at)\(.+\)$/.test(t.schedule), `targets ${t.model}: schedule "${t.schedule}": expected cron(...), rate(...) or at(...)`);
      problems.check(t.pipeline.pipelineName === `${props.namePrefix}-${t.model}-training`, `targets ${t.model}: pipeline "${t.pipeline.pipelineName}": expected "${props.namePrefix}-${t.model}-training"`);
      problems.check(t.packageGroupName === `${props.namePrefix}-${t.model}`, `targets ${t.model}: packageGroupName "${t.packageGroupName}": expected "${props.namePrefix}-${t.model}"`);
    }
    problems.throwIfAny();
    const stack = Stack.of(this);
    const key = props.encryptionKey ?? logsEncryptionKey(this, 'Key', 'Training starter: logs and dead letters');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the training triggers.' });

    const bundled = new BundledFunction(this, 'Starter', {
      bundle: 'aws-training-starter',
      description: `Starts the training pipelines of ${props.namePrefix}, one execution per model at a time`,
      logEncryptionKey: key,
      logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      // What pipelinesFromEnvironment (lambdas/training-starter) reads.
      environment: { TRAINING_NAME_PREFIX: props.namePrefix, TRAINING_MODELS: models.join(',') },
    });
    this.function = bundled.function;
    // One invocation at a time: two triggers cannot both see "nothing running" and start two executions.
    (this.function.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    Validations.of(this.function).acknowledge({
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'The schedules and rules that invoke the starter dead-letter undeliverable triggers into the KMS-encrypted queue.',
    });
    for (const target of props.targets) target.pipeline.grantStartExecution(bundled.role);
    const packages = props.targets.map((t) => stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${t.packageGroupName}/*` }));
    if (packages.length > 0) {
      bundled.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: packages }));
      for (const arn of packages) acknowledgeWildcardResource(bundled.role, arn, "Versions of the trained models' own package groups only.");
    }
    // ListModelPackages has no resource-level permissions (Service Authorization Reference, Amazon SageMaker AI).
    bundled.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:ListModelPackages'], resources: ['*'] }));
    Validations.of(bundled.role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'sagemaker:ListModelPackages has no resource-level permissions; it lists metadata only.' });

    const scheduleRole = new iam.Role(this, 'ScheduleRole', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'), description: 'Invokes the training starter on schedule' });
    // The target construct grants only sqs:SendMessage; Scheduler also needs the queue key to deliver into an
    // SSE-KMS queue ("Configuring a schedule's dead-letter queue", EventBridge Scheduler User Guide).
    key.grant(scheduleRole, 'kms:GenerateDataKey', 'kms:Decrypt');
    const schedules: Record<string, scheduler.Schedule> = {};
    const driftRules: Record<string, events.Rule> = {};
    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    for (const target of props.targets) {
      if (target.schedule) {
        schedules[target.model] = new scheduler.Schedule(this, `Schedule-${target.model}`, {
          description: `Retrains ${target.model} on schedule`,
          schedule: scheduler.ScheduleExpression.expression(target.schedule),
          target: new ScheduleLambdaInvoke(this.function, {
            input: scheduler.ScheduleTargetInput.fromObject({ model: target.model, trigger: 'schedule' }),
            retryAttempts: 2,
            deadLetterQueue: this.deadLetterQueue,
            role: scheduleRole,
          }),
        });
      }
      if (target.retrainOnDrift) {
        driftRules[target.model] = new events.Rule(this, `Drift-${target.model}`, {
          description: `Retrains ${target.model} when its drift check reports DriftDetected in ${props.environment}`,
          eventBus,
          eventPattern: { source: ['modelstack.drift'], detailType: ['DriftDetected'], detail: { model: [target.model], environment: [props.environment] } },
          targets: [new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(2), deadLetterQueue: this.deadLetterQueue })],
        });
      }
    }
    if (Object.keys(schedules).length > 0) acknowledgeWildcardResource(scheduleRole, `${this.function.functionArn}:*`, 'Versions and aliases of the training starter only.');
    this.schedules = schedules;
    this.driftRules = driftRules;
  }
}
