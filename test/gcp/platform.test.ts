import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { buildGcpPlatform } from '../../infra/gcp/app';
import { gcpDemoStacks } from './demo-stacks';

type Resources = Record<string, Record<string, any>>;

/** Synthesizes `raw` with buildGcpPlatform and returns every stack's resources by stack name. */
function synthesize(raw: unknown): Record<string, Resources> {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-gcp-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, parseConfig(raw));
  app.synth();
  const stacks: Record<string, Resources> = {};
  for (const name of readdirSync(join(outdir, 'stacks'))) {
    stacks[name] = JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')).resource;
  }
  return stacks;
}

// The demo's stacks, synthesized once per run for the suites that read them (demo-stacks.ts).
const demo: Record<string, Resources> = Object.fromEntries(Object.entries(gcpDemoStacks()).map(([name, stack]) => [name, stack.resource!]));
const each = (types: string[], visit: (stack: string, type: string, id: string, r: any) => void) => {
  for (const [stack, resources] of Object.entries(demo)) {
    for (const type of types) for (const [id, r] of Object.entries(resources[type] ?? {})) visit(stack, type, id, r);
  }
};
const count = (stack: string, type: string) => Object.keys(demo[stack][type] ?? {}).length;

describe('security policy over every synthesized GCP stack of the demo', () => {
  test('one stack per environment', () => {
    expect(Object.keys(demo).sort()).toEqual(['modelstack-dev-platform', 'modelstack-prod-platform', 'modelstack-staging-platform']);
  });

  test('every bucket: CMEK, uniform access, public access prevention, versioning or retention but not both', () => {
    let buckets = 0;
    each(['google_storage_bucket'], (stack, _t, id, b) => {
      buckets++;
      const where = `${stack}/${id}`;
      expect({ where, cmek: b.encryption?.default_kms_key_name }).toEqual({ where, cmek: expect.stringMatching(/^\$\{google_kms_crypto_key\./) });
      expect({ where, uniform: b.uniform_bucket_level_access, pap: b.public_access_prevention }).toEqual({ where, uniform: true, pap: 'enforced' });
      expect({ where, both: Boolean(b.versioning?.enabled) && Boolean(b.retention_policy) }).toEqual({ where, both: false });
      expect({ where, either: Boolean(b.versioning?.enabled) || Boolean(b.retention_policy) }).toEqual({ where, either: true });
    });
    expect(buckets).toBe(9);
  });

  test('CMEK on every resource type that supports it', () => {
    let checked = 0;
    const keyOf: Record<string, (r: any) => unknown> = {
      google_bigquery_dataset: (r) => r.default_encryption_configuration?.kms_key_name,
      google_pubsub_topic: (r) => r.kms_key_name,
      google_vertex_ai_endpoint: (r) => r.encryption_spec?.kms_key_name,
      google_cloud_run_v2_service: (r) => r.template?.encryption_key,
    };
    each(Object.keys(keyOf), (stack, type, id, r) => {
      checked++;
      expect({ at: `${stack}/${id}`, key: keyOf[type](r) }).toEqual({ at: `${stack}/${id}`, key: expect.stringMatching(/^\$\{google_kms_crypto_key\./) });
    });
    // Per environment: the request-log dataset, two topics, two serving targets (Vertex AI endpoints, or in dev Cloud
    // Run services), and churn's streaming (requests and dead-letter topics, results dataset).
    expect(checked).toBe(3 * (1 + 2 + 2 + 3));
  });

  test('no public principals and no primitive or admin roles in any binding', () => {
    const iamTypes = Object.keys(Object.assign({}, ...Object.values(demo))).filter((t) => /_iam_(member|binding|policy)$/.test(t));
    expect(iamTypes.length).toBeGreaterThan(4);
    each(iamTypes, (stack, type, id, r) => {
      const principals = [r.member, ...(r.members ?? [])].filter(Boolean).join(' ');
      expect({ at: `${stack}/${type}.${id}`, principals }).not.toEqual({ at: expect.anything(), principals: expect.stringMatching(/allUsers|allAuthenticatedUsers/) });
      expect({ at: `${stack}/${type}.${id}`, role: r.role }).not.toEqual({ at: expect.anything(), role: expect.stringMatching(/^roles\/(owner|editor|viewer|storage\.admin|aiplatform\.(admin|user)|iam\..*)$/) });
    });
    expect(JSON.stringify(demo)).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('each trigger runs as its own service account; project roles are log writing, custom roles and the function build\'s source read', () => {
    for (const [stack, resources] of Object.entries(demo)) {
      const accounts = Object.values(resources.google_cloudbuild_trigger ?? {}).map((t: any) => t.service_account);
      expect(accounts.length).toBeGreaterThan(0);
      expect(new Set(accounts).size).toBe(accounts.length);
      for (const m of Object.values(resources.google_project_iam_member ?? {}) as any[]) {
        if (m.role === 'roles/storage.objectAdmin') {
          // Only the function build account, only the gcf-v2-sources buckets.
          expect({ stack, member: m.member, condition: m.condition?.expression }).toEqual({ stack, member: expect.stringMatching(/Functions_Build_/), condition: 'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-")' });
          continue;
        }
        expect({ stack, role: m.role }).toEqual({ stack, role: expect.stringMatching(/^(roles\/logging\.logWriter|\$\{google_project_iam_custom_role\.\w+\.name\})$/) });
      }
    }
  });

  test('data is kept (prevent_destroy) exactly where the environment retains it', () => {
    const dataTypes = ['google_storage_bucket', 'google_kms_crypto_key', 'google_bigquery_dataset', 'google_vertex_ai_feature_online_store'];
    each(dataTypes, (stack, type, id, r) => {
      const retained = stack === 'modelstack-prod-platform';
      expect({ at: `${stack}/${type}.${id}`, prevent: r.lifecycle?.prevent_destroy ?? false }).toEqual({ at: `${stack}/${type}.${id}`, prevent: retained });
    });
  });

  test('destroy environments can be destroyed and deployed again: contents go with their containers, reserved names are new per deployment', () => {
    each(['google_storage_bucket'], (stack, _t, id, b) => {
      expect({ at: `${stack}/${id}`, force: b.force_destroy }).toEqual({ at: `${stack}/${id}`, force: stack !== 'modelstack-prod-platform' });
    });
    each(['google_bigquery_dataset'], (stack, _t, id, d) => {
      expect({ at: `${stack}/${id}`, contents: d.delete_contents_on_destroy }).toEqual({ at: `${stack}/${id}`, contents: stack !== 'modelstack-prod-platform' });
    });
    each(['google_kms_key_ring', 'google_project_iam_custom_role'], (stack, type, id, r) => {
      expect({ at: `${stack}/${type}.${id}`, name: r.name ?? r.role_id }).toEqual({ at: `${stack}/${type}.${id}`, name: expect.stringMatching(/_?-?\$\{time_static\.DeploymentStamp\.unix\}$/) });
    });
  });
});

describe('buildGcpPlatform', () => {
  test('per environment: endpoints, deploy triggers, drift topic, monitoring; prod adds approvals, PSC, features', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stack = `modelstack-${env}-platform`;
      // Dev serves on Cloud Run (gcp.servingOverride): no Vertex AI endpoint, so no dedicated replica.
      expect(count(stack, 'google_vertex_ai_endpoint')).toBe(env === 'dev' ? 0 : 2);
      expect(count(stack, 'google_cloud_run_v2_service')).toBe(env === 'dev' ? 2 : 0);
      expect(count(stack, 'google_monitoring_dashboard')).toBe(1);
      const triggers = Object.values(demo[stack].google_cloudbuild_trigger) as any[];
      expect(triggers.map((t) => t.name).sort()).toEqual(
        // prod's gcp.retraining covers models without a training section: both demo models have one.
        [`modelstack-${env}-deploy-churn`, `modelstack-${env}-deploy-sales-forecast`].sort(),
      );
      for (const t of triggers) expect(t.approval_config).toEqual({ approval_required: env === 'prod' });
      const topics = Object.values(demo[stack].google_pubsub_topic).map((t: any) => t.name);
      expect(topics.sort()).toEqual([`modelstack-${env}-DriftDetected`, `modelstack-${env}-model-versions`, `modelstack-${env}-stream-churn`, `modelstack-${env}-stream-churn-dead-letter`]);
      expect(count(stack, 'google_monitoring_notification_channel')).toBe(env === 'dev' ? 0 : 1);
      expect(count(stack, 'google_vertex_ai_feature_online_store')).toBe(env === 'prod' ? 1 : 0);
    }
    const prodEndpoints = Object.values(demo['modelstack-prod-platform'].google_vertex_ai_endpoint) as any[];
    for (const e of prodEndpoints) expect(e.private_service_connect_config).toEqual({ enable_private_service_connect: true, project_allowlist: ['modelstack-demo-prod'] });
    const churn = prodEndpoints.find((e) => e.display_name === 'modelstack-prod-churn');
    expect(churn.predict_request_response_logging_config.sampling_rate).toBe(0.2);
    const sales = prodEndpoints.find((e) => e.display_name === 'modelstack-prod-sales-forecast');
    // Serverless on AWS, where the inference function captures; Vertex AI logs it like any public or PSC endpoint.
    expect(sales.predict_request_response_logging_config.sampling_rate).toBe(0.2);
  });

  test('every environment trains both models with a workflow: churn tuned on its schedule and on drift, sales-forecast on drift only', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stack = demo[`modelstack-${env}-platform`];
      const workflows = Object.values(stack.google_workflows_workflow).filter((w: any) => w.name.endsWith('-training')) as any[];
      expect(workflows.map((w) => w.name).sort()).toEqual([`modelstack-${env}-churn-training`, `modelstack-${env}-sales-forecast-training`]);
      const steps = (w: any) => JSON.parse(w.source_contents.replace(/\$\$\{/g, '${')).main.steps[0].run.try.steps.map((st: any) => Object.keys(st)[0]);
      expect(steps(workflows.find((w) => w.name.includes('churn')))).toContain('tuneJob');
      expect(steps(workflows.find((w) => w.name.includes('sales')))).toContain('trainJob');
      expect((Object.values(stack.google_cloud_scheduler_job) as any[]).filter((j) => j.name.endsWith('-training')).map((j) => j.schedule)).toEqual(['0 3 * * 1']);
      expect((Object.values(stack.google_eventarc_trigger) as any[]).map((t) => t.name).sort()).toEqual([`modelstack-${env}-churn-retrain`, `modelstack-${env}-sales-forecast-retrain`]);
      expect(Object.values(stack.google_vertex_ai_tensorboard)).toHaveLength(1);
    }
  });

  test('the churn model\'s batch prediction in every environment: its alias, the config\'s replicas, alerts to the environment\'s channel', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const stack = `modelstack-${env}-platform`;
      const workflows = Object.values(demo[stack].google_workflows_workflow).filter((w: any) => w.name.includes('-batch-')) as any[];
      expect(workflows.map((w) => w.name)).toEqual([`modelstack-${env}-batch-churn`]);
      const body = JSON.parse(workflows[0].source_contents.replace(/\$\$\{/g, '${')).main.steps[0].run.try.steps.find((st: any) => st.createJob).createJob.args.body;
      expect(body.model).toBe(`projects/modelstack-demo-${env}/locations/europe-west1/models/modelstack-${env}-churn@${env}`);
      expect(body.dedicatedResources).toEqual({ machineSpec: { machineType: 'n1-standard-2' }, startingReplicaCount: 1, maxReplicaCount: 2 });
      const alert = Object.values(demo[stack].google_monitoring_alert_policy).find((a: any) => a.display_name === `modelstack-${env} batch prediction of churn failed`) as any;
      expect(alert.notification_channels ?? []).toHaveLength(env === 'dev' ? 0 : 1);
    }
  });

  test('dev (Cloud Run, no Vertex AI endpoint): churn\'s deploy build registers each version as modelstack-dev-churn@dev for its batch prediction; the Vertex AI agent may read models/', () => {
    const dev = demo['modelstack-dev-platform'];
    const deployArgs = (model: string) => (Object.values(dev.google_cloudbuild_trigger).find((t: any) => t.name === `modelstack-dev-deploy-${model}`) as any).build.step.find((st: any) => st.id === 'deploy').args;
    expect(deployArgs('churn')).toEqual(expect.arrayContaining(['cloudrun-deploy', '--vertex-model-id', 'modelstack-dev-churn', '--alias', 'dev']));
    // sales-forecast has no batch: nothing to register, and its build gets no Vertex AI permission.
    expect(deployArgs('sales-forecast')).not.toContain('--vertex-model-id');
    const registryRole = Object.entries(dev.google_project_iam_custom_role).find(([, r]: any) => r.role_id.includes('cloud_run_model_registry'))![0];
    const holders = Object.values(dev.google_project_iam_member).filter((m: any) => m.role.includes(registryRole)) as any[];
    expect(holders.map((m) => m.member)).toEqual([expect.stringMatching(/Deploy-churn_ServiceAccount_/)]);
    const agentReads = Object.values(dev.google_storage_bucket_iam_member).filter((m: any) => /Identity-vertex/.test(m.member) && m.role === 'roles/storage.objectViewer') as any[];
    expect(agentReads.map((m) => m.condition?.expression ?? '')).toEqual(expect.arrayContaining([expect.stringMatching(/\/objects\/models\/"\)$/)]));
  });

  test('the churn model\'s streaming in every environment, on what the inference function calls: dev\'s Cloud Run service, prod\'s PSC endpoint at its private address', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const fns = Object.values(demo[`modelstack-${env}-platform`].google_cloudfunctions2_function) as any[];
      const stream = fns.find((f) => f.name === `modelstack-${env}-fn-stream-churn`);
      const predict = fns.find((f) => f.name === `modelstack-${env}-fn-predict-churn`);
      expect(stream.service_config.environment_variables.VERTEX_API_BASE_URL).toBe(predict.service_config.environment_variables.VERTEX_API_BASE_URL);
      expect(stream.service_config.vpc_connector).toBe(predict.service_config.vpc_connector);
      expect(stream.service_config.vpc_connector === undefined).toBe(env !== 'prod');
      expect(stream.service_config.environment_variables.CLOUD_RUN_URL).toBe(predict.service_config.environment_variables.CLOUD_RUN_URL);
      expect(stream.service_config.environment_variables.CLOUD_RUN_URL === undefined).toBe(env !== 'dev');
    }
  });

  test('a batch schedule Cloud Scheduler cannot express is a ConfigError naming the field', () => {
    const raw: any = structuredClone(demoConfig);
    raw.models[0].batch.schedule = 'cron(0 2 L * ? *)';
    expect(() => buildGcpPlatform(new App({ outdir: mkdtempSync(join(tmpdir(), 'modelstack-gcp-')) }), parseConfig(raw))).toThrow(
      /models\[0\]\.batch\.schedule: "cron\(0 2 L \* \? \*\)" cannot be scheduled on Google Cloud/,
    );
  });

  test('without a repository there are no triggers; a framework without a prebuilt container needs an image', () => {
    const raw: any = structuredClone(demoConfig);
    for (const env of Object.values(raw.environments) as any[]) {
      delete env.gcp.repository;
      delete env.gcp.retraining;
    }
    const bare = synthesize(raw);
    for (const resources of Object.values(bare)) expect(resources.google_cloudbuild_trigger).toBeUndefined();

    // A prebuilt ECR image on AWS: Google Cloud falls back to Vertex AI's prebuilt container for the framework.
    raw.models[1].image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
    raw.models[1].framework = 'lightgbm-4';
    // Dev serves on Cloud Run, which runs the model server: a prebuilt image there is refused with the config.
    expect(() => synthesize(raw)).toThrow('models[1].gcp.containerImage: sales-forecast is served on Cloud Run in dev (gcp.servingOverride)');
    delete raw.environments.dev.gcp.servingOverride;
    expect(() => synthesize(raw)).toThrow(
      'Invalid platform config (Google Cloud platform): 1 problem\n' +
        '  - models[1].gcp.containerImage: expected a serving image: Vertex AI has no prebuilt container for framework "lightgbm-4"',
    );
    raw.models[1].gcp.containerImage = 'europe-docker.pkg.dev/my-project/serving/sales:1';
    expect(JSON.stringify(synthesize(raw))).not.toContain('lightgbm');
  });
});
