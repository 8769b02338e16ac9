import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { graph, MonitoringSegment, type MonitoringSegmentProps } from './segment';

/** The drift metrics of one model (from a DriftMonitor, or built with `driftMetric`). */
export interface DriftMetrics {
  /** Share of drifted features per window. */
  readonly driftShare: cloudwatch.IMetric;
  /** Failed drift checks. */
  readonly checkFailures: cloudwatch.IMetric;
  /**
   * Failed data-integrity checks per window (such as `DriftMonitor.metricIntegrityFailures()`); alarmed from 1.
   * @default - no integrity alarm
   */
  readonly integrityFailures?: cloudwatch.IMetric;
  /**
   * Relative drop of the main quality metric against the baseline, with the threshold that alarms.
   * @default - no quality alarm
   */
  readonly qualityDegradation?: {
    /** The relative quality drop per window (such as `DriftMonitor.metricQualityDegradation()`). */
    readonly metric: cloudwatch.IMetric;
    /**
     * The alarm fires when the metric is above this value (0 to 1).
     * @default - ALARM_DEFAULTS.qualityDegradation
     */
    readonly threshold?: number;
  };
  /**
   * Alarms the drift check already has (a DriftMonitor's `failureAlarm`, `qualityAlarm`, `deadLetterAlarm`).
   * @default - none: failures and quality degradation are alarmed here
   */
  readonly ownAlarms?: readonly cloudwatch.IAlarm[];
}

/** Properties of a {@link DriftMonitoring}. */
export interface DriftMonitoringProps extends MonitoringSegmentProps {
  /** The model's drift metrics. */
  readonly metrics: DriftMetrics;
}

/**
 * One model's drift share and failed data-integrity checks; its failed checks and quality degradation too unless the
 * drift check alarms them itself (`metrics.ownAlarms`, shown on the dashboard instead).
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import { AlarmFactory, type DriftMonitor, DriftMonitoring } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const drift: DriftMonitor;
 *
 * new DriftMonitoring(stack, 'ChurnDrift', {
 *   alarmFactory: new AlarmFactory(),
 *   label: 'churn',
 *   metrics: { driftShare: drift.metricDriftShare(), checkFailures: drift.metricCheckFailures(), ownAlarms: [drift.failureAlarm, drift.qualityAlarm] },
 * });
 * ```
 */
export class DriftMonitoring extends MonitoringSegment {
  private readonly metrics: DriftMetrics;

  constructor(scope: Construct, id: string, props: DriftMonitoringProps) {
    super(scope, id, props);
    const { metrics, label } = props;
    this.metrics = metrics;
    const factory = this.alarmFactory;
    const share = factory.defaults.driftShare.threshold;
    this.alarms.push(factory.addAlarm(this, 'DriftShare', 'driftShare', { description: `${label}: drift share at or above ${share}`, metric: metrics.driftShare }));
    if (metrics.integrityFailures) {
      // Built like the drift-share alarm: one window's value decides; no data (no check ran) is not a failure.
      this.alarms.push(
        factory.addAlarm(this, 'IntegrityFailures', 'integrityFailures', { description: `${label}: data-integrity checks failed (see the window's drift report)`, metric: metrics.integrityFailures }),
      );
    }
    if (metrics.ownAlarms) return;
    this.alarms.push(factory.addAlarm(this, 'CheckFailures', 'driftCheckFailures', { description: `${label}: the drift check failed`, metric: metrics.checkFailures }));
    if (metrics.qualityDegradation) {
      const threshold = metrics.qualityDegradation.threshold ?? factory.defaults.qualityDegradation.threshold;
      this.alarms.push(
        factory.addAlarm(this, 'QualityDegradation', 'qualityDegradation', {
          description: `${label}: model quality dropped more than ${threshold * 100} % against its baseline`,
          metric: metrics.qualityDegradation.metric,
          threshold,
        }),
      );
    }
  }

  widgets(): cloudwatch.IWidget[] {
    const { metrics, label } = this;
    const widgets: cloudwatch.IWidget[] = [graph(`${label} drift share`, [metrics.driftShare]), graph(`${label} drift-check failures`, [metrics.checkFailures])];
    if (metrics.integrityFailures) widgets.push(graph(`${label} data-integrity failures`, [metrics.integrityFailures]));
    if (metrics.ownAlarms) widgets.push(new cloudwatch.AlarmStatusWidget({ title: `${label} drift check alarms`, alarms: [...metrics.ownAlarms], width: 8 }));
    return widgets;
  }
}
