import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import type { PlatformConfig } from '../../infra/config/schema';
import { buildGcpPlatform } from '../../infra/gcp/app';
import { gcpDemoStacks } from './demo-stacks';

interface Stack {
  resource: Record<string, Record<string, any>>;
  terraform: { backend?: Record<string, any> };
}

/** Synthesizes `config` with buildGcpPlatform; every stack's Terraform JSON by stack name. */
function synthesize(config: PlatformConfig): Record<string, Stack> {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-gcp-delivery-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, config);
  app.synth();
  return Object.fromEntries(
    readdirSync(join(outdir, 'stacks')).map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as Stack]),
  );
}

const names = (stack: Stack, type: string, field = 'name') => Object.values(stack.resource[type] ?? {}).map((r) => r[field] as string).sort();

describe('a model without a version (Google Cloud)', () => {
  test('gets its endpoint, inference function, deploy trigger and monitoring, but no drift check', () => {
    const demo = parseConfig(demoConfig);
    // churn logs 20 % of its requests: with a version it gets a drift check. sales-forecast's logging is off here,
    // so churn's is the only drift check in question.
    expect(demo.models[0].dataCapture.samplingPercentage).toBeGreaterThan(0);
    const config = { ...demo, models: demo.models.map((m, i) => (i === 1 ? { ...m, dataCapture: { samplingPercentage: 0 } } : m)) };
    const versionless = { ...config, models: config.models.map((m, i) => (i === 0 ? { ...m, version: undefined as unknown as string } : m)) };
    const prod = synthesize(versionless)['modelstack-prod-platform'];

    expect(names(prod, 'google_vertex_ai_endpoint', 'display_name')).toEqual(['modelstack-prod-churn', 'modelstack-prod-sales-forecast']);
    // churn's streaming function scores whatever version the endpoint serves: it is there before the first version too.
    // The training workflows' baseline function is there too (both demo models train).
    expect(names(prod, 'google_cloudfunctions2_function')).toEqual(['modelstack-prod-fn-predict-churn', 'modelstack-prod-fn-predict-sales-forecast', 'modelstack-prod-fn-stream-churn', 'modelstack-prod-fn-training-baseline']);
    // No retraining trigger: both demo models are retrained by their training workflows.
    expect(names(prod, 'google_cloudbuild_trigger')).toEqual(['modelstack-prod-deploy-churn', 'modelstack-prod-deploy-sales-forecast']);
    const alerts = JSON.stringify(prod.resource.google_monitoring_alert_policy);
    expect(alerts).toContain('modelstack-prod-churn');
    // Only churn's batch schedule: no drift schedule.
    expect(names(prod, 'google_cloud_scheduler_job')).toEqual(['modelstack-prod-batch-churn', 'modelstack-prod-churn-training']);

    // The same config with the version: the drift function and its schedule are there.
    const versioned = synthesize(config)['modelstack-prod-platform'];
    expect(names(versioned, 'google_cloudfunctions2_function')).toContain('modelstack-prod-fn-drift-churn');
    expect(names(versioned, 'google_cloud_scheduler_job')).toEqual(['modelstack-prod-batch-churn', 'modelstack-prod-churn-training', 'modelstack-prod-drift-churn']);
  });
});

describe('Terraform state per environment (Google Cloud)', () => {
  const withState = (state: unknown) => {
    const raw: any = structuredClone(demoConfig);
    for (const env of Object.values(raw.environments) as any[]) env.gcp.state = state;
    return raw;
  };

  test('a Cloud Storage backend per environment, prefixed <platform>/<environment> unless the config says otherwise', () => {
    // The demo's stacks, synthesized once per run for the suites that read them (demo-stacks.ts).
    const stacks = gcpDemoStacks() as Record<string, Stack>;
    expect(Object.fromEntries(Object.entries(stacks).map(([name, s]) => [name, s.terraform.backend]))).toEqual({
      'modelstack-dev-platform': { gcs: { bucket: 'modelstack-demo-tfstate', prefix: 'modelstack/dev' } },
      'modelstack-staging-platform': { gcs: { bucket: 'modelstack-demo-tfstate', prefix: 'modelstack/staging' } },
      'modelstack-prod-platform': { gcs: { bucket: 'modelstack-demo-tfstate', prefix: 'modelstack/prod' } },
    });
    const custom = synthesize(parseConfig(withState({ bucket: 'acme-ml-terraform', prefix: 'platform/ml' })));
    expect(custom['modelstack-prod-platform'].terraform.backend).toEqual({ gcs: { bucket: 'acme-ml-terraform', prefix: 'platform/ml' } });
  });

  test('local state only when chosen, at a relative path (never cdktf\'s absolute default in the checkout)', () => {
    const local = synthesize(parseConfig(withState({ local: true })));
    expect(local['modelstack-dev-platform'].terraform.backend).toEqual({ local: { path: 'terraform.tfstate' } });
    const named = synthesize(parseConfig(withState({ local: true, path: 'state/dev.tfstate' })));
    expect(named['modelstack-dev-platform'].terraform.backend).toEqual({ local: { path: 'state/dev.tfstate' } });
  });

  test('the state setting is required, and bucket names follow Cloud Storage rules', () => {
    const problems = (state: unknown) => {
      try {
        parseConfig(withState(state));
        return [];
      } catch (err) {
        return ((err as { problems?: string[] }).problems ?? [String(err)]).filter((p) => p.startsWith('environments.dev.'));
      }
    };
    expect(problems(undefined)).toEqual([
      'environments.dev.gcp.state: expected where Terraform keeps the state: { bucket: <Cloud Storage bucket>, prefix? } or, explicitly, { local: true }',
    ]);
    const bucket = 'environments.dev.gcp.state.bucket: expected a Cloud Storage bucket name:';
    expect(problems({ bucket: 'TF_State' })).toEqual([`${bucket} lowercase letters, digits, -, _ and ., starting and ending with a letter or digit`]);
    expect(problems({ bucket: 'ab' })).toEqual([`${bucket} 3 to 63 characters`]);
    expect(problems({ bucket: 'x'.repeat(64) })).toEqual([`${bucket} 3 to 63 characters`]);
    expect(problems({ bucket: '192.168.1.10' })).toEqual([`${bucket} not an IP address`]);
    expect(problems({ bucket: 'goog-state' })).toEqual([`${bucket} not starting with "goog" or containing "google"`]);
    expect(problems({ bucket: 'my-g00gle-state' })).toEqual([`${bucket} not starting with "goog" or containing "google"`]);
    expect(problems({ bucket: 'acme_ml.terraform-state' })).toEqual([]);
    expect(problems({ bucket: 'acme', prefix: '/abs' })).toEqual([
      'environments.dev.gcp.state.prefix: expected an object prefix such as modelstack/prod (letters, digits, -, _, . and single slashes)',
    ]);
    expect(problems({ local: true, path: '../outside.tfstate' })).toEqual(['environments.dev.gcp.state.path: expected a relative path ending in .tfstate, without ..']);
    expect(problems({ local: false })).toEqual([
      'environments.dev.gcp.state: expected { bucket, prefix? } (Terraform state in Cloud Storage) or { local: true, path? } (a local file)',
    ]);
  });
});

