import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { AlarmFactory } from './alarm-factory';

/** What every monitoring segment is given. */
export interface MonitoringSegmentProps {
  /** Creates the segment's alarms, with the environment's defaults and action. */
  readonly alarmFactory: AlarmFactory;
  /** What the segment monitors, in dashboard titles and alarm descriptions, such as `churn inference`. */
  readonly label: string;
}

/**
 * The monitoring of one resource: its alarms (created once, here) and its dashboard widgets, like a
 * cdk-monitoring-constructs `Monitoring` segment. `PlatformMonitoring` creates one per `monitor*` call.
 */
export abstract class MonitoringSegment extends Construct {
  /** What the segment monitors. */
  readonly label: string;
  /** The alarms this segment created. */
  readonly alarms: cloudwatch.Alarm[] = [];
  protected readonly alarmFactory: AlarmFactory;

  protected constructor(scope: Construct, id: string, props: MonitoringSegmentProps) {
    super(scope, id);
    this.label = props.label;
    this.alarmFactory = props.alarmFactory;
  }

  /** The segment's dashboard widgets, in order. */
  abstract widgets(): cloudwatch.IWidget[];
}

/** A 8 x 6 line graph. */
export function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
