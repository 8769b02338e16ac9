import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { registryReaders, shareRegistryWith } from '../../infra/aws/governance';
import { parseConfig } from '../../infra/config/load';
import { demo } from '../helpers/config';

/** dev's registry, shared as `config` says. */
function devRegistry(raw: unknown): Template {
  const config = parseConfig(raw);
  const stack = new Stack(new App(), 'Registry', { env: { account: config.environments.dev.aws!.account, region: 'eu-west-1' } });
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'modelstack-dev', models: ['churn'] });
  shareRegistryWith(registry, registryReaders(config, 'dev'));
  return Template.fromStack(stack);
}

/** Every account a resource policy of the template names, other than the stack's own. */
function foreignAccounts(template: Template): string[] {
  const found = [...JSON.stringify(template.toJSON()).matchAll(/:iam::(\d{12}):root/g)].map((m) => m[1]);
  return [...new Set(found)].filter((a) => a !== '111111111111').sort();
}

describe('registry sharing is opt-in per environment', () => {
  test('by default no other account is named, so the first environment deploys alone (S3, KMS and SageMaker reject unknown principals)', () => {
    expect(parseConfig(demo()).environments.dev.aws!.shareRegistryWith).toEqual([]);
    const template = devRegistry(demo());
    expect(foreignAccounts(template)).toEqual([]);
    const groups = Object.values(template.findResources('AWS::SageMaker::ModelPackageGroup'));
    expect(groups.map((g) => g.Properties.ModelPackageGroupPolicy)).toEqual([undefined]);
  });

  test('accounts in aws.shareRegistryWith may describe and list packages and read artifacts under models/', () => {
    const raw = demo();
    raw.environments.dev.aws.shareRegistryWith = ['222222222222'];
    const template = devRegistry(raw);
    expect(foreignAccounts(template)).toEqual(['222222222222']);
    const policy = Object.values(template.findResources('AWS::SageMaker::ModelPackageGroup'))[0].Properties.ModelPackageGroupPolicy;
    expect(policy.Statement[0].Action).toEqual(['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages']);
    const bucketStatements = Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(bucketStatements).toContainEqual(
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', [expect.anything(), '/models/*']] } }),
    );
  });

  test('an account id that is not 12 digits is refused, by path', () => {
    const raw = demo();
    raw.environments.dev.aws.shareRegistryWith = ['2222'];
    expect(() => parseConfig(raw)).toThrow('environments.dev.aws.shareRegistryWith[0]: expected 12 digits');
  });
});
