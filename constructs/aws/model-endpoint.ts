import { ArnFormat, Duration, type IResource, Resource, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { CfnEndpoint, CfnEndpointConfig, type CfnEndpointProps, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import type { Construct } from 'constructs';
import { registryLayout } from '../../core/layout';
import { Problems, SAFE_RESOURCE_NAME, SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT, SERVERLESS_MEMORY_SIZES_MB } from '../private/validation';
import type { ContainerImage } from './container-image';
import type { IModelRegistry } from './model-registry';
import { deploymentProblems, type TrafficShift } from './deployment-rules';
import { AlarmFactory } from './monitoring/alarm-factory';
import { addEndpointAlarms } from './private/endpoint-alarms';
import { acknowledgeExecutionRoleFindings, executionRolePolicy } from './private/execution-role';
import { acknowledgeWildcardResource } from './private/nag';
import { operationsLayout } from './private/operations-layout';
import { unresolved } from './private/tokens';

/** A SageMaker endpoint that serves one model. */
export interface IModelEndpoint extends IResource {
  /**
   * The endpoint's name.
   * @attribute
   */
  readonly endpointName: string;
  /**
   * The endpoint's ARN.
   * @attribute
   */
  readonly endpointArn: string;
  /** Lets `grantee` call `sagemaker:InvokeEndpoint` on this endpoint only. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /** Any metric of the endpoint's variant in the `AWS/SageMaker` namespace. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/** An instance-backed endpoint that scales on invocations per instance. */
export interface RealtimeVariant {
  /** Selects this variant. */
  readonly kind: 'realtime';
  /** SageMaker instance type, such as `ml.m5.large`. */
  readonly instanceType: string;
  /**
   * Fewest instances; also the initial count.
   * @default 1
   */
  readonly minInstances?: number;
  /**
   * Most instances autoscaling may add.
   * @default - minInstances (no scaling)
   */
  readonly maxInstances?: number;
  /**
   * Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute).
   * @default 100
   */
  readonly targetInvocationsPerInstance?: number;
}

/** A serverless endpoint: scales to zero, no VPC, no data capture (SageMaker limitations). */
export interface ServerlessVariant {
  /** Selects this variant. */
  readonly kind: 'serverless';
  /** Memory in MB: 1024, 2048, 3072, 4096, 5120 or 6144. */
  readonly memorySizeMb: number;
  /**
   * Most concurrent invocations.
   * @default 5
   */
  readonly maxConcurrency?: number;
}

/**
 * An asynchronous endpoint for large payloads and long model runs: requests are read from and responses written to
 * the registry bucket (`async-inference/<model>/`), completions are announced on SNS topics, and autoscaling keeps
 * zero instances while the backlog is empty.
 */
export interface AsyncVariant {
  /** Selects this variant. */
  readonly kind: 'async';
  /** SageMaker instance type, such as `ml.m5.xlarge`. */
  readonly instanceType: string;
  /**
   * Most instances autoscaling may add.
   * @default 2
   */
  readonly maxInstances?: number;
  /**
   * Requests one instance works on at a time.
   * @default 4
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
  /**
   * Target of `ApproximateBacklogSizePerInstance` that autoscaling keeps.
   * @default 5
   */
  readonly targetBacklogPerInstance?: number;
}

/** How an endpoint serves its model, chosen by `kind`: real-time, serverless or asynchronous. */
export type ServingVariant = RealtimeVariant | ServerlessVariant | AsyncVariant;

/** Subnets and security groups for a real-time model's containers. */
export interface ModelVpcConfig {
  /** Subnets the containers run in, such as `subnet-0123456789abcdef0`. */
  readonly subnetIds: readonly string[];
  /** Security groups of the containers, such as `sg-0123456789abcdef0`. */
  readonly securityGroupIds: readonly string[];
}

/** Properties of a {@link ModelEndpoint}. */
export interface ModelEndpointProps {
  /** The registry holding the model artifact; also receives captured data. */
  readonly registry: IModelRegistry;
  /** Model name in the registry (the artifact is `models/<model>/<version>/model.tar.gz`). */
  readonly model: string;
  /** Artifact version to serve: the artifact is `models/<model>/<modelVersion>/model.tar.gz` in the registry. */
  readonly modelVersion: string;
  /**
   * The inference container image (`ContainerImage.fromEcrRepository`, `fromImageUri` or `fromAsset`); the endpoint's
   * execution role is granted its pull.
   */
  readonly image: ContainerImage;
  /** Real-time (instances, autoscaling), serverless or asynchronous serving. */
  readonly variant: ServingVariant;
  /** Physical endpoint name; lowercase letters, digits and single hyphens, at most 63 characters. */
  readonly endpointName: string;
  /**
   * Percentage of requests and responses captured to `data-capture/<model>/` in the registry: an integer from 0 to
   * 100 (instance-backed variants only: serverless endpoints cannot capture data).
   * @default 0 - data capture off
   */
  readonly dataCaptureSamplingPercentage?: number;
  /**
   * VPC for the model containers (instance-backed variants only: serverless endpoints cannot run in a VPC).
   * @default - no VPC (instance-backed containers run with network isolation either way)
   */
  readonly vpc?: ModelVpcConfig;
  /**
   * Environment variables for the inference container.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * How an update (a new version, image or variant shape) reaches a real-time or async endpoint: SageMaker's
   * blue/green deployment with traffic shifting, rolled back automatically while the endpoint's own alarms fire.
   * Serverless endpoints always update all at once, without guardrails.
   * @default - blue/green, all at once, baking 10 minutes, at most 2 hours
   */
  readonly deployment?: EndpointDeployment;
  /**
   * The endpoint's own alarms (5xx errors and ModelLatency p99), which also roll a deployment back.
   * @default - ALARM_DEFAULTS.endpointErrors and .endpointLatencyP99Ms (5 errors per 5 minutes, p99 above 1 second), no alarm action
   */
  readonly alarms?: EndpointAlarmOptions;
}

/** A blue/green update of a real-time or async endpoint (SageMaker deployment guardrails). */
export interface EndpointDeployment {
  /**
   * How traffic moves to the new fleet: a canary share then the rest, equal linear steps, or all at once.
   * Canary and linear need at least 2 instances.
   * @default 'all-at-once'
   */
  readonly strategy?: TrafficShift;
  /**
   * The canary's (1-50) or each linear step's (10-50) share of the variant's capacity, in percent.
   * @default 10 (canary), 20 (linear)
   */
  readonly trafficPercent?: number;
  /**
   * Baking time after each traffic step and before the old fleet is terminated, watched by the alarms (at most 1 hour).
   * @default Duration.minutes(10)
   */
  readonly wait?: Duration;
  /**
   * Longest the deployment may take (10 minutes to 8 hours), more than its total baking time.
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;
}

/** Thresholds and action of a {@link ModelEndpoint}'s own alarms. */
export interface EndpointAlarmOptions {
  /**
   * Invocation5XXErrors summed over 5 minutes from which the errors alarm fires.
   * @default - ALARM_DEFAULTS.endpointErrors (5)
   */
  readonly errorsPer5Min?: number;
  /**
   * ModelLatency p99 (over 5 minutes, 2 of 3 periods) above which the latency alarm fires.
   * @default - ALARM_DEFAULTS.endpointLatencyP99Ms (1 second)
   */
  readonly latencyP99?: Duration;
  /**
   * Where both alarms notify, on alarm and on OK.
   * @default - no action
   */
  readonly action?: cloudwatch.IAlarmAction;
}

/** The one production variant every ModelStack endpoint has. */
export const VARIANT_NAME = 'AllTraffic';

/** What every endpoint offers, created here or imported by name: invoke grants and CloudWatch metrics. */
export abstract class ModelEndpointBase extends Resource implements IModelEndpoint {
  abstract readonly endpointName: string;
  abstract readonly endpointArn: string;

  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: VARIANT_NAME },
      ...props,
    });
  }

  /** Requests sent to the endpoint. @default sum over 5 minutes */
  metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  /** Requests where the model returned a 5xx. @default sum over 5 minutes */
  metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }

  /** Requests where the model returned a 4xx. @default sum over 5 minutes */
  metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: 'Sum', ...props });
  }

  /** Time the model took to respond, in microseconds. @default p99 over 5 minutes */
  metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'p99', ...props });
  }

  /** Time SageMaker added on top of the model, in microseconds. @default p99 over 5 minutes */
  metricOverheadLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: 'p99', ...props });
  }
}

