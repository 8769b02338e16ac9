import { Duration, NestedStack, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ALARM_THRESHOLD_DEFAULTS } from '../../constructs/aws/alarm-thresholds';
import { AlarmTopic } from '../../constructs/aws/alarm-topic';
import { ContainerImage } from '../../constructs/aws/container-image';
import { DriftMonitor } from '../../constructs/aws/drift-monitor';
import { InferenceApi } from '../../constructs/aws/inference-api';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { type IModelRegistry, ModelRegistry } from '../../constructs/aws/model-registry';
import type { AwsEnvironment } from '../config/clouds';
import { imageUriOf } from '../config/images';
import type { EnvironmentConfig, InferenceConfig, ModelConfig } from '../config/schema';
import { waitingModels } from '../config/versions';
import { servingVariantOf } from './serving-variant';

/** Properties every stack of an environment shares (see {@link RegistryStack}). */
export interface EnvironmentStackProps extends StackProps {
  /** Prefix of physical names, `<platform>-<env>`, such as `modelstack-dev`. */
  readonly namePrefix: string;
  /** The environment's name in the config, such as `dev`. */
  readonly environmentName: string;
  /** Fixed name of the registry bucket, so the serving stack can name it literally in IAM policies. */
  readonly registryBucketName: string;
  /** The environment's validated config; its `aws` section is set. */
  readonly environment: AwsEnvironment;
  /** The models as this environment serves them (`buildEnvironment` applies the environment's `servingOverride` first). */
  readonly models: readonly ModelConfig[];
}

export function removalPolicyOf(environment: EnvironmentConfig): RemovalPolicy {
  return environment.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

/**
 * The environment's model registry. {@link buildEnvironment} creates it together with the environment's
 * {@link ServingStack} and {@link OperationsStack}.
 *
 * @example
 * ```ts
 * import { App } from 'aws-cdk-lib';
 * import { awsEnvironment, demoConfig, parseConfig, RegistryStack } from 'modelstack/platform';
 *
 * const config = parseConfig(demoConfig);
 * const staging = awsEnvironment(config, 'staging'); // its `aws` section is set
 * // The registry's access logging needs this feature flag (set in the cdk.json that `cdk init` writes).
 * const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
 * const registry = new RegistryStack(app, 'modelstack-staging-registry', {
 *   env: { account: staging.aws.account, region: staging.aws.region },
 *   namePrefix: 'modelstack-staging',
 *   environmentName: 'staging',
 *   registryBucketName: `modelstack-staging-models-${staging.aws.account}-${staging.aws.region}`,
 *   environment: staging,
 *   models: config.models,
 * });
 * // registry.registry is the stack's ModelRegistry.
 * ```
 */
export class RegistryStack extends Stack {
  /** The registry: bucket, key, model package groups and approval rule. */
  readonly registry: ModelRegistry;
  /**
   * Where every alarm of the environment notifies. It lives here because every other stack depends on this one,
   * so each construct can give its own alarms this action (each alarm exists once, with its action).
   */
  readonly alarms: AlarmTopic;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    const { environment } = props;
    this.alarms = new AlarmTopic(this, 'Alarms', {
      displayName: `${props.namePrefix} alarms`,
      emails: environment.alarmEmails,
      removalPolicy: removalPolicyOf(environment),
    });
    this.registry = new ModelRegistry(this, 'Registry', {
      namePrefix: props.namePrefix,
      bucketName: props.registryBucketName,
      models: props.models.map((m) => m.name),
      removalPolicy: removalPolicyOf(props.environment),
      noncurrentVersionExpiration: Duration.days(props.environment.noncurrentVersionRetentionDays),
    });
  }
}

/** Properties of a {@link ServingStack}. */
export interface ServingStackProps extends EnvironmentStackProps {
  /** The inference API's limits and throttling. */
  readonly inference: InferenceConfig;
  /** ARN of the registry key (a cross-stack reference, which also orders the deployments). */
  readonly registryKeyArn: string;
  /** The environment's alarm topic (in the registry stack): the endpoints' and drift checks' alarms notify it. */
  readonly alarms: AlarmTopic;
}

/**
 * One model's endpoint, its route on the environment's inference API (except async endpoints) and, when the
 * model's `dataCapture.samplingPercentage` is above 0, its drift monitor (a serverless endpoint's traffic is captured
 * by the inference function). {@link ServingStack} creates one per model.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { InferenceApi, type IModelRegistry } from 'modelstack/aws';
 * import { awsEnvironment, demoConfig, ModelServingStack, parseConfig } from 'modelstack/platform';
 *
 * declare const stack: Stack;
 * declare const registry: IModelRegistry;
 *
 * const config = parseConfig(demoConfig);
 * const api = new InferenceApi(stack, 'InferenceApi');
 * const churn = new ModelServingStack(stack, 'Model-churn', {
 *   registry,
 *   namePrefix: 'modelstack-staging',
 *   environmentName: 'staging',
 *   model: config.models[0],
 *   environment: awsEnvironment(config, 'staging'),
 *   api,
 * });
 * // churn.endpoint is the model's ModelEndpoint, churn.driftMonitor its DriftMonitor (when it samples traffic).
 * ```
 */
export class ModelServingStack extends NestedStack {
  /** The model's SageMaker endpoint, `<namePrefix>-<model>`. */
  readonly endpoint: ModelEndpoint;
  /**
   * The function behind the model's API route. Async endpoints have none: SageMaker refuses InvokeEndpoint
   * on them, so callers put the payload in the registry and call InvokeEndpointAsync (`grantInvokeAsync`).
   */
  readonly inferenceFunction?: lambda.Function;
  /**
   * The scheduled drift check, for models with `dataCapture.samplingPercentage` > 0: over what the endpoint captures,
   * or, for a serverless endpoint (which cannot capture), over what the inference function captures.
   */
  readonly driftMonitor?: DriftMonitor;

