import { CfnOutput, Duration, NestedStack, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BatchInference } from '../../constructs/aws/batch-inference';
import { FeatureStore } from '../../constructs/aws/feature-store';
import { ModelCard } from '../../constructs/aws/model-card';
import type { AlarmTopic } from '../../constructs/aws/alarm-topic';
import { type IModelRegistry, ModelRegistry } from '../../constructs/aws/model-registry';
import { PlatformMonitoring } from '../../constructs/aws/platform-monitoring';
import { logsEncryptionKey } from '../../constructs/aws/private/logs-key';
import { StreamingInference } from '../../constructs/aws/streaming-inference';
import type { AwsPlatformConfig } from '../config/aws-schema';
import type { AwsEnvironment } from '../config/clouds';
import { imageUriOf } from '../config/images';
import type { EnvironmentConfig, InferenceConfig, ModelConfig } from '../config/schema';
import { type ServingStack, removalPolicyOf } from './stacks';

/** Properties of an {@link OperationsStack}. */
export interface OperationsStackProps extends StackProps {
  /** Prefix of physical names, `<platform>-<env>`, such as `modelstack-dev`. */
  readonly namePrefix: string;
  /** Literal name of the registry bucket (the registry is imported by name, not by a cross-stack reference). */
  readonly registryBucketName: string;
  /** ARN of the registry key (a cross-stack reference). */
  readonly registryKeyArn: string;
  /** The environment's validated config: alarm recipients and thresholds, removal policy, approvals; its `aws` section is set. */
  readonly environment: AwsEnvironment;
  /** The models as this environment serves them (after any serving override). */
  readonly models: readonly ModelConfig[];
  /** The inference API's limits; streaming inference enforces the same body and instance limits. */
  readonly inference: InferenceConfig;
  /** Platform-wide AWS settings: the feature store's entities and the governance tags. */
  readonly aws: AwsPlatformConfig;
  /** The environment's serving stack: its endpoints, inference functions, drift monitors and API are monitored here. */
  readonly serving: ServingStack;
  /** The environment's alarm topic (in the registry stack), which every alarm here notifies. */
  readonly alarms: AlarmTopic;
}

/**
 * Day-2 operations of one environment: the dashboard and alarms, the feature store, and a
 * nested stack per model (its alarms, model card, batch and streaming inference), so the stack stays far below
 * CloudFormation's 500-resource limit however many models the config lists.
 *
 * @example
 * ```ts
 * import type { App } from 'aws-cdk-lib';
 * import {
 *   demoConfig,
 *   OperationsStack,
 *   parseConfig,
 *   type EnvironmentStackProps,
 *   type RegistryStack,
 *   type ServingStack,
 * } from 'modelstack/platform';
 *
 * declare const app: App;
 * declare const registry: RegistryStack;
 * declare const serving: ServingStack;
 * declare const common: EnvironmentStackProps; // what the other two stacks were created with
 *
 * const config = parseConfig(demoConfig);
 * const operations = new OperationsStack(app, 'modelstack-staging-operations', {
 *   ...common,
 *   registryKeyArn: registry.registry.encryptionKey.keyArn,
 *   inference: config.inference,
 *   aws: config.aws,
 *   serving,
 *   alarms: registry.alarms,
 * });
 * operations.addStackDependency(serving);
 * ```
 */
export class OperationsStack extends Stack {
  /** The environment's dashboard and the alarms no other construct owns. */
  readonly monitoring: PlatformMonitoring;
  /** The feature groups; only when the config declares feature store entities. */
  readonly featureStore?: FeatureStore;
  /** The nested stack of each model, by model name. */
  readonly models: Readonly<Record<string, ModelOperationsStack>>;
  /** The inference API's URL, as an output (the pipeline's smoke step reads it). */
  readonly inferenceApiUrl: CfnOutput;

