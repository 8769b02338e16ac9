import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { StreamingInference, type StreamingInferenceProps } from '../../constructs/aws/streaming-inference';
import { STREAMING_ENV } from '../../lambdas/streaming/config';
import { testStack } from '../helpers/aws';

function streaming(overrides: Partial<StreamingInferenceProps> = {}) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const construct = new StreamingInference(stack, 'Streaming', {
    model: 'churn',
    endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn'),
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'contract', type: 'categorical' },
    ],
    registry,
    logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }),
    logRetention: logs.RetentionDays.ONE_MONTH,
    ...overrides,
  });
  return { stack, registry, construct, template: () => Template.fromStack(stack) };
}

const keyRef = { 'Fn::GetAtt': [Match.stringLikeRegexp('RegistryKey'), 'Arn'] };

/** The statements of the policies attached to the role whose logical id matches `role`. */
function statementsOfRole(template: Template, role: RegExp): Array<Record<string, unknown>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => role.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('StreamingInference', () => {
  const built = streaming();
  const { construct } = built;
  const template = built.template();

  test('an on-demand stream, a dead-letter queue and results, all encrypted with the registry key and retained by default', () => {
    template.hasResource('AWS::Kinesis::Stream', {
      Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' }, StreamEncryption: { EncryptionType: 'KMS', KeyId: keyRef }, RetentionPeriodHours: 24 },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::SQS::Queue', { Properties: { KmsMasterKeyId: keyRef, MessageRetentionPeriod: 14 * 24 * 3600 }, DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyRef },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'streaming/churn/results/!{timestamp:yyyy/MM/dd/HH}/',
        CompressionFormat: 'GZIP',
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyRef } },
      }),
    });
  });

  test('the event source bisects failing batches, reports item failures, retries a bounded number of times, then dead-letters', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('StreamingDeadLetters'), 'Arn'] } } },
    });
  });

  test('the function is told its model, endpoint, features, limits and delivery stream', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.[STREAMING_ENV.model] === 'churn');
    expect(fn).toBeDefined();
    const env = fn!.Properties.Environment.Variables;
    expect(env[STREAMING_ENV.endpointName]).toBe('ms-dev-churn');
    expect(JSON.parse(env[STREAMING_ENV.features])).toEqual([
      { name: 'tenure_months', type: 'numeric' },
      { name: 'contract', type: 'categorical' },
    ]);
    expect(env[STREAMING_ENV.maxBodyBytes]).toBe(String(1024 * 1024));
    expect(env[STREAMING_ENV.maxInstances]).toBe('100');
    expect(env[STREAMING_ENV.deliveryStreamName]).toEqual({ Ref: expect.stringMatching(/^StreamingDelivery/) });
  });

  test('least privilege: the function invokes one endpoint and puts to one delivery stream; Firehose writes only under the model\'s prefixes', () => {
    const fnStatements = statementsOfRole(template, /StreamingScore/);
    expect(fnStatements).toContainEqual(expect.objectContaining({ Action: 'sagemaker:InvokeEndpoint', Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:endpoint/ms-dev-churn' }));
    expect(fnStatements).toContainEqual(expect.objectContaining({ Sid: 'DeliverResults', Action: 'firehose:PutRecordBatch', Resource: { 'Fn::GetAtt': [expect.stringMatching(/StreamingDelivery/), 'Arn'] } }));
    for (const s of fnStatements) expect(s.Resource).not.toBe('*');
    const firehose = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => /DeliveryPolicy/.test(JSON.stringify(p.Properties.PolicyName)));
    const objects = firehose!.Properties.PolicyDocument.Statement.find((s: { Sid: string }) => s.Sid === 'Objects');
    expect(JSON.stringify(objects.Resource)).toContain('/streaming/churn/results/*');
    expect(JSON.stringify(objects.Resource)).toContain('/streaming/churn/errors/*');
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } } })] },
    });
  });

  test('grantWrite lets a producer put records and encrypt them with the registry key; metricIteratorAge watches the backlog', () => {
    const fresh = streaming();
    const producer = new iam.Role(fresh.stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
    fresh.construct.grantWrite(producer);
    const statements = statementsOfRole(Template.fromStack(fresh.stack), /Producer/);
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kinesis:PutRecord', 'kinesis:PutRecords']) }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']) }));
    expect(construct.metricIteratorAge()).toMatchObject({ metricName: 'IteratorAge', statistic: 'Maximum' });
  });

  test('provisioned shards, other batching and DESTROY when asked', () => {
    const custom = streaming({ shardCount: 2, batchSize: 20, maxBatchingWindow: Duration.seconds(30), retryAttempts: 1, removalPolicy: RemovalPolicy.DESTROY }).template();
    custom.hasResource('AWS::Kinesis::Stream', { Properties: { ShardCount: 2, StreamModeDetails: { StreamMode: 'PROVISIONED' } }, DeletionPolicy: 'Delete' });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 20, MaximumBatchingWindowInSeconds: 30, MaximumRetryAttempts: 1 });
  });
});
