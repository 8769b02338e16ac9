import { RemovalPolicy, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { type IModelRegistry, ModelRegistry } from '../../constructs/aws/model-registry';
import type { EnvironmentConfig, ModelConfig } from '../config/schema';

export interface EnvironmentStackProps extends StackProps {
  readonly namePrefix: string;
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
  /** ARN of the registry key (a cross-stack reference, which also orders the deployments). */
  readonly registryKeyArn: string;
}

/** One SageMaker endpoint per model, served from the environment's registry. */
export class ServingStack extends Stack {
  readonly endpoints: Readonly<Record<string, ModelEndpoint>>;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const registry: IModelRegistry = ModelRegistry.fromRegistryAttributes(this, 'Registry', {
      namePrefix: props.namePrefix,
      bucketName: props.registryBucketName,
      encryptionKeyArn: props.registryKeyArn,
    });
    const endpoints: Record<string, ModelEndpoint> = {};
    for (const model of props.models) {
      const serving = model.serving;
      endpoints[model.name] = new ModelEndpoint(this, `Endpoint-${model.name}`, {
        registry,
        model: model.name,
        modelVersion: model.version,
        image: model.image,
        endpointName: `${props.namePrefix}-${model.name}`,
        variant:
          serving.kind === 'realtime'
            ? {
                kind: 'realtime',
                instanceType: serving.instanceType,
                minInstances: serving.autoscaling.minInstances,
                maxInstances: serving.autoscaling.maxInstances,
                targetInvocationsPerInstance: serving.autoscaling.targetInvocationsPerInstance,
              }
            : serving,
        dataCaptureSamplingPercentage: model.dataCapture.samplingPercentage,
        vpc: serving.kind === 'realtime' ? props.environment.vpc : undefined,
      });
    }
    this.endpoints = endpoints;
  }
}
