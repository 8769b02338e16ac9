import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DriftEvents, DriftMetricsSink, ShardLauncher } from '../../../core/drift-job';

/**
 * `DriftDetected` and `DataIntegrityFailed` on an EventBridge bus, as `source: modelstack.drift`. Rules match on
 * `detail-type`, so a rule for one never receives the other.
 */
export function eventBridgeEvents(client: EventBridgeClient, busName: string): DriftEvents {
  async function put(detailType: string, detail: object): Promise<void> {
    const out = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: busName, Source: 'modelstack.drift', DetailType: detailType, Detail: JSON.stringify(detail) }] }));
    if (out.FailedEntryCount) throw new Error(`EventBridge rejected ${detailType}: ${out.Entries?.[0]?.ErrorCode} ${out.Entries?.[0]?.ErrorMessage}`);
  }
  return {
    publishDriftDetected: (detail) => put('DriftDetected', detail),
    publishIntegrityFailed: (detail) => put('DataIntegrityFailed', detail),
  };
}

/** Metrics counted in whole units; the rest (shares, scores, flags) have no unit. */
const COUNTS = new Set(['Rows', 'InvalidRows', 'IntegrityFailures']);

/** Embedded metrics through Powertools; per-feature metrics get their own document with a Feature dimension. */
export function emfMetrics(metrics: Metrics): DriftMetricsSink {
  return {
    metric(name, value, dimensions) {
      const unit = COUNTS.has(name) ? MetricUnit.Count : MetricUnit.NoUnit;
      if (!dimensions) {
        metrics.addMetric(name, unit, value);
        return;
      }
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, unit, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}

/** Starts the fan-out state machine; the execution name makes a repeated start of one window a no-op. */
export function stepFunctionsLauncher(client: SFNClient, stateMachineArn: string, model: string): ShardLauncher {
  return {
    async start(plan) {
      const name = `${model}-${plan.windowEnd.replace(/[^0-9A-Za-z]/g, '')}`.slice(0, 80);
      try {
        const out = await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(plan) }));
        return out.executionArn ?? name;
      } catch (err) {
        if ((err as { name?: string }).name === 'ExecutionAlreadyExists') return name;
        throw err;
      }
    },
  };
}
