import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { APIS_BY_TYPE } from '../../constructs/gcp/required-apis';
import { buildGcpPlatform } from '../../infra/gcp/app';
import { gcpDemoStacks } from './demo-stacks';
import { checkDeployability, type SynthesizedStack } from './deployability';

/** Every stack `buildGcpPlatform` makes of `raw`, as synthesized, by stack name. */
function synthesize(raw: unknown): Record<string, SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-gcp-deploy-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, parseConfig(raw));
  app.synth();
  return Object.fromEntries(readdirSync(join(outdir, 'stacks')).map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'))]));
}

/** The demo with every optional Google Cloud feature switched on somewhere: VPC peering, PSC, feature store, retraining, invokers. */
function everyFeature(): unknown {
  const raw: any = structuredClone(demoConfig);
  raw.environments.dev.gcp.network = { kind: 'vpc', network: 'projects/123456789/global/networks/ml' };
  raw.environments.staging.gcp.network = { kind: 'psc', projectAllowlist: ['consumer-project'], vpcNetwork: 'ml', subnetwork: 'ml-europe-west1', connectorRange: '10.8.0.0/28' };
  raw.environments.staging.gcp.featureStore = { entities: [{ name: 'customer', sourceTable: 'bq://modelstack-demo-staging.features.customers', entityIdColumns: ['customer_id'] }] };
  raw.environments.staging.gcp.retraining = { buildConfig: 'cloudbuild/retrain.yaml' };
  // The retraining build retrains models without a training section (a training workflow retrains the others).
  delete raw.models[1].training;
  raw.environments.dev.gcp.functions = { invokers: ['group:ml@example.com'], ingress: 'internal', maxInstances: 5 };
  return raw;
}

const types = (stacks: Record<string, SynthesizedStack>) =>
  new Set(Object.values(stacks).flatMap((s) => [...Object.keys(s.resource ?? {}), ...Object.keys(s.data ?? {}).map((t) => `data.${t}`)]));

describe('deployability of every synthesized GCP stack (first deploy into an empty project)', () => {
  // The demo's stacks, synthesized once per run for the suites that read them (demo-stacks.ts).
  const demo: Record<string, SynthesizedStack> = gcpDemoStacks();
  const variant = synthesize(everyFeature());

  test.each([...Object.keys(demo).map((name) => ['demo', name]), ...Object.keys(variant).map((name) => ['every feature', name])])('%s: %s has no findings', (config, name) => {
    const stack = (config === 'demo' ? demo : variant)[name];
    expect(checkDeployability(stack)).toEqual([]);
  });

  test('between them the two configs create every type the API table knows, except networking and project lookups the stacks do not use yet', () => {
    const notYetCreated = ['data.google_project', 'google_compute_forwarding_rule', 'google_compute_network', 'google_compute_subnetwork', 'google_compute_firewall', 'google_service_networking_connection'];
    const created = new Set([...types(demo), ...types(variant)]);
    expect(Object.keys(APIS_BY_TYPE).filter((t) => !created.has(t)).sort()).toEqual(notYetCreated.sort());
    expect(created).toContain('google_project_service_identity');
  });

  test('each stack enables exactly the APIs its resources need, none disabled on destroy', () => {
    const prod = demo['modelstack-prod-platform'];
    expect(Object.values(prod.resource!.google_project_service).map((s) => [s.service, s.disable_on_destroy]).sort()).toEqual(
      [
        'aiplatform.googleapis.com', 'artifactregistry.googleapis.com', 'bigquery.googleapis.com', 'cloudbuild.googleapis.com', 'cloudfunctions.googleapis.com',
        'cloudkms.googleapis.com', 'cloudresourcemanager.googleapis.com', 'cloudscheduler.googleapis.com',
        // prod serves through Private Service Connect: an internal address (Compute Engine) and a Serverless VPC Access connector
        'compute.googleapis.com', 'eventarc.googleapis.com', 'iam.googleapis.com', 'logging.googleapis.com',
        'monitoring.googleapis.com', 'pubsub.googleapis.com', 'run.googleapis.com', 'storage.googleapis.com', 'vpcaccess.googleapis.com', 'workflowexecutions.googleapis.com', 'workflows.googleapis.com',
      ].map((api) => [api, false]),
    );
  });
});

