import type { CostItem } from '../aws/cost-class';
import { gcpEnvironments } from '../config/clouds';
import type { PlatformConfig } from '../config/schema';

export { formatIdleCost } from '../aws/cost-class';

/**
 * Classifies, per environment, the Google Cloud resources the config asks for by their idle cost, as
 * `classifyIdleCost` does for AWS. Vertex AI online prediction bills each deployed model's dedicated replicas per
 * node hour and never scales them to zero (https://cloud.google.com/vertex-ai/docs/predictions/configure-compute:
 * `minReplicaCount` is at least 1), and a canary split keeps the previous version deployed beside the new one, so a
 * rollout doubles the replicas, unless the environment serves on Cloud Run (`gcp.servingOverride`: 0 instances when
 * idle, https://cloud.google.com/run/docs/configuring/min-instances); the feature online store bills its Bigtable nodes; private serving bills its connector's minimum instances and the
 * PSC forwarding rules; the functions (min instances 0),
 * the drift schedules, the training workflows and the builds bill per use. Pure: reads the config only.
 */
export function classifyGcpIdleCost(config: PlatformConfig): Record<string, CostItem[]> {
  const result: Record<string, CostItem[]> = {};
  for (const [envName, environment] of gcpEnvironments(config)) {
    const items: CostItem[] = [];
    const cloudRun = environment.gcp.servingOverride;
    for (const model of config.models) {
      if (cloudRun) {
        // Cloud Run bills instances while they serve (min instances 0, CPU only during requests): idle is free.
        const size = `${cloudRun.cpu} CPU, ${cloudRun.memoryMb} MB`;
        items.push({ resource: `Cloud Run ${model.name}`, costClass: 'scales-to-zero', detail: `0-${cloudRun.maxInstances} x ${size} (gcp.servingOverride), per request; no Vertex AI replicas` });
      } else {
        const { machineType, minReplicas, maxReplicas, trafficSplit } = model.gcp;
        const replicas = `${minReplicas}-${maxReplicas} x ${machineType}`;
        items.push({ resource: `endpoint ${model.name}`, costClass: 'always-on', detail: `${replicas} once a version is deployed (Vertex AI keeps at least 1 replica)` });
        if (trafficSplit.previous > 0) {
          items.push({
            resource: `canary ${model.name}`,
            costClass: 'always-on',
            detail: `the previous version stays deployed for its ${trafficSplit.previous} %: another ${replicas}`,
          });
        }
      }
      // Vertex AI batch prediction bills node hours while a job runs; a run without input starts none. With Cloud Run
      // serving too: the version is in the Vertex AI Model Registry, not deployed ("Models that are not deployed ... are
      // not charged", https://cloud.google.com/vertex-ai/pricing), so batch runs as in an environment with endpoints.
      if (model.batch) {
        const { machineType: batchMachine, maxReplicaCount } = model.batch.gcp;
        items.push({ resource: `batch ${model.name}`, costClass: 'scales-to-zero', detail: `up to ${maxReplicaCount} x ${batchMachine} per run, ${model.batch.schedule}` });
      }
      // Pub/Sub bills throughput and retained messages, BigQuery the rows streamed in: nothing while idle.
      if (model.streaming) items.push({ resource: `stream ${model.name}`, costClass: 'scales-to-zero', detail: 'Pub/Sub topic and push subscription, per message' });
    }
    if (environment.gcp.network?.kind === 'psc' && !cloudRun) {
      // A Serverless VPC Access connector runs its minimum instances all the time; each PSC endpoint bills hourly.
      items.push({ resource: 'VPC connector', costClass: 'always-on', detail: '2-3 x e2-micro (Serverless VPC Access minimum)' });
      items.push({ resource: 'PSC endpoints', costClass: 'always-on', detail: `${config.models.length} forwarding rule${config.models.length === 1 ? '' : 's'}, hourly plus per GB` });
    }
    const featureStore = environment.gcp.featureStore;
    if (featureStore && featureStore.entities.length > 0) {
      items.push({ resource: 'feature online store', costClass: 'always-on', detail: `${featureStore.minNodeCount}-${featureStore.maxNodeCount} Bigtable nodes` });
    }
    if (config.models.some((m) => m.training)) {
      // A training workflow bills its steps and its Vertex AI jobs per run; Cloud Build bills the training image's build,
      // which runs only when its context changes; a Vertex AI TensorBoard runs no servers: it holds the logged runs.
      items.push({ resource: 'training pipelines', costClass: 'scales-to-zero', detail: 'Cloud Workflows steps and Vertex AI jobs per run; a Cloud Build build when the training image changes' });
      items.push({ resource: 'TensorBoard', costClass: 'scales-to-zero', detail: 'no servers; the storage of the logged runs' });
    }
    items.push({ resource: 'inference and drift functions', costClass: 'scales-to-zero', detail: 'Cloud Run functions, 0 minimum instances, per request' });
    items.push({ resource: 'drift schedules and builds', costClass: 'scales-to-zero', detail: 'Cloud Scheduler and Cloud Build per run' });
    items.push({ resource: 'alert policies and dashboard', costClass: 'always-on', detail: 'Cloud Monitoring alerting conditions, monthly' });
    result[envName] = items;
  }
  return result;
}
