import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import { demoConfig } from './demo';
import { problemLines } from './issues';
import { platformConfigSchema, type PlatformConfig } from './schema';

/** A config that cannot be used. `problems` lists every problem, each prefixed with its path. */
export class ConfigError extends Error {
  constructor(
    /** Where the config came from (a file path, `inline config`, `embedded demo`) or what rejected it (`Google Cloud platform`). */
    readonly source: string,
    /** Every problem found, each starting with its path in the config, such as `models[0].name: ...`. */
    readonly problems: string[],
  ) {
    super(`Invalid platform config (${source}): ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export { formatPath } from './issues';

/**
 * Reads a JSON file one CLI step writes for the next (`model-versions.json`, `model-images.json`) and validates it
 * with `schema`, throwing one ConfigError that lists every problem. `what` names the file in messages; a record key
 * that fails its rule is called `keyNoun`.
 */
export function loadJsonFile<T>(path: string, what: string, schema: z.ZodType<T>, keyNoun = 'name'): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, [`cannot read the ${what}: ${(error as Error).message}`]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(path, problemLines(schema, parsed.error.issues, raw, keyNoun));
  return parsed.data;
}

/** Validates a config object, throwing one ConfigError that lists every problem. */
export function parseConfig(raw: unknown, source = 'inline config'): PlatformConfig {
  const result = platformConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(source, problemLines(platformConfigSchema, result.error.issues, raw));
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON, so one parser serves both). */
export function loadConfigFile(path: string): PlatformConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  // Loaded on use: the CLI's commands share one bundle, and the drift check, which reads no config, should not pay
  // for the YAML parser's start-up (~45 ms measured).
  const { parseDocument } = require('yaml') as typeof Yaml;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(path, doc.errors.map((e) => `syntax: ${e.message.split('\n')[0]}`));
  }
  return parseConfig(doc.toJS(), path);
}

/** A validated config and where it came from; see {@link resolveConfig}. */
export interface ResolvedConfig {
  /** The validated config. */
  readonly config: PlatformConfig;
  /** Where the config came from: a file path or "embedded demo". */
  readonly source: string;
}

/**
 * Picks the config: the CDK context `config` first, then `MODELSTACK_CONFIG`, else the embedded demo.
 */
export function resolveConfig(
  options: {
    /**
     * Path of a YAML or JSON config file, such as the CDK context value `config`; an empty string counts as none.
     * @default - none: `MODELSTACK_CONFIG` decides
     */
    contextPath?: string;
    /**
     * The environment variables to read `MODELSTACK_CONFIG` from.
     * @default process.env
     */
    env?: NodeJS.ProcessEnv;
  } = {},
): ResolvedConfig {
  const path = options.contextPath || (options.env ?? process.env).MODELSTACK_CONFIG;
  if (path) return { config: loadConfigFile(path), source: path };
  return { config: parseConfig(demoConfig, 'embedded demo'), source: 'embedded demo' };
}

/** Runs an app entry point; a bad config prints its one error (every problem listed) and exits with 1. */
export function exitOnConfigError(main: () => void): void {
  try {
    main();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 1;
  }
}