  constructor(scope: Construct, id: string, props: OperationsStackProps) {
    super(scope, id, props);
    const { environment, serving } = props;
    this.inferenceApiUrl = new CfnOutput(this, 'InferenceApiUrl', { value: serving.inferenceApi.url, description: 'Inference API base URL' });
    const removalPolicy = removalPolicyOf(environment);
    const retain = environment.removalPolicy === 'retain';
    const registry = ModelRegistry.fromRegistryAttributes(this, 'Registry', {
      namePrefix: props.namePrefix,
      bucketName: props.registryBucketName,
      encryptionKeyArn: props.registryKeyArn,
    });
    const logKey = logsEncryptionKey(this, 'LogKey', `${props.namePrefix} operations logs`, removalPolicy);
    const logRetention = retain ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      dashboardName: props.namePrefix,
      alarmTopic: props.alarms,
      thresholds: environment.aws.alarms,
    });
    this.monitoring.monitorApi(serving.inferenceApi, { scope: this });

    if (props.aws.featureStore.entities.length > 0) {
      this.featureStore = new FeatureStore(this, 'FeatureStore', { namePrefix: props.namePrefix, registry, groups: props.aws.featureStore.entities, removalPolicy });
    }

    const models: Record<string, ModelOperationsStack> = {};
    for (const model of props.models) {
      models[model.name] = new ModelOperationsStack(this, `Model-${model.name}`, {
        model,
        namePrefix: props.namePrefix,
        environment,
        inference: props.inference,
        aws: props.aws,
        registry,
        serving,
        monitoring: this.monitoring,
        logKey,
        logRetention,
      });
    }
    this.models = models;
  }
}

/** Props of a {@link ModelOperationsStack}: one model's operations, nested in the environment's operations stack. */
export interface ModelOperationsProps {
  /** The model's validated config, as the environment serves it. */
  readonly model: ModelConfig;
  /** Prefix of physical names, `<platform>-<env>`; the model's endpoint is `<namePrefix>-<model>`. */
  readonly namePrefix: string;
  /** The environment's validated config: removal policy, and whether the endpoint must see steady traffic. */
  readonly environment: EnvironmentConfig;
  /** The inference API's limits, enforced by streaming inference too. */
  readonly inference: InferenceConfig;
  /** Platform-wide AWS settings; `tags.owner` is the model card's owner when the model names none. */
  readonly aws: AwsPlatformConfig;
  /** The environment's registry (batch input and output, streaming results, the model card's key). */
  readonly registry: IModelRegistry;
  /** The environment's serving stack; it must serve this model. */
  readonly serving: ServingStack;
  /** The environment's monitoring, which gets the model's alarms and dashboard widgets. */
  readonly monitoring: PlatformMonitoring;
  /** Key that encrypts the batch workflow's and the streaming function's logs. */
  readonly logKey: kms.IKey;
  /** How long those logs are kept. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * One model's alarms and dashboard rows, model card, and (when configured) batch and streaming inference.
 * {@link OperationsStack} creates one per model; a model that has no version to serve yet gets only its card.
 *
 * @example
 * ```ts
 * import type { Stack } from 'aws-cdk-lib';
 * import type * as kms from 'aws-cdk-lib/aws-kms';
 * import * as logs from 'aws-cdk-lib/aws-logs';
 * import type { IModelRegistry, PlatformMonitoring } from 'modelstack/aws';
 * import { demoConfig, ModelOperationsStack, parseConfig, type ServingStack } from 'modelstack/platform';
 *
 * declare const stack: Stack;
 * declare const registry: IModelRegistry;
 * declare const serving: ServingStack;
 * declare const monitoring: PlatformMonitoring;
 * declare const logKey: kms.IKey;
 *
 * const config = parseConfig(demoConfig);
 * new ModelOperationsStack(stack, 'Model-churn', {
 *   model: config.models[0],
 *   namePrefix: 'modelstack-staging',
 *   environment: config.environments.staging,
 *   inference: config.inference,
 *   aws: config.aws,
 *   registry,
 *   serving,
 *   monitoring,
 *   logKey,
 *   logRetention: logs.RetentionDays.ONE_YEAR,
 * });
 * ```
 */
export class ModelOperationsStack extends NestedStack {
  /** The scheduled batch inference; only when the model configures `batch`. */
  readonly batch?: BatchInference;
  /** The streaming inference; only when the model configures `streaming`. */
  readonly streaming?: StreamingInference;
  /** The model's SageMaker model card. */
  readonly card: ModelCard;

