// The config schema's rules for built images: imported by schema.ts, so it imports nothing from the config modules.
import { posix } from 'node:path';
import { z } from 'zod';
import { BUILD_FOLDER } from '../../constructs/private/image-uri';

/** A model image the platform builds: a folder, relative to the repository root, that holds a Dockerfile. */
export interface ImageBuild {
  /** The folder, such as `containers/model-server`. */
  readonly build: string;
}

/** A model's `image`: a prebuilt image in ECR (by tag or digest), or a folder the platform builds. */
export type ModelImage = string | ImageBuild;


/**
 * The folder's last segment names its repository, so it must be valid as an ECR repository name segment and as an
 * Artifact Registry image name: lowercase letters and digits, separated by single `.`, `_` or `-`
 * (ECR CreateRepository `repositoryName` pattern; Artifact Registry image names follow the Docker distribution spec).
 */
const REPOSITORY_SEGMENT = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

/** Problems with a build folder, as messages without a path. */
export function buildFolderProblems(folder: string): string[] {
  if (folder.startsWith('/')) return ['expected a folder relative to the repository root, not an absolute path'];
  if (folder.split('/').some((segment) => segment === '..')) return ['expected a folder inside the repository: ".." is not allowed'];
  if (!BUILD_FOLDER.test(folder)) return ['expected a relative folder such as containers/model-server (letters, digits, ".", "_", "-", separated by "/")'];
  const base = posix.basename(folder);
  if (!REPOSITORY_SEGMENT.test(base)) {
    return [`expected the folder's name "${base}" to be lowercase letters and digits separated by single ".", "_" or "-": it names the image repository`];
  }
  return [];
}

/** `{ build: "<folder>" }` in the config schema. */
export const imageBuildSchema = z.strictObject({
  build: z.string().superRefine((folder, ctx) => {
    for (const message of buildFolderProblems(folder)) ctx.addIssue({ code: 'custom', message });
  }),
});

/** The build folder of a model's image, or undefined for a prebuilt image. */
export function buildFolderOf(image: ModelImage | undefined): string | undefined {
  return typeof image === 'object' && image !== null && typeof image.build === 'string' ? image.build : undefined;
}

/**
 * Where the platform pushes built images on AWS: the delivery pipeline's account and region (`aws.delivery`'s, else
 * the first environment's). Read defensively: the schema also calls it on a partly invalid config.
 */
export function imageRegistryEnvironment(config: { aws?: { delivery?: { account?: string; region?: string } }; environments?: Record<string, { aws?: { account?: string; region?: string } } | undefined> }): { account: string; region: string } {
  // The first environment deployed to AWS (an environment may deploy to Google Cloud only).
  const first = Object.values(config.environments ?? {}).find((env) => env?.aws)?.aws;
  // A validated config always has both; a partly invalid one may not, and its callers check.
  return { account: (config.aws?.delivery?.account ?? first?.account) as string, region: (config.aws?.delivery?.region ?? first?.region) as string };
}

/**
 * Config problems of built images: two folders must not name the same repository; on AWS the delivery pipeline
 * builds them, so `aws.delivery` must be configured; and SageMaker needs "the Docker image for inference container in Amazon EC2
 * Container Registry ... in the same region as the model or endpoint you are creating" (SageMaker API reference,
 * ContainerDefinition `Image`), and built images live in the pipeline's region only (no replication), so an
 * environment in another region cannot serve one. Read defensively: the input may be partly invalid.
 */
export function builtImageProblems(config: { aws?: unknown; environments?: unknown; models?: unknown }): { path: PropertyKey[]; message: string }[] {
  const models = Array.isArray(config?.models) ? (config.models as { image?: ModelImage }[]) : [];
  const builds = models.map((m, i) => ({ i, folder: buildFolderOf(m?.image) })).filter((m): m is { i: number; folder: string } => m.folder !== undefined);
  if (builds.length === 0) return [];
  // A repository is named after the folder's last segment (on both clouds): two folders must not share it.
  const folderByRepository = new Map<string, string>();
  const collisions: { path: PropertyKey[]; message: string }[] = [];
  for (const { i, folder } of builds) {
    const repository = posix.basename(folder);
    const other = folderByRepository.get(repository);
    if (other === undefined) folderByRepository.set(repository, folder);
    else if (other !== folder) {
      collisions.push({ path: ['models', i, 'image', 'build'], message: `${folder} and ${other} would share the image repository "${repository}" (named after the folder's last segment): rename one folder` });
    }
  }
  if (collisions.length > 0) return collisions;
  const environments = (config.environments ?? {}) as Record<string, { aws?: { region?: string } } | undefined>;
  // On AWS the delivery pipeline's BuildImages step builds and pushes, into the ECR repositories of its stack: without
  // a pipeline, nothing would create the repository or push the image an endpoint names.
  const onAws = Object.values(environments).some((env) => typeof env?.aws === 'object' && env.aws !== null);
  const delivery = (config.aws as { delivery?: unknown } | undefined)?.delivery;
  if (onAws && (typeof delivery !== 'object' || delivery === null)) {
    return builds.map(({ i, folder }) => ({
      path: ['models', i, 'image', 'build'],
      message: `${folder} is built and pushed to ECR by the delivery pipeline, and aws.delivery is not configured: add aws.delivery, or give a prebuilt ECR image URI`,
    }));
  }
  const registry = imageRegistryEnvironment(config as Parameters<typeof imageRegistryEnvironment>[0]);
  if (!registry.region) return [];
  const elsewhere = Object.entries(environments).filter(([, env]) => typeof env?.aws?.region === 'string' && env.aws.region !== registry.region);
  return builds.flatMap(({ i, folder }) =>
    elsewhere.map(([name, env]) => ({
      path: ['models', i, 'image', 'build'],
      message: `${folder} is built into ECR in the pipeline's region ${registry.region}, but environment ${name} is in ${env!.aws!.region}: SageMaker serves only images from its own region (expected every environment in ${registry.region}, or a prebuilt image URI)`,
    })),
  );
}
