import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelRegistry, type ModelRegistryProps } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

function registry(props: Partial<ModelRegistryProps> = {}): Template {
  const stack = testStack();
  new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn', 'sales'], ...props });
  return Template.fromStack(stack);
}

describe('ModelRegistry with removalPolicy DESTROY empties itself so the stack can be deleted', () => {
  const destroy = registry({ removalPolicy: RemovalPolicy.DESTROY });

  test('both buckets delete their objects and versions first (autoDeleteObjects)', () => {
    const buckets = destroy.findResources('AWS::S3::Bucket');
    const autoDeleted = Object.values(destroy.findResources('Custom::S3AutoDeleteObjects')).map((r) => r.Properties.BucketName.Ref);
    expect(autoDeleted.sort()).toEqual(Object.keys(buckets).sort());
  });

  test('a custom resource deletes the groups\' model packages, after which CloudFormation deletes the groups', () => {
    const cleanups = Object.entries(destroy.findResources('Custom::ModelPackageCleanup'));
    expect(cleanups).toHaveLength(1);
    const [, cleanup] = cleanups[0];
    expect(cleanup.Properties.ModelPackageGroupNames).toEqual(['ms-dev-churn', 'ms-dev-sales']);
    // It depends on the groups, so on delete it runs before them.
    const groups = Object.keys(destroy.findResources('AWS::SageMaker::ModelPackageGroup'));
    expect([...cleanup.DependsOn].sort()).toEqual(expect.arrayContaining(groups.sort()));
    const fn = Object.entries(destroy.findResources('AWS::Lambda::Function')).find(([id]) => /PackageCleanupFunction/.test(id))!;
    expect(cleanup.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [fn[0], 'Arn'] });
    expect(fn[1].Properties).toMatchObject({ Runtime: 'nodejs24.x', Timeout: 600 });
    // Its log group goes with the stack too: nothing of a destroyed environment is left behind.
    const logGroup = Object.entries(destroy.findResources('AWS::Logs::LogGroup')).find(([id]) => /PackageCleanupFunction/.test(id))!;
    expect(logGroup[1].DeletionPolicy).toBe('Delete');
  });

  test('the cleanup may delete only the packages of this registry\'s groups (by name prefix, so a removed model\'s too)', () => {
    const statements = Object.entries(destroy.findResources('AWS::IAM::Policy'))
      .filter(([id]) => /PackageCleanupFunction/.test(id))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const deletes = statements.filter((s) => s.Action === 'sagemaker:DeleteModelPackage');
    expect(deletes).toEqual([expect.objectContaining({ Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/ms-dev-*/*' })]);
    expect(statements.filter((s) => s.Resource === '*').map((s) => s.Action)).toEqual(['sagemaker:ListModelPackages']);
  });

  test('retained registries keep everything: no auto-delete, no cleanup', () => {
    const retained = registry();
    expect(Object.keys(retained.findResources('Custom::S3AutoDeleteObjects'))).toEqual([]);
    expect(Object.keys(retained.findResources('Custom::ModelPackageCleanup'))).toEqual([]);
    expect(Object.keys(retained.findResources('AWS::Lambda::Function'))).toEqual([]);
  });
});
