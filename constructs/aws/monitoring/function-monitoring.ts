import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** Properties of a {@link FunctionMonitoring}. */
export interface FunctionMonitoringProps extends MonitoringSegmentProps {
  /** The function. */
  readonly function: lambda.IFunction;
}

/**
 * A Lambda function's errors, throttles and duration p99.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { AlarmFactory, FunctionMonitoring } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const fn: lambda.IFunction;
 *
 * new FunctionMonitoring(stack, 'ChurnInference', { alarmFactory: new AlarmFactory({ thresholds: { functionErrorsPer5Min: 2 } }), label: 'churn inference', function: fn });
 * ```
 */
export class FunctionMonitoring extends MonitoringSegment {
  private readonly metrics: { errors: cloudwatch.IMetric; throttles: cloudwatch.IMetric; duration: cloudwatch.IMetric };

  constructor(scope: Construct, id: string, props: FunctionMonitoringProps) {
    super(scope, id, props);
    const period = Duration.minutes(5);
    const fn = props.function;
    this.metrics = {
      errors: fn.metricErrors({ period, statistic: 'Sum' }),
      throttles: fn.metricThrottles({ period, statistic: 'Sum' }),
      duration: fn.metricDuration({ period, statistic: 'p99' }),
    };
    const { label } = props;
    const durationMs = this.alarmFactory.defaults.functionDurationP99Ms.threshold;
    this.alarms.push(
      this.alarmFactory.addAlarm(this, 'Errors', 'functionErrors', { description: `${label}: function errors`, metric: this.metrics.errors }),
      this.alarmFactory.addAlarm(this, 'Throttles', 'functionThrottles', { description: `${label}: function throttled`, metric: this.metrics.throttles }),
      this.alarmFactory.addAlarm(this, 'Duration', 'functionDurationP99Ms', { description: `${label}: duration p99 above ${durationMs} ms`, metric: this.metrics.duration }),
    );
  }

  widgets(): cloudwatch.IWidget[] {
    return [graph(`${this.label}: errors, throttles`, [this.metrics.errors, this.metrics.throttles]), graph(`${this.label}: duration p99 (ms)`, [this.metrics.duration])];
  }
}
