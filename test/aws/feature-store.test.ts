import { Template } from 'aws-cdk-lib/assertions';
import { FeatureStore } from '../../constructs/aws/feature-store';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

describe('FeatureStore offline store role', () => {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', bucketName: 'ms-dev-models', models: ['churn'] });
  new FeatureStore(stack, 'Store', {
    namePrefix: 'ms-dev',
    registry,
    groups: [{ name: 'customer', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'string' }, { name: 'ts', type: 'string' }] }],
  });
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => /StoreOfflineStoreRole/.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[]);
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
  const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/RegistryBucket/), 'Arn'] }, '/feature-store/*']] };

  test("has what AWS's AmazonSageMakerFeatureStoreAccess grants for the offline store, scoped to the feature-store prefix", () => {
    // SageMaker writes offline-store objects with an ACL (PutObjectAcl) after checking the bucket's (GetBucketAcl).
    expect(bySid('OfflineStore')).toEqual(expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectAcl'], Resource: objects }));
    expect(bySid('Bucket')).toEqual(expect.objectContaining({ Action: 's3:GetBucketAcl', Resource: { 'Fn::GetAtt': [expect.stringMatching(/RegistryBucket/), 'Arn'] } }));
    expect(bySid('OfflineStoreKey')).toEqual(expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }));
  });

  test('nothing beyond it: no Glue (no table is created), no other prefix', () => {
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => !/^(s3|kms):/.test(a))).toEqual([]);
    for (const statement of statements.filter((s) => s.Sid === 'OfflineStore')) expect(statement.Resource).toEqual(objects);
  });
});