  constructor(
    scope: Construct,
    id: string,
    props: {
      /** The environment's registry, holding the model artifact. */
      registry: IModelRegistry;
      /** Prefix of physical names, `<platform>-<env>`; the endpoint is `<namePrefix>-<model>`. */
      namePrefix: string;
      /** The environment's name, written into drift reports and events. */
      environmentName: string;
      /** The model's validated config, as the environment serves it; it must have a `version`. */
      model: ModelConfig;
      /** The environment's validated config (its VPC, removal policy and alarm thresholds); its `aws` section is set. */
      environment: AwsEnvironment;
      /** The environment's inference API, which gets the model's route. */
      api: InferenceApi;
      /**
       * Where the endpoint's and the drift check's alarms notify.
       * @default - no action
       */
      alarmAction?: cloudwatch.IAlarmAction;
    },
  ) {
    super(scope, id, { description: `ModelStack: serving of ${props.model.name}` });
    const { model } = props;
    if (model.version === undefined) throw new Error(`ModelServingStack ${model.name}: the model has no version to serve yet`);
    const thresholds = { ...ALARM_THRESHOLD_DEFAULTS, ...props.environment.aws.alarms };
    const promotion = model.aws.promotion;
    const sampling = model.dataCapture.samplingPercentage;
    // SageMaker serverless endpoints cannot capture data ("Feature exclusions", Serverless Inference, SageMaker
    // Developer Guide): the inference function captures for them, into the same folder, in the same format.
    const endpointCaptures = model.serving.kind !== 'serverless';
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      registry: props.registry,
      model: model.name,
      modelVersion: model.version,
      // The config names images by URI (a prebuilt image, or the digest build-images pushed): ECR, known at synth.
      image: ContainerImage.fromImageUri(imageUriOf(model)),
      endpointName: `${props.namePrefix}-${model.name}`,
      variant: servingVariantOf(model),
      dataCaptureSamplingPercentage: endpointCaptures ? sampling : 0,
      vpc: model.serving.kind === 'realtime' ? props.environment.vpc : undefined,
      // Serverless endpoints (also those an environment's servingOverride makes) update all at once.
      deployment:
        model.serving.kind === 'serverless'
          ? undefined
          : { strategy: promotion.strategy, trafficPercent: promotion.trafficPercent, wait: Duration.minutes(promotion.waitMinutes), timeout: Duration.minutes(promotion.timeoutMinutes) },
      alarms: { errorsPer5Min: thresholds.endpoint5xxPer5Min, latencyP99: Duration.millis(thresholds.endpointLatencyP99Ms), action: props.alarmAction },
    });
    if (model.serving.kind !== 'async') {
      this.inferenceFunction = props.api.addModel(
        {
          name: model.name,
          endpoint: this.endpoint,
          features: model.inputSchema.features,
          capture: !endpointCaptures && sampling > 0 ? { registry: props.registry, samplingPercentage: sampling } : undefined,
        },
        this,
      );
    }
    if (sampling > 0) {
      this.driftMonitor = new DriftMonitor(this, 'Drift', {
        registry: props.registry,
        model: model.name,
        modelVersion: model.version,
        alarmAction: props.alarmAction,
        endpoint: this.endpoint,
        environment: props.environmentName,
        windowHours: model.drift.windowHours,
        maxObjectsPerInvocation: model.drift.maxObjectsPerInvocation,
        driftShareThreshold: model.drift.driftShareThreshold,
        task: model.task,
        qualityDegradationThreshold: model.drift.qualityDegradationThreshold,
        integrity: model.drift.integrity,
        logRetention: props.environment.removalPolicy === 'retain' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH,
      });
    }
  }
}

/**
 * The inference API of an environment, and a nested stack per model (its endpoint and function): nesting keeps
 * this stack far below CloudFormation's 500-resource limit however many models the config lists.
 *
 * @example
 * ```ts
 * import type { App } from 'aws-cdk-lib';
 * import { demoConfig, parseConfig, ServingStack, type EnvironmentStackProps, type RegistryStack } from 'modelstack/platform';
 *
 * declare const app: App;
 * declare const registry: RegistryStack;
 * declare const common: EnvironmentStackProps; // what the RegistryStack was created with
 *
 * const config = parseConfig(demoConfig);
 * const serving = new ServingStack(app, 'modelstack-staging-serving', {
 *   ...common,
 *   registryKeyArn: registry.registry.encryptionKey.keyArn,
 *   alarms: registry.alarms,
 *   inference: config.inference,
 * });
 * // serving.inferenceApi.url is the API's base URL.
 * ```
 */
export class ServingStack extends Stack {
  /** The environment's inference API. */
  readonly inferenceApi: InferenceApi;
  /** The nested stack of each model that has a version to serve, by model name. */
  readonly models: Readonly<Record<string, ModelServingStack>>;
  /** Models with no version to serve yet: they get no endpoint, route or drift check until one is pinned or approved. */
  readonly waiting: readonly string[];

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
      alarmAction: props.alarms.action,
    });
    const models: Record<string, ModelServingStack> = {};
    this.waiting = waitingModels(props.models);
    for (const model of props.models) {
      if (model.version === undefined) continue;
      models[model.name] = new ModelServingStack(this, `Model-${model.name}`, {
        registry,
        namePrefix: props.namePrefix,
        environmentName: props.environmentName,
        model,
        environment: props.environment,
        api: this.inferenceApi,
        alarmAction: props.alarms.action,
      });
    }
    this.models = models;
  }
}