/**
 * A SageMaker model, endpoint config and endpoint for one model version from a {@link ModelRegistry}.
 *
 * Secure defaults: an execution role that may read only its own model's artifacts and write only its own
 * data-capture prefix; captured data encrypted with the registry key; network isolation for real-time and async
 * containers; the ML storage volume encrypted with the registry key (instance types with local NVMe storage
 * encrypt it in hardware instead).
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { ContainerImage, ModelEndpoint, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const inferenceFunction: lambda.IFunction;
 *
 * const endpoint = new ModelEndpoint(stack, 'Churn', {
 *   registry,
 *   model: 'churn',
 *   modelVersion: '3',
 *   endpointName: 'modelstack-dev-churn',
 *   image: ContainerImage.fromImageUri('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'),
 *   variant: { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 1, maxInstances: 4 },
 *   dataCaptureSamplingPercentage: 20,
 * });
 * endpoint.grantInvoke(inferenceFunction);
 * new cloudwatch.Alarm(stack, 'Errors', { metric: endpoint.metricInvocation5XXErrors(), threshold: 1, evaluationPeriods: 1 });
 * ```
 */
export class ModelEndpoint extends ModelEndpointBase {
  /** Refers to an endpoint defined elsewhere. */
  static fromEndpointName(scope: Construct, id: string, endpointName: string): IModelEndpoint {
    class Imported extends ModelEndpointBase {
      readonly endpointName = endpointName;
      readonly endpointArn = endpointArnFor(Stack.of(scope), endpointName);
    }
    return new Imported(scope, id);
  }

