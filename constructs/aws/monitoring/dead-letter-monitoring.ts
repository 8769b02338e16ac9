import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** Properties of a {@link DeadLetterMonitoring}. */
export interface DeadLetterMonitoringProps extends MonitoringSegmentProps {
  /** The dead-letter queue. */
  readonly queue: sqs.IQueue;
}

/**
 * The depth of a dead-letter queue.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as sqs from 'aws-cdk-lib/aws-sqs';
 * import { AlarmFactory, DeadLetterMonitoring } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const queue: sqs.IQueue;
 *
 * new DeadLetterMonitoring(stack, 'ChurnStreamingDlq', { alarmFactory: new AlarmFactory({ overrides: { deadLetters: { threshold: 10 } } }), label: 'churn streaming', queue });
 * ```
 */
export class DeadLetterMonitoring extends MonitoringSegment {
  private readonly depth: cloudwatch.IMetric;

  constructor(scope: Construct, id: string, props: DeadLetterMonitoringProps) {
    super(scope, id, props);
    this.depth = props.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' });
    this.alarms.push(this.alarmFactory.addAlarm(this, 'DeadLetters', 'deadLetters', { description: `${props.label}: messages in the dead-letter queue`, metric: this.depth }));
  }

  widgets(): cloudwatch.IWidget[] {
    return [graph(`${this.label}: dead letters`, [this.depth])];
  }
}
