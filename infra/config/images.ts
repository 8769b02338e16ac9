// Kept free of aws-cdk-lib and cdktf: the CLI's build-images and the synth report use it without loading either.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadJsonFile } from './load';
import { buildFolderOf, buildFolderProblems, imageRegistryEnvironment, type ModelImage } from './image-rules';
import type { ModelConfig, PlatformConfig } from './schema';
import { ECR_DIGEST_URI, ecrRegistry } from '../../constructs/private/image-uri';

export { buildFolderOf, buildFolderProblems, builtImageProblems, imageBuildSchema, imageRegistryEnvironment, type ImageBuild, type ModelImage } from './image-rules';

/** Every folder the config's models build, once each, in config order. */
export function buildFolders(config: Pick<PlatformConfig, 'models'>): string[] {
  return [...new Set(config.models.map((m) => buildFolderOf(m.image)).filter((f): f is string => f !== undefined))];
}

/**
 * The repository a folder's image is pushed to: `<platform>/<folder name>` in ECR (a valid repository name: the
 * platform name is lowercase letters, digits and hyphens). On Google Cloud the folder name is the image's name inside
 * the environment's Artifact Registry repository.
 */
export function imageRepositoryName(platform: string, folder: string): string {
  return `${platform}/${posix.basename(folder)}`;
}

/** An ECR image by digest: what a built image resolves to once pushed. */
export { ECR_DIGEST_URI } from '../../constructs/private/image-uri';

/** The registry host of ECR in an account and region. */
export { ecrRegistry } from '../../constructs/private/image-uri';

/**
 * Docker image tags allow at most 128 characters of `[A-Za-z0-9_.-]`; `src-` + 40 hex digits (160 bits of SHA-256,
 * as many as a git commit id) is unique enough for one repository's builds and reads as a content tag.
 */
const TAG_HEX_DIGITS = 40;

/**
 * A deterministic tag for a folder's content: SHA-256 over its files in sorted relative-path order, each as its
 * path, a NUL byte, its size and its bytes. Paths that the folder's `.dockerignore` excludes (simple patterns: `*`,
 * `**`, `?`, `!` exceptions; the last matching line wins) are left out, as they are out of the build context; so are
 * `.git` folders. The same content always gives the same tag, on any machine, so the tag is the image's immutable name.
 */
