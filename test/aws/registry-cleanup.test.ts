import { DeleteModelPackageCommand, DeleteModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { type CleanupRequest, createCleanupHandler, putResponse } from '../../lambdas/registry-cleanup/aws/handler';
import { FakeSageMakerApi } from '../helpers/sagemaker-api-server';

describe('registry cleanup custom resource (against a loopback SageMaker)', () => {
  let sagemaker: FakeSageMakerApi;
  let base: string;
  let client: SageMakerClient;
  const sleeps: number[] = [];

  beforeEach(async () => {
    sagemaker = new FakeSageMakerApi();
    sagemaker.pageSize = 2;
    base = await sagemaker.start();
    client = new SageMakerClient({ endpoint: base, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, maxAttempts: 1 });
    sleeps.length = 0;
  });
  afterEach(async () => {
    client.destroy();
    await sagemaker.stop();
  });

  const handler = (maxPolls = 5) =>
    createCleanupHandler({ sagemaker: client, respond: putResponse, sleep: async (ms) => void sleeps.push(ms), maxPolls, pollIntervalMs: 1000 });
  const request = (type: CleanupRequest['RequestType']): CleanupRequest => ({
    RequestType: type,
    ResponseURL: `${base}/response/signed?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/modelstack-dev-registry/1',
    RequestId: 'req-1',
    LogicalResourceId: 'RegistryPackageCleanup',
    PhysicalResourceId: type === 'Create' ? undefined : 'RegistryPackageCleanup-package-cleanup',
    ResourceProperties: { ModelPackageGroupNames: ['ms-dev-churn', 'ms-dev-sales'] },
  });
  const answer = () => JSON.parse(sagemaker.responses[0].body);

  test('a group holding packages cannot be deleted (ConflictException): the reason for this resource', async () => {
    sagemaker.addPackages('ms-dev-churn', 1);
    await expect(client.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'ms-dev-churn' }))).rejects.toMatchObject({ name: 'ConflictException' });
  });

  test('on stack delete it deletes every package of every group, across pages, then the groups can be deleted', async () => {
    sagemaker.addPackages('ms-dev-churn', 5);
    sagemaker.addPackages('ms-dev-sales', 1);
    sagemaker.addPackages('ms-dev-other', 1);
    await handler()(request('Delete'));
    expect(sagemaker.calls.filter((c) => c.operation === 'DeleteModelPackage')).toHaveLength(6);
    expect(sagemaker.packages.map((p) => p.group)).toEqual(['ms-dev-other']);
    expect(answer()).toEqual({
      Status: 'SUCCESS',
      Reason: 'deleted 6 model package(s) of ms-dev-churn, ms-dev-sales',
      PhysicalResourceId: 'RegistryPackageCleanup-package-cleanup',
      StackId: request('Delete').StackId,
      RequestId: 'req-1',
      LogicalResourceId: 'RegistryPackageCleanup',
    });
    // The pre-signed URL is signed without a content type: the PUT must send an empty one.
    expect(sagemaker.responses[0].contentType).toBe('');
    await client.send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: 'ms-dev-churn' }));
  });

  test('it waits while deleted packages are still listed (SageMaker deletes asynchronously)', async () => {
    sagemaker.addPackages('ms-dev-churn', 2);
    sagemaker.deletionLag = 3;
    await handler()(request('Delete'));
    expect(answer().Status).toBe('SUCCESS');
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sagemaker.packages).toEqual([]);
  });

  test('a retried delete skips packages already being deleted and waits for them', async () => {
    sagemaker.addPackages('ms-dev-churn', 2);
    sagemaker.deletionLag = 4;
    await client.send(new DeleteModelPackageCommand({ ModelPackageName: sagemaker.packages[0].arn }));
    await handler()(request('Delete'));
    expect(sagemaker.calls.filter((c) => c.operation === 'DeleteModelPackage')).toHaveLength(2);
    expect(answer()).toMatchObject({ Status: 'SUCCESS', Reason: 'deleted 1 model package(s) of ms-dev-churn, ms-dev-sales' });
    expect(sagemaker.packages).toEqual([]);
  });

  test('packages that never go away fail the delete with a reason, instead of leaving CloudFormation waiting', async () => {
    sagemaker.addPackages('ms-dev-churn', 1);
    sagemaker.deletionLag = 1000;
    await handler(2)(request('Delete'));
    expect(answer()).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('1 model package(s) still listed: arn:aws:sagemaker:eu-west-1:111111111111:model-package/ms-dev-churn/1') });
    expect(sleeps).toEqual([1000, 1000]);
  });

  test('a SageMaker error is reported to CloudFormation as FAILED, naming the error', async () => {
    sagemaker.addPackages('ms-dev-churn', 1);
    sagemaker.failing.add('DeleteModelPackage');
    await handler()(request('Delete'));
    expect(answer()).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^emptying the model package groups failed: InternalFailure: DeleteModelPackage failed/) });
  });

  test('an update empties the groups it no longer lists (a removed model), which CloudFormation deletes next', async () => {
    sagemaker.addPackages('ms-dev-churn', 1);
    sagemaker.addPackages('ms-dev-old', 2);
    await handler()({ ...request('Update'), OldResourceProperties: { ModelPackageGroupNames: ['ms-dev-churn', 'ms-dev-old'] }, ResourceProperties: { ModelPackageGroupNames: ['ms-dev-churn'] } });
    expect(answer()).toMatchObject({ Status: 'SUCCESS', Reason: 'deleted 2 model package(s) of ms-dev-old' });
    expect(sagemaker.packages.map((p) => p.group)).toEqual(['ms-dev-churn']);
  });

  test('create and an update that removes no group touch nothing and succeed, with a stable physical id', async () => {
    sagemaker.addPackages('ms-dev-churn', 1);
    await handler()(request('Create'));
    await handler()(request('Update'));
    expect(sagemaker.calls).toEqual([]);
    expect(sagemaker.responses.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'RegistryPackageCleanup-package-cleanup' }),
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'RegistryPackageCleanup-package-cleanup' }),
    ]);
  });
});
