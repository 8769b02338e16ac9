// The training pipelines of one AWS environment (docs/training.md): per model with a `training` section, its
// SageMaker pipeline (the generated definition, checked at synth) and role; per environment, the Baseline step's
// function and the starter with each model's schedule and DriftDetected rule.
import { NestedStack, type Stack } from 'aws-cdk-lib';
import { DockerImageAsset } from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ExperimentTracking } from '../../constructs/aws/experiment-tracking';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { TrainingBaseline, TrainingStarter } from '../../constructs/aws/training-functions';
import { TrainingPipeline } from '../../constructs/aws/training-pipeline';
import { awsEnvironment } from '../config/clouds';
import { imageUriOf } from '../config/images';
import type { ModelConfig, PlatformConfig } from '../config/schema';
import { toEventBridgeCron } from '../config/training-schema';
import { trainingPipelineDefinition } from '../pipeline/training-pipeline';
import { awsRegistryBucketName, mlflowTrackingServerName, namePrefixOf } from './names';
import { trainingImageAssetProps } from './training-image';

/** What {@link addTrainingPipelines} added to an environment's registry stack. */
export interface EnvironmentTraining {
  /** Each trained model's pipeline, by model name. */
  readonly pipelines: Readonly<Record<string, TrainingPipeline>>;
  /** The Baseline step's function, shared by the environment's pipelines. */
  readonly baseline: TrainingBaseline;
  /** What starts the pipelines: schedules and DriftDetected rules. */
  readonly starter: TrainingStarter;
  /**
   * The environment's MLflow tracking server, where each execution's run is logged.
   * @default - none, where the environment's `aws.mlflow` is false
   */
  readonly experiments?: ExperimentTracking;
}

/**
 * Adds the training pipelines of `envName`'s models that have a `training` section to `stack` (the environment's
 * registry stack, which holds the registry they read and register in). Nothing is added when no model trains.
 *
 * @param models the models as the environment serves them (built images resolved: `servedModels`)
 */
export function addTrainingPipelines(stack: Stack, registry: ModelRegistry, config: PlatformConfig, envName: string, models: readonly ModelConfig[]): EnvironmentTraining | undefined {
  const trained = models.filter((m) => m.training);
  if (trained.length === 0) return undefined;
  const prefix = namePrefixOf(config, envName);
  const environment = awsEnvironment(config, envName);
  const logRetention = environment.removalPolicy === 'retain' ? logs.RetentionDays.ONE_YEAR : logs.RetentionDays.ONE_MONTH;
  const baseline = new TrainingBaseline(stack, 'TrainingBaseline', { registry, functionName: `${prefix}-training-baseline`, logRetention });
  const mlflow = environment.aws.mlflow;
  const experiments = mlflow === false
    ? undefined
    : new ExperimentTracking(stack, 'Experiments', { registry, trackingServerName: mlflowTrackingServerName(config, envName), size: mlflow.size, weeklyMaintenanceWindowStart: mlflow.weeklyMaintenanceWindowStart });
  const pipelines: Record<string, TrainingPipeline> = {};
  for (const model of trained) {
    const image = imageUriOf(model);
    // A nested stack per model, like serving: each definition is ~15 KB of template, and 50 of them in the registry
    // stack itself would pass CloudFormation's 1 MB template limit.
    const nested = new NestedStack(stack, `Training-${model.name}`, { description: `ModelStack: training pipeline of ${model.name}` });
    // The jobs run training.aws.image, else ModelStack's training image, built by cdk deploy (one build for every
    // model and environment: the asset is the same, by its hash).
    const asset = model.training!.aws.image ? undefined : new DockerImageAsset(nested, 'TrainingImage', trainingImageAssetProps());
    const trainingImage = model.training!.aws.image ?? asset!.imageUri;
    const definition = trainingPipelineDefinition(config, envName, model.name, {
      // A key ARN: VolumeKmsKeyId takes a key id or ARN, not an alias (CreateTrainingJob's ResourceConfig).
      kmsKeyId: registry.encryptionKey.keyArn,
      servingImage: image,
      trainingImage,
      baselineFunctionArn: `arn:aws:lambda:${environment.aws.region}:${environment.aws.account}:function:${prefix}-training-baseline`,
      // The definition's default: the environment's server by its literal ARN (no token crosses into the nested stack).
      mlflowTrackingServerArn: experiments ? undefined : false,
    });
    // The registry by its literal bucket name (as the serving stack sees it), so the role's S3 resources are literal ARNs.
    const nestedRegistry = ModelRegistry.fromRegistryAttributes(nested, 'Registry', { namePrefix: prefix, bucketName: awsRegistryBucketName(config, envName), encryptionKeyArn: registry.encryptionKey.keyArn });
    pipelines[model.name] = new TrainingPipeline(nested, 'Pipeline', {
      registry: nestedRegistry,
      model: model.name,
      pipelineName: `${prefix}-${model.name}-training`,
      roleName: `${prefix}-${model.name}-training`,
      definition,
      // The jobs run the training image; RegisterModel checks the serving image it registers. The asset's URI is a
      // token (the ECR host's URL suffix), so its pull is granted on the asset repository below.
      images: [...new Set(asset ? [image] : [trainingImage, image])],
      baselineFunction: baseline.function,
      dataPrefix: model.training!.data.prefix,
    });
    // The pull actions only (the role has its ECR login already): IRepository.grantPull would add a second login.
    // The Track step logs the run to the tracking server: only the logging actions, on that server only.
    experiments?.grantLogging(pipelines[model.name].role);
    if (asset) pipelines[model.name].role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PullTrainingImage', actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], resources: [asset.repository.repositoryArn] }));
  }
  const starter = new TrainingStarter(stack, 'TrainingStarter', {
    environment: envName,
    namePrefix: prefix,
    logRetention,
    targets: trained.map((m) => ({
      model: m.name,
      pipeline: pipelines[m.name],
      packageGroupName: registry.modelPackageGroupName(m.name),
      schedule: m.training!.schedule ? toEventBridgeCron(m.training!.schedule) : undefined,
      retrainOnDrift: m.training!.retrainOnDrift,
    })),
  });
  return { pipelines, baseline, starter, experiments };
}
