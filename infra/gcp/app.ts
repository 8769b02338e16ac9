import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { type App, Aspects, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudRunDeployerRole } from '../../constructs/gcp/cloud-run-deployer-role';
import { CloudRunModelService } from '../../constructs/gcp/cloud-run-model-service';
import { driftTopicName } from '../../constructs/gcp/drift-contract';
import { BatchPrediction, cloudSchedulerCron } from '../../constructs/gcp/batch-prediction';
import { DriftFunction, scheduleFor } from '../../constructs/gcp/drift-function';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { FeatureStore } from '../../constructs/gcp/feature-store';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { InferenceFunction } from '../../constructs/gcp/inference-function';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelImageRepository } from '../../constructs/gcp/model-image-repository';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { ModelVersionEvents } from '../../constructs/gcp/model-version-events';
import { PlatformMonitoring } from '../../constructs/gcp/platform-monitoring';
import { PrivateEndpointAccess, type PrivateEndpointAddress } from '../../constructs/gcp/private-endpoint-access';
import { MODELS_PREFIX } from '../../constructs/gcp/private/iam';
import { ServiceAgents } from '../../constructs/gcp/private/service-agents';
import { prebuiltServingImage } from '../../constructs/gcp/prebuilt-images';
import { RetrainingTrigger } from '../../constructs/gcp/retraining-trigger';
import { StreamingInference } from '../../constructs/gcp/streaming-inference';
import { TrainingBaselineFunction } from '../../constructs/gcp/training-baseline-function';
import { TrainingImage } from '../../constructs/gcp/training-image';
import { TrainingTensorboard, TrainingWorkflow } from '../../constructs/gcp/training-workflow';
import { VertexDeployTrigger } from '../../constructs/gcp/vertex-deploy-trigger';
import { VertexDeployerRole } from '../../constructs/gcp/vertex-deployer-role';
import { buildFolderOf } from '../config/images';
import { ConfigError } from '../config/load';
import { type GcpEnvironment, gcpEnvironments } from '../config/clouds';
import type { InferenceConfig, ModelConfig, PlatformConfig } from '../config/schema';
import { RequiredApis } from '../../constructs/gcp/required-apis';
import { configureStateBackend } from './state-backend';

/** Properties of a {@link GcpEnvironmentStack} (exported as `GcpEnvironmentStackProps`). */
export interface EnvironmentStackProps {
  /** The platform's name; resource names start with `<platform>-<environmentName>`. */
  readonly platform: string;
  /** The environment's name in the config, such as `dev`. */
  readonly environmentName: string;
  /** The environment's validated config (its `gcp` section, which must be set, removal policy, alarm email, approvals). */
  readonly environment: GcpEnvironment;
  /** The platform's models. */
  readonly models: readonly ModelConfig[];
  /** The inference API's limits (shared with AWS). */
  readonly inference: InferenceConfig;
}

/**
 * One environment's Google Cloud platform in one Terraform stack (cross-stack references in cdktf need remote
 * state, which a single stack avoids): the registry, model-version events and the DriftDetected topic, a Vertex
 * AI endpoint per model with its inference function, a drift check (function, schedule, fan-out workflow) per
 * model whose requests are logged, the Cloud Build deploy trigger per model and the optional retraining trigger,
 * the optional feature store, and monitoring. It configures the Google provider for the environment's project and
 * region itself. {@link buildGcpPlatform} adds one per environment.
 *
 * @example
 * ```ts
 * import { App } from 'cdktf';
 * import { demoConfig, GcpEnvironmentStack, gcpEnvironment, parseConfig } from 'modelstack/platform';
 *
 * const config = parseConfig(demoConfig);
 * const app = new App();
 * new GcpEnvironmentStack(app, 'modelstack-dev-platform', {
 *   platform: config.platform.name,
 *   environmentName: 'dev',
 *   environment: gcpEnvironment(config, 'dev'), // its `gcp` section is set
 *   models: config.models,
 *   inference: config.inference,
 * });
 * app.synth();
 * ```
 */
