import { CfnResource, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { ModelRegistry } from '../../constructs/aws/model-registry';
import type { AwsPlatformConfig } from '../config/aws-schema';
import { awsEnvironment } from '../config/clouds';
import type { PlatformConfig } from '../config/schema';

/** The config's governance tags, on every taggable resource below `scope`. */
export function applyGovernanceTags(scope: IConstruct, tags: AwsPlatformConfig['tags']): void {
  if (!tags) return;
  Tags.of(scope).add('owner', tags.owner);
  Tags.of(scope).add('cost-center', tags.costCenter);
  Tags.of(scope).add('data-classification', tags.dataClassification);
}

/**
 * NIST 800-53 R5 findings that hold for a whole kind of resource in this platform, with the reason each is
 * acceptable. They are acknowledged on each matching resource (not on a stack), so a new kind of resource, or a
 * rule not listed here, still fails synth.
 */
const NIST_BY_RESOURCE_TYPE: Record<string, Record<string, string>> = {
  'AWS::IAM::Policy': {
    'NIST.800.53.R5-IAMNoInlinePolicy':
      'Each policy is generated from least-privilege grants for exactly one role and lives and dies with it; a customer-managed policy would be attachable to other principals.',
  },
  'AWS::Lambda::Function': {
    'NIST.800.53.R5-LambdaInsideVPC':
      'The functions reach only AWS service APIs (SageMaker runtime, Firehose) over TLS with SigV4 and hold no network-reachable state; a VPC would add NAT cost and cold-start latency without reducing exposure.',
    'NIST.800.53.R5-LambdaConcurrency':
      'Concurrency is bounded upstream (API Gateway stage throttling, Kinesis shards); reserving concurrency per function would carve up the account pool and throttle inference under load.',
  },
  'AWS::S3::Bucket': {
    'NIST.800.53.R5-S3BucketReplicationEnabled':
      'Registry objects are versioned, retained in production and reproducible from the training pipeline; cross-region replication is a disaster-recovery choice outside this platform.',
  },
};

/** Acknowledges the NIST 800-53 R5 findings listed above on every matching resource below `scope`. */
export function acknowledgeNistFindings(scope: IConstruct): void {
  for (const construct of scope.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const rules = NIST_BY_RESOURCE_TYPE[construct.cfnResourceType];
    if (!rules) continue;
    for (const [id, reason] of Object.entries(rules)) Validations.of(construct).acknowledge({ id, reason });
  }
}

/**
 * The accounts `envName`'s registry is shared with: its `aws.shareRegistryWith`, none by default. Sharing is opt-in
 * because every principal in the policies {@link shareRegistryWith} writes must already exist: S3 rejects a bucket
 * policy naming an unknown principal ("Invalid principal in policy"), and KMS requires that "the principals in the key
 * policy must exist and be visible to KMS" (PutKeyPolicy). A principal `*` narrowed by `aws:PrincipalAccount` is no
 * way around it: S3 counts such a policy as public (it is not among the conditions S3 accepts as non-public, see
 * "The meaning of public") and Block Public Access rejects it. So dev cannot name staging and prod before they exist.
 */
export function registryReaders(config: PlatformConfig, envName: string): string[] {
  return [...awsEnvironment(config, envName).aws.shareRegistryWith];
}

/**
 * Lets `readerAccounts` (see {@link registryReaders}) read this registry's approved model versions: the package
 * groups get a resource policy (describe and list packages), and the bucket and key let them read artifacts under
 * `models/`. Each account must exist when the registry deploys.
 */
export function shareRegistryWith(registry: ModelRegistry, readerAccounts: readonly string[]): void {
  const accounts = [...new Set(readerAccounts)].filter((a) => a !== Stack.of(registry).account);
  if (accounts.length === 0) return;
  const stack = Stack.of(registry);
  const principals = accounts.map((a) => new iam.AccountPrincipal(a));
  for (const [model, group] of Object.entries(registry.packageGroups)) {
    const groupName = registry.modelPackageGroupName(model);
    group.modelPackageGroupPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadFromLaterEnvironments',
          principals,
          actions: ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'],
          resources: [
            stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: groupName }),
            stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${groupName}/*` }),
          ],
        }),
      ],
    }).toJSON();
  }
  registry.bucket.addToResourcePolicy(
    new iam.PolicyStatement({ sid: 'ReadArtifactsFromLaterEnvironments', principals, actions: ['s3:GetObject'], resources: [registry.bucket.arnForObjects('models/*')] }),
  );
  registry.encryptionKey.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DecryptArtifactsFromLaterEnvironments',
      principals,
      actions: ['kms:Decrypt', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    }),
  );
}
