import { type App, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { Construct } from 'constructs';
import { addComplianceChecks } from '../../constructs/aws/compliance';
import { awsEnvironment, checkEnvironmentNames, environmentNamesOn } from '../config/clouds';
import type { PlatformConfig } from '../config/schema';
import { type BuiltImageOptions, type BuiltImages, checkImagesAgainstConfig, ImageResolver } from '../config/images';
import { checkVersionsAgainstConfig, type ResolvedVersions } from '../config/versions';
import { approvedPackagesPattern, awsRegistryBucketName, namePrefixOf, pipelineEnvironment } from './names';
import { acknowledgeNistFindings, applyGovernanceTags, registryReaders, shareRegistryWith } from './governance';
import { OperationsStack } from './operations-stack';
import { servedModels } from './serving-variant';
import { RegistryStack, ServingStack } from './stacks';
import { addTrainingPipelines, type EnvironmentTraining } from './training';

/** The stacks of one environment. */
export interface EnvironmentStacks {
  /** `<platform>-<env>-registry`: the model registry. */
  readonly registry: RegistryStack;
  /** `<platform>-<env>-serving`: the inference API and a nested stack per model (endpoint, function, drift check). */
  readonly serving: ServingStack;
  /** `<platform>-<env>-operations`: monitoring, promotion, feature store and per-model operations. */
  readonly operations: OperationsStack;
  /**
   * The training pipelines (in the registry stack), when a model of the environment has a `training` section.
   * @default - none: no model of the environment trains
   */
  readonly training?: EnvironmentTraining;
}

/** What {@link buildAwsPlatform} added to the app. */
export interface AwsPlatform {
  /** The app the stacks were added to. */
  readonly app: App;
  /** Stacks per environment name. */
  readonly environments: Record<string, EnvironmentStacks>;
}

/** Options of {@link buildAwsPlatform}. */
export interface AwsPlatformOptions {
  /**
   * The versions each environment serves where the config pins none: the latest approved model packages, as
   * `modelstack resolve-versions` wrote them (read them with `loadVersionsFile`; the CDK app takes `-c versions=<file>`).
   * @default - only pinned versions are served; other models wait for a first version
   */
  readonly versions?: ResolvedVersions;
  /**
   * The images `modelstack build-images` pushed, by build folder (read them with `loadImagesFile`; the CDK app takes
   * `-c images=<file>`): models whose `image` is `{ build }` serve them by digest.
   * @default - each built image is served by its content tag, computed from its folder under `imagesRoot`
   */
  readonly images?: BuiltImages;
  /**
   * The repository root that build folders are relative to.
   * @default process.cwd()
   */
  readonly imagesRoot?: string;
}

/**
 * Adds the platform's stacks to `app`: per environment with an `aws` section `<platform>-<env>-registry`, `<platform>-<env>-serving` and
 * `<platform>-<env>-operations`, with cdk-nag's AwsSolutions and NIST 800-53 R5 checks over everything. A model
 * serves its pinned `version`, else its resolved version (`options.versions`); a model with neither gets its model
 * package group, model card and monitoring but no endpoint, and is listed in `serving.waiting`.
 *
 * @param only synthesize just these environments (the `-c env=<name>` context); every environment with an `aws`
 *   section when omitted. A name that is not such an environment is a ConfigError that names the valid ones.
 */
export function buildAwsPlatform(app: App, config: PlatformConfig, only?: readonly string[], options: AwsPlatformOptions = {}): AwsPlatform {
  const known = environmentNamesOn(config, 'aws');
  // A ConfigError, so the CDK app prints it without a stack trace (exitOnConfigError).
  if (only) checkEnvironmentNames(config, only, `-c env=${only.join(',')}`, 'aws');
  if (options.versions) checkVersionsAgainstConfig(options.versions, config);
  if (options.images) checkImagesAgainstConfig(options.images, config);
  addComplianceChecks(app);
  Tags.of(app).add('modelstack:platform', config.platform.name);
  applyGovernanceTags(app, config.aws.tags);

  const environments: AwsPlatform['environments'] = {};
  for (const envName of known) {
    if (only && !only.includes(envName)) continue;
    environments[envName] = buildEnvironment(app, config, envName, options.versions?.[envName], { images: options.images, root: options.imagesRoot });
  }
  return { app, environments };
}


/**
 * The stacks of one environment, in `scope` (the app, or a pipeline stage). Stack names are explicit, so the same
 * CloudFormation stacks are updated whether the pipeline or `cdk deploy -c env=<env>` deploys them.
 *
 * @param versions the environment's entry of a versions file, for models the config does not pin
 * @param images where built images come from: the images file `modelstack build-images` wrote (served by digest),
 * else each folder's content tag under `images.root`
 */
export function buildEnvironment(
  scope: Construct,
  config: PlatformConfig,
  envName: string,
  versions?: ResolvedVersions[string],
  images: BuiltImageOptions = {},
): EnvironmentStacks {
  const environment = awsEnvironment(config, envName);
  const namePrefix = namePrefixOf(config, envName);
  const models = servedModels(config, envName, versions, new ImageResolver(config, images.images, images.root));
  const common = {
    env: { account: environment.aws.account, region: environment.aws.region },
    namePrefix,
    environmentName: envName,
    registryBucketName: awsRegistryBucketName(config, envName),
    environment,
    models,
    terminationProtection: environment.removalPolicy === 'retain',
  };
  const registry = new RegistryStack(scope, `${namePrefix}-registry`, {
    ...common,
    stackName: `${namePrefix}-registry`,
    description: `ModelStack ${envName}: model registry (S3, KMS, SageMaker model package groups)`,
  });
  const training = addTrainingPipelines(registry, registry.registry, config, envName, models);
  const serving = new ServingStack(scope, `${namePrefix}-serving`, {
    ...common,
    stackName: `${namePrefix}-serving`,
    registryKeyArn: registry.registry.encryptionKey.keyArn,
    alarms: registry.alarms,
    inference: config.inference,
    description: `ModelStack ${envName}: SageMaker endpoints`,
  });
  const operations = new OperationsStack(scope, `${namePrefix}-operations`, {
    ...common,
    stackName: `${namePrefix}-operations`,
    registryKeyArn: registry.registry.encryptionKey.keyArn,
    inference: config.inference,
    aws: config.aws,
    serving,
    alarms: registry.alarms,
    description: `ModelStack ${envName}: monitoring, batch and streaming inference, feature store, model cards`,
  });
  operations.addStackDependency(serving);
  if (config.aws.delivery) forwardApprovalsToPipeline(registry, config);
  // Other accounts read this registry only where the environment opts in (aws.shareRegistryWith): each must exist.
  shareRegistryWith(registry.registry, registryReaders(config, envName));

  for (const stack of [registry, serving, operations]) {
    acknowledgeNistFindings(stack);
    Tags.of(stack).add('modelstack:environment', envName);
  }
  return { registry, serving, operations, training };
}

/**
 * Approvals in an environment outside the pipeline's account or region go to the pipeline's default event bus
 * (EventBridge cross-account delivery, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html),
 * where the pipeline's own rule starts a run.
 */
function forwardApprovalsToPipeline(registry: RegistryStack, config: PlatformConfig): void {
  const pipeline = pipelineEnvironment(config);
  if (registry.account === pipeline.account && registry.region === pipeline.region) return;
  const bus = events.EventBus.fromEventBusArn(registry, 'PipelineBus', `arn:${registry.partition}:events:${pipeline.region}:${pipeline.account}:event-bus/default`);
  const rule = new events.Rule(registry, 'ForwardApprovals', {
    description: 'Approved model packages start the delivery pipeline in its own account',
    eventPattern: approvedPackagesPattern(config.models.map((m) => registry.registry.modelPackageGroupName(m.name))),
  });
  rule.addTarget(new targets.EventBus(bus));
}
