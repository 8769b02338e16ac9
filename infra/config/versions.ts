import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, loadJsonFile } from './load';
import { ECR_IMAGE_URI, MODEL_VERSION, type ModelConfig, type PlatformConfig } from './schema';

/**
 * The model version an environment serves, as `modelstack resolve-versions` found it: the latest approved package of
 * the model's package group whose artifact is `models/<model>/<version>/model.tar.gz` in the environment's registry.
 */
export interface ResolvedVersion {
  /** The artifact's version folder under `models/<model>/`. */
  readonly version: string;
  /**
   * The package's inference image (ECR); the endpoint serves it instead of the config's `image`.
   * @default - the model's `image` from the config
   */
  readonly image?: string;
  /**
   * The approved model package this version came from.
   * @default - none (a version pinned by hand)
   */
  readonly modelPackageArn?: string;
}

/** Resolved versions per environment name, then per model name: what `-c versions=<file>` reads. */
export type ResolvedVersions = Readonly<Record<string, Readonly<Record<string, ResolvedVersion>>>>;

const resolvedVersionsSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.strictObject({
      version: z.string().regex(MODEL_VERSION, 'expected a version label such as 1 or 2024-06-01'),
      image: z.string().regex(ECR_IMAGE_URI, 'expected an ECR image URI').optional(),
      modelPackageArn: z.string().startsWith('arn:', 'expected a model package ARN').optional(),
    }),
  ),
);

/** Reads and validates a versions file written by `modelstack resolve-versions`, listing every problem. */
export function loadVersionsFile(path: string): ResolvedVersions {
  return loadJsonFile(path, 'versions file', resolvedVersionsSchema);
}

/** Reads the versions file at `path` when one is set (the CDK context `versions`, `MODELSTACK_VERSIONS`, `--versions`). */
export function readVersionsOption(path: string | undefined): ResolvedVersions | undefined {
  if (!path) return undefined;
  if (!existsSync(path)) throw new ConfigError(path, ['versions file not found: run modelstack resolve-versions first']);
  return loadVersionsFile(path);
}

/** Checks that a versions file names only environments and models the config has. */
export function checkVersionsAgainstConfig(versions: ResolvedVersions, config: PlatformConfig, source = 'versions file'): void {
  const problems: string[] = [];
  const models = new Set(config.models.map((m) => m.name));
  for (const [env, byModel] of Object.entries(versions)) {
    if (!(env in config.environments)) problems.push(`${env}: not an environment of the config (expected one of ${Object.keys(config.environments).join(', ')})`);
    for (const model of Object.keys(byModel)) if (!models.has(model)) problems.push(`${env}.${model}: not a model of the config`);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/**
 * The version `model` serves in an environment: the config's pinned `version` wins (a pin is also how a team rolls
 * back), else the resolved latest approved package, else none yet.
 */
export function servedVersion(model: ModelConfig, resolved: Readonly<Record<string, ResolvedVersion>> | undefined): ResolvedVersion | undefined {
  if (model.version !== undefined) return { version: model.version };
  return resolved?.[model.name];
}

/** The config's models with their served version (and the package's image) filled in for one environment. */
export function withServedVersions(models: readonly ModelConfig[], resolved: Readonly<Record<string, ResolvedVersion>> | undefined): ModelConfig[] {
  return models.map((model) => {
    const served = servedVersion(model, resolved);
    return served ? { ...model, version: served.version, image: served.image ?? model.image } : model;
  });
}

/** The lines synth prints for models that have nothing to serve yet in an environment. */
export function waitingModels(models: readonly ModelConfig[]): string[] {
  return models.filter((m) => m.version === undefined).map((m) => m.name);
}
