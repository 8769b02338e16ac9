import { DRIFT_EVENT_ATTRIBUTES, DRIFT_METRIC_LABELS, DRIFT_METRIC_RESOURCE_TYPE, DRIFT_METRICS } from '../../../constructs/gcp/drift-contract';
import type { DriftEvents, DriftMetricsSink, ShardLauncher } from '../../../core/drift-job';
import { ensureOk, type GoogleHttp } from '../../shared/gcp/google-http';

/** Where each Google API lives; tests point them all at one loopback server. */
export interface GoogleEndpoints {
  readonly pubsub: string;
  readonly monitoring: string;
  readonly workflows: string;
  readonly bigquery: string;
  readonly storage: string;
}

export const GOOGLE_ENDPOINTS: GoogleEndpoints = {
  pubsub: 'https://pubsub.googleapis.com',
  monitoring: 'https://monitoring.googleapis.com',
  workflows: 'https://workflowexecutions.googleapis.com',
  bigquery: 'https://bigquery.googleapis.com',
  storage: 'https://storage.googleapis.com',
};

/** Every endpoint at `baseUrl` (a local emulator or test server). */
export function endpointsAt(baseUrl: string): GoogleEndpoints {
  const base = baseUrl.replace(/\/+$/, '');
  return { pubsub: base, monitoring: base, workflows: base, bigquery: base, storage: base };
}

/** `DriftDetected` on a Pub/Sub topic (`projects/<p>/topics/<t>`): the JSON detail as data, model and environment as attributes. */
export function pubsubEvents(http: GoogleHttp, topic: string, baseUrl = GOOGLE_ENDPOINTS.pubsub): DriftEvents {
  return {
    async publishDriftDetected(detail) {
      const call = `Pub/Sub publish to ${topic}`;
      const message = {
        data: Buffer.from(JSON.stringify(detail)).toString('base64'),
        attributes: { [DRIFT_EVENT_ATTRIBUTES.model]: detail.model, [DRIFT_EVENT_ATTRIBUTES.environment]: detail.environment },
      };
      const response = await ensureOk(call, await http(call, `${baseUrl}/v1/${topic}:publish`, { method: 'POST', json: { messages: [message] } }));
      const out = (await response.json()) as { messageIds?: string[] };
      if (!out.messageIds?.length) throw new Error(`${call} failed: no message id in the answer`);
    },
  };
}

/**
 * The drift contract's custom metrics in Cloud Monitoring (`DRIFT_METRICS`, GAUGE on the `global` resource,
 * labelled model and environment). The core's other numbers (rows, per-feature scores, quality) are in the
 * stored report; only what the alerts and dashboard read becomes a time series. A check that got as far as
 * flushing its metrics also writes drift_check_failures 0, so the failure alert clears.
 */
export function monitoringMetrics(
  http: GoogleHttp,
  options: { project: string; model: string; environment: string; now?: () => Date },
  baseUrl = GOOGLE_ENDPOINTS.monitoring,
): DriftMetricsSink {
  let share: number | undefined;
  let integrityFailures: number | undefined;
  let failed = false;
  const series = (type: string, value: { doubleValue: number } | { int64Value: string }, endTime: string) => ({
    metric: { type, labels: { [DRIFT_METRIC_LABELS.model]: options.model, [DRIFT_METRIC_LABELS.environment]: options.environment } },
    resource: { type: DRIFT_METRIC_RESOURCE_TYPE, labels: { project_id: options.project } },
    metricKind: 'GAUGE',
    valueType: 'doubleValue' in value ? 'DOUBLE' : 'INT64',
    points: [{ interval: { endTime }, value }],
  });
  return {
    metric(name, value) {
      if (name === 'DriftShare') share = value;
      if (name === 'IntegrityFailures') integrityFailures = value;
      if (name === 'DriftCheckFailed') failed = true;
    },
    async flush() {
      const endTime = (options.now?.() ?? new Date()).toISOString();
      const timeSeries = [series(DRIFT_METRICS.checkFailures, { int64Value: failed ? '1' : '0' }, endTime)];
      if (share !== undefined && !failed) timeSeries.push(series(DRIFT_METRICS.share, { doubleValue: share }, endTime));
      if (integrityFailures !== undefined && !failed) timeSeries.push(series(DRIFT_METRICS.integrityFailures, { int64Value: String(integrityFailures) }, endTime));
      share = undefined;
      integrityFailures = undefined;
      failed = false;
      const call = `Cloud Monitoring timeSeries.create (${options.model})`;
      await ensureOk(call, await http(call, `${baseUrl}/v3/projects/${options.project}/timeSeries`, { method: 'POST', json: { timeSeries } }));
    },
  };
}

/**
 * Starts the fan-out workflow (`projects/<p>/locations/<r>/workflows/<w>`) with the plan as its argument. Workflows
 * has no caller-chosen execution id, so a repeated start runs the fan-out twice; the second merge finds the
 * window's report.json and changes nothing.
 */
export function workflowsLauncher(http: GoogleHttp, workflow: string, baseUrl = GOOGLE_ENDPOINTS.workflows): ShardLauncher {
  return {
    async start(plan) {
      const call = `Workflows execution of ${workflow}`;
      const response = await ensureOk(call, await http(call, `${baseUrl}/v1/${workflow}/executions`, { method: 'POST', json: { argument: JSON.stringify(plan) } }));
      const execution = (await response.json()) as { name?: string };
      if (!execution.name) throw new Error(`${call} failed: no execution name in the answer`);
      return execution.name;
    },
  };
}
