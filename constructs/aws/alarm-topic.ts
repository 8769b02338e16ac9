import { type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import { unresolved } from './private/tokens';

/** Properties of an {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** The topic's display name, such as `modelstack-prod alarms`. */
  readonly displayName: string;
  /**
   * Who gets the alarms by email (each address confirms its subscription once).
   * @default - no subscriptions
   */
  readonly emails?: readonly string[];
  /**
   * What happens to the topic key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Where an environment's alarms notify: an SNS topic encrypted with a rotating customer-managed key (TLS only) that
 * CloudWatch alarms of this account may publish to, with optional email subscriptions. Create it in a stack every
 * other stack depends on, so every construct can give its own alarms this action.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
 * import { AlarmTopic } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const alarm: cloudwatch.Alarm;
 *
 * const alarms = new AlarmTopic(stack, 'Alarms', { displayName: 'models-prod alarms', emails: ['oncall@example.com'] });
 * alarm.addAlarmAction(alarms.action);
 * ```
 */
export class AlarmTopic extends Construct {
  /** The topic alarms notify. */
  readonly topic: sns.Topic;
  /** The topic's rotating key. */
  readonly key: kms.Key;
  /** An alarm action that notifies the topic. */
  readonly action: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const problems = new Problems('AlarmTopic');
    for (const email of props.emails ?? []) problems.check(unresolved(email) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), `emails "${email}": expected an email address`);
    problems.throwIfAny();

    this.key = new kms.Key(this, 'TopicKey', { description: props.displayName, enableKeyRotation: true, removalPolicy: props.removalPolicy });
    // CloudWatch publishes to an encrypted topic as the CloudWatch service: it needs the key, limited to this
    // account's alarms (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: props.displayName, masterKey: this.key, enforceSSL: true });
    for (const email of props.emails ?? []) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    this.action = new actions.SnsAction(this.topic);
  }
}