describe('Private Service Connect serving (prod of the demo)', () => {
  const stacks = gcpDemoStacks() as Record<string, Stack>;
  const prod = stacks['modelstack-prod-platform'];
  const dev = stacks['modelstack-dev-platform'];
  const values = (stack: Stack, type: string) => Object.values(stack.resource[type] ?? {});
  const fn = (stack: Stack, name: string) => values(stack, 'google_cloudfunctions2_function').find((f) => f.name === name);
  const trigger = (stack: Stack, name: string) => values(stack, 'google_cloudbuild_trigger').find((t) => t.name === name);

  test('each endpoint gets a reserved internal address in the configured subnetwork', () => {
    expect(values(prod, 'google_compute_address').map((a) => [a.name, a.address_type, a.subnetwork])).toEqual([
      ['modelstack-prod-churn-psc', 'INTERNAL', 'projects/modelstack-demo-prod/regions/europe-west1/subnetworks/ml-europe-west1'],
      ['modelstack-prod-sales-forecast-psc', 'INTERNAL', 'projects/modelstack-demo-prod/regions/europe-west1/subnetworks/ml-europe-west1'],
    ]);
    expect(dev.resource.google_compute_address).toBeUndefined();
  });

  test('the inference function calls the endpoint on its PSC address, through a connector, private ranges only', () => {
    expect(values(prod, 'google_vpc_access_connector')).toEqual([
      expect.objectContaining({ name: 'modelstack-prod-psc', network: 'ml-vpc', ip_cidr_range: '10.8.0.0/28', region: 'europe-west1', min_instances: 2 }),
    ]);
    const churn = fn(prod, 'modelstack-prod-fn-predict-churn');
    expect(churn.service_config.vpc_connector).toMatch(/^\$\{google_vpc_access_connector\.PrivateEndpoints_Connector_\w+\.id\}$/);
    expect(churn.service_config.vpc_connector_egress_settings).toBe('PRIVATE_RANGES_ONLY');
    const address = Object.keys(prod.resource.google_compute_address).find((id) => /churn/.test(id));
    expect(churn.service_config.environment_variables.VERTEX_API_BASE_URL).toBe(`http://\${google_compute_address.${address}.address}`);

    const public_ = fn(dev, 'modelstack-dev-fn-predict-churn');
    expect(public_.service_config.vpc_connector).toBeUndefined();
    expect(public_.service_config.environment_variables.VERTEX_API_BASE_URL).toBeUndefined();
  });

  test('the deploy build connects the service attachment to the address after deploying, with a role for exactly that', () => {
    const deploy = trigger(prod, 'modelstack-prod-deploy-churn').build.step.find((s: any) => s.id === 'deploy');
    expect(deploy.args.slice(-4)).toEqual([
      '--psc-address', 'projects/modelstack-demo-prod/regions/europe-west1/addresses/modelstack-prod-churn-psc',
      '--psc-network', 'projects/modelstack-demo-prod/global/networks/ml-vpc',
    ]);
    expect(trigger(prod, 'modelstack-prod-deploy-churn').depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^google_compute_address\./), expect.stringMatching(/^google_project_iam_member\.Deploy-churn_ConnectsPsc_\w+$/)]),
    );
    const role = values(prod, 'google_project_iam_custom_role').find((r) => String(r.role_id).startsWith('modelstack_prod_psc_connect_'));
    expect(role.permissions).toEqual([
      'compute.addresses.get',
      'compute.addresses.use',
      'compute.addresses.useInternal',
      'compute.forwardingRules.create',
      'compute.forwardingRules.get',
      'compute.forwardingRules.pscCreate',
      'compute.networks.use',
      'compute.regionOperations.get',
      'compute.subnetworks.use',
    ]);
    expect(trigger(dev, 'modelstack-dev-deploy-churn').build.step.find((s: any) => s.id === 'deploy').args).not.toContain('--psc-address');
  });
});
