import 'cdktf/lib/testing/adapters/jest';
import { MonitoringMetricDescriptor } from '@cdktf/provider-google/lib/monitoring-metric-descriptor';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { DRIFT_METRICS, functionServiceName } from '../../constructs/gcp/drift-contract';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { PlatformMonitoring, type PlatformMonitoringProps } from '../../constructs/gcp/platform-monitoring';
import { all, synth } from './helpers';

Testing.setupJest();

const project = 'my-ml-project';

function monitoring(props: Partial<PlatformMonitoringProps> = {}) {
  let ids: string[] = [];
  const s = synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project, region: 'europe-west1' });
    const endpoints = ['churn', 'sales'].map((model) => new ModelEndpoint(scope, model, { registry, namePrefix: 'ms-prod', model, project, region: 'europe-west1' }));
    ids = endpoints.map((e) => e.endpointId);
    new PlatformMonitoring(scope, 'Monitoring', { namePrefix: 'ms-prod', environment: 'prod', project, endpoints, ...props });
  });
  return { ...s, ids };
}

const policy = (s: ReturnType<typeof monitoring>, name: RegExp) => all(s, 'google_monitoring_alert_policy').find((p) => name.test(p.display_name));

describe('PlatformMonitoring (GCP)', () => {
  test('one email channel per alarmEmails address, and every alert policy notifies each; listing one twice fails', () => {
    const s = monitoring({ alarmEmails: ['oncall@example.com', 'ml-team@example.com'] });
    const channels = Object.entries<any>(s.resources.google_monitoring_notification_channel);
    expect(channels.map(([, c]) => c.labels.email_address).sort()).toEqual(['ml-team@example.com', 'oncall@example.com']);
    // The first keeps the logical id of the single channel 0.3 created, so an upgrade does not replace it.
    expect(channels.find(([, c]) => c.labels.email_address === 'oncall@example.com')?.[0]).toMatch(/^Monitoring_Email_[0-9A-F]+$/);
    const ids = Object.keys(s.resources.google_monitoring_notification_channel).map((id) => `\${google_monitoring_notification_channel.${id}.id}`);
    for (const policy of all(s, 'google_monitoring_alert_policy')) expect([...policy.notification_channels].sort()).toEqual(ids.sort());
    expect(() => monitoring({ alarmEmails: ['a@example.com', 'a@example.com'] })).toThrow('alarmEmails "a@example.com": listed twice');
  });

  test('an email channel, and every alert policy notifies it', () => {
    const s = monitoring({ alarmEmails: ['oncall@example.com'], thresholds: { endpointLatencyP99Ms: 500, errorRatePercent: 0.5, driftShare: 0.25 } });
    expect(s.json).toHaveResourceWithProperties(MonitoringNotificationChannel, { type: 'email', labels: { email_address: 'oncall@example.com' } });
    const policies = all(s, 'google_monitoring_alert_policy');
    expect(policies.map((p) => p.display_name).sort()).toEqual([
      'ms-prod data integrity check failed',
      'ms-prod drift check failed',
      'ms-prod function errors',
      'ms-prod model drift above 0.25',
      'ms-prod-churn error rate above 0.5%',
      'ms-prod-churn p99 latency above 500 ms',
      'ms-prod-sales error rate above 0.5%',
      'ms-prod-sales p99 latency above 500 ms',
    ]);
    for (const p of policies) expect(p.notification_channels).toEqual([expect.stringMatching(/google_monitoring_notification_channel\.Monitoring_Email_\w+\.id/)]);
  });

  test('endpoint latency and error-rate conditions select the endpoint by id', () => {
    const s = monitoring();
    const latency = policy(s, /churn p99 latency above 1000 ms/).conditions[0].condition_threshold;
    expect(latency).toMatchObject({ comparison: 'COMPARISON_GT', threshold_value: 1000, duration: '300s' });
    expect(latency.filter).toContain(`resource.labels.endpoint_id = "${s.ids[0]}"`);
    expect(latency.filter).toContain('aiplatform.googleapis.com/prediction/online/prediction_latencies');
    const errors = policy(s, /churn error rate above 1%/).conditions[0].condition_threshold;
    expect(errors.threshold_value).toBe(0.01);
    expect(errors.filter).toContain('prediction/online/error_count');
    expect(errors.denominator_filter).toContain('prediction/online/prediction_count');
  });

  test('function errors match every platform function; drift alerts read the exported custom metrics', () => {
    const s = monitoring();
    expect(policy(s, /function errors/).conditions[0].condition_threshold.filter).toContain(`resource.labels.service_name = starts_with("${functionServiceName('ms-prod', '')}")`);
    const drift = policy(s, /model drift above 0.5/);
    expect(drift.conditions[0].condition_threshold).toMatchObject({
      filter: `resource.type = "global" AND metric.type = "${DRIFT_METRICS.share}" AND metric.labels.environment = "prod"`,
      threshold_value: 0.5,
    });
    expect(drift.notification_channels).toBeUndefined();
    expect(policy(s, /drift check failed/).conditions[0].condition_threshold.filter).toContain(DRIFT_METRICS.checkFailures);
    expect(DRIFT_METRICS).toEqual({
      share: 'custom.googleapis.com/modelstack/drift_share',
      checkFailures: 'custom.googleapis.com/modelstack/drift_check_failures',
      integrityFailures: 'custom.googleapis.com/modelstack/integrity_failures',
    });
    const integrity = policy(s, /data integrity check failed/);
    expect(integrity.conditions[0].condition_threshold).toMatchObject({
      filter: `resource.type = "global" AND metric.type = "${DRIFT_METRICS.integrityFailures}" AND metric.labels.environment = "prod"`,
      comparison: 'COMPARISON_GT',
      threshold_value: 0,
      aggregations: [{ alignment_period: '3600s', per_series_aligner: 'ALIGN_MAX', cross_series_reducer: 'REDUCE_MAX', group_by_fields: ['metric.label.model'] }],
    });
    expect(s.json).toHaveResourceWithProperties(MonitoringMetricDescriptor, { type: DRIFT_METRICS.integrityFailures, metric_kind: 'GAUGE', value_type: 'INT64' });
    expect(integrity.depends_on).toHaveLength(3);
    expect(s.json).toHaveResourceWithProperties(MonitoringMetricDescriptor, { type: DRIFT_METRICS.share, metric_kind: 'GAUGE', value_type: 'DOUBLE' });
    expect(s.json).toHaveResourceWithProperties(MonitoringMetricDescriptor, { type: DRIFT_METRICS.checkFailures, metric_kind: 'GAUGE', value_type: 'INT64' });
    expect(drift.depends_on).toHaveLength(3);
  });

  test('a dashboard with a row per endpoint and the drift charts', () => {
    const s = monitoring();
    const [dashboard] = all(s, 'google_monitoring_dashboard');
    const body = JSON.parse(dashboard.dashboard_json);
    expect(body.displayName).toBe('ms-prod models');
    expect(body.gridLayout.widgets.map((w: { title: string }) => w.title)).toEqual([
      'churn: predictions', 'churn: p99 latency (ms)', 'churn: errors',
      'sales: predictions', 'sales: p99 latency (ms)', 'sales: errors',
      'drift share by model', 'drift check failures by model', 'data integrity failures by model',
    ]);
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => monitoring({ namePrefix: 'X', alarmEmails: ['nobody'], thresholds: { endpointLatencyP99Ms: 0, errorRatePercent: 200, driftShare: 2 } })).toThrow(
      'PlatformMonitoring: invalid props\n' +
        '  - namePrefix "X": expected lowercase letters, digits and single hyphens\n' +
        '  - alarmEmails "nobody": expected an email address\n' +
        '  - thresholds.endpointLatencyP99Ms 0: expected a positive number of milliseconds\n' +
        '  - thresholds.errorRatePercent 200: expected more than 0, at most 100\n' +
        '  - thresholds.driftShare 2: expected more than 0, at most 1',
    );
  });
});
