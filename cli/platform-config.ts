import { type BuiltImages, readImagesOption } from '../infra/config/images';
import { ConfigError, resolveConfig } from '../infra/config/load';
import type { PlatformConfig } from '../infra/config/schema';
import { readVersionsOption, type ResolvedVersions } from '../infra/config/versions';
import { UsageError } from './io';

/** Rethrows `err`; a ConfigError as the CLI's usage error (exit code 2), its message listing every problem on a line. */
export function rethrowAsUsageError(err: unknown): never {
  if (err instanceof ConfigError) throw new UsageError(err.message);
  throw err;
}

/** What a platform command works on: the config and where it came from, and the resolved versions, if any. */
export interface PlatformInput {
  readonly config: PlatformConfig;
  readonly source: string;
  readonly versions?: ResolvedVersions;
  /** The images `modelstack build-images` pushed, if any. */
  readonly images?: BuiltImages;
}

/**
 * `--config` (else MODELSTACK_CONFIG, else the embedded demo), `--versions` (else MODELSTACK_VERSIONS) and `--images`
 * (else MODELSTACK_IMAGES).
 */
export function loadPlatformInput(options: { config?: string; versions?: string; images?: string }): PlatformInput {
  try {
    const { config, source } = resolveConfig({ contextPath: options.config });
    const versions = readVersionsOption(options.versions ?? process.env.MODELSTACK_VERSIONS);
    return { config, source, versions, images: readImagesOption(options.images ?? process.env.MODELSTACK_IMAGES) };
  } catch (err) {
    return rethrowAsUsageError(err);
  }
}