export function contentTag(folder: string): string {
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`${folder}: build folder not found`);
  if (!existsSync(join(folder, 'Dockerfile'))) throw new Error(`${folder}: expected a Dockerfile in the build folder`);
  const ignored = dockerignoreMatcher(folder);
  const files = listFiles(folder, '').filter((path) => !ignored(path)).sort();
  const hash = createHash('sha256');
  for (const path of files) {
    const bytes = readFileSync(join(folder, path));
    hash.update(`${path}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return `src-${hash.digest('hex').slice(0, TAG_HEX_DIGITS)}`;
}

function listFiles(root: string, relative: string): string[] {
  return readdirSync(join(root, relative), { withFileTypes: true }).flatMap((entry) => {
    const path = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return entry.name === '.git' ? [] : listFiles(root, path);
    return entry.isFile() ? [path] : [];
  });
}

/** Whether a relative path is excluded by the folder's `.dockerignore` (a path is excluded when a parent folder is). */
function dockerignoreMatcher(folder: string): (path: string) => boolean {
  const file = join(folder, '.dockerignore');
  if (!existsSync(file)) return () => false;
  const rules = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negated, regex: globRegex(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules) {
      const matches = parts.some((_, i) => rule.regex.test(parts.slice(0, i + 1).join('/')));
      if (matches) excluded = !rule.negated;
    }
    return excluded;
  };
}

function globRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      out += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Pushed images by build folder, as `modelstack build-images` writes them: `{ "<folder>": "<ecr uri>@sha256:<digest>" }`. */
export type BuiltImages = Readonly<Record<string, string>>;

const builtImagesSchema = z.record(
  z.string().superRefine((folder, ctx) => {
    for (const message of buildFolderProblems(folder)) ctx.addIssue({ code: 'custom', message });
  }),
  z.string().regex(ECR_DIGEST_URI, 'expected an ECR image by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>'),
);

/** Reads and validates an images file written by `modelstack build-images`, listing every problem. */
export function loadImagesFile(path: string): BuiltImages {
  return loadJsonFile(path, 'images file', builtImagesSchema, 'folder');
}

/** Reads the images file at `path` when one is set (the CDK context `images`, `MODELSTACK_IMAGES`, `--images`). */
export function readImagesOption(path: string | undefined): BuiltImages | undefined {
  if (!path) return undefined;
  if (!existsSync(path)) throw new ConfigError(path, ['images file not found: run modelstack build-images first']);
  return loadImagesFile(path);
}

/** The ECR repository URI (no tag) a folder is pushed to. */
export function ecrRepositoryUri(config: Pick<PlatformConfig, 'aws' | 'environments' | 'platform'>, folder: string): string {
  const { account, region } = imageRegistryEnvironment(config);
  return `${ecrRegistry(account, region)}/${imageRepositoryName(config.platform.name, folder)}`;
}

/** Checks that an images file names only build folders of the config, each in its expected repository, and covers them all. */
export function checkImagesAgainstConfig(images: BuiltImages, config: PlatformConfig, source = 'images file'): void {
  const problems: string[] = [];
  const folders = buildFolders(config);
  for (const [folder, uri] of Object.entries(images)) {
    if (!folders.includes(folder)) {
      problems.push(`${folder}: not a build folder of the config (expected ${folders.length > 0 ? `one of ${folders.join(', ')}` : 'none: no model builds its image'})`);
      continue;
    }
    const repository = ecrRepositoryUri(config, folder);
    if (!uri.startsWith(`${repository}@`)) problems.push(`${folder}: expected an image of ${repository}, got ${uri}`);
  }
  for (const folder of folders.filter((f) => !(f in images))) problems.push(`${folder}: missing (run modelstack build-images for every build folder)`);
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/** How a built image is referenced on AWS: by the digest build-images pushed, or, without an images file, by its content tag. */
export interface ResolvedImage {
  /** The image URI the endpoint serves. */
  readonly uri: string;
  /** `digest`: from an images file; `content-tag`: computed here from the folder (the image must have been pushed). */
  readonly pinnedBy: 'digest' | 'content-tag';
}

/**
 * The image a built folder resolves to on AWS: `<repository>@sha256:<digest>` from `images`, else
 * `<repository>:<content tag>` computed from the folder under `root`.
 */
export function resolveBuiltImage(config: PlatformConfig, folder: string, images: BuiltImages | undefined, root = process.cwd()): ResolvedImage {
  const pinned = images?.[folder];
  if (pinned) return { uri: pinned, pinnedBy: 'digest' };
  let tag: string;
  try {
    tag = contentTag(join(root, folder));
  } catch (error) {
    throw new ConfigError('image builds', [`${folder}: ${(error as Error).message.replace(`${join(root, folder)}: `, '')}`]);
  }
  return { uri: `${ecrRepositoryUri(config, folder)}:${tag}`, pinnedBy: 'content-tag' };
}

/** Where built images come from at synth. */
export interface BuiltImageOptions {
  /**
   * The images `modelstack build-images` pushed (`-c images=<file>`, `MODELSTACK_IMAGES`, `--images`): endpoints
   * serve them by digest.
   * @default - none: each built image is served by its content tag, computed from its folder under `root`
   */
  readonly images?: BuiltImages;
  /**
   * The repository root that build folders are relative to.
   * @default process.cwd()
   */
  readonly root?: string;
}

/** Built images resolved once per folder (resolving reads the folder's files). */
export class ImageResolver {
  private readonly resolved = new Map<string, ResolvedImage>();

  constructor(
    private readonly config: PlatformConfig,
    private readonly images?: BuiltImages,
    private readonly root = process.cwd(),
  ) {}

  /** The image URI a model serves on AWS. */
  uriOf(image: ModelImage): string {
    const folder = buildFolderOf(image);
    if (folder === undefined) return image as string;
    return this.resolve(folder).uri;
  }

  /** Every build folder of the config, resolved. */
  all(): Record<string, ResolvedImage> {
    return Object.fromEntries(buildFolders(this.config).map((folder) => [folder, this.resolve(folder)]));
  }

  private resolve(folder: string): ResolvedImage {
    let found = this.resolved.get(folder);
    if (!found) {
      found = resolveBuiltImage(this.config, folder, this.images, this.root);
      this.resolved.set(folder, found);
    }
    return found;
  }
}

/** The image URI of a model whose image is already resolved (`servedModels` resolves built images). */
export function imageUriOf(model: Pick<ModelConfig, 'name' | 'image'>): string {
  if (typeof model.image === 'string') return model.image;
  throw new Error(`model ${model.name}: image { build: "${model.image.build}" } is not resolved to a pushed image: build the models through servedModels (or buildAwsPlatform)`);
}

