import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { type IModelEndpoint, ModelEndpoint } from '../model-endpoint';
import { addEndpointAlarms } from '../private/endpoint-alarms';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** Properties of an {@link EndpointMonitoring}. */
export interface EndpointMonitoringProps extends MonitoringSegmentProps {
  /** The endpoint. A {@link ModelEndpoint} brings its own errors and latency alarms; an imported one gets them here. */
  readonly endpoint: IModelEndpoint;
  /**
   * Alarm when the endpoint gets no invocations for 3 hours.
   * @default true
   */
  readonly expectTraffic?: boolean;
}

/**
 * An endpoint's ModelLatency p99, invocations and 5xx errors, and absent invocations.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { AlarmFactory, EndpointMonitoring, ModelEndpoint } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 *
 * const endpoint = ModelEndpoint.fromEndpointName(stack, 'Churn', 'modelstack-prod-churn');
 * const segment = new EndpointMonitoring(stack, 'ChurnEndpoint', { alarmFactory: new AlarmFactory(), label: 'churn', endpoint });
 * // segment.alarms: errors, latency (an imported endpoint has none of its own) and no invocations.
 * ```
 */
export class EndpointMonitoring extends MonitoringSegment {
  private readonly endpoint: IModelEndpoint;
  private readonly ownAlarms?: cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: EndpointMonitoringProps) {
    super(scope, id, props);
    const { endpoint } = props;
    this.endpoint = endpoint;
    if (endpoint instanceof ModelEndpoint) {
      // Its rollback alarms: alarmed once, by the endpoint itself.
      this.ownAlarms = [endpoint.errorsAlarm, endpoint.latencyAlarm];
    } else {
      this.alarms.push(...addEndpointAlarms(this, this.alarmFactory, endpoint, { errors: 'Errors', latency: 'Latency' }));
    }
    if (props.expectTraffic ?? true) {
      this.alarms.push(
        this.alarmFactory.addAlarm(this, 'NoInvocations', 'endpointNoInvocations', {
          description: `${endpoint.endpointName}: no invocations for 3 hours`,
          metric: endpoint.metric('Invocations', { statistic: 'Sum', period: Duration.hours(1) }),
        }),
      );
    }
  }

  widgets(): cloudwatch.IWidget[] {
    const name = this.endpoint.endpointName;
    const period = Duration.minutes(5);
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.TextWidget({ markdown: `### ${name}`, width: 24, height: 1 }),
      graph(`${name} ModelLatency p99 (µs)`, [this.endpoint.metric('ModelLatency', { statistic: 'p99', period })]),
      graph(`${name} invocations and 5xx`, [this.endpoint.metric('Invocations', { statistic: 'Sum', period }), this.endpoint.metric('Invocation5XXErrors', { statistic: 'Sum', period })]),
    ];
    if (this.ownAlarms) widgets.push(new cloudwatch.AlarmStatusWidget({ title: `${name} alarms`, alarms: this.ownAlarms, width: 8 }));
    return widgets;
  }
}
