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
}

/** `--config` (else MODELSTACK_CONFIG, else the embedded demo) and `--versions` (else MODELSTACK_VERSIONS). */
export function loadPlatformInput(options: { config?: string; versions?: string }): PlatformInput {
  try {
    const { config, source } = resolveConfig({ contextPath: options.config });
    return { config, source, versions: readVersionsOption(options.versions ?? process.env.MODELSTACK_VERSIONS) };
  } catch (err) {
    return rethrowAsUsageError(err);
  }
}
