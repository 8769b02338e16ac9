// The training pipelines' starter against a loopback SageMaker API: one running execution per model at most, the
// current approved version's model data passed as CurrentModelDataUrl (Evaluate's input), and a doubled trigger within the hour starting nothing new.
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CURRENT_MODEL_DATA_PARAMETER, createStarterHandler, pipelinesFromEnvironment } from '../../lambdas/training-starter/aws/handler';
import { PARAMETER_NAMES } from '../../infra/pipeline/training-pipeline';
import { FakeSageMakerApi } from '../helpers/sagemaker-api-server';

const pipelines = { churn: { pipeline: 'modelstack-dev-churn-training', packageGroup: 'modelstack-dev-churn' } };
let sagemaker: FakeSageMakerApi;
let client: SageMakerClient;

beforeEach(async () => {
  sagemaker = new FakeSageMakerApi();
  const base = await sagemaker.start();
  client = new SageMakerClient({ endpoint: base, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' }, maxAttempts: 1 });
});
afterEach(() => sagemaker.stop());

const drift = { source: 'modelstack.drift', 'detail-type': 'DriftDetected', detail: { model: 'churn', environment: 'dev' } };

describe('the training starter', () => {
  test('starts against the latest approved version, then refuses while that execution runs', async () => {
    sagemaker.packages.push({ group: 'modelstack-dev-churn', arn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/3', status: 'Approved', created: 3, image: 'image', modelDataUrl: 's3://registry/models/churn/abc123/model.tar.gz' });
    sagemaker.packages.push({ group: 'modelstack-dev-churn', arn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/4', status: 'PendingManualApproval', created: 4, image: 'image', modelDataUrl: 's3://registry/models/churn/def456/model.tar.gz' });
    const start = createStarterHandler({ sagemaker: client, pipelines, now: () => new Date('2026-11-27T10:15:00Z') });
    const first = await start(drift);
    expect(first).toEqual({ model: 'churn', started: true, reason: 'drift: started against s3://registry/models/churn/abc123/model.tar.gz', executionArn: expect.stringMatching(/execution\/1$/) });
    expect(sagemaker.executions[0].parameters).toEqual([{ Name: 'CurrentModelDataUrl', Value: 's3://registry/models/churn/abc123/model.tar.gz' }]);
    // The newest Approved package, found with ListModelPackages sorted by CreationTime, then described.
    expect(sagemaker.calls.find((c) => c.operation === 'ListModelPackages')?.input).toMatchObject({ ModelPackageGroupName: 'modelstack-dev-churn', ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending' });
    expect(sagemaker.calls.find((c) => c.operation === 'DescribeModelPackage')?.input).toEqual({ ModelPackageName: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/3' });
    expect(sagemaker.executions[0].token).toHaveLength(40);

    const second = await createStarterHandler({ sagemaker: client, pipelines, now: () => new Date('2026-11-27T13:00:00Z') })({ model: 'churn', trigger: 'schedule' });
    expect(second).toEqual({ model: 'churn', started: false, reason: `modelstack-dev-churn-training: execution ${first.executionArn} is still executing` });
    expect(sagemaker.executions).toHaveLength(1);
  });

  test('no approved version: CurrentModelDataUrl keeps its "none yet" default; a finished execution does not block; the same hour reuses the execution', async () => {
    sagemaker.executions.push({ pipeline: 'modelstack-dev-churn-training', arn: 'old', status: 'Succeeded', created: 0 });
    const start = createStarterHandler({ sagemaker: client, pipelines, now: () => new Date('2026-11-27T10:15:00Z') });
    const first = await start({ model: 'churn', trigger: 'schedule' });
    expect(first).toMatchObject({ started: true, reason: 'schedule: started against no current version' });
    expect(sagemaker.executions[1].parameters).toEqual([]);
    sagemaker.executions[1].status = 'Failed';
    // The same trigger retried within the hour: the idempotency token returns the same execution.
    const retried = await start({ model: 'churn', trigger: 'schedule' });
    expect(retried.executionArn).toBe(first.executionArn);
    expect(sagemaker.executions).toHaveLength(2);
  });

  test('an approved package without model data is an error naming it, and starts nothing', async () => {
    sagemaker.packages.push({ group: 'modelstack-dev-churn', arn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/1', status: 'Approved', created: 1, image: 'image', modelDataUrl: '' });
    await expect(createStarterHandler({ sagemaker: client, pipelines })({ model: 'churn' })).rejects.toThrow('model-package/modelstack-dev-churn/1: its InferenceSpecification has no ModelDataUrl');
    expect(sagemaker.executions).toHaveLength(0);
  });

  test('the parameter it sets is the one the definition declares', () => {
    expect(CURRENT_MODEL_DATA_PARAMETER).toBe(PARAMETER_NAMES.currentModelData);
  });

  test('an unknown model starts nothing and says which models it knows', async () => {
    const result = await createStarterHandler({ sagemaker: client, pipelines })({ ...drift, detail: { model: 'fraud' } });
    expect(result).toEqual({ model: 'fraud', started: false, reason: 'no training pipeline for model "fraud": expected one of churn' });
    expect(sagemaker.calls).toEqual([]);
  });
});

describe('the starter\'s environment', () => {
  test('the name prefix and model names give each model\'s pipeline and package group (4 KB hold 50 models)', () => {
    expect(pipelinesFromEnvironment({ TRAINING_NAME_PREFIX: 'modelstack-dev', TRAINING_MODELS: 'churn,sales-forecast' })).toEqual({
      churn: { pipeline: 'modelstack-dev-churn-training', packageGroup: 'modelstack-dev-churn' },
      'sales-forecast': { pipeline: 'modelstack-dev-sales-forecast-training', packageGroup: 'modelstack-dev-sales-forecast' },
    });
    const models = Array.from({ length: 50 }, (_, i) => `model-number-${i}`).join(',');
    expect(`TRAINING_NAME_PREFIX=modelstack-prod TRAINING_MODELS=${models}`.length).toBeLessThan(4096);
    expect(Object.keys(pipelinesFromEnvironment({ TRAINING_NAME_PREFIX: 'modelstack-prod', TRAINING_MODELS: models }))).toHaveLength(50);
    expect(pipelinesFromEnvironment({ TRAINING_PIPELINES: JSON.stringify(pipelines) })).toEqual(pipelines);
  });
});
