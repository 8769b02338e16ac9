import { CfnParameter, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerImage } from '../../constructs/aws/container-image';
import { ModelEndpoint, type ModelEndpointProps } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function build(overrides: Partial<ModelEndpointProps> = {}) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const endpoint = new ModelEndpoint(stack, 'Churn', {
    registry,
    model: 'churn',
    modelVersion: '1',
    image: ContainerImage.fromImageUri(IMAGE),
    endpointName: 'ms-dev-churn',
    variant: { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 1, maxInstances: 4, targetInvocationsPerInstance: 250 },
    dataCaptureSamplingPercentage: 20,
    ...overrides,
  } as ModelEndpointProps);
  return { stack, registry, endpoint };
}

const policyStatements = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);

describe('ModelEndpoint', () => {
  test('real-time: instances, network isolation, volume encryption and data capture with the registry key', () => {
    const { stack } = build();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        Image: IMAGE,
        ModelDataUrl: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('RegistryBucket') }, '/models/churn/1/model.tar.gz']] },
      },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1, ModelName: Match.anyValue() }],
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('RegistryKey'), 'Arn'] },
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 20,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('RegistryBucket') }, '/data-capture/churn']] },
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('RegistryKey'), 'Arn'] },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'ms-dev-churn' });
  });

  test('real-time: autoscaling tracks invocations per instance within min and max', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/ms-dev-churn/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 250,
      },
    });
    // The scaling target can only register once the endpoint exists.
    const targets = template.findResources('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(Object.values(targets)[0].DependsOn).toEqual([expect.stringMatching(/ChurnEndpoint/)]);
  });

  test('serverless: memory and concurrency, no capture, no isolation, no scaling target', () => {
    const { stack } = build({ variant: { kind: 'serverless', memorySizeMb: 2048, maxConcurrency: 8 }, dataCaptureSamplingPercentage: 0 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: Match.anyValue(), ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 8 } }],
      DataCaptureConfig: Match.absent(),
      KmsKeyId: Match.absent(),
    });
    template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: Match.absent(), VpcConfig: Match.absent() });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('VPC config is passed to the model and the role may manage its network interfaces', () => {
    const { stack } = build({ vpc: { subnetIds: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Model', { VpcConfig: { Subnets: ['subnet-0123456789abcdef0'], SecurityGroupIds: ['sg-0123456789abcdef0'] } });
    expect(policyStatements(template)).toContainEqual(expect.objectContaining({ Sid: 'VpcNetworkInterfaces', Action: expect.arrayContaining(['ec2:CreateNetworkInterface']) }));
  });

  test('instance types with local NVMe storage get no KmsKeyId (SageMaker rejects it)', () => {
    const { stack } = build({ variant: { kind: 'realtime', instanceType: 'ml.g5.xlarge' } });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
  });

  test('the execution role is least privilege: its own prefixes and key, no data wildcards', () => {
    const template = Template.fromStack(build().stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' } }] },
    });
    const statements = policyStatements(template);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => a.endsWith('*'))).toEqual([]);
    const objectResources = statements
      .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')))
      .map((s) => JSON.stringify(s.Resource));
    expect(objectResources).toEqual([expect.stringContaining('/models/churn/*'), expect.stringContaining('/data-capture/churn/*')]);
    const wildcards = statements.filter((s) => s.Resource === '*');
    expect(wildcards.flatMap((s) => [s.Action].flat()).sort()).toEqual(['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken']);
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/Endpoints' } } }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Resource: 'arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost' }),
    );
  });

  test('without data capture the role cannot write to the registry', () => {
    const template = Template.fromStack(build({ dataCaptureSamplingPercentage: 0 }).stack);
    const actions = policyStatements(template).flatMap((s) => [s.Action].flat());
    expect(actions).not.toContain('s3:PutObject');
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.absent() });
  });

  test('grantInvoke allows InvokeEndpoint on this endpoint only', () => {
    const { stack, endpoint } = build();
    const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(caller);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Caller') }],
      PolicyDocument: { Statement: [{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:endpoint/ms-dev-churn' }] },
    });
  });

  test('metric helpers target the endpoint variant in AWS/SageMaker', () => {
    const { stack, endpoint } = build();
    const latency = endpoint.metricModelLatency();
    expect(latency.namespace).toBe('AWS/SageMaker');
    expect(latency.metricName).toBe('ModelLatency');
    expect(latency.statistic).toBe('p99');
    expect(latency.dimensions).toEqual({ EndpointName: 'ms-dev-churn', VariantName: 'AllTraffic' });
    expect(endpoint.metricInvocation5XXErrors().statistic).toBe('Sum');
    expect(endpoint.metricInvocation4XXErrors().metricName).toBe('Invocation4XXErrors');
    expect(endpoint.metricInvocations({ statistic: 'SampleCount' }).statistic).toBe('SampleCount');
    expect(endpoint.metricOverheadLatency().metricName).toBe('OverheadLatency');
    const imported = ModelEndpoint.fromEndpointName(stack, 'Imported', 'other-endpoint');
    expect(stack.resolve(imported.endpointArn)).toBe('arn:aws:sagemaker:eu-west-1:111111111111:endpoint/other-endpoint');
    expect(imported.metric('Invocations').dimensions).toEqual({ EndpointName: 'other-endpoint', VariantName: 'AllTraffic' });
  });

  test('values that are tokens are left for deploy time; the same values as literals are checked', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const param = (id: string) => new CfnParameter(stack, id, { type: 'String' }).valueAsString;
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    const endpoint = new ModelEndpoint(stack, 'Tokens', {
      registry,
      model: 'churn',
      modelVersion: '1',
      image: ContainerImage.fromImageUri(IMAGE),
      endpointName: param('EndpointName'),
      variant: { kind: 'realtime', instanceType: param('InstanceType'), minInstances: count, maxInstances: count },
      // A canary needs 2 instances: with a token count, SageMaker decides at deploy time.
      deployment: { strategy: 'canary' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: { Ref: 'EndpointName' } });
    expect(stack.resolve(endpoint.endpointName)).toEqual({ Ref: 'EndpointName' });
    expect(() => build({ endpointName: 'Not A Name', variant: { kind: 'realtime', instanceType: 'large', minInstances: 0 } })).toThrow(
      /endpointName "Not A Name".*\n.*instanceType "large".*\n.*minInstances 0/,
    );
  });

  test('invalid props fail with every problem listed', () => {
    expect(() =>
      build({
        endpointName: 'Bad Name',
        variant: { kind: 'serverless', memorySizeMb: 1000, maxConcurrency: 0 },
        dataCaptureSamplingPercentage: 150,
        vpc: { subnetIds: ['subnet-1'], securityGroupIds: ['sg-1'] },
      }),
    ).toThrow(
      'ModelEndpoint: invalid props\n' +
        '  - endpointName "Bad Name": expected at most 63 lowercase letters, digits and single hyphens\n' +
        '  - dataCaptureSamplingPercentage 150: expected an integer from 0 to 100\n' +
        '  - variant.memorySizeMb 1000: expected 1024, 2048, 3072, 4096, 5120, 6144\n' +
        '  - variant.maxConcurrency 0: expected an integer from 1 to 200\n' +
        '  - dataCaptureSamplingPercentage: serverless endpoints do not support data capture; expected 0\n' +
        '  - vpc: serverless endpoints cannot run in a VPC',
    );
    expect(() => build({ variant: { kind: 'realtime', instanceType: 'm5.large', minInstances: 3, maxInstances: 2 } })).toThrow(
      /instanceType "m5.large".*\n.*maxInstances 2: expected at least minInstances \(3\)/,
    );
  });

  test('updates are CloudFormation\'s: blue/green with the chosen traffic shift, rollback on its own alarms, instance count retained', () => {
    const { stack } = build({
      variant: { kind: 'realtime', instanceType: 'ml.m5.large', minInstances: 4, maxInstances: 8 },
      deployment: { strategy: 'linear', trafficPercent: 25, wait: Duration.minutes(5), timeout: Duration.hours(1) },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      // Autoscaling owns DesiredInstanceCount: an update must not reset it to the config's initial count.
      RetainAllVariantProperties: true,
      // ...but a changed sampling percentage must take effect.
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }],
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 300 },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 3600,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('ChurnErrorsAlarm') } }, { AlarmName: { Ref: Match.stringLikeRegexp('ChurnLatencyAlarm') } }] },
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ms-dev-churn-5xx-errors', MetricName: 'Invocation5XXErrors', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ms-dev-churn-model-latency-p99', MetricName: 'ModelLatency', Threshold: 1_000_000 });
  });

  test('the default update is blue/green all at once with a 10-minute bake; serverless endpoints get no guardrails', () => {
    const realtime = Template.fromStack(build().stack);
    realtime.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 600 }, MaximumExecutionTimeoutInSeconds: 7200 } },
    });
    const serverless = Template.fromStack(build({ variant: { kind: 'serverless', memorySizeMb: 2048 }, dataCaptureSamplingPercentage: 0 }).stack);
    const [endpoint] = Object.values(serverless.findResources('AWS::SageMaker::Endpoint'));
    expect(endpoint.Properties.DeploymentConfig).toBeUndefined();
    expect(endpoint.Properties.RetainAllVariantProperties).toBeUndefined();
  });

  test('its alarms notify the given action, on alarm and on OK', () => {
    const topicArn = 'arn:aws:sns:eu-west-1:111111111111:alarms';
    const withAction = build({ alarms: { action: { bind: () => ({ alarmActionArn: topicArn }) }, errorsPer5Min: 2, latencyP99: Duration.millis(250) } });
    const template = Template.fromStack(withAction.stack);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.Threshold).sort()).toEqual([2, 250_000]);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicArn]);
      expect(alarm.Properties.OKActions).toEqual([topicArn]);
    }
  });
});
