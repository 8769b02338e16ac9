import { awsEnvironments } from '../config/clouds';
import type { PlatformConfig } from '../config/schema';
import { modelsForEnvironment } from './serving-variant';

/** What a resource costs while nobody uses it. */
export type IdleCostClass = 'always-on' | 'scales-to-zero';

export interface CostItem {
  readonly resource: string;
  readonly costClass: IdleCostClass;
  /** Why, in a few words (instance count, capacity mode). */
  readonly detail: string;
}

/**
 * Classifies, per environment, the AWS resources the config asks for by their idle cost: instance-backed endpoints,
 * provisioned Kinesis shards and online feature stores bill while idle; serverless and async endpoints (at zero
 * instances), functions, on-demand streams, scheduled batch jobs and the API bill per use. Pure: reads the config only.
 */
export function classifyIdleCost(config: PlatformConfig): Record<string, CostItem[]> {
  const result: Record<string, CostItem[]> = {};
  for (const [envName, environment] of awsEnvironments(config)) {
    const items: CostItem[] = [];
    for (const model of modelsForEnvironment(config.models, environment)) {
      const serving = model.serving;
      if (serving.kind === 'realtime') {
        const { minInstances, maxInstances } = serving.autoscaling;
        items.push({ resource: `endpoint ${model.name}`, costClass: 'always-on', detail: `${minInstances}-${maxInstances} x ${serving.instanceType}` });
      } else if (serving.kind === 'async') {
        items.push({ resource: `endpoint ${model.name}`, costClass: 'scales-to-zero', detail: `async, 0-${serving.maxInstances} x ${serving.instanceType}` });
      } else {
        items.push({ resource: `endpoint ${model.name}`, costClass: 'scales-to-zero', detail: `serverless ${serving.memorySizeMb} MB` });
      }
      if (model.streaming) {
        const shards = model.streaming.aws?.shardCount;
        items.push(
          shards
            ? { resource: `stream ${model.name}`, costClass: 'always-on', detail: `${shards} provisioned shard${shards === 1 ? '' : 's'}` }
            : { resource: `stream ${model.name}`, costClass: 'always-on', detail: 'on-demand stream (hourly stream charge)' },
        );
      }
      if (model.batch?.aws) items.push({ resource: `batch ${model.name}`, costClass: 'scales-to-zero', detail: `${model.batch.aws.instanceType} per run, ${model.batch.schedule}` });
    }
    for (const entity of config.aws.featureStore.entities) {
      items.push({ resource: `feature group ${entity.name}`, costClass: 'scales-to-zero', detail: 'online store on demand, offline store in S3' });
    }
    const trains = modelsForEnvironment(config.models, environment).some((m) => m.training);
    if (trains) {
      // The pipelines' jobs bill per run; the tracking server per hour while it runs (StopMlflowTrackingServer stops it).
      items.push({ resource: 'training pipelines', costClass: 'scales-to-zero', detail: 'processing and training jobs per run' });
      if (environment.aws.mlflow !== false) items.push({ resource: 'MLflow tracking server', costClass: 'always-on', detail: `${environment.aws.mlflow.size}, per hour while running` });
    }
    items.push({ resource: 'inference API and functions', costClass: 'scales-to-zero', detail: 'per request' });
    items.push({ resource: 'dashboard and alarms', costClass: 'always-on', detail: 'CloudWatch monthly charges' });
    result[envName] = items;
  }
  return result;
}

/** One line per environment: `dev  always-on: ...; scales to zero: ...`. */
export function formatIdleCost(classes: Record<string, CostItem[]>): string {
  return Object.entries(classes)
    .map(([env, items]) => {
      const list = (c: IdleCostClass) => items.filter((i) => i.costClass === c).map((i) => `${i.resource} (${i.detail})`).join(', ') || 'nothing';
      return `${env}\n  always-on:      ${list('always-on')}\n  scales to zero: ${list('scales-to-zero')}`;
    })
    .join('\n');
}
