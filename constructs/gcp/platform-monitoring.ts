import { MonitoringAlertPolicy, type MonitoringAlertPolicyConditions } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringDashboard } from '@cdktf/provider-google/lib/monitoring-dashboard';
import { MonitoringMetricDescriptor } from '@cdktf/provider-google/lib/monitoring-metric-descriptor';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { alertThresholds, type AlertThresholds } from './alert-thresholds';
import { DRIFT_METRIC_LABELS, DRIFT_METRIC_RESOURCE_TYPE, DRIFT_METRICS, functionServiceName } from './drift-contract';
import type { ModelEndpoint } from './model-endpoint';

/** Vertex AI online prediction metrics (resource type `aiplatform.googleapis.com/Endpoint`). */
const VERTEX = {
  latencies: 'aiplatform.googleapis.com/prediction/online/prediction_latencies',
  predictions: 'aiplatform.googleapis.com/prediction/online/prediction_count',
  errors: 'aiplatform.googleapis.com/prediction/online/error_count',
} as const;

/** Properties of a {@link PlatformMonitoring}. */
export interface PlatformMonitoringProps {
  /** Prefix of display names and of the monitored function names, such as `modelstack-dev`. */
  readonly namePrefix: string;
  /** Environment name, as the drift metrics label it. */
  readonly environment: string;
  /** GCP project id. */
  readonly project: string;
  /** Endpoints that get latency and error-rate alerts and a dashboard row each. */
  readonly endpoints: readonly ModelEndpoint[];
  /**
   * Where alerts are sent: one email notification channel per address (the config's environment-level `alarmEmails`,
   * the same recipients as the AWS alarm topic's).
   * @default [] - alerts open incidents in Cloud Monitoring without notifying anyone
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Alert thresholds.
   * @default - ALERT_THRESHOLD_DEFAULTS
   */
  readonly thresholds?: AlertThresholds;
}

/**
 * Cloud Monitoring for one environment: an email notification channel, alert policies on each endpoint's p99
 * latency and error rate, on platform function errors (every Cloud Run service named
 * `functionServiceName(prefix, ...)`), on drift share, failed data-integrity checks and failed drift checks (the custom metrics in
 * `DRIFT_METRICS`, whose descriptors it creates), and a dashboard.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { PlatformMonitoring, type ModelEndpoint } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const churn: ModelEndpoint;
 *
 * new PlatformMonitoring(stack, 'Monitoring', {
 *   namePrefix: 'modelstack-prod',
 *   environment: 'prod',
 *   project: 'my-ml-project',
 *   endpoints: [churn],
 *   alarmEmails: ['ml-oncall@example.com'],
 *   thresholds: { endpointLatencyP99Ms: 500 },
 * });
 * ```
 */
export class PlatformMonitoring extends Construct {
  /** One email notification channel per address of `alarmEmails`, in their order (empty without). */
  readonly notificationChannels: MonitoringNotificationChannel[] = [];
  /** Every alert policy created. */
  readonly alertPolicies: MonitoringAlertPolicy[] = [];
  /** The environment's Cloud Monitoring dashboard. */
  readonly dashboard: MonitoringDashboard;
  private readonly props: PlatformMonitoringProps;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    validateProps(props);
    this.props = props;
    const { namePrefix, project } = props;
    const { endpointLatencyP99Ms: latencyMs, errorRatePercent: errorPercent, driftShare } = alertThresholds(props.thresholds);

    (props.alarmEmails ?? []).forEach((address, i) => {
      // The first keeps the id of the single channel earlier versions created, so upgrading does not replace it.
      this.notificationChannels.push(
        new MonitoringNotificationChannel(this, i === 0 ? 'Email' : `Email-${i + 1}`, {
          displayName: `${namePrefix} alarms: ${address}`,
          type: 'email',
          labels: { email_address: address },
          project,
        }),
      );
    });