export class GcpEnvironmentStack extends TerraformStack {
  /** The environment's registry. */
  readonly registry: ModelRegistry;
  /** The environment's DriftDetected topic. */
  readonly driftTopic: EncryptedTopic;
  /** Notifications of new objects under `models/`, which start the deploy triggers. */
  readonly modelVersionEvents: ModelVersionEvents;
  /** The Vertex AI endpoint of each model, by model name; empty with `gcp.servingOverride` (Cloud Run). */
  readonly endpoints: Record<string, ModelEndpoint> = {};
  /** The Cloud Run service of each model, by model name; only with `gcp.servingOverride: { kind: 'cloudRun' }`. */
  readonly cloudRunServices: Record<string, CloudRunModelService> = {};
  /**
   * The repository the deploy triggers push built model images to (with `gcp.repository` and a model whose image is
   * `{ build }`) and the training image is built into (with a model that trains without `training.gcp.image`).
   */
  readonly modelImages?: ModelImageRepository;
  /** ModelStack's training image; only with a model that has a `training` section without `training.gcp.image`. */
  readonly trainingImage?: TrainingImage;
  /** The training workflows' baseline function; only with a model that has a `training` section. */
  readonly trainingBaseline?: TrainingBaselineFunction;
  /** The deploy trigger of each model, by model name; empty without `gcp.repository`. */
  readonly deployTriggers: Record<string, VertexDeployTrigger> = {};
  /**
   * The retraining trigger; only with `gcp.retraining`, `gcp.repository` and a model without a `training` section
   * (it then retrains only those: a model with one has its training workflow).
   */
  readonly retraining?: RetrainingTrigger;
  /** The training pipeline of each model with a `training` section, by model name. */
  readonly training: Record<string, TrainingWorkflow> = {};
  /** The environment's Vertex AI TensorBoard; only with a model that has a `training` section. */
  readonly tensorboard?: TrainingTensorboard;
  /** The feature store; only when `gcp.featureStore` declares entities. */
  readonly featureStore?: FeatureStore;
  /** The environment's alert policies and dashboard. */
  readonly monitoring: PlatformMonitoring;
  /** What the environment's functions share. */
  readonly functions: FunctionPlatform;
  /** The inference function of each model, by model name. */
  readonly inferenceFunctions: Record<string, InferenceFunction> = {};
  /** Per model with a version whose requests are logged (`dataCapture.samplingPercentage` > 0). */
  readonly driftFunctions: Record<string, DriftFunction> = {};
  /** The scheduled Vertex AI batch prediction of each model with `batch`, by model name. */
  readonly batchPredictions: Record<string, BatchPrediction> = {};
  /** The streaming inference of each model with `streaming`, by model name. */
  readonly streaming: Record<string, StreamingInference> = {};

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id);
    const { environment, environmentName } = props;
    const { gcp } = environment;
    const { project, region } = gcp;
    const namePrefix = `${props.platform}-${environmentName}`;
    const retain = environment.removalPolicy === 'retain';
    // GCP label keys allow underscores, not the colon AWS tags use.
    const labels = { modelstack_platform: props.platform, modelstack_environment: environmentName };
    new GoogleProvider(this, 'google', { project, region, defaultLabels: labels });
    // Service identities (the agents' creation) exist in google-beta only.
    new GoogleBetaProvider(this, 'google-beta', { project, region, defaultLabels: labels });
    // Enables every API the finished stack uses, before anything that needs it.
    Aspects.of(this).add(new RequiredApis(this, project));
    configureStateBackend(this, gcp.state, `${props.platform}/${environmentName}`, `environments.${environmentName}.gcp.state`);

    this.registry = new ModelRegistry(this, 'Registry', {
      namePrefix,
      project,
      region,
      retainOnDelete: retain,
      noncurrentVersionRetentionDays: environment.noncurrentVersionRetentionDays,
      reportRetentionDays: gcp.reportRetentionDays,
    });
    this.modelVersionEvents = new ModelVersionEvents(this, 'ModelVersions', { registry: this.registry, topicName: `${namePrefix}-model-versions`, project });
    this.driftTopic = new EncryptedTopic(this, 'DriftDetected', { name: driftTopicName(namePrefix), project, registry: this.registry });

    const images = servingImages(props.models, region);
    checkDriftSchedules(props.models);
    checkBatchSchedules(props.models);
    this.functions = new FunctionPlatform(this, 'Functions', { registry: this.registry, namePrefix, project, region });
    const knownModels = props.models.map((m) => m.name);
    const cloudRun = gcp.servingOverride;
    // Every model on Cloud Run: no Vertex AI endpoint, so no Vertex AI deployer role either.
    const deployerRole = gcp.repository && !cloudRun ? new VertexDeployerRole(this, 'DeployerRole', { namePrefix, project }) : undefined;
    const cloudRunDeployerRole = gcp.repository && cloudRun ? new CloudRunDeployerRole(this, 'CloudRunDeployerRole', { namePrefix, project }) : undefined;
    const buildsTrainingImage = props.models.some((m) => m.training && m.training.gcp.image === undefined);
    if ((gcp.repository && Object.values(images).some((image) => typeof image !== 'string')) || buildsTrainingImage) {
      this.modelImages = new ModelImageRepository(this, 'ModelImages', { registry: this.registry, namePrefix, project, region });
    }
    // The network is for Vertex AI endpoints: a Cloud Run environment has none to reach.
    const psc = gcp.network?.kind === 'psc' && !cloudRun ? new PrivateEndpointAccess(this, 'PrivateEndpoints', { namePrefix, project, region, network: gcp.network.vpcNetwork, subnetwork: gcp.network.subnetwork, connectorRange: gcp.network.connectorRange }) : undefined;
    const pscAddresses: Record<string, PrivateEndpointAddress> = {};
    for (const model of props.models) {
      const endpoint = cloudRun
        ? (this.cloudRunServices[model.name] = new CloudRunModelService(this, `Serve-${model.name}`, {
            registry: this.registry,
            namePrefix,
            model: model.name,
            project,
            region,
            cpu: cloudRun.cpu,
            memoryMb: cloudRun.memoryMb,
            maxInstances: cloudRun.maxInstances,
            samplingPercentage: model.dataCapture.samplingPercentage,
            allowDestroy: !retain,
          }))
        : (this.endpoints[model.name] = new ModelEndpoint(this, `Endpoint-${model.name}`, {
            registry: this.registry,
            namePrefix,
            model: model.name,
            project,
            region,
            samplingPercentage: model.dataCapture.samplingPercentage,
            network: gcp.network,
          }));
      const pscAddress = endpoint instanceof ModelEndpoint ? psc?.addressFor(endpoint) : undefined;
      if (pscAddress) pscAddresses[model.name] = pscAddress;
      this.inferenceFunctions[model.name] = new InferenceFunction(this, `Inference-${model.name}`, {
        platform: this.functions,
        endpoint,
        features: model.inputSchema.features,
        knownModels,
        maxBodyBytes: props.inference.maxBodyBytes,
        maxInstancesPerRequest: props.inference.maxInstancesPerRequest,
        upstreamTimeoutMs: props.inference.upstreamTimeoutMs,
        invokers: gcp.functions?.invokers,
        ingress: gcp.functions?.ingress,
        maxInstances: gcp.functions?.maxInstances,
        privateEndpoint: psc && pscAddress ? { address: pscAddress, connector: psc.connector } : undefined,
        // Vertex AI cannot log a private (VPC peering) endpoint's requests, and Cloud Run logs none: the function captures them instead.
        captureAtApi: model.dataCapture.samplingPercentage > 0 && !endpoint.requestLoggingAvailable,
      });
      // The drift check compares against the served version's baseline: none before a first version.
      if (model.dataCapture.samplingPercentage > 0 && model.version !== undefined) {
        this.driftFunctions[model.name] = new DriftFunction(this, `Drift-${model.name}`, {
          platform: this.functions,
          endpoint,
          driftTopic: this.driftTopic,
          environment: environmentName,
          modelVersion: model.version,
          task: model.task,
          ...model.drift,
        });
      }
      if (gcp.repository && (deployerRole || cloudRunDeployerRole)) {
        this.deployTriggers[model.name] = new VertexDeployTrigger(this, `Deploy-${model.name}`, {
          endpoint,
          events: this.modelVersionEvents,
          deployerRole,
          cloudRunDeployerRole,
          repository: gcp.repository,
          namePrefix,
          project,
          region,
          ...servingImageProps(images[model.name], this.modelImages),
          machineType: model.gcp.machineType,
          minReplicas: model.gcp.minReplicas,
          maxReplicas: model.gcp.maxReplicas,
          trafficSplit: model.gcp.trafficSplit,
          approvalRequired: environment.approvalRequired,
          alias: environmentName,
          // Batch prediction needs a Vertex AI model: on Cloud Run, the deploy build registers each version it rolls out.
          registerModelId: cloudRun && model.batch ? vertexModelId(namePrefix, model.name) : undefined,
          privateServiceConnect: psc && pscAddress ? { access: psc, address: pscAddress } : undefined,
        });
      }
    }

    const trainedModels = props.models.filter((m) => m.training).map((m) => m.name);
    const untrainedModels = props.models.filter((m) => !m.training).map((m) => m.name);
    if (gcp.retraining && gcp.repository && untrainedModels.length > 0) {
      this.retraining = new RetrainingTrigger(this, 'Retraining', {
        registry: this.registry,
        driftTopic: this.driftTopic,
        repository: gcp.repository,
        namePrefix,
        project,
        buildConfig: gcp.retraining.buildConfig,
        approvalRequired: environment.approvalRequired,
        models: trainedModels.length > 0 ? untrainedModels : undefined,
      });
    }

    if (gcp.featureStore && gcp.featureStore.entities.length > 0) {
      this.featureStore = new FeatureStore(this, 'FeatureStore', { namePrefix, project, region, retainOnDelete: retain, ...gcp.featureStore });
    }

    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      namePrefix,
      environment: environmentName,
      project,
      endpoints: Object.values(this.endpoints),
      alarmEmails: environment.alarmEmails,
      thresholds: gcp.alertThresholds,
    });

    const notificationChannels = this.monitoring.notificationChannels.length > 0 ? this.monitoring.notificationChannels.map((c) => c.id) : undefined;
    if (trainedModels.length > 0) this.tensorboard = new TrainingTensorboard(this, 'Tensorboard', { registry: this.registry, namePrefix, project, region });
    if (trainedModels.length > 0) this.trainingBaseline = new TrainingBaselineFunction(this, 'TrainingBaseline', { platform: this.functions });
    if (buildsTrainingImage) this.trainingImage = new TrainingImage(this, 'TrainingImage', { registry: this.registry, repository: this.modelImages!, namePrefix });
    for (const model of props.models) {
      const training = model.training;
      if (!training || !this.tensorboard || !this.trainingBaseline) continue;
      const serving = images[model.name];
      // models.upload reads the version's folder as the Vertex AI service agent: a Vertex AI endpoint grants this
      // already; the same grant (the same grant, once) where models are served on Cloud Run.
      if (cloudRun) this.registry.grantRead(ServiceAgents.of(this, project).vertex, { prefix: MODELS_PREFIX });
      this.training[model.name] = new TrainingWorkflow(this, `Training-${model.name}`, {
        registry: this.registry,
        tensorboard: this.tensorboard,
        baseline: this.trainingBaseline,
        namePrefix,
        project,
        region,
        environment: environmentName,
        pipeline: {
          model: model.name,
          task: model.task,
          features: model.inputSchema.features,
          target: training.target,
          dataPrefix: training.data.prefix ?? `training-data/${model.name}/`,
          format: training.data.format,
          holdout: training.holdout,
          metric: training.objective.metric,
          floor: training.objective.floor,
          hyperparameters: training.hyperparameters,
          tuning: training.tuning,
          machineType: training.gcp.machineType,
          bootDiskGb: training.gcp.bootDiskGb,
          maxRuntimeMinutes: training.gcp.maxRuntimeMinutes,
          trainingImage: training.gcp.image,
          // A built model server has no image URI before a deploy builds it: the workflow then takes the served version's.
          servingImage: typeof serving === 'string' ? serving : undefined,
        },
        // Without training.gcp.image: ModelStack's training image, which the first run builds.
        trainingImage: training.gcp.image === undefined ? this.trainingImage : undefined,
        schedule: training.schedule,
        driftTopic: training.retrainOnDrift ? this.driftTopic : undefined,
        notificationChannels,
      });
    }
    for (const model of props.models) {
      if (model.batch) {
        const { gcp: settings } = model.batch;
        // Uploading a version and running a batch job read its directory as the Vertex AI service agent (models.upload:
        // "If empty, Vertex AI service Agent will be used to access resources needed to upload the model",
        // https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models/upload): a Vertex AI
        // endpoint grants this already; the same grant for an environment without one.
        if (cloudRun) this.registry.grantRead(ServiceAgents.of(this, project).vertex, { prefix: MODELS_PREFIX });
        this.batchPredictions[model.name] = new BatchPrediction(this, `Batch-${model.name}`, {
          registry: this.registry,
          namePrefix,
          project,
          region,
          model: model.name,
          // The endpoint's model, or on Cloud Run the model its deploy build registers (the same name).
          modelId: vertexModelId(namePrefix, model.name),
          // The version the deploy trigger last moved the environment's alias to: batch scores what the endpoint serves.
          alias: environmentName,
          features: model.inputSchema.features.map((f) => f.name),
          schedule: model.batch.schedule,
          contentType: model.batch.contentType,
          maxRuntimeHours: model.batch.maxRuntimeHours,
          machineType: settings.machineType,
          startingReplicaCount: settings.startingReplicaCount,
          maxReplicaCount: settings.maxReplicaCount,
          input: settings.input,
          output: settings.output,
          notificationChannels,
        });
      }
      if (model.streaming) {
        this.streaming[model.name] = new StreamingInference(this, `Streaming-${model.name}`, {
          platform: this.functions,
          // The model's Cloud Run service in an environment with `gcp.servingOverride`, else its Vertex AI endpoint.
          endpoint: this.cloudRunServices[model.name] ?? this.endpoints[model.name],
          features: model.inputSchema.features,
          maxBodyBytes: props.inference.maxBodyBytes,
          maxInstancesPerRequest: props.inference.maxInstancesPerRequest,
          upstreamTimeoutMs: props.inference.upstreamTimeoutMs,
          retryAttempts: model.streaming.retryAttempts,
          retentionHours: model.streaming.retentionHours,
          ordered: model.streaming.ordered,
          maxInstances: gcp.functions?.maxInstances,
          retainOnDelete: retain,
          privateEndpoint: psc && pscAddresses[model.name] ? { address: pscAddresses[model.name], connector: psc.connector } : undefined,
          notificationChannels,
        });
      }
    }
  }
}

