import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmTopic } from '../../constructs/aws/alarm-topic';
import { testStack } from '../helpers/aws';

function build(props: Partial<ConstructorParameters<typeof AlarmTopic>[2]> = {}) {
  const stack = testStack();
  const alarms = new AlarmTopic(stack, 'Alarms', { displayName: 'ms-prod alarms', ...props });
  const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors' });
  metric.createAlarm(stack, 'Alarm', { threshold: 1, evaluationPeriods: 1 }).addAlarmAction(alarms.action);
  return { stack, alarms, template: Template.fromStack(stack) };
}

describe('AlarmTopic', () => {
  test('a topic encrypted with its own rotating key, TLS only, retained by default', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'ms-prod alarms', KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmsTopicKey'), 'Arn'] } });
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true }), DeletionPolicy: 'Retain' });
    // enforceSSL: a deny on aws:SecureTransport false.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test("CloudWatch may use the key for this account's alarms only, and an alarm given the action notifies the topic", () => {
    const { template } = build();
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0];
    const statement = key.Properties.KeyPolicy.Statement.find((s: { Sid?: string }) => s.Sid === 'CloudWatchAlarms');
    expect(statement).toEqual(
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': '111111111111' } },
      }),
    );
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsAlarmTopic') }] });
  });

  test('one email subscription per address; none without addresses; DESTROY when asked', () => {
    const withEmails = build({ emails: ['oncall@example.com', 'ml@example.com'], removalPolicy: RemovalPolicy.DESTROY }).template;
    const endpoints = Object.values(withEmails.findResources('AWS::SNS::Subscription')).map((s) => [s.Properties.Protocol, s.Properties.Endpoint]);
    expect(endpoints.sort()).toEqual([
      ['email', 'ml@example.com'],
      ['email', 'oncall@example.com'],
    ]);
    withEmails.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
    build().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test('an address that is not one is refused, each named', () => {
    expect(() => build({ emails: ['oncall@example.com', 'not-an-address', 'a@b'] })).toThrow(
      /AlarmTopic[\s\S]*emails "not-an-address": expected an email address[\s\S]*emails "a@b": expected an email address/,
    );
  });
});
