import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import type { AlarmFactory } from '../monitoring/alarm-factory';

/** The metric source of an endpoint's alarms (a `ModelEndpoint` or an imported `IModelEndpoint`). */
interface EndpointMetrics {
  readonly endpointName: string;
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * The errors and latency alarms of an endpoint, named `<endpoint>-5xx-errors` and `<endpoint>-model-latency-p99` (the
 * names deployment guardrails roll back on and operators look for), with the factory's defaults. `ModelEndpoint`
 * creates them for itself; `EndpointMonitoring` the same ones for an endpoint defined elsewhere.
 */
export function addEndpointAlarms(scope: Construct, factory: AlarmFactory, endpoint: EndpointMetrics, ids: { errors: string; latency: string }): [cloudwatch.Alarm, cloudwatch.Alarm] {
  const name = endpoint.endpointName;
  const period = Duration.minutes(5);
  const latencyMs = factory.defaults.endpointLatencyP99Ms.threshold;
  const errors = factory.addAlarm(scope, ids.errors, 'endpointErrors', {
    alarmName: `${name}-5xx-errors`,
    description: `${name}: the model answered with 5xx errors`,
    metric: endpoint.metric('Invocation5XXErrors', { statistic: 'Sum', period }),
  });
  const latency = factory.addAlarm(scope, ids.latency, 'endpointLatencyP99Ms', {
    alarmName: `${name}-model-latency-p99`,
    description: `${name}: ModelLatency p99 above ${latencyMs} ms`,
    metric: endpoint.metric('ModelLatency', { statistic: 'p99', period }),
    // ModelLatency is in microseconds.
    threshold: latencyMs * 1000,
  });
  return [errors, latency];
}
