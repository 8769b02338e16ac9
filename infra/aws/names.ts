// Kept free of aws-cdk-lib: the CLI's preflight and resolve-versions name the same resources without loading it.
import type { PlatformConfig } from '../config/schema';

/**
 * An environment's registry bucket, `<platform>-<env>-models-<account>-<region>`: deterministic, so stacks name it
 * literally in IAM policies, and globally unique (S3 bucket names are global; account and region make them so).
 */
export function awsRegistryBucketName(config: PlatformConfig, envName: string): string {
  const { account, region } = config.environments[envName].aws;
  return `${config.platform.name}-${envName}-models-${account}-${region}`;
}
