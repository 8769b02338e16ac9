import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { buildGcpPlatform } from '../../infra/gcp/app';
import { gcpDemoStacks } from './demo-stacks';

function synthesize(raw: unknown): Record<string, Record<string, Record<string, any>>> {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-gcp-fn-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, parseConfig(raw));
  app.synth();
  return Object.fromEntries(readdirSync(join(outdir, 'stacks')).map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')).resource]));
}

const values = (resources: Record<string, Record<string, any>>, type: string): any[] => Object.values(resources[type] ?? {});

describe('platform functions in every synthesized GCP stack of the demo', () => {
  // The demo's stacks, synthesized once per run for the suites that read them (demo-stacks.ts).
  const demo = Object.fromEntries(Object.entries(gcpDemoStacks()).map(([name, stack]) => [name, stack.resource!]));

  test('an inference function per model, a drift check (function, workflow, schedule) per logged model', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stack = demo[`modelstack-${env}-platform`];
      expect(values(stack, 'google_cloudfunctions2_function').map((f) => f.name).sort()).toEqual(
        [`modelstack-${env}-fn-drift-churn`, `modelstack-${env}-fn-drift-sales-forecast`, `modelstack-${env}-fn-predict-churn`, `modelstack-${env}-fn-predict-sales-forecast`, `modelstack-${env}-fn-stream-churn`, `modelstack-${env}-fn-training-baseline`].sort(),
      );
      // churn's batch prediction adds a workflow and its schedule (demo: cron(0 2 * * ? *)); each model's training
      // pipeline is a workflow, churn's scheduled (0 3 * * 1), sales-forecast's started on drift only.
      expect(values(stack, 'google_workflows_workflow').map((w) => w.name).sort()).toEqual(
        [`modelstack-${env}-batch-churn`, `modelstack-${env}-churn-training`, `modelstack-${env}-drift-churn`, `modelstack-${env}-drift-sales-forecast`, `modelstack-${env}-sales-forecast-training`].sort(),
      );
      expect(values(stack, 'google_cloud_scheduler_job').map((j) => j.schedule).sort()).toEqual(['0 2 * * *', '0 3 * * 1', '15 0 * * *', '15 0 * * *']);
      // inference, drift, streaming and training-baseline bundles, and the training image's build context.
      expect(values(stack, 'google_storage_bucket_object').map((o) => o.name.replace(/-[0-9A-Fa-f]{32,64}\.(zip|tar\.gz)$/, '')).sort()).toEqual(
        ['functions/drift', 'functions/inference', 'functions/streaming', 'functions/training-baseline', 'training-image/context'],
      );
    }
  });

  test('CMEK on every function, workflow and image repository (functions and model images); every function runs as its own account', () => {
    for (const [name, stack] of Object.entries(demo)) {
      const cmek = [
        ...values(stack, 'google_cloudfunctions2_function').map((f) => f.kms_key_name),
        ...values(stack, 'google_workflows_workflow').map((w) => w.crypto_key_name),
        ...values(stack, 'google_artifact_registry_repository').map((r) => r.kms_key_name),
      ];
      // 6 functions, 5 workflows, 2 repositories.
      expect({ name, cmek }).toEqual({ name, cmek: Array(13).fill(expect.stringMatching(/^\$\{google_kms_crypto_key\./)) });
      const accounts = values(stack, 'google_cloudfunctions2_function').map((f) => f.service_config.service_account_email);
      expect(new Set(accounts).size).toBe(accounts.length);
      const callers = [...values(stack, 'google_workflows_workflow').map((w) => w.service_account), ...values(stack, 'google_cloud_scheduler_job').map((j) => (j.http_target.oidc_token ?? j.http_target.oauth_token).service_account_email)];
      expect(callers.join(' ')).not.toMatch(/Drift-churn_Drift_/);
    }
  });

  test('prod: inference behind internal-and-gclb ingress, invokable only by the configured caller', () => {
    const prod = demo['modelstack-prod-platform'];
    const inference = values(prod, 'google_cloudfunctions2_function').filter((f) => f.name.includes('-fn-predict-'));
    for (const f of inference) expect(f.service_config).toMatchObject({ ingress_settings: 'ALLOW_INTERNAL_AND_GCLB', max_instance_count: 20 });
    const invokers = values(prod, 'google_cloud_run_v2_service_iam_member').map((m) => m.member);
    expect(invokers.filter((m) => m.startsWith('serviceAccount:checkout@'))).toHaveLength(2);
    // Dev: no configured callers; the functions are invoked by the drift schedulers and workflows, the streaming push
    // account and the training workflows (the baseline function) only, and dev's Cloud Run model services (gcp.servingOverride) by their model's inference and streaming
    // functions only.
    const dev = values(demo['modelstack-dev-platform'], 'google_cloud_run_v2_service_iam_member').filter((m) => m.role === 'roles/run.invoker');
    for (const m of dev) {
      const target = /google_cloud_run_v2_service\.Serve-([a-z-]+)_Service_/.exec(m.name);
      expect({ name: m.name, member: m.member }).toEqual({
        name: m.name,
        member: target ? expect.stringMatching(new RegExp(`(Inference|Streaming)-${target[1]}_Account_`)) : expect.stringMatching(/Drift-(churn|sales-forecast)_(Fanout|Scheduler)|Streaming-churn_PushAccount_|Training-(churn|sales-forecast)_TrainRun_/),
      });
    }
    // sales-forecast: its inference function; churn: its inference and streaming functions.
    expect(dev.filter((m) => /google_cloud_run_v2_service\.Serve-/.test(m.name))).toHaveLength(3);
  });

  test('a drift window Cloud Scheduler cannot express, or a public invoker, is a config error', () => {
    const raw: any = structuredClone(demoConfig);
    raw.models[0].drift = { ...raw.models[0].drift, windowHours: 36 };
    expect(() => synthesize(raw)).toThrow('models[0].drift.windowHours: 36 cannot be scheduled on Google Cloud: expected a divisor of 24, or 24 to 168 in whole days');
    const pub: any = structuredClone(demoConfig);
    pub.environments.dev.gcp.functions = { invokers: ['allUsers'] };
    expect(() => parseConfig(pub)).toThrow("environments.dev.gcp.functions.invokers[0]: expected an IAM member");
  });
  test('a private endpoint over VPC peering cannot log requests: its inference function captures them, and the drift check reads those', () => {
    const raw: any = structuredClone(demoConfig);
    raw.environments.staging.gcp.network = { kind: 'vpc', network: 'projects/123456789012/global/networks/ml-vpc' };
    const staging = synthesize(raw)['modelstack-staging-platform'];
    for (const endpoint of values(staging, 'google_vertex_ai_endpoint')) {
      expect(endpoint.network).toBe('projects/123456789012/global/networks/ml-vpc');
      expect(endpoint.predict_request_response_logging_config).toBeUndefined();
    }
    const fns = values(staging, 'google_cloudfunctions2_function');
    const predict = fns.find((f) => f.name === 'modelstack-staging-fn-predict-churn');
    const env = predict.service_config.environment_variables;
    expect(env).toMatchObject({ CAPTURE_BUCKET: expect.stringMatching(/google_storage_bucket\.Registry_Bucket/), CAPTURE_SAMPLING_PERCENTAGE: '20' });
    const endpointId = env.ENDPOINT_NAME.split('/').pop();
    expect(env.CAPTURE_PREFIX).toBe(`data-capture/churn/${endpointId}/AllTraffic/`);
    // The drift check reads data-capture/<model>/<ENDPOINT_NAME>/AllTraffic/ and exports nothing from BigQuery.
    const drift = fns.find((f) => f.name === 'modelstack-staging-fn-drift-churn').service_config.environment_variables;
    expect(`data-capture/${drift.MODEL_NAME}/${drift.ENDPOINT_NAME}/AllTraffic/`).toBe(env.CAPTURE_PREFIX);
    expect(drift.REQUEST_LOG_TABLE).toBeUndefined();
    // The predict account may only create objects under that folder; the drift account does not read BigQuery.
    const grants = values(staging, 'google_storage_bucket_iam_member').filter((g) => g.member.includes('Inference-churn'));
    expect(grants).toEqual([
      expect.objectContaining({ role: 'roles/storage.objectCreator', condition: expect.objectContaining({ expression: expect.stringContaining(`objects/${env.CAPTURE_PREFIX}`) }) }),
    ]);
    expect(values(staging, 'google_bigquery_dataset_iam_member')).toEqual([]);
    // Public and PSC endpoints log through Vertex AI as before: no capture by the function.
    const prodPredict = values(demo['modelstack-prod-platform'], 'google_cloudfunctions2_function').filter((f) => f.name.includes('-fn-predict-'));
    for (const f of prodPredict) expect(f.service_config.environment_variables.CAPTURE_BUCKET).toBeUndefined();
  });
});
