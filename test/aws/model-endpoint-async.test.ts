import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerImage } from '../../constructs/aws/container-image';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { PropsValidationError } from '../../constructs/private/validation';
import { testStack } from '../helpers/aws';

const image = ContainerImage.fromImageUri('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');

function asyncEndpoint() {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const endpoint = new ModelEndpoint(stack, 'Churn', {
    registry,
    model: 'churn',
    modelVersion: '1',
    endpointName: 'ms-dev-churn',
    image,
    variant: { kind: 'async', instanceType: 'ml.m5.xlarge', maxInstances: 3, maxConcurrentInvocationsPerInstance: 2 },
  });
  return { stack, registry, endpoint };
}

describe('ModelEndpoint async variant', () => {
  const { stack, endpoint } = asyncEndpoint();
  const caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  endpoint.grantInvokeAsync(caller);
  const template = Template.fromStack(stack);

  test('requests and responses live in the registry (KMS), completions go to encrypted SNS topics', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: Match.anyValue(),
      AsyncInferenceConfig: {
        ClientConfig: { MaxConcurrentInvocationsPerInstance: 2 },
        OutputConfig: {
          S3OutputPath: { 'Fn::Join': ['', ['s3://', { Ref: Match.anyValue() }, '/async-inference/churn/output']] },
          S3FailurePath: { 'Fn::Join': ['', ['s3://', { Ref: Match.anyValue() }, '/async-inference/churn/failures']] },
          KmsKeyId: Match.anyValue(),
          NotificationConfig: { SuccessTopic: { Ref: Match.anyValue() }, ErrorTopic: { Ref: Match.anyValue() } },
        },
      },
    });
    template.resourcePropertiesCountIs('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() }, 2);
  });

  test('scales to zero instances, and back up on backlog without capacity', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 3 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ CustomizedMetricSpecification: Match.objectLike({ MetricName: 'ApproximateBacklogSizePerInstance' }) }),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HasBacklogWithoutCapacity' });
  });

  test('grantInvokeAsync: InvokeEndpointAsync on this endpoint and uploads to its input prefix only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, '/async-inference/churn/input/*']] } }),
          Match.objectLike({ Action: 'sagemaker:InvokeEndpointAsync', Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:endpoint/ms-dev-churn' }),
        ]),
      },
    });
  });

  test('grantInvokeAsync needs an async variant; bad async props are listed together', () => {
    const stack2 = testStack();
    const registry = new ModelRegistry(stack2, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const realtime = new ModelEndpoint(stack2, 'Rt', { registry, model: 'churn', modelVersion: '1', endpointName: 'ms-dev-rt', image, variant: { kind: 'realtime', instanceType: 'ml.m5.large' } });
    expect(() => realtime.grantInvokeAsync(new iam.AccountRootPrincipal())).toThrow('grantInvokeAsync needs an async variant');
    let error: PropsValidationError | undefined;
    try {
      new ModelEndpoint(stack2, 'Bad', { registry, model: 'churn', modelVersion: '1', endpointName: 'ms-dev-bad', image, variant: { kind: 'async', instanceType: 'm5', maxInstances: 0, maxConcurrentInvocationsPerInstance: 0 } });
    } catch (err) {
      error = err as PropsValidationError;
    }
    expect(error?.problems).toEqual([
      'variant.instanceType "m5": expected a SageMaker instance type such as ml.m5.large',
      'variant.maxInstances 0: expected an integer of at least 1',
      'variant.maxConcurrentInvocationsPerInstance 0: expected an integer from 1 to 1000',
    ]);
  });
});
