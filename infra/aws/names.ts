// Kept free of aws-cdk-lib: the CLI's preflight and resolve-versions name the same resources without loading it.
import { packageGroupName } from '../../constructs/aws/private/registry-names';
import { awsEnvironment } from '../config/clouds';
import { imageRegistryEnvironment } from '../config/image-rules';
import type { PlatformConfig } from '../config/schema';

/** Prefix of an environment's physical names: `<platform>-<env>`. */
export function namePrefixOf(config: PlatformConfig, envName: string): string {
  return `${config.platform.name}-${envName}`;
}

/**
 * An environment's registry bucket, `<platform>-<env>-models-<account>-<region>`: deterministic, so stacks name it
 * literally in IAM policies, and globally unique (S3 bucket names are global; account and region make them so).
 */
export function awsRegistryBucketName(config: PlatformConfig, envName: string): string {
  const { account, region } = awsEnvironment(config, envName).aws;
  return `${namePrefixOf(config, envName)}-models-${account}-${region}`;
}

/** The model package group of `model` in an environment's registry. */
export function modelPackageGroupOf(config: PlatformConfig, envName: string, model: string): string {
  return packageGroupName(namePrefixOf(config, envName), model);
}

/** Where the delivery pipeline runs: `aws.delivery`'s account and region, else the first AWS environment's. */
/** The environment's MLflow tracking server's name: its name prefix (`<platform>-<env>`). */
export function mlflowTrackingServerName(config: PlatformConfig, envName: string): string {
  return namePrefixOf(config, envName);
}

export function pipelineEnvironment(config: PlatformConfig): { account: string; region: string } {
  // Built model images are pushed there too: one definition for both.
  return imageRegistryEnvironment(config);
}

/**
 * Approvals of the given model package groups ("SageMaker Model Package State Change" with status Approved): what
 * starts the delivery pipeline, in its own account or forwarded from an environment's.
 */
export function approvedPackagesPattern(groups: readonly string[]): {
  source: string[];
  detailType: string[];
  detail: Record<string, string[]>;
} {
  return { source: ['aws.sagemaker'], detailType: ['SageMaker Model Package State Change'], detail: { ModelPackageGroupName: [...groups], ModelApprovalStatus: ['Approved'] } };
}
