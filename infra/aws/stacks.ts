import { Duration, NestedStack, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DriftMonitor } from '../../constructs/aws/drift-monitor';
import { InferenceApi } from '../../constructs/aws/inference-api';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { type IModelRegistry, ModelRegistry } from '../../constructs/aws/model-registry';
import type { EnvironmentConfig, InferenceConfig, ModelConfig } from '../config/schema';
import { servingVariantOf } from './serving-variant';

export interface EnvironmentStackProps extends StackProps {
  readonly namePrefix: string;
  readonly environmentName: string;
  /** Fixed name of the registry bucket, so the serving stack can name it literally in IAM policies. */
  readonly registryBucketName: string;
  readonly environment: EnvironmentConfig;
  readonly models: readonly ModelConfig[];
}

export function removalPolicyOf(environment: EnvironmentConfig): RemovalPolicy {
  return environment.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/** The environment's model registry. */
export class RegistryStack extends Stack {
  readonly registry: ModelRegistry;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    this.registry = new ModelRegistry(this, 'Registry', {
      namePrefix: props.namePrefix,
      bucketName: props.registryBucketName,
      models: props.models.map((m) => m.name),
      removalPolicy: removalPolicyOf(props.environment),
      noncurrentVersionExpiration: Duration.days(props.environment.noncurrentVersionRetentionDays),
    });
  }
}

export interface ServingStackProps extends EnvironmentStackProps {
  readonly inference: InferenceConfig;
  /** ARN of the registry key (a cross-stack reference, which also orders the deployments). */
  readonly registryKeyArn: string;
}

/** One model's endpoint and inference function. */
export class ModelServingStack extends NestedStack {
  readonly endpoint: ModelEndpoint;
  /**
   * The function behind the model's API route. Async endpoints have none: SageMaker refuses InvokeEndpoint
   * on them, so callers put the payload in the registry and call InvokeEndpointAsync (`grantInvokeAsync`).
   */
  readonly inferenceFunction?: NodejsFunction;
  /** The scheduled drift check; only for models whose endpoint captures data. */
  readonly driftMonitor?: DriftMonitor;

  constructor(
    scope: Construct,
    id: string,
    props: { registry: IModelRegistry; namePrefix: string; environmentName: string; model: ModelConfig; environment: EnvironmentConfig; api: InferenceApi },
  ) {
    super(scope, id, { description: `ModelStack: serving of ${props.model.name}` });
    const { model } = props;
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      registry: props.registry,
      model: model.name,
      modelVersion: model.version,
      image: model.image,
      endpointName: `${props.namePrefix}-${model.name}`,
      variant: servingVariantOf(model),
      dataCaptureSamplingPercentage: model.dataCapture.samplingPercentage,
      vpc: model.serving.kind === 'realtime' ? props.environment.vpc : undefined,
    });
    if (model.serving.kind !== 'async') {
      this.inferenceFunction = props.api.addModel({ name: model.name, endpoint: this.endpoint, features: model.inputSchema.features }, this);
    }
    if (model.dataCapture.samplingPercentage > 0) {
      this.driftMonitor = new DriftMonitor(this, 'Drift', {
        registry: props.registry,
        model: model.name,
        modelVersion: model.version,
        endpoint: this.endpoint,
        environment: props.environmentName,
        windowHours: model.drift.windowHours,
        maxObjectsPerInvocation: model.drift.maxObjectsPerInvocation,
        driftShareThreshold: model.drift.driftShareThreshold,
        task: model.task,
        qualityDegradationThreshold: model.drift.qualityDegradationThreshold,
        logRetention: props.environment.removalPolicy === 'retain' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
      });
    }
  }
}

/**
 * The inference API of an environment, and a nested stack per model (its endpoint and function): nesting keeps
 * this stack far below CloudFormation's 500-resource limit however many models the config lists.
 */
export class ServingStack extends Stack {
  readonly inferenceApi: InferenceApi;
  readonly models: Readonly<Record<string, ModelServingStack>>;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const registry: IModelRegistry = ModelRegistry.fromRegistryAttributes(this, 'Registry', {
      namePrefix: props.namePrefix,
      bucketName: props.registryBucketName,
      encryptionKeyArn: props.registryKeyArn,
    });
    this.inferenceApi = new InferenceApi(this, 'InferenceApi', {
      maxBodyBytes: props.inference.maxBodyBytes,
      maxInstancesPerRequest: props.inference.maxInstancesPerRequest,
      throttleRateLimit: props.inference.throttleRateLimit,
      throttleBurstLimit: props.inference.throttleBurstLimit,
      upstreamTimeout: Duration.millis(props.inference.upstreamTimeoutMs),
      logRetention: props.environment.removalPolicy === 'retain' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
    });
    const models: Record<string, ModelServingStack> = {};
    for (const model of props.models) {
      models[model.name] = new ModelServingStack(this, `Model-${model.name}`, {
        registry,
        namePrefix: props.namePrefix,
        environmentName: props.environmentName,
        model,
        environment: props.environment,
        api: this.inferenceApi,
      });
    }
    this.models = models;
  }
}
