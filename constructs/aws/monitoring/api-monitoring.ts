import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { InferenceApi } from '../inference-api';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** Properties of an {@link ApiMonitoring}. */
export interface ApiMonitoringProps extends MonitoringSegmentProps {
  /** The inference API. */
  readonly api: InferenceApi;
}

/**
 * The inference API's 4xx/5xx answers and latency p99.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { AlarmFactory, ApiMonitoring, InferenceApi } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 *
 * const api = new InferenceApi(stack, 'Api');
 * new ApiMonitoring(stack, 'ApiMonitoring', { alarmFactory: new AlarmFactory(), label: 'Inference API', api });
 * ```
 */
export class ApiMonitoring extends MonitoringSegment {
  private readonly metrics: { serverErrors: cloudwatch.IMetric; clientErrors: cloudwatch.IMetric; latency: cloudwatch.IMetric };

  constructor(scope: Construct, id: string, props: ApiMonitoringProps) {
    super(scope, id, props);
    const period = Duration.minutes(5);
    this.metrics = {
      serverErrors: props.api.metricServerErrors({ period }),
      clientErrors: props.api.metricClientErrors({ period }),
      latency: props.api.api.metricLatency({ period, statistic: 'p99' }),
    };
    const latencyMs = this.alarmFactory.defaults.apiLatencyP99Ms.threshold;
    this.alarms.push(
      this.alarmFactory.addAlarm(this, 'ServerErrors', 'api5xx', { description: `${props.label} answered with 5xx`, metric: this.metrics.serverErrors }),
      this.alarmFactory.addAlarm(this, 'Latency', 'apiLatencyP99Ms', { description: `${props.label} latency p99 above ${latencyMs} ms`, metric: this.metrics.latency }),
    );
  }

  widgets(): cloudwatch.IWidget[] {
    return [graph(`${this.label} 4xx/5xx`, [this.metrics.serverErrors, this.metrics.clientErrors]), graph(`${this.label} latency p99 (ms)`, [this.metrics.latency])];
  }
}