    const descriptors = [
      this.descriptor('DriftShareMetric', DRIFT_METRICS.share, 'DOUBLE', '1', 'Share of the model features that drifted in the latest check (0-1).'),
      this.descriptor('DriftCheckFailuresMetric', DRIFT_METRICS.checkFailures, 'INT64', '1', '1 when a drift check failed to complete, else 0.'),
      this.descriptor('IntegrityFailuresMetric', DRIFT_METRICS.integrityFailures, 'INT64', '1', 'Data-integrity checks that failed in the latest drift check window (0 when none).'),
    ];

    for (const endpoint of props.endpoints) {
      this.alert(`Latency-${endpoint.model}`, `${endpoint.displayName} p99 latency above ${latencyMs} ms`, {
        displayName: 'p99 prediction latency',
        conditionThreshold: {
          filter: endpoint.metricFilter(VERTEX.latencies),
          aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_PERCENTILE_99', crossSeriesReducer: 'REDUCE_MAX', groupByFields: ['resource.label.endpoint_id'] }],
          comparison: 'COMPARISON_GT',
          thresholdValue: latencyMs,
          duration: '300s',
        },
      });
      const sum = [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM', groupByFields: ['resource.label.endpoint_id'] }];
      this.alert(`Errors-${endpoint.model}`, `${endpoint.displayName} error rate above ${errorPercent}%`, {
        displayName: 'prediction error rate',
        conditionThreshold: {
          filter: endpoint.metricFilter(VERTEX.errors),
          aggregations: sum,
          denominatorFilter: endpoint.metricFilter(VERTEX.predictions),
          denominatorAggregations: sum,
          comparison: 'COMPARISON_GT',
          thresholdValue: errorPercent / 100,
          duration: '300s',
        },
      });
    }

    this.alert('FunctionErrors', `${namePrefix} function errors`, {
      displayName: 'function 5xx responses',
      conditionThreshold: {
        filter:
          `resource.type = "cloud_run_revision" AND resource.labels.service_name = starts_with("${functionServiceName(namePrefix, '')}") ` +
          `AND metric.type = "run.googleapis.com/request_count" AND metric.labels.response_code_class = "5xx"`,
        aggregations: [{ alignmentPeriod: '300s', perSeriesAligner: 'ALIGN_DELTA', crossSeriesReducer: 'REDUCE_SUM', groupByFields: ['resource.label.service_name'] }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    });

    const byModel = ['metric.label.model'];
    this.alert('DriftShare', `${namePrefix} model drift above ${driftShare}`, {
      displayName: 'drift share',
      conditionThreshold: {
        filter: this.driftFilter(DRIFT_METRICS.share),
        // A check runs on a schedule; take the worst value of the last hour per model.
        aggregations: [{ alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_MAX', crossSeriesReducer: 'REDUCE_MAX', groupByFields: byModel }],
        comparison: 'COMPARISON_GT',
        thresholdValue: driftShare,
        duration: '0s',
      },
    }, descriptors);
    // Like the drift-share alert: the worst value of the last hour per model; any failed integrity check opens it.
    this.alert('IntegrityFailures', `${namePrefix} data integrity check failed`, {
      displayName: 'data integrity failures',
      conditionThreshold: {
        filter: this.driftFilter(DRIFT_METRICS.integrityFailures),
        aggregations: [{ alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_MAX', crossSeriesReducer: 'REDUCE_MAX', groupByFields: byModel }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    }, descriptors);
    this.alert('DriftCheckFailures', `${namePrefix} drift check failed`, {
      displayName: 'drift check failures',
      conditionThreshold: {
        filter: this.driftFilter(DRIFT_METRICS.checkFailures),
        aggregations: [{ alignmentPeriod: '3600s', perSeriesAligner: 'ALIGN_MAX', crossSeriesReducer: 'REDUCE_MAX', groupByFields: byModel }],
        comparison: 'COMPARISON_GT',
        thresholdValue: 0,
        duration: '0s',
      },
    }, descriptors);

    this.dashboard = new MonitoringDashboard(this, 'Dashboard', { project, dashboardJson: JSON.stringify(this.dashboardBody()), dependsOn: descriptors });
  }

  private descriptor(id: string, type: string, valueType: string, unit: string, description: string): MonitoringMetricDescriptor {
    return new MonitoringMetricDescriptor(this, id, {
      type,
      metricKind: 'GAUGE',
      valueType,
      unit,
      description,
      displayName: type.split('/').pop(),
      labels: Object.values(DRIFT_METRIC_LABELS).map((key) => ({ key, valueType: 'STRING' })),
      project: this.props.project,
    });
  }

  private driftFilter(metricType: string): string {
    return `resource.type = "${DRIFT_METRIC_RESOURCE_TYPE}" AND metric.type = "${metricType}" AND metric.labels.${DRIFT_METRIC_LABELS.environment} = "${this.props.environment}"`;
  }

  private alert(id: string, displayName: string, condition: MonitoringAlertPolicyConditions, dependsOn?: MonitoringMetricDescriptor[]): void {
    this.alertPolicies.push(
      new MonitoringAlertPolicy(this, id, {
        displayName,
        combiner: 'OR',
        conditions: [condition],
        notificationChannels: this.notificationChannels.length > 0 ? this.notificationChannels.map((c) => c.id) : undefined,
        alertStrategy: { autoClose: '86400s' },
        documentation: { content: `ModelStack ${this.props.environment}: ${displayName}.`, mimeType: 'text/markdown' },
        project: this.props.project,
        dependsOn,
      }),
    );
  }

  private dashboardBody(): object {
    const chart = (title: string, filter: string, aligner: string, reducer: string, groupBy: string[]) => ({
      title,
      xyChart: {
        dataSets: [
          {
            plotType: 'LINE',
            timeSeriesQuery: {
              timeSeriesFilter: { filter, aggregation: { alignmentPeriod: '300s', perSeriesAligner: aligner, crossSeriesReducer: reducer, groupByFields: groupBy } },
            },
          },
        ],
      },
    });
    const widgets = this.props.endpoints.flatMap((e) => [
      chart(`${e.model}: predictions`, e.metricFilter(VERTEX.predictions), 'ALIGN_RATE', 'REDUCE_SUM', []),
      chart(`${e.model}: p99 latency (ms)`, e.metricFilter(VERTEX.latencies), 'ALIGN_PERCENTILE_99', 'REDUCE_MAX', []),
      chart(`${e.model}: errors`, e.metricFilter(VERTEX.errors), 'ALIGN_RATE', 'REDUCE_SUM', []),
    ]);
    widgets.push(
      chart('drift share by model', this.driftFilter(DRIFT_METRICS.share), 'ALIGN_MAX', 'REDUCE_MAX', ['metric.label.model']),
      chart('drift check failures by model', this.driftFilter(DRIFT_METRICS.checkFailures), 'ALIGN_MAX', 'REDUCE_MAX', ['metric.label.model']),
      chart('data integrity failures by model', this.driftFilter(DRIFT_METRICS.integrityFailures), 'ALIGN_MAX', 'REDUCE_MAX', ['metric.label.model']),
    );
    return { displayName: `${this.props.namePrefix} models`, gridLayout: { columns: '3', widgets } };
  }
}

function validateProps(props: PlatformMonitoringProps): void {
  const problems = new Problems('PlatformMonitoring');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  const emails = props.alarmEmails ?? [];
  for (const email of emails) problems.check(/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email), `alarmEmails "${email}": expected an email address`);
  for (const email of new Set(emails.filter((e, i) => emails.indexOf(e) !== i))) problems.check(false, `alarmEmails "${email}": listed twice`);
  const t = props.thresholds ?? {};
  problems.check(t.endpointLatencyP99Ms === undefined || t.endpointLatencyP99Ms > 0, `thresholds.endpointLatencyP99Ms ${t.endpointLatencyP99Ms}: expected a positive number of milliseconds`);
  problems.check(t.errorRatePercent === undefined || (t.errorRatePercent > 0 && t.errorRatePercent <= 100), `thresholds.errorRatePercent ${t.errorRatePercent}: expected more than 0, at most 100`);
  problems.check(t.driftShare === undefined || (t.driftShare > 0 && t.driftShare <= 1), `thresholds.driftShare ${t.driftShare}: expected more than 0, at most 1`);
  problems.throwIfAny();
}
