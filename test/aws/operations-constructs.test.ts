import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { BatchInference } from '../../constructs/aws/batch-inference';
import { ContainerImage } from '../../constructs/aws/container-image';
import { FeatureStore } from '../../constructs/aws/feature-store';
import { ModelCard } from '../../constructs/aws/model-card';
import { ModelEndpoint, type ModelEndpointProps } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { PlatformMonitoring } from '../../constructs/aws/platform-monitoring';
import { StreamingInference } from '../../constructs/aws/streaming-inference';
import { type PropsValidationError } from '../../constructs/private/validation';
import { testStack } from '../helpers/aws';

function problems(build: () => unknown): readonly string[] {
  try {
    build();
  } catch (err) {
    return (err as PropsValidationError).problems;
  }
  return [];
}

function setup() {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const endpoint = ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn');
  const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  return { stack, registry, endpoint, key };
}

describe('operations constructs validate their props, listing every problem', () => {
  const { stack, registry, endpoint, key } = setup();
  const role = new iam.Role(stack, 'ExecRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });

  test('PlatformMonitoring', () => {
    expect(problems(() => new PlatformMonitoring(stack, 'Bad', { dashboardName: 'has space', alarmEmails: ['nope'], thresholds: { driftShare: 2, dlqDepth: 0 } }))).toEqual([
      'dashboardName "has space": expected letters, digits, - and _',
      'alarmEmails "nope": expected an email address',
      'thresholds.dlqDepth 0: expected a positive number',
      'thresholds.driftShare 2: expected at most 1',
    ]);
  });

  test('ModelEndpoint deployment: SageMaker\'s blue/green rules, every problem at once', () => {
    const image = ContainerImage.fromImageUri('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
    const endpointWith = (id: string, variant: ModelEndpointProps['variant'], deployment: ModelEndpointProps['deployment']) =>
      problems(() => new ModelEndpoint(stack, id, { registry, model: 'churn', modelVersion: '1', image, endpointName: `ms-dev-${id.toLowerCase()}`, variant, deployment }));
    expect(endpointWith('One', { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 1 }, { strategy: 'canary', trafficPercent: 60, timeout: Duration.minutes(5) })).toEqual([
      'deployment.strategy: canary traffic shifting needs at least 2 instances (the variant starts with 1): expected "all-at-once" or more instances',
      'deployment.trafficPercent: 60: a canary step must be 1-50 % of the variant\'s instances',
      'deployment.timeoutMinutes: 5: expected 10 to 480 minutes',
    ]);
    expect(endpointWith('Linear', { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 4 }, { strategy: 'linear', trafficPercent: 5, wait: Duration.minutes(30), timeout: Duration.hours(8) })).toEqual([
      'deployment.trafficPercent: 5: a linear step must be 10-50 % of the variant\'s instances',
      // 20 steps of 30 minutes bake for 10 hours
      'deployment.timeoutMinutes: 480: must exceed the 600 minutes the linear deployment bakes',
    ]);
    expect(endpointWith('Serverless', { kind: 'serverless', memorySizeMb: 2048 }, { strategy: 'linear', trafficPercent: 20 })).toEqual([
      'deployment.strategy: linear traffic shifting needs an instance-backed endpoint (serverless endpoints update all at once): expected "all-at-once"',
    ]);
    expect(endpointWith('Good', { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 2 }, { strategy: 'canary', trafficPercent: 50 })).toEqual([]);
  });

  test('BatchInference and StreamingInference', () => {
    expect(
      problems(
        () =>
          new BatchInference(stack, 'BadBatch', {
            model: 'churn', endpoint, executionRole: role, registry, schedule: events.Schedule.rate(Duration.days(1)),
            instanceType: 'big', instanceCount: 0, maxRuntime: Duration.hours(72), logEncryptionKey: key,
          }),
      ),
    ).toEqual(['instanceType "big": expected a SageMaker instance type such as ml.m5.large', 'instanceCount 0: expected an integer of at least 1', 'maxRuntime 72 h: expected at most 48 hours']);
    expect(
      problems(
        () =>
          new StreamingInference(stack, 'BadStream', {
            model: 'Churn', endpoint, features: [], registry, logEncryptionKey: key, logRetention: logs.RetentionDays.ONE_DAY,
            batchSize: 0, retryAttempts: 11, maxBatchingWindow: Duration.minutes(10),
          }),
      ),
    ).toEqual([
      'model "Churn": expected lowercase letters, digits and single hyphens',
      'features: expected at least one feature',
      'batchSize 0: expected an integer from 1 to 10000',
      'retryAttempts 11: expected an integer from 0 to 10',
      'maxBatchingWindow 600 s: expected 0 to 300 seconds',
    ]);
  });

  test('FeatureStore and ModelCard', () => {
    expect(
      problems(
        () =>
          new FeatureStore(stack, 'BadStore', {
            namePrefix: 'ms-dev', registry,
            groups: [{ name: 'Customer', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'x', type: 'string' }, { name: 'x', type: 'integral' }] }],
          }),
      ),
    ).toEqual([
      'groups[0].name "Customer": expected lowercase letters, digits and single hyphens',
      'groups[0].recordIdentifier "id": expected one of the features',
      'groups[0].eventTime "ts": expected one of the features',
      'groups[0].features: duplicate feature names',
    ]);
    expect(problems(() => new ModelCard(stack, 'BadCard', { modelCardName: 'Bad Card', model: 'churn', problemType: 'x', algorithmType: 'y', image: 'i', encryptionKey: key }))).toEqual([
      'modelCardName "Bad Card": expected at most 63 lowercase letters, digits and single hyphens',
    ]);
  });
});