/** A model's Vertex AI model id, `<platform>-<env>-<model>` (a `ModelEndpoint`'s display name). */
function vertexModelId(namePrefix: string, model: string): string {
  return `${namePrefix}-${model}`;
}

/** A model's serving image on Google Cloud: an image URI, or a folder each deploy builds. */
type ServingImage = string | { readonly build: string };

/** The deploy trigger's image props: a prebuilt image, or the build of a folder into the environment's repository. */
function servingImageProps(image: ServingImage, repository: ModelImageRepository | undefined): { containerImage?: string; imageBuild?: { repository: ModelImageRepository; folder: string } } {
  if (typeof image === 'string') return { containerImage: image };
  return { imageBuild: { repository: repository!, folder: image.build } };
}

/**
 * Each model's serving image: its own `gcp.containerImage`, else the build of its `image.build` folder (the same model
 * server as on AWS), else Vertex AI's prebuilt one for its framework.
 */
function servingImages(models: readonly ModelConfig[], region: string): Record<string, ServingImage> {
  const images: Record<string, ServingImage> = {};
  const problems: string[] = [];
  models.forEach((model, i) => {
    const folder = buildFolderOf(model.image);
    const image = model.gcp.containerImage ?? (folder !== undefined ? { build: folder } : prebuiltServingImage(model.framework, region));
    if (image) images[model.name] = image;
    else problems.push(`models[${i}].gcp.containerImage: expected a serving image: Vertex AI has no prebuilt container for framework "${model.framework}"`);
  });
  if (problems.length > 0) throw new ConfigError('Google Cloud platform', problems);
  return images;
}

