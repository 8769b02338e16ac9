import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { type AwsPlatform, buildAwsPlatform } from '../../infra/aws/app';
import { classifyIdleCost, formatIdleCost } from '../../infra/aws/cost-class';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { testApp } from '../helpers/aws';

const config = parseConfig(demoConfig);

describe('operations stacks of the demo', () => {
  let platform: AwsPlatform;
  let prod: Template;
  let prodChurn: Template;
  let devChurn: Template;
  beforeAll(() => {
    platform = buildAwsPlatform(testApp(), config);
    prod = Template.fromStack(platform.environments.prod.operations);
    prodChurn = Template.fromStack(platform.environments.prod.operations.models.churn);
    devChurn = Template.fromStack(platform.environments.dev.operations.models.churn);
  });

  test('dev has no Kinesis stream (aws.streamingOverride: off): even on demand, a stream bills by the hour', () => {
    devChurn.resourceCountIs('AWS::Kinesis::Stream', 0);
    expect(platform.environments.dev.operations.models.churn.streaming).toBeUndefined();
    prodChurn.resourceCountIs('AWS::Kinesis::Stream', 1);
  });

  test('dev serves every model serverless (aws.servingOverride), so it idles at zero cost', () => {
    const churn = Template.fromStack(platform.environments.dev.serving.models.churn);
    churn.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
      DataCaptureConfig: Match.absent(),
    });
    churn.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('alarms notify a KMS-encrypted, TLS-only topic in the registry stack, which every other stack depends on', () => {
    const registry = Template.fromStack(platform.environments.prod.registry);
    registry.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    registry.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-platform-oncall@example.com' });
    registry.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    prod.resourceCountIs('AWS::SNS::Topic', 0);
    prod.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'modelstack-prod' });
    // API 5xx and latency sit in the environment's operations stack.
    prod.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { AlarmActions: Match.anyValue() }, 2);
  });

  test('every alarm of an environment notifies, and each exists once, owned by the construct it watches', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const stacks = platform.environments[env];
      const templates = [stacks.registry, stacks.serving, ...Object.values(stacks.serving.models), stacks.operations, ...Object.values(stacks.operations.models)].map((st) =>
        Template.fromStack(st),
      );
      const alarms = templates.flatMap((t, stack) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => ({ Properties: a.Properties as Record<string, unknown>, stack })));
      expect(alarms.length).toBeGreaterThan(10);
      const signatures = alarms.map((a) => {
        const { MetricName, Namespace, Dimensions, Metrics } = a.Properties;
        expect(a.Properties.AlarmActions).toHaveLength(1);
        const signature = JSON.stringify({ MetricName, Namespace, Dimensions, Metrics });
        // A Ref or GetAtt names a resource of its own stack: the same text in two nested stacks is two resources.
        return /"(Ref|Fn::GetAtt)"/.test(signature) ? `${a.stack}:${signature}` : signature;
      });
      expect(new Set(signatures).size).toBe(signatures.length);
    }
    const prodServing = Template.fromStack(platform.environments.prod.serving.models.churn);
    // The endpoint's own rollback alarms and the drift check's alarms live beside what they watch.
    prodServing.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'modelstack-prod-churn-5xx-errors', MetricName: 'Invocation5XXErrors', Threshold: 5 });
    prodServing.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'modelstack-prod-churn-model-latency-p99', ExtendedStatistic: 'p99', Threshold: 1_000_000 });
    for (const metricName of ['DriftCheckFailed', 'QualityDegradation', 'ApproximateNumberOfMessagesVisible']) {
      prodServing.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metricName, AlarmActions: [Match.anyValue()] });
    }
    prodChurn.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocations', ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
    for (const metricName of ['Errors', 'Throttles', 'Duration', 'DriftShare', 'IntegrityFailures']) {
      prodChurn.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: metricName, AlarmActions: [Match.anyValue()] });
    }
    // Environments without an approval may idle: no absent-invocation alarm there.
    devChurn.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Invocations' }, 0);
  });

  test('CloudFormation owns each endpoint: the model\'s promotion strategy is the endpoint\'s blue/green update; no promotion workflow', () => {
    Template.fromStack(platform.environments.prod.serving.models.churn).hasResourceProperties('AWS::SageMaker::Endpoint', {
      EndpointName: 'modelstack-prod-churn',
      RetainAllVariantProperties: true,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 600 } }),
        AutoRollbackConfiguration: { Alarms: [Match.anyValue(), Match.anyValue()] },
      },
    });
    prod.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    // dev serves churn serverless: SageMaker updates serverless endpoints all at once, without guardrails.
    const devEndpoint = Object.values(Template.fromStack(platform.environments.dev.serving.models.churn).findResources('AWS::SageMaker::Endpoint'))[0];
    expect(devEndpoint.Properties.DeploymentConfig).toBeUndefined();
  });

  test('no registry names another account unless its environment opts in (the first environment deploys alone)', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const registry = Template.fromStack(platform.environments[env].registry);
      registry.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupPolicy: Match.absent() });
      const own = config.environments[env].aws!.account;
      const named = [...JSON.stringify(registry.toJSON()).matchAll(/:iam::(\d{12}):root/g)].map((m) => m[1]);
      expect(named.filter((account) => account !== own)).toEqual([]);
    }
  });

  test('batch inference: a scheduled transform over the model\'s input prefix, KMS throughout, failure alarms', () => {
    prodChurn.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 2 * * ? *)' });
    const machines = prodChurn.findResources('AWS::StepFunctions::StateMachine');
    const definition = JSON.stringify(Object.values(machines)[0].Properties.DefinitionString);
    for (const piece of ['sagemaker:createTransformJob', 'batch/churn/input/', 'batch/churn/output/', 'VolumeKmsKeyId', 'StopOverdueJob']) expect(definition).toContain(piece);
    prodChurn.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [Match.anyValue()],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ReadBatchInput', Action: 's3:GetObject' })]) },
    });
    prodChurn.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed' }, 1);
  });

  test('streaming inference: KMS stream, batch mode with partial failures, bisect, bounded retries, DLQ, Firehose to S3', () => {
    prodChurn.hasResourceProperties('AWS::Kinesis::Stream', { StreamEncryption: { EncryptionType: 'KMS', KeyId: Match.anyValue() }, StreamModeDetails: { StreamMode: 'ON_DEMAND' } });
    prodChurn.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      BatchSize: 100,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    prodChurn.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    prodChurn.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: Match.anyValue() },
      ExtendedS3DestinationConfiguration: Match.objectLike({ Prefix: 'streaming/churn/results/!{timestamp:yyyy/MM/dd/HH}/' }),
    });
    // Production data is retained; staging's is disposable.
    prodChurn.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    Template.fromStack(platform.environments.staging.operations.models.churn).hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });

  test('feature store and model cards from the config, KMS-encrypted', () => {
    prod.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'modelstack-prod-customer',
      RecordIdentifierFeatureName: 'customer_id',
      OnlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: Match.anyValue() } },
      OfflineStoreConfig: Match.objectLike({ S3StorageConfig: { S3Uri: 's3://modelstack-prod-models-333333333333-eu-west-1/feature-store', KmsKeyId: Match.anyValue() } }),
    });
    prodChurn.hasResourceProperties('AWS::SageMaker::ModelCard', {
      ModelCardName: 'modelstack-prod-churn',
      SecurityConfig: { KmsKeyId: Match.anyValue() },
      Content: Match.objectLike({ IntendedUses: Match.objectLike({ RiskRating: 'Medium' }), ModelOverview: Match.objectLike({ ModelOwner: 'ml-platform' }) }),
    });
  });

  test('governance tags from the config on every resource; prod operations is termination protected', () => {
    expect(platform.environments.prod.operations.terminationProtection).toBe(true);
    expect(platform.environments.dev.operations.terminationProtection).toBe(false);
    for (const [, resource] of Object.entries(prodChurn.findResources('AWS::Kinesis::Stream'))) {
      expect(resource.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'owner', Value: 'ml-platform' },
          { Key: 'cost-center', Value: 'cc-1234' },
          { Key: 'data-classification', Value: 'confidential' },
          { Key: 'modelstack:environment', Value: 'prod' },
        ]),
      );
    }
  });

  test('idle cost per environment: dev scales to zero, prod keeps its real-time endpoint on', () => {
    const classes = classifyIdleCost(config);
    const endpoints = (env: string) => classes[env].filter((i) => i.resource.startsWith('endpoint'));
    expect(endpoints('dev').every((i) => i.costClass === 'scales-to-zero')).toBe(true);
    // Nothing of dev's own bills while idle; CloudWatch's monthly dashboard and alarm charges are the only fixed cost.
    expect(classes.dev.filter((i) => i.costClass === 'always-on').map((i) => i.resource)).toEqual(['dashboard and alarms']);
    expect(classes.prod.map((i) => i.resource)).toContain('stream churn');
    expect(endpoints('prod')).toContainEqual({ resource: 'endpoint churn', costClass: 'always-on', detail: '2-4 x ml.m5.large' });
    expect(formatIdleCost(classes)).toMatch(/^dev\n {2}always-on: .*\n {2}scales to zero: .*endpoint churn \(serverless 2048 MB\)/);
  });

  test('the MLflow tracking server bills while it runs: listed where a model trains and mlflow is not false', () => {
    const classes = classifyIdleCost(config);
    expect(classes.prod).toContainEqual({ resource: 'MLflow tracking server', costClass: 'always-on', detail: 'Small, per hour while running' });
    expect(classes.prod).toContainEqual({ resource: 'training pipelines', costClass: 'scales-to-zero', detail: 'processing and training jobs per run' });
    // The demo's dev opts out (mlflow: false), so it still idles at zero.
    expect(classes.dev.map((i) => i.resource)).not.toContain('MLflow tracking server');
  });
});

describe('compliance', () => {
  test('NIST 800-53 R5 runs beside AwsSolutions: an unacknowledged finding fails synth', () => {
    const { app, environments } = buildAwsPlatform(testApp(), config, ['dev']);
    new s3.Bucket(environments.dev.operations, 'Careless', { enforceSSL: true, serverAccessLogsPrefix: 'x/' });
    expect(() => app.synth()).toThrow(/NIST\.800\.53\.R5-S3BucketReplicationEnabled|NIST\.800\.53\.R5-S3DefaultEncryptionKMS/);
  });

  test('50 models stay far below 500 resources in every stack and nested stack', () => {
    const models = Array.from({ length: 50 }, (_, i) => ({ ...demoConfig.models[i % 2], name: `model-${i}` }));
    const { environments } = buildAwsPlatform(testApp(), parseConfig({ ...demoConfig, models }), ['prod']);
    const count = (stack: Stack) => stack.node.findAll().filter((c) => (c as { cfnResourceType?: string }).cfnResourceType && Stack.of(c) === stack).length;
    const { operations } = environments.prod;
    expect(count(operations)).toBeLessThan(250);
    for (const nested of Object.values(operations.models)) expect(count(nested)).toBeLessThan(100);
  });
});