  readonly endpointName: string;
  readonly endpointArn: string;
  /** The SageMaker execution role of the model (reused by promotions and batch transform jobs). */
  readonly role: iam.Role;
  /** The underlying `AWS::SageMaker::Model`. */
  readonly cfnModel: CfnModel;
  /** The underlying `AWS::SageMaker::EndpointConfig`. */
  readonly cfnEndpointConfig: CfnEndpointConfig;
  /** The underlying `AWS::SageMaker::Endpoint`. */
  readonly cfnEndpoint: CfnEndpoint;
  /** The autoscaling target of a real-time or async variant; undefined for serverless. */
  readonly scalableTarget?: appscaling.ScalableTarget;
  /** Fires on Invocation5XXErrors; named `<endpoint>-5xx-errors`. Deployments roll back while it is in alarm. */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** Fires on ModelLatency p99; named `<endpoint>-model-latency-p99`. Deployments roll back while it is in alarm. */
  readonly latencyAlarm: cloudwatch.Alarm;
  /** Where an async endpoint announces finished requests (KMS-encrypted with the registry key); async only. */
  readonly asyncSuccessTopic?: sns.Topic;
  /** Where an async endpoint announces failed requests; async only. */
  readonly asyncErrorTopic?: sns.Topic;

  private readonly asyncInput?: { readonly objectsArn: string; readonly key: IModelRegistry['encryptionKey'] };

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id, { physicalName: props.endpointName });
    validateProps(props);
    const { registry, variant } = props;
    // Async endpoints run on instances too: everything said of real-time instances holds for them.
    const realtime = variant.kind === 'realtime' || variant.kind === 'async';
    const capture = realtime ? (props.dataCaptureSamplingPercentage ?? 0) : 0;
    const stack = Stack.of(this);
    this.endpointName = props.endpointName;
    this.endpointArn = endpointArnFor(stack, props.endpointName);

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of ${props.endpointName}`,
    });
    registry.grantReadModel(this.role, props.model);
    const policy = executionRolePolicy({
      stack,
      endpointName: props.endpointName,
      dataCapture: capture > 0 ? { objectsArn: registry.bucket.arnForObjects(`${registryLayout.dataCapturePrefix(props.model)}*`), keyArn: registry.encryptionKey.keyArn } : undefined,
      vpc: realtime && props.vpc !== undefined,
    });
    policy.forEach((statement) => this.role.addToPrincipalPolicy(statement));
    acknowledgeExecutionRoleFindings(this.role, policy, registry.bucket.arnForObjects(`${registryLayout.modelPrefix(props.model)}*`));
    const image = props.image.bind(this, this.role);

    this.cfnModel = new CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: {
        image: image.imageUri,
        modelDataUrl: registry.bucket.s3UrlForObject(registryLayout.modelArtifact(props.model, props.modelVersion)),
        environment: props.environment,
      },
      // Serverless endpoints support neither network isolation nor VPC config.
      enableNetworkIsolation: realtime ? true : undefined,
      vpcConfig: realtime && props.vpc ? { subnets: [...props.vpc.subnetIds], securityGroupIds: [...props.vpc.securityGroupIds] } : undefined,
    });
    // SageMaker checks the role's access to the artifact and image when the model is created.
    this.cfnModel.node.addDependency(this.role);

    this.cfnEndpointConfig = new CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [
        variant.kind === 'realtime'
          ? {
              variantName: VARIANT_NAME,
              modelName: this.cfnModel.attrModelName,
              initialVariantWeight: 1,
              instanceType: variant.instanceType,
              initialInstanceCount: variant.minInstances ?? 1,
            }
          : variant.kind === 'async'
          ? {
              variantName: VARIANT_NAME,
              modelName: this.cfnModel.attrModelName,
              initialVariantWeight: 1,
              instanceType: variant.instanceType,
              // SageMaker starts an async endpoint with one instance; autoscaling takes it to zero when idle.
              initialInstanceCount: 1,
            }
          : {
              variantName: VARIANT_NAME,
              modelName: this.cfnModel.attrModelName,
              serverlessConfig: { memorySizeInMb: variant.memorySizeMb, maxConcurrency: variant.maxConcurrency ?? 5 },
            },
      ],
      kmsKeyId: variant.kind !== 'serverless' && !hasLocalNvmeStorage(variant.instanceType) ? registry.encryptionKey.keyArn : undefined,
      dataCaptureConfig:
        capture > 0
          ? {
              enableCapture: true,
              initialSamplingPercentage: capture,
              destinationS3Uri: registry.bucket.s3UrlForObject(registryLayout.dataCapturePrefix(props.model).replace(/\/$/, '')),
              kmsKeyId: registry.encryptionKey.keyArn,
              captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
              captureContentTypeHeader: { csvContentTypes: ['text/csv'], jsonContentTypes: ['application/json'] },
            }
          : undefined,
    });
    if (variant.kind === 'serverless' || hasLocalNvmeStorage(variant.instanceType)) {
      const reason =
        variant.kind !== 'serverless'
          ? `${variant.instanceType} has local NVMe storage that the instance encrypts in hardware; SageMaker rejects a KmsKeyId for it.`
          : 'Serverless endpoints have no ML storage volume to encrypt; SageMaker does not accept a KmsKeyId for them.';
      Validations.of(this.cfnEndpointConfig).acknowledge({ id: 'AwsSolutions-SM2', reason });
      Validations.of(this.cfnEndpointConfig).acknowledge({ id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason });
    }

    if (variant.kind === 'async') {
      const asyncSetup = this.configureAsync(props, variant);
      this.asyncSuccessTopic = asyncSetup.success;
      this.asyncErrorTopic = asyncSetup.error;
      this.asyncInput = { objectsArn: registry.bucket.arnForObjects(`${operationsLayout.asyncInputPrefix(props.model)}*`), key: registry.encryptionKey };
    }

    [this.errorsAlarm, this.latencyAlarm] = this.createAlarms(props);
    this.cfnEndpoint = new CfnEndpoint(this, 'Endpoint', {
      endpointName: props.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
      ...(realtime ? instanceBackedUpdate(props.deployment, [this.errorsAlarm, this.latencyAlarm]) : {}),
    });

    if (variant.kind === 'realtime') {
      this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${props.endpointName}/variant/${VARIANT_NAME}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: variant.minInstances ?? 1,
        maxCapacity: variant.maxInstances ?? variant.minInstances ?? 1,
      });
      this.scalableTarget.node.addDependency(this.cfnEndpoint);
      this.scalableTarget.scaleToTrackMetric('InvocationsPerInstance', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: variant.targetInvocationsPerInstance ?? 100,
        scaleOutCooldown: Duration.minutes(1),
        scaleInCooldown: Duration.minutes(5),
      });
    } else if (variant.kind === 'async') {
      this.scalableTarget = new appscaling.ScalableTarget(this, 'ScalableTarget', {
        serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
        resourceId: `endpoint/${props.endpointName}/variant/${VARIANT_NAME}`,
        scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        minCapacity: 0,
        maxCapacity: variant.maxInstances ?? 2,
      });
      this.scalableTarget.node.addDependency(this.cfnEndpoint);
      this.scalableTarget.scaleToTrackMetric('BacklogPerInstance', {
        customMetric: this.metricApproximateBacklogSizePerInstance({ statistic: 'Average' }),
        targetValue: variant.targetBacklogPerInstance ?? 5,
        scaleOutCooldown: Duration.minutes(1),
        scaleInCooldown: Duration.minutes(5),
      });
      // Target tracking cannot leave zero instances (there is no per-instance backlog to track), so a step
      // policy adds the first instance as soon as requests wait without capacity.
      this.scalableTarget.scaleOnMetric('WakeFromZero', {
        metric: this.metricHasBacklogWithoutCapacity({ statistic: 'Average', period: Duration.minutes(1) }),
        scalingSteps: [
          { upper: 0, change: 0 },
          { lower: 0.5, change: 1 },
        ],
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: Duration.minutes(1),
        evaluationPeriods: 1,
      });
    }
  }

  /**
   * Lets `grantee` submit async requests: upload payloads under `async-inference/<model>/input/` (encrypted with the
   * registry key) and call `sagemaker:InvokeEndpointAsync` on this endpoint. Async endpoints only.
   */
  grantInvokeAsync(grantee: iam.IGrantable): iam.Grant {
    if (!this.asyncInput) throw new Error(`ModelEndpoint ${this.endpointName}: grantInvokeAsync needs an async variant`);
    this.asyncInput.key.grantEncrypt(grantee);
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.asyncInput.objectsArn] });
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpointAsync'], resourceArns: [this.endpointArn] });
  }

  /** Requests queued on an async endpoint, per instance. @default average over 5 minutes */
  metricApproximateBacklogSizePerInstance(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'ApproximateBacklogSizePerInstance', dimensionsMap: { EndpointName: this.endpointName }, statistic: 'Average', ...props });
  }

  /** 1 while an async endpoint has queued requests and no instance. @default average over 5 minutes */
  metricHasBacklogWithoutCapacity(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'HasBacklogWithoutCapacity', dimensionsMap: { EndpointName: this.endpointName }, statistic: 'Average', ...props });
  }

  /** The errors and latency alarms, with the fixed names deployment guardrails and operators look for. */
  private createAlarms(props: ModelEndpointProps): [cloudwatch.Alarm, cloudwatch.Alarm] {
    const factory = new AlarmFactory({
      action: props.alarms?.action,
      overrides: { endpointErrors: { threshold: props.alarms?.errorsPer5Min }, endpointLatencyP99Ms: { threshold: props.alarms?.latencyP99?.toMilliseconds() } },
    });
    return addEndpointAlarms(this, factory, this, { errors: 'ErrorsAlarm', latency: 'LatencyAlarm' });
  }

  /** Topics, S3 output and the execution role's extra grants of an async endpoint. */
  private configureAsync(props: ModelEndpointProps, variant: AsyncVariant): { success: sns.Topic; error: sns.Topic } {
    const { registry } = props;
    const topic = (id: string, what: string) =>
      new sns.Topic(this, id, { displayName: `${props.endpointName} async ${what}`, masterKey: registry.encryptionKey, enforceSSL: true });
    const success = topic('AsyncSuccess', 'successes');
    const error = topic('AsyncError', 'errors');
    // Explicit rather than grantPublish, whose key grant adds kms:GenerateDataKey*; AsyncPayloadKey below covers the key.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PublishAsyncOutcome', actions: ['sns:Publish'], resources: [success.topicArn, error.topicArn] }));

    const input = registry.bucket.arnForObjects(`${operationsLayout.asyncInputPrefix(props.model)}*`);
    const outputs = [operationsLayout.asyncOutputPrefix(props.model), operationsLayout.asyncFailurePrefix(props.model)].map((p) => registry.bucket.arnForObjects(`${p}*`));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadAsyncInput', actions: ['s3:GetObject'], resources: [input] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteAsyncOutput', actions: ['s3:PutObject'], resources: outputs }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'AsyncPayloadKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'], resources: [registry.encryptionKey.keyArn] }),
    );
    acknowledgeWildcardResource(this.role, input, 'Async requests are one object each under the model\'s own async input prefix.');
    for (const output of outputs) acknowledgeWildcardResource(this.role, output, 'Async responses are one object each under the model\'s own async output prefixes.');

    this.cfnEndpointConfig.asyncInferenceConfig = {
      clientConfig: { maxConcurrentInvocationsPerInstance: variant.maxConcurrentInvocationsPerInstance ?? 4 },
      outputConfig: {
        s3OutputPath: registry.bucket.s3UrlForObject(operationsLayout.asyncOutputPrefix(props.model).replace(/\/$/, '')),
        s3FailurePath: registry.bucket.s3UrlForObject(operationsLayout.asyncFailurePrefix(props.model).replace(/\/$/, '')),
        kmsKeyId: registry.encryptionKey.keyArn,
        notificationConfig: { successTopic: success.topicArn, errorTopic: error.topicArn },
      },
    };
    return { success, error };
  }
}

const DEPLOYMENT_DEFAULTS = { strategy: 'all-at-once' as TrafficShift, wait: Duration.minutes(10), timeout: Duration.hours(2) };

function trafficPercentOf(deployment: EndpointDeployment | undefined): number {
  return deployment?.trafficPercent ?? (deployment?.strategy === 'linear' ? 20 : 10);
}

/**
 * CloudFormation owns the endpoint; these settings make each update of it safe. A new endpoint config goes live
 * through SageMaker's blue/green deployment (rolled back while a rollback alarm fires), and the variant's instance
 * count (which autoscaling owns) is retained instead of being reset to the config's initial count. Data capture
 * settings are not retained, so a change of the sampling percentage takes effect.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sagemaker-endpoint.html
 */
function instanceBackedUpdate(deployment: EndpointDeployment | undefined, rollbackAlarms: cloudwatch.IAlarm[]): Partial<CfnEndpointProps> {
  const strategy = deployment?.strategy ?? DEPLOYMENT_DEFAULTS.strategy;
  const wait = (deployment?.wait ?? DEPLOYMENT_DEFAULTS.wait).toSeconds();
  const step = { type: 'CAPACITY_PERCENT', value: trafficPercentOf(deployment) };
  return {
    retainAllVariantProperties: true,
    excludeRetainedVariantProperties: [{ variantPropertyType: 'DataCaptureConfig' }],
    deploymentConfig: {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: {
          type: strategy === 'canary' ? 'CANARY' : strategy === 'linear' ? 'LINEAR' : 'ALL_AT_ONCE',
          waitIntervalInSeconds: wait,
          canarySize: strategy === 'canary' ? step : undefined,
          linearStepSize: strategy === 'linear' ? step : undefined,
        },
        terminationWaitInSeconds: wait,
        maximumExecutionTimeoutInSeconds: (deployment?.timeout ?? DEPLOYMENT_DEFAULTS.timeout).toSeconds(),
      },
      autoRollbackConfiguration: { alarms: rollbackAlarms.map((alarm) => ({ alarmName: alarm.alarmName })) },
    },
  };
}

function endpointArnFor(stack: Stack, endpointName: string): string {
  return stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: endpointName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}

/** Instance families whose ML storage is local NVMe (`d` suffix, and the G5/G6/P5 generations). */
function hasLocalNvmeStorage(instanceType: string): boolean {
  const family = instanceType.split('.')[1] ?? '';
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family) || /^(g5|g6|g6e|p5|p5e)$/.test(family);
}

function validateProps(props: ModelEndpointProps): void {
  const problems = new Problems('ModelEndpoint');
  problems.check(
    unresolved(props.endpointName) || (SAFE_RESOURCE_NAME.test(props.endpointName) && props.endpointName.length <= 63),
    `endpointName "${props.endpointName}": expected at most 63 lowercase letters, digits and single hyphens`,
  );
  const capture = props.dataCaptureSamplingPercentage ?? 0;
  // Not a token: whether the endpoint captures (and its role may write captures) is decided at synth.
  problems.check(Number.isInteger(capture) && capture >= 0 && capture <= 100, `dataCaptureSamplingPercentage ${capture}: expected an integer from 0 to 100`);
  const v = props.variant;
  if (v.kind === 'realtime') {
    const min = v.minInstances ?? 1;
    const max = v.maxInstances ?? min;
    problems.check(unresolved(v.instanceType) || SAGEMAKER_INSTANCE_TYPE.test(v.instanceType), `variant.instanceType "${v.instanceType}": ${SAGEMAKER_INSTANCE_TYPE_HINT}`);
    problems.check(unresolved(min) || (Number.isInteger(min) && min >= 1), `variant.minInstances ${min}: expected an integer of at least 1`);
    problems.check(unresolved(min, max) || max >= min, `variant.maxInstances ${max}: expected at least minInstances (${min})`);
  } else if (v.kind === 'async') {
    const max = v.maxInstances ?? 2;
    const concurrency = v.maxConcurrentInvocationsPerInstance ?? 4;
    const backlog = v.targetBacklogPerInstance ?? 5;
    problems.check(unresolved(v.instanceType) || SAGEMAKER_INSTANCE_TYPE.test(v.instanceType), `variant.instanceType "${v.instanceType}": ${SAGEMAKER_INSTANCE_TYPE_HINT}`);
    problems.check(unresolved(max) || (Number.isInteger(max) && max >= 1), `variant.maxInstances ${max}: expected an integer of at least 1`);
    problems.check(unresolved(concurrency) || (Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000), `variant.maxConcurrentInvocationsPerInstance ${concurrency}: expected an integer from 1 to 1000`);
    problems.check(unresolved(backlog) || backlog > 0, `variant.targetBacklogPerInstance ${backlog}: expected a positive number`);
  } else {
    problems.check(unresolved(v.memorySizeMb) || SERVERLESS_MEMORY_SIZES_MB.includes(v.memorySizeMb), `variant.memorySizeMb ${v.memorySizeMb}: expected ${SERVERLESS_MEMORY_SIZES_MB.join(', ')}`);
    const concurrency = v.maxConcurrency ?? 5;
    problems.check(unresolved(concurrency) || (Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 200), `variant.maxConcurrency ${concurrency}: expected an integer from 1 to 200`);
    problems.check(capture === 0, 'dataCaptureSamplingPercentage: serverless endpoints do not support data capture; expected 0');
    problems.check(props.vpc === undefined, 'vpc: serverless endpoints cannot run in a VPC');
  }
  const d = props.deployment;
  if (d && !Token.isUnresolved(d.wait?.toSeconds()) && !Token.isUnresolved(d.timeout?.toSeconds())) {
    const minInstances = v.kind === 'realtime' ? (v.minInstances ?? 1) : undefined;
    // A token instance count is left to SageMaker at deploy time (Infinity passes the synth-time instance rule).
    const instanceCount = v.kind === 'async' ? 1 : minInstances !== undefined && unresolved(minInstances) ? Infinity : minInstances;
    const found = deploymentProblems({
      strategy: d.strategy ?? DEPLOYMENT_DEFAULTS.strategy,
      trafficPercent: trafficPercentOf(d),
      waitSeconds: (d.wait ?? DEPLOYMENT_DEFAULTS.wait).toSeconds(),
      timeoutSeconds: (d.timeout ?? DEPLOYMENT_DEFAULTS.timeout).toSeconds(),
      instanceCount,
    });
    for (const [field, message] of found) problems.check(false, `deployment.${field}: ${message}`);
  }
  problems.throwIfAny();
}
