import type { AwsEnvironmentConfig } from './aws-schema';
import type { GcpEnvironmentConfig } from './gcp-schema';
import { closestKey } from './issues';
import { ConfigError } from './load';
import type { EnvironmentConfig, PlatformConfig } from './schema';

/**
 * Each environment deploys to AWS, Google Cloud or both: the clouds whose section (`aws`, `gcp`) it has. These helpers
 * pick an environment for one cloud, so the code building that cloud gets a typed section and a clear error otherwise.
 */

/** The clouds an environment may deploy to. */
export type Cloud = 'aws' | 'gcp';

const CLOUD_NAMES: Record<Cloud, string> = { aws: 'AWS', gcp: 'Google Cloud' };

/** An environment deployed to AWS: its `aws` section is set. */
export type AwsEnvironment = EnvironmentConfig & {
  /** Where the environment deploys on AWS. */
  readonly aws: AwsEnvironmentConfig;
};
/** An environment deployed to Google Cloud: its `gcp` section is set. */
export type GcpEnvironment = EnvironmentConfig & {
  /** Where the environment deploys on Google Cloud. */
  readonly gcp: GcpEnvironmentConfig;
};

/** The names of the environments deployed to `cloud`, in config order. */
export function environmentNamesOn(config: PlatformConfig, cloud: Cloud): string[] {
  return Object.entries(config.environments)
    .filter(([, environment]) => environment[cloud] !== undefined)
    .map(([name]) => name);
}

/** The environments deployed to AWS, as `[name, environment]` pairs in config order. */
export function awsEnvironments(config: PlatformConfig): [string, AwsEnvironment][] {
  return environmentNamesOn(config, 'aws').map((name) => [name, config.environments[name] as AwsEnvironment]);
}

/** The environments deployed to Google Cloud, as `[name, environment]` pairs in config order. */
export function gcpEnvironments(config: PlatformConfig): [string, GcpEnvironment][] {
  return environmentNamesOn(config, 'gcp').map((name) => [name, config.environments[name] as GcpEnvironment]);
}

/**
 * Throws one ConfigError for every name that is not an environment of the config deployed to `cloud` (any cloud when
 * omitted), each with the closest valid name and the valid names.
 */
export function checkEnvironmentNames(config: PlatformConfig, names: readonly string[], source: string, cloud?: Cloud): void {
  const all = Object.keys(config.environments);
  const valid = cloud ? environmentNamesOn(config, cloud) : all;
  const problems = names
    .filter((name) => !valid.includes(name))
    .map((name) => {
      if (all.includes(name)) {
        return `${name}: has no ${cloud} section, so it is not deployed to ${CLOUD_NAMES[cloud!]}: expected one of ${valid.join(', ') || `(none: no environment has ${cloud})`}`;
      }
      const suggestion = closestKey(name, valid);
      return `${name}: not an environment of the config: ${suggestion ? `did you mean ${suggestion}? ` : ''}expected one of ${valid.join(', ')}`;
    });
  if (problems.length > 0) throw new ConfigError(source, problems);
}

/** The environment `name`, deployed to AWS; a ConfigError when it is not. */
export function awsEnvironment(config: PlatformConfig, name: string): AwsEnvironment {
  checkEnvironmentNames(config, [name], 'AWS platform', 'aws');
  return config.environments[name] as AwsEnvironment;
}

/** The environment `name`, deployed to Google Cloud; a ConfigError when it is not. */
export function gcpEnvironment(config: PlatformConfig, name: string): GcpEnvironment {
  checkEnvironmentNames(config, [name], 'Google Cloud platform', 'gcp');
  return config.environments[name] as GcpEnvironment;
}