describe('checkDeployability catches each class of defect', () => {
  const enabled = (service: string, id: string) => ({ [id]: { service, disable_on_destroy: false } });
  const clean = (): any => ({
    resource: {
      google_project_service: { ...enabled('pubsub.googleapis.com', 'Api-pubsub'), ...enabled('cloudkms.googleapis.com', 'Api-cloudkms') },
      google_project_service_identity: { PubSub: { service: 'pubsub.googleapis.com', depends_on: ['google_project_service.Api-pubsub'] } },
      google_kms_crypto_key_iam_member: {
        PubSubKey: { member: '${google_project_service_identity.PubSub.member}', role: 'roles/cloudkms.cryptoKeyEncrypterDecrypter', depends_on: ['google_project_service.Api-cloudkms'] },
      },
      google_pubsub_topic: { Topic: { name: 'events', depends_on: ['google_project_service.Api-pubsub'] } },
      time_sleep: { Wait: { create_duration: '120s' } },
    },
  });

  test('a clean stack has no findings', () => {
    expect(checkDeployability(clean())).toEqual([]);
  });

  test('a resource whose API is not enabled, or that does not depend on its enabling', () => {
    const missing = clean();
    delete missing.resource.google_project_service['Api-pubsub'];
    expect(checkDeployability(missing)).toEqual([
      { rule: 'api', where: 'google_project_service_identity.PubSub', message: 'needs pubsub.googleapis.com, which the stack does not enable' },
      { rule: 'api', where: 'google_pubsub_topic.Topic', message: 'needs pubsub.googleapis.com, which the stack does not enable' },
    ]);
    const unordered = clean();
    unordered.resource.google_pubsub_topic.Topic.depends_on = [];
    expect(checkDeployability(unordered)).toEqual([
      { rule: 'api', where: 'google_pubsub_topic.Topic', message: 'needs pubsub.googleapis.com but does not depend on google_project_service.Api-pubsub' },
    ]);
  });

  test('an API disabled on destroy, and a Google type the API table does not know', () => {
    const s = clean();
    s.resource.google_project_service['Api-pubsub'].disable_on_destroy = true;
    s.resource.google_compute_instance = { Vm: { name: 'vm' } };
    s.data = { google_kms_key_ring: { Ring: {} } };
    expect(checkDeployability(s)).toEqual([
      { rule: 'api', where: 'google_project_service.Api-pubsub', message: 'pubsub.googleapis.com: expected disable_on_destroy = false' },
      { rule: 'api', where: 'google_compute_instance.Vm', message: 'no API known for google_compute_instance: add it to APIS_BY_TYPE (constructs/gcp/required-apis.ts)' },
      { rule: 'api', where: 'data.google_kms_key_ring.Ring', message: 'no API known for data.google_kms_key_ring: add it to APIS_BY_TYPE (constructs/gcp/required-apis.ts)' },
    ]);
  });

  test('a grant to a service agent written out, without depending on what creates the agent', () => {
    const s = clean();
    s.resource.google_kms_crypto_key_iam_member.Vertex = {
      member: 'serviceAccount:service-${data.google_project.P.number}@gcp-sa-aiplatform.iam.gserviceaccount.com',
      depends_on: ['google_project_service.Api-cloudkms'],
    };
    s.resource.google_storage_bucket_iam_member = {
      Gcs: { member: 'serviceAccount:service-123@gs-project-accounts.iam.gserviceaccount.com' },
      Functions: { member: 'serviceAccount:service-123@gcf-admin-robot.iam.gserviceaccount.com' },
    };
    s.resource.google_project_service.enable = { service: 'storage.googleapis.com', disable_on_destroy: false };
    for (const grant of Object.values(s.resource.google_storage_bucket_iam_member) as any[]) grant.depends_on = ['google_project_service.enable'];
    expect(checkDeployability(s).filter((f) => f.rule === 'agent')).toEqual([
      {
        rule: 'agent',
        where: 'google_kms_crypto_key_iam_member.Vertex',
        message: 'grants to service agent service-${data.google_project.P.number}@gcp-sa-aiplatform.iam.gserviceaccount.com without depending on what creates it (google_project_service_identity for aiplatform.googleapis.com); use that resource\'s member',
      },
      {
        rule: 'agent',
        where: 'google_storage_bucket_iam_member.Gcs',
        message: 'grants to service agent service-123@gs-project-accounts.iam.gserviceaccount.com without depending on what creates it (data.google_storage_project_service_account); use that resource\'s member',
      },
      {
        rule: 'agent',
        where: 'google_storage_bucket_iam_member.Functions',
        message: 'grants to service agent service-123@gcf-admin-robot.iam.gserviceaccount.com without depending on what creates it (google_project_service_identity for cloudfunctions.googleapis.com); use that resource\'s member',
      },
    ]);
    // Written out but ordered after the identity that creates it: accepted.
    s.resource.google_project_service_identity.Vertex = { service: 'aiplatform.googleapis.com' };
    s.resource.google_kms_crypto_key_iam_member.Vertex.depends_on.push('google_project_service_identity.Vertex');
    expect(checkDeployability(s).filter((f) => f.where === 'google_kms_crypto_key_iam_member.Vertex')).toEqual([]);
  });

  test('a grant naming an identity or agent data source the stack does not have', () => {
    const s = clean();
    s.resource.google_kms_crypto_key_iam_member.PubSubKey.member = '${google_project_service_identity.Gone.member}';
    s.resource.google_pubsub_topic_iam_member = { Gcs: { member: '${data.google_storage_project_service_account.Storage.member}', depends_on: ['google_project_service.Api-pubsub'] } };
    expect(checkDeployability(s)).toEqual([
      { rule: 'agent', where: 'google_kms_crypto_key_iam_member.PubSubKey', message: 'names google_project_service_identity.Gone, which the stack does not create' },
      { rule: 'agent', where: 'google_pubsub_topic_iam_member.Gcs', message: 'names data.google_storage_project_service_account.Storage, which the stack does not read' },
    ]);
  });

  test('bucket names, service account ids and custom role ids that Google rejects', () => {
    const s: any = { resource: { google_project_service: {} } };
    for (const api of ['storage', 'iam']) s.resource.google_project_service[api] = { service: `${api}.googleapis.com`, disable_on_destroy: false };
    const on = (api: string) => ({ depends_on: [`google_project_service.${api}`] });
    s.resource.google_storage_bucket = {
      Google: { name: 'mygoogle-dev-models-p', ...on('storage') },
      Goog: { name: 'goog-dev-models-p', ...on('storage') },
      Long: { name: `m-${'x'.repeat(70)}`, ...on('storage') },
      Upper: { name: 'Models', ...on('storage') },
      Ok: { name: 'modelstack-dev-models-my-project', ...on('storage') },
      Unknown: { name: '${random_id.x.hex}-models', ...on('storage') },
    };
    s.resource.google_service_account = { Short: { account_id: 'ab', ...on('iam') }, Ok: { account_id: 'modelstack-dev-reader', ...on('iam') } };
    s.resource.google_project_iam_custom_role = {
      Hyphen: { role_id: 'modelstack-dev_role_${time_static.DeploymentStamp.unix}', ...on('iam') },
      Long: { role_id: `${'r'.repeat(60)}_\${time_static.DeploymentStamp.unix}`, ...on('iam') },
      Ok: { role_id: 'modelstack_dev_role_${time_static.DeploymentStamp.unix}', ...on('iam') },
    };
    expect(checkDeployability(s)).toEqual([
      { rule: 'name', where: 'google_storage_bucket.Google', message: 'name "mygoogle-dev-models-p" must not contain "google"' },
      { rule: 'name', where: 'google_storage_bucket.Goog', message: 'name "goog-dev-models-p" must not start with "goog"' },
      { rule: 'name', where: 'google_storage_bucket.Long', message: `name "m-${'x'.repeat(70)}" must be 3 to 63 characters long (is 72)` },
      { rule: 'name', where: 'google_storage_bucket.Upper', message: 'name "Models" must be lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit' },
      { rule: 'name', where: 'google_storage_bucket.Unknown', message: 'name "${random_id.x.hex}-models" is only known at apply time; it cannot be checked' },
      { rule: 'name', where: 'google_service_account.Short', message: 'account_id "ab" must be 6 to 30 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen' },
      { rule: 'name', where: 'google_project_iam_custom_role.Hyphen', message: 'role_id "modelstack-dev_role_1767225600" must be 3 to 64 letters, digits, "_" and "."' },
      { rule: 'name', where: 'google_project_iam_custom_role.Long', message: `role_id "${'r'.repeat(60)}_1767225600" must be 3 to 64 letters, digits, "_" and "."` },
    ]);
  });
});