/** Every logged model's drift window must fit a Cloud Scheduler cron schedule. */
function checkDriftSchedules(models: readonly ModelConfig[]): void {
  const problems = models.flatMap((model, i) =>
    model.dataCapture.samplingPercentage > 0 && !scheduleFor(model.drift.windowHours)
      ? [`models[${i}].drift.windowHours: ${model.drift.windowHours} cannot be scheduled on Google Cloud: expected a divisor of 24, or 24 to 168 in whole days`]
      : [],
  );
  if (problems.length > 0) throw new ConfigError('Google Cloud platform', problems);
}

/** Every batch schedule must have a Cloud Scheduler (unix-cron) form. */
function checkBatchSchedules(models: readonly ModelConfig[]): void {
  const problems = models.flatMap((model, i) =>
    model.batch && !cloudSchedulerCron(model.batch.schedule)
      ? [`models[${i}].batch.schedule: "${model.batch.schedule}" cannot be scheduled on Google Cloud: expected a cron without L, W, # or a year, or rate() in minutes dividing 60, hours dividing 24, or 1 day`]
      : [],
  );
  if (problems.length > 0) throw new ConfigError('Google Cloud platform', problems);
}

/** Adds one `<platform>-<env>-platform` stack per environment with a `gcp` section to `app`. */
export function buildGcpPlatform(app: App, config: PlatformConfig): Record<string, GcpEnvironmentStack> {
  const stacks: Record<string, GcpEnvironmentStack> = {};
  for (const [environmentName, environment] of gcpEnvironments(config)) {
    stacks[environmentName] = new GcpEnvironmentStack(app, `${config.platform.name}-${environmentName}-platform`, {
      platform: config.platform.name,
      environmentName,
      environment,
      models: config.models,
      inference: config.inference,
    });
  }
  return stacks;
}