describe('FeatureStore grants', () => {
  test('read and write one group\'s records only', () => {
    const { stack, registry } = setup();
    const store = new FeatureStore(stack, 'Store', {
      namePrefix: 'ms-dev',
      registry,
      groups: [{ name: 'customer', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'string' }, { name: 'ts', type: 'string' }] }],
    });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.AccountRootPrincipal() });
    store.grantRead(reader, 'customer');
    store.grantWrite(writer, 'customer');
    expect(() => store.grantRead(reader, 'order')).toThrow('FeatureStore: unknown entity "order": expected one of customer');
    const template = Template.fromStack(stack);
    const groupArn = 'arn:aws:sagemaker:eu-west-1:111111111111:feature-group/ms-dev-customer';
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Reader') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['sagemaker:BatchGetRecord', 'sagemaker:GetRecord'], Resource: groupArn })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['sagemaker:DeleteRecord', 'sagemaker:PutRecord'], Resource: groupArn })]) },
    });
  });
});

describe('data is retained unless asked otherwise', () => {
  test('feature groups and model cards default to RETAIN; DESTROY when asked', () => {
    const { stack, registry } = setup();
    const groups = [{ name: 'customer', recordIdentifier: 'id', eventTime: 'ts', features: [{ name: 'id', type: 'string' as const }, { name: 'ts', type: 'string' as const }] }];
    new FeatureStore(stack, 'Store', { namePrefix: 'ms-dev', registry, groups });
    new ModelCard(stack, 'Card', { modelCardName: 'churn-card', model: 'churn', problemType: 'x', algorithmType: 'y', image: 'i', encryptionKey: registry.encryptionKey });
    const template = Template.fromStack(stack);
    template.allResources('AWS::SageMaker::FeatureGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.allResources('AWS::SageMaker::ModelCard', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });

    const dev = setup();
    new FeatureStore(dev.stack, 'Store', { namePrefix: 'ms-dev', registry: dev.registry, groups, removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(dev.stack).allResources('AWS::SageMaker::FeatureGroup', { DeletionPolicy: 'Delete' });
  });
});
