import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** Properties of a {@link WorkflowMonitoring}. */
export interface WorkflowMonitoringProps extends MonitoringSegmentProps {
  /** The workflow (such as a batch inference's). */
  readonly stateMachine: sfn.IStateMachine;
}

/**
 * A Step Functions workflow's failed and timed-out executions.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
 * import { AlarmFactory, WorkflowMonitoring } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const stateMachine: sfn.IStateMachine;
 *
 * new WorkflowMonitoring(stack, 'ChurnBatch', { alarmFactory: new AlarmFactory(), label: 'churn batch', stateMachine });
 * ```
 */
export class WorkflowMonitoring extends MonitoringSegment {
  private readonly metrics: cloudwatch.IMetric[];

  constructor(scope: Construct, id: string, props: WorkflowMonitoringProps) {
    super(scope, id, props);
    const period = Duration.minutes(5);
    const failed = props.stateMachine.metricFailed({ period, statistic: 'Sum' });
    const timedOut = props.stateMachine.metricTimedOut({ period, statistic: 'Sum' });
    this.metrics = [failed, timedOut];
    this.alarms.push(
      this.alarmFactory.addAlarm(this, 'Failed', 'workflowFailed', { description: `${props.label}: an execution failed`, metric: failed }),
      this.alarmFactory.addAlarm(this, 'TimedOut', 'workflowTimedOut', { description: `${props.label}: an execution timed out`, metric: timedOut }),
    );
  }

  widgets(): cloudwatch.IWidget[] {
    return [graph(`${this.label}: failed, timed out`, this.metrics)];
  }
}
