import type { ServingVariant } from '../../constructs/aws/model-endpoint';
import type { EnvironmentConfig, ModelConfig, PlatformConfig } from '../config/schema';
import type { ImageResolver } from '../config/images';
import { type ResolvedVersions, withServedVersions } from '../config/versions';

/** The endpoint variant a model's `serving` config asks for. */
export function servingVariantOf(model: ModelConfig): ServingVariant {
  const serving = model.serving;
  if (serving.kind === 'serverless' || serving.kind === 'async') return serving;
  return {
    kind: 'realtime',
    instanceType: serving.instanceType,
    minInstances: serving.autoscaling.minInstances,
    maxInstances: serving.autoscaling.maxInstances,
    targetInvocationsPerInstance: serving.autoscaling.targetInvocationsPerInstance,
  };
}

/**
 * The models as `environment` serves them: with `aws.servingOverride` every model is served serverless there
 * (so the environment idles at zero cost); their `dataCapture` stays, and the inference function captures for
 * them, as serverless endpoints cannot;
 * with `aws.streamingOverride: 'off'` no model gets streaming inference there (a Kinesis stream bills while idle).
 */
export function modelsForEnvironment(models: readonly ModelConfig[], environment: EnvironmentConfig): ModelConfig[] {
  const { servingOverride: override, streamingOverride } = environment.aws ?? {};
  return models.map((model) => ({
    ...model,
    ...(override && {
      serving: { kind: 'serverless', memorySizeMb: override.memorySizeMb, maxConcurrency: override.maxConcurrency },
    }),
    ...(streamingOverride === 'off' && { streaming: undefined }),
  }));
}

/**
 * What an environment deploys: its models as it serves them (`modelsForEnvironment`), each with the version it serves
 * (pinned, else resolved: `versions` are the environment's entry of a versions file; none while it waits) and, with
 * `images`, each built image resolved to the URI it is served by (a digest, else its content tag).
 */
export function servedModels(config: PlatformConfig, envName: string, versions?: ResolvedVersions[string], images?: ImageResolver): ModelConfig[] {
  const models = withServedVersions(modelsForEnvironment(config.models, config.environments[envName]), versions);
  return images ? models.map((model) => ({ ...model, image: images.uriOf(model.image) })) : models;
}
