import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { classifyGcpIdleCost, formatIdleCost } from '../../infra/gcp/cost-class';

describe('idle cost on Google Cloud', () => {
  const config = parseConfig(demoConfig);
  const classes = classifyGcpIdleCost(config);

  test('every deployed model keeps its dedicated replicas; a canary keeps the previous version deployed too', () => {
    // churn is a 10/90 canary in the demo, sales-forecast serves 100 % on the latest version.
    expect(config.models.map((m) => [m.name, m.gcp.trafficSplit])).toEqual([
      ['churn', { latest: 10, previous: 90 }],
      ['sales-forecast', { latest: 100, previous: 0 }],
    ]);
    for (const env of ['staging', 'prod']) {
      expect(classes[env].filter((i) => i.costClass === 'always-on').map((i) => i.resource)).toEqual([
        'endpoint churn',
        'canary churn',
        'endpoint sales-forecast',
        ...(env === 'prod' ? ['VPC connector', 'PSC endpoints', 'feature online store'] : []),
        'alert policies and dashboard',
      ]);
    }
    expect(classes.staging).toContainEqual({ resource: 'canary churn', costClass: 'always-on', detail: 'the previous version stays deployed for its 90 %: another 1-4 x n1-standard-4' });
    expect(classes.staging).toContainEqual({
      resource: 'endpoint sales-forecast',
      costClass: 'always-on',
      detail: '1-2 x n1-standard-2 once a version is deployed (Vertex AI keeps at least 1 replica)',
    });
    expect(classes.prod).toContainEqual({ resource: 'feature online store', costClass: 'always-on', detail: '1-3 Bigtable nodes' });
    expect(classes.prod).toContainEqual({ resource: 'PSC endpoints', costClass: 'always-on', detail: '2 forwarding rules, hourly plus per GB' });
  });

  test('dev serves on Cloud Run (gcp.servingOverride): every model scales to zero, only monitoring is always on', () => {
    expect(classes.dev.filter((i) => i.costClass === 'always-on').map((i) => i.resource)).toEqual(['alert policies and dashboard']);
    expect(classes.dev).toContainEqual({ resource: 'Cloud Run churn', costClass: 'scales-to-zero', detail: '0-3 x 1 CPU, 2048 MB (gcp.servingOverride), per request; no Vertex AI replicas' });
    // The override also drops the PSC connector and forwarding rules, which only Vertex AI endpoints use.
    const raw: any = structuredClone(demoConfig);
    raw.environments.prod.gcp.servingOverride = { kind: 'cloudRun', cpu: 2, memoryMb: 8192, maxInstances: 10 };
    const prod = classifyGcpIdleCost(parseConfig(raw)).prod;
    expect(prod.filter((i) => i.costClass === 'always-on').map((i) => i.resource)).toEqual(['feature online store', 'alert policies and dashboard']);
    expect(prod).toContainEqual({ resource: 'Cloud Run sales-forecast', costClass: 'scales-to-zero', detail: '0-10 x 2 CPU, 8192 MB (gcp.servingOverride), per request; no Vertex AI replicas' });
  });

  test('functions, schedules, training and builds scale to zero; the summary has the AWS shape', () => {
    // churn's batch prediction (per run) and streaming (per message) too, in every environment, dev's Cloud Run included;
    // the demo's models train (a workflow per model, one TensorBoard per environment).
    const training = ['training pipelines', 'TensorBoard'];
    expect(classes.staging.filter((i) => i.costClass === 'scales-to-zero').map((i) => i.resource)).toEqual(['batch churn', 'stream churn', ...training, 'inference and drift functions', 'drift schedules and builds']);
    expect(classes.dev.filter((i) => i.costClass === 'scales-to-zero').map((i) => i.resource)).toEqual(['Cloud Run churn', 'batch churn', 'stream churn', 'Cloud Run sales-forecast', ...training, 'inference and drift functions', 'drift schedules and builds']);
    const untrained = classifyGcpIdleCost({ ...config, models: config.models.map(({ training: _t, ...m }) => m) });
    expect(untrained.staging.map((i) => i.resource)).not.toEqual(expect.arrayContaining(['training pipelines']));
    expect(formatIdleCost(classes)).toMatch(/\nstaging\n {2}always-on: {6}endpoint churn \(1-4 x n1-standard-4 .*\n {2}scales to zero: batch churn \(up to 2 x n1-standard-2 per run/);
    expect(formatIdleCost(classes)).toMatch(/^dev\n {2}always-on: {6}alert policies and dashboard .*\n {2}scales to zero: Cloud Run churn \(0-3 x 1 CPU/);
  });

  test('minimum replicas and machine types come from each model', () => {
    const raw: any = structuredClone(demoConfig);
    raw.models[1].gcp = { machineType: 'e2-standard-8', minReplicas: 3, maxReplicas: 5 };
    const item = classifyGcpIdleCost(parseConfig(raw)).staging.find((i) => i.resource === 'endpoint sales-forecast');
    expect(item?.detail).toMatch(/^3-5 x e2-standard-8 /);
  });
});