  constructor(scope: Construct, id: string, props: ModelOperationsProps) {
    super(scope, id, { description: `ModelStack: operations of ${props.model.name}` });
    const { model, monitoring, registry, environment } = props;
    const removalPolicy = removalPolicyOf(environment);
    this.card = new ModelCard(this, 'Card', {
      modelCardName: `${props.namePrefix}-${model.name}`,
      model: model.name,
      problemType: model.task,
      algorithmType: model.framework,
      image: imageUriOf(model),
      description: model.aws.modelCard.description,
      intendedUses: model.aws.modelCard.intendedUses,
      riskRating: model.aws.modelCard.riskRating,
      owner: model.aws.modelCard.owner ?? props.aws.tags?.owner,
      encryptionKey: registry.encryptionKey,
      removalPolicy,
    });

    const served = props.serving.models[model.name];
    if (!served) return; // waiting for a first version: nothing is served yet
    const { endpoint } = served;
    // The model's segments live in this nested stack (their ids come from what they monitor). Production-like
    // environments (those behind an approval) expect steady traffic; others may idle. The endpoint's errors and
    // latency alarms and the drift check's own alarms live beside them in the serving stack: not created twice.
    monitoring.monitorEndpoint(endpoint, { scope: this, expectTraffic: environment.approvalRequired });
    if (served.inferenceFunction) monitoring.monitorFunction(served.inferenceFunction, { scope: this, label: `${model.name} inference` });
    const drift = served.driftMonitor;
    if (drift) {
      monitoring.monitorDrift(
        model.name,
        {
          driftShare: drift.metricDriftShare({ statistic: 'Maximum', period: Duration.hours(1) }),
          checkFailures: drift.metricCheckFailures({ statistic: 'Sum', period: Duration.hours(1) }),
          integrityFailures: drift.metricIntegrityFailures(),
          ownAlarms: [drift.failureAlarm, drift.qualityAlarm, drift.deadLetterAlarm],
        },
        { scope: this },
      );
    }

    const batch = model.batch;
    // The parser requires `batch.aws` when an environment deploys to AWS.
    if (batch?.aws) {
      this.batch = new BatchInference(this, 'Batch', {
        model: model.name,
        endpoint,
        executionRole: served.endpoint.role,
        registry,
        schedule: events.Schedule.expression(batch.schedule),
        instanceType: batch.aws.instanceType,
        instanceCount: batch.aws.instanceCount,
        contentType: batch.contentType,
        maxRuntime: Duration.hours(batch.maxRuntimeHours),
        logEncryptionKey: props.logKey,
        logRetention: props.logRetention,
      });
      monitoring.monitorStateMachine(this.batch.stateMachine, { scope: this, label: `${model.name} batch` });
    }

    const streaming = model.streaming;
    if (streaming) {
      this.streaming = new StreamingInference(this, 'Streaming', {
        model: model.name,
        endpoint,
        features: model.inputSchema.features,
        registry,
        logEncryptionKey: props.logKey,
        logRetention: props.logRetention,
        batchSize: streaming.batchSize,
        maxBatchingWindow: Duration.seconds(streaming.maxBatchingWindowSeconds),
        retryAttempts: streaming.retryAttempts,
        retentionPeriod: Duration.hours(streaming.retentionHours),
        shardCount: streaming.aws?.shardCount,
        limits: { maxBodyBytes: props.inference.maxBodyBytes, maxInstances: props.inference.maxInstancesPerRequest },
        removalPolicy,
      });
      monitoring.monitorFunction(this.streaming.function, { scope: this, label: `${model.name} streaming` }).monitorDeadLetterQueue(this.streaming.deadLetterQueue, {
        scope: this,
        label: `${model.name} streaming`,
      });
    }
  }
}
