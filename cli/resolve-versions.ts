import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { awsRegistryBucketName, modelPackageGroupOf } from '../infra/aws/names';
import { ConfigError } from '../infra/config/load';
import { MODEL_VERSION, type PlatformConfig } from '../infra/config/schema';
import { registryLayout } from '../core/layout';
import type { ResolvedVersion } from '../infra/config/versions';

/** The SageMaker calls resolving needs; a `SageMakerClient` is one. */
export interface ModelPackageReader {
  send(command: ListModelPackagesCommand | DescribeModelPackageCommand): Promise<unknown>;
}

/** What `resolveVersions` found for one environment. */
export interface EnvironmentVersions {
  /** Served versions by model, for models the config does not pin and that have an approved package. */
  readonly versions: Record<string, ResolvedVersion>;
  /** Models with no approved package yet. */
  readonly waiting: string[];
}

/**
 * The latest approved package of each unpinned model in `<platform>-<env>-<model>`, as the SageMaker Projects
 * model-deploy template resolves it before a deploy (ListModelPackages with ModelApprovalStatus=Approved, newest
 * first: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListModelPackages.html). The package's
 * artifact must be `s3://<registry>/models/<model>/<version>/model.tar.gz`: that folder is the version, the layout
 * the execution role, the drift check (baseline.json) and the preflight check read.
 */
export async function resolveVersions(config: PlatformConfig, env: string, reader: ModelPackageReader): Promise<EnvironmentVersions> {
  const bucket = awsRegistryBucketName(config, env);
  const versions: Record<string, ResolvedVersion> = {};
  const waiting: string[] = [];
  const problems: string[] = [];
  for (const model of config.models) {
    if (model.version !== undefined) continue; // pinned in the config: nothing to resolve
    const group = modelPackageGroupOf(config, env, model.name);
    const listed = (await reader.send(
      new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 }),
    )) as { ModelPackageSummaryList?: Array<{ ModelPackageArn?: string }> };
    const arn = listed.ModelPackageSummaryList?.[0]?.ModelPackageArn;
    if (!arn) {
      waiting.push(model.name);
      continue;
    }
    const described = (await reader.send(new DescribeModelPackageCommand({ ModelPackageName: arn }))) as {
      InferenceSpecification?: { Containers?: Array<{ Image?: string; ModelDataUrl?: string }> };
    };
    const container = described.InferenceSpecification?.Containers?.[0];
    const version = versionOf(container?.ModelDataUrl, bucket, model.name);
    if (version === undefined) {
      const expected = `s3://${bucket}/${registryLayout.modelArtifact(model.name, '<version>')}`;
      problems.push(`${env}.${model.name}: approved package ${arn} has ModelDataUrl ${container?.ModelDataUrl ?? '(none)'}: expected ${expected}`);
      continue;
    }
    versions[model.name] = { version, image: container?.Image, modelPackageArn: arn };
  }
  if (problems.length > 0) throw new ConfigError(`approved model packages of ${env}`, problems);
  return { versions, waiting };
}

/** The version folder of `s3://<bucket>/models/<model>/<version>/model.tar.gz` (the registry's layout), if the URL is one. */
function versionOf(modelDataUrl: string | undefined, bucket: string, model: string): string | undefined {
  const prefix = `s3://${bucket}/${registryLayout.modelPrefix(model)}`;
  if (!modelDataUrl?.startsWith(prefix)) return undefined;
  const version = modelDataUrl.slice(prefix.length).split('/')[0];
  return MODEL_VERSION.test(version) && modelDataUrl === `s3://${bucket}/${registryLayout.modelArtifact(model, version)}` ? version : undefined;
}

/** A SageMaker client for one environment, optionally through a role assumed in its account. */
export function sageMakerClientFor(region: string, roleArn?: string): SageMakerClient {
  const credentials = roleArn ? fromTemporaryCredentials({ params: { RoleArn: roleArn, RoleSessionName: 'modelstack-resolve-versions' } }) : undefined;
  return new SageMakerClient({ region, credentials });
}
