import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { ModelRegistry, ModelRegistryBase } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

function registryTemplate(props: Partial<ConstructorParameters<typeof ModelRegistry>[2]> = {}) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn', 'sales'], ...props });
  return { stack, registry, template: Template.fromStack(stack) };
}

describe('ModelRegistry (AWS)', () => {
  test('a customer-managed key with rotation encrypts the versioned registry bucket', () => {
    const { template } = registryTemplate();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('RegistryKey'), 'Arn'] } }, BucketKeyEnabled: true },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: { Ref: Match.stringLikeRegexp('RegistryAccessLogs') }, LogFilePrefix: 'registry/' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, Status: 'Enabled' })] },
    });
  });

  test('both buckets block all public access and deny requests without TLS', () => {
    const { template } = registryTemplate();
    const buckets = template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  test('data is retained by default and destroyed only when asked', () => {
    registryTemplate().template.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    registryTemplate().template.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    registryTemplate().template.allResources('AWS::SageMaker::ModelPackageGroup', { DeletionPolicy: 'Retain' });
    const destroy = registryTemplate({ removalPolicy: RemovalPolicy.DESTROY }).template;
    destroy.allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    destroy.allResources('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('synthesizes in an app without the access-log feature flag: logs are delivered under a bucket policy', () => {
    const stack = new Stack(new App(), 'Plain', { env: { account: '111111111111', region: 'eu-west-1' } });
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: stack.getLogicalId(registry.accessLogBucket.node.defaultChild as CfnBucket) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' })]) },
    });
    template.allResources('AWS::S3::Bucket', { Properties: Match.not(Match.objectLike({ AccessControl: Match.anyValue() })) });
  });

  test('retention periods are configurable', () => {
    const { template } = registryTemplate({ noncurrentVersionExpiration: Duration.days(7), accessLogRetention: Duration.days(30) });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 7 } })] },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] },
    });
  });

  test('one model package group per model and an approval rule over all of them', () => {
    const { template, registry, stack } = registryTemplate();
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 2);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'ms-dev-churn' });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: ['ms-dev-churn', 'ms-dev-sales'], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
    });
    expect(registry.modelPackageGroupName('sales')).toBe('ms-dev-sales');
    expect(stack.resolve(registry.modelPackageGroupArn('churn'))).toBe('arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/ms-dev-churn');
  });

  test('grantReadModel allows reading one model prefix and decrypting, nothing more', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    registry.grantReadModel(role, 'churn');
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const doc = Object.values(statements)[0].Properties.PolicyDocument.Statement;
    expect(doc).toEqual([
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/RegistryKey/), 'Arn'] } },
      {
        Action: 's3:GetObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/RegistryBucket/), 'Arn'] }, '/models/churn/*']] },
      },
    ]);
  });

  test('an imported registry names the bucket literally', () => {
    const stack = testStack();
    const imported = ModelRegistry.fromRegistryAttributes(stack, 'Imported', {
      namePrefix: 'ms-dev',
      bucketName: 'ms-dev-models-111111111111-eu-west-1',
      encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
    });
    expect(imported.modelPackageGroupName('churn')).toBe('ms-dev-churn');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    imported.grantReadModel(role, 'churn');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::ms-dev-models-111111111111-eu-west-1/models/churn/*' },
        ]),
      },
    });
  });

  test('created and imported registries share one base: the same names, ARNs and grants, scoped to one model', () => {
    const stack = testStack();
    const created = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const imported = ModelRegistry.fromRegistryAttributes(stack, 'Imported', {
      namePrefix: 'ms-dev',
      bucketName: 'ms-dev-models-111111111111-eu-west-1',
      encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/abc',
    });
    for (const registry of [created, imported]) {
      expect(registry).toBeInstanceOf(ModelRegistryBase);
      expect(registry.namePrefix).toBe('ms-dev');
      expect(stack.resolve(registry.modelPackageGroupArn('churn'))).toBe('arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/ms-dev-churn');
    }
    const trainer = new iam.Role(stack, 'Trainer', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    imported.grantWriteModel(trainer, 'churn');
    imported.grantReadModelPackages(trainer, 'churn');
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: 'arn:aws:kms:eu-west-1:111111111111:key/abc' },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: 'arn:aws:s3:::ms-dev-models-111111111111-eu-west-1/models/churn/*' },
      {
        Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
        Effect: 'Allow',
        Resource: ['arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/ms-dev-churn', 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/ms-dev-churn/*'],
      },
    ]);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => new ModelRegistry(testStack(), 'R', { namePrefix: 'Bad_Prefix', models: ['ok', 'No Spaces', 'ok'] })).toThrow(
      'ModelRegistry: invalid props\n' +
        '  - namePrefix "Bad_Prefix": expected lowercase letters, digits and single hyphens\n' +
        '  - models[1] "No Spaces": expected lowercase letters, digits and single hyphens\n' +
        '  - models[2] "ok": duplicate',
    );
    expect(() => new ModelRegistry(testStack(), 'R', { namePrefix: 'p', models: [] })).toThrow('models: expected at least one model');
  });
});
