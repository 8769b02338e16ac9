import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The errors and latency alarms of an endpoint, named `<endpoint>-5xx-errors` and `<endpoint>-model-latency-p99` (the
 * names deployment guardrails roll back on and operators look for). `ModelEndpoint` creates them for itself;
 * `PlatformMonitoring.monitorEndpoint` creates the same ones for an endpoint defined elsewhere.
 */
export function endpointAlarmOptions(endpointName: string, thresholds: { errorsPer5Min: number; latencyP99Ms: number }): {
  errors: cloudwatch.CreateAlarmOptions;
  latency: cloudwatch.CreateAlarmOptions;
} {
  return {
    errors: {
      alarmName: `${endpointName}-5xx-errors`,
      alarmDescription: `${endpointName}: the model answered with 5xx errors`,
      threshold: thresholds.errorsPer5Min,
      evaluationPeriods: 1,
    },
    latency: {
      alarmName: `${endpointName}-model-latency-p99`,
      alarmDescription: `${endpointName}: ModelLatency p99 above ${thresholds.latencyP99Ms} ms`,
      // ModelLatency is in microseconds.
      threshold: thresholds.latencyP99Ms * 1000,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
    },
  };
}
