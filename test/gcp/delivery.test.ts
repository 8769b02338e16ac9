import 'cdktf/lib/testing/adapters/jest';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudbuildTrigger } from '@cdktf/provider-google/lib/cloudbuild-trigger';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic';
import { StorageNotification } from '@cdktf/provider-google/lib/storage-notification';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { driftTopicName } from '../../constructs/gcp/drift-contract';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { ModelVersionEvents } from '../../constructs/gcp/model-version-events';
import { RetrainingTrigger, type RetrainingTriggerProps } from '../../constructs/gcp/retraining-trigger';
import { VertexDeployTrigger, type VertexDeployTriggerProps } from '../../constructs/gcp/vertex-deploy-trigger';
import { VertexDeployerRole } from '../../constructs/gcp/vertex-deployer-role';
import { all, synth } from './helpers';

Testing.setupJest();

const project = 'my-ml-project';
const IMAGE = 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest';

function platform(deploy: Partial<VertexDeployTriggerProps> = {}, retraining?: Partial<RetrainingTriggerProps>) {
  let endpointId = '';
  const s = synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-prod', project, region: 'europe-west1' });
    const events = new ModelVersionEvents(scope, 'Events', { registry, topicName: 'ms-prod-model-versions', project });
    const driftTopic = new EncryptedTopic(scope, 'Drift', { name: driftTopicName('ms-prod'), project, registry });
    const endpoint = new ModelEndpoint(scope, 'Churn', { registry, namePrefix: 'ms-prod', model: 'churn', project, region: 'europe-west1' });
    endpointId = endpoint.endpointId;
    const deployerRole = new VertexDeployerRole(scope, 'Role', { namePrefix: 'ms-prod', project });
    const repository = { owner: 'example-org', name: 'modelstack', branch: 'release' };
    new VertexDeployTrigger(scope, 'Deploy', { endpoint, events, deployerRole, repository, namePrefix: 'ms-prod', project, region: 'europe-west1', containerImage: IMAGE, ...deploy });
    if (retraining) new RetrainingTrigger(scope, 'Retrain', { registry, driftTopic, repository, namePrefix: 'ms-prod', project, buildConfig: 'ci/retrain.cloudbuild.yaml', ...retraining });
  });
  return { ...s, endpointId };
}

describe('delivery (GCP)', () => {
  test('CMEK topics for model versions and DriftDetected, and GCS notifications for new objects under models/', () => {
    const s = platform();
    expect(s.json).toHaveResourceWithProperties(PubsubTopic, { name: 'ms-prod-DriftDetected', kms_key_name: expect.stringMatching(/Registry_Key/), message_retention_duration: '604800s' });
    expect(s.json).toHaveResourceWithProperties(PubsubTopic, { name: 'ms-prod-model-versions', kms_key_name: expect.stringMatching(/Registry_Key/) });
    for (const topic of all(s, 'google_pubsub_topic')) expect(topic.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Settled-Registry_PubSubAgentKeyAccess/)]);
    expect(s.json).toHaveResourceWithProperties(StorageNotification, {
      bucket: expect.stringMatching(/Registry_Bucket_\w+\.name/),
      payload_format: 'JSON_API_V1',
      event_types: ['OBJECT_FINALIZE'],
      object_name_prefix: 'models/',
    });
    const [publish] = all(s, 'google_pubsub_topic_iam_member');
    expect(publish).toMatchObject({ role: 'roles/pubsub.publisher', member: expect.stringMatching(/^\$\{data\.google_storage_project_service_account\.ServiceAgents-my-ml-project_Storage_\w+\.member\}$/) });
    expect(all(s, 'google_storage_notification')[0].depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Settled-Events_Topic_StorageAgentPublish/)]);
  });

  test('the deploy trigger: Pub/Sub on new model.tar.gz of its model, runs vertex-deploy with the configured deployment', () => {
    const s = platform({ machineType: 'n1-standard-4', minReplicas: 1, maxReplicas: 4, trafficSplit: { latest: 10, previous: 90 }, approvalRequired: true, alias: 'prod' });
    expect(s.json).toHaveResourceWithProperties(CloudbuildTrigger, {
      name: 'ms-prod-deploy-churn',
      pubsub_config: { topic: expect.stringMatching(/google_pubsub_topic\.Events_Topic_\w+\.id/) },
      source_to_build: { uri: 'https://github.com/example-org/modelstack', ref: 'refs/heads/release', repo_type: 'GITHUB' },
      substitutions: { _BUCKET: '$(body.message.attributes.bucketId)', _OBJECT: '$(body.message.attributes.objectId)' },
      filter: '_OBJECT.matches("^models/churn/[^/]+/model[.]tar[.]gz$")',
      approval_config: { approval_required: true },
      service_account: expect.stringMatching(/google_service_account\.Deploy_ServiceAccount_\w+\.id/),
    });
    const trigger = all(s, 'google_cloudbuild_trigger')[0];
    expect(trigger.build.options).toEqual({ logging: 'CLOUD_LOGGING_ONLY' });
    expect(trigger.build.step.find((step: any) => step.id === 'deploy').args).toEqual([
      'bin/modelstack.cjs', 'vertex-deploy',
      '--project', project, '--region', 'europe-west1', '--endpoint', s.endpointId, '--model-id', 'ms-prod-churn',
      '--artifact', 'gs://$_BUCKET/$_OBJECT', '--image', IMAGE,
      '--machine-type', 'n1-standard-4', '--min-replicas', '1', '--max-replicas', '4', '--latest-percent', '10', '--alias', 'prod',
    ]);
  });

  test('the deploy build builds the CLI, drops the dev dependencies and runs dist/, after the endpoint exists', () => {
    const s = platform();
    const trigger = all(s, 'google_cloudbuild_trigger')[0];
    expect(trigger.build.step.map((step: any) => [step.id, step.name, step.entrypoint, ...step.args.slice(0, 2)])).toEqual([
      ['install', 'node:22', 'npm', 'ci', '--no-audit'],
      ['build', 'node:22', 'npm', 'run', 'build'],
      ['prune', 'node:22', 'npm', 'prune', '--omit=dev'],
      ['deploy', 'node:22', 'node', 'bin/modelstack.cjs', 'vertex-deploy'],
    ]);
    expect(trigger.build.step[0].args).not.toContain('--omit=dev'); // building needs tsc, tsx and esbuild
    expect(trigger.depends_on).toEqual([expect.stringMatching(/^google_vertex_ai_endpoint\.Churn_Endpoint_\w+$/)]);
  });

  test("the deploy step's command runs the built CLI in a checkout without dev dependencies (no tsx)", () => {
    const deploy = all(platform(), 'google_cloudbuild_trigger')[0].build.step.find((step: any) => step.id === 'deploy');
    // A checkout after the prune step: the sources, bin/, dist/, and no tsx anywhere up the tree.
    const checkout = mkdtempSync(join(tmpdir(), 'modelstack-checkout-'));
    cpSync(join(__dirname, '..', '..', 'bin'), join(checkout, 'bin'), { recursive: true });
    mkdirSync(join(checkout, 'cli'));
    writeFileSync(join(checkout, 'cli', 'main.ts'), "export function main(): void { throw new Error('sources must not run'); }\n");
    mkdirSync(join(checkout, 'dist', 'cli'), { recursive: true });
    writeFileSync(join(checkout, 'dist', 'cli', 'main.js'), 'exports.main = () => console.log(JSON.stringify(process.argv.slice(2)));\n');

    const run = spawnSync(deploy.entrypoint, deploy.args, { cwd: checkout, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(deploy.args.slice(1));
  });

  test('the build image must have Node.js 20 or later', () => {
    expect(() => platform({ builderImage: 'node:18-slim' })).toThrow('builderImage "node:18-slim": expected Node.js 20 or later (ModelStack\'s engines), such as node:22');
    expect(all(platform({ builderImage: 'europe-docker.pkg.dev/my-ml-project/build/node:24' }), 'google_cloudbuild_trigger')[0].build.step[0].name).toBe(
      'europe-docker.pkg.dev/my-ml-project/build/node:24',
    );
  });

  test('the deploy account holds exactly the deployer role and log writing', () => {
    const s = platform();
    expect(s.json).toHaveResourceWithProperties(ProjectIamCustomRole, {
      // A new id per deployment: a deleted role's id stays reserved for up to 37 days.
      role_id: 'ms_prod_vertex_deployer_${time_static.DeploymentStamp.unix}',
      permissions: [...VertexDeployerRole.PERMISSIONS],
    });
    const deployer = all(s, 'google_service_account').find((a) => a.account_id === 'ms-prod-deploy-churn');
    expect(deployer).toBeDefined();
    const roles = all(s, 'google_project_iam_member').filter((m) => /Deploy_ServiceAccount/.test(m.member)).map((m) => m.role);
    expect(roles.sort()).toEqual([expect.stringMatching(/google_project_iam_custom_role\.Role_\w+\.name/), 'roles/logging.logWriter']);
    expect(all(s, 'google_cloudbuild_trigger')[0].approval_config).toEqual({ approval_required: false });
  });

  test('the retraining trigger: drift topic, repository build config, its own account that can only add versions', () => {
    const s = platform({}, { approvalRequired: true });
    expect(s.json).toHaveResourceWithProperties(CloudbuildTrigger, {
      name: 'ms-prod-retrain',
      pubsub_config: { topic: expect.stringMatching(/google_pubsub_topic\.Drift_Topic_\w+\.id/) },
      git_file_source: { path: 'ci/retrain.cloudbuild.yaml', uri: 'https://github.com/example-org/modelstack', revision: 'refs/heads/release', repo_type: 'GITHUB' },
      substitutions: { _MODEL: '$(body.message.attributes.model)' },
      approval_config: { approval_required: true },
    });
    const grants = all(s, 'google_storage_bucket_iam_member').filter((g) => /Retrain_ServiceAccount/.test(g.member));
    expect(grants.map((g) => [g.role, g.condition?.title]).sort()).toEqual([
      ['roles/storage.objectCreator', 'only models/'],
      ['roles/storage.objectViewer', undefined],
    ]);
    const accounts = all(s, 'google_service_account').map((a) => a.account_id);
    expect(accounts).toContain('ms-prod-retrain');
  });

  test('the retraining trigger can be limited to models (those without a training workflow): a filter on the drift message\'s model', () => {
    const s = platform({}, { models: ['legacy', 'fraud-v2'] });
    expect(all(s, 'google_cloudbuild_trigger').find((t) => t.name === 'ms-prod-retrain').filter).toBe('_MODEL.matches("^(legacy|fraud-v2)$")');
    expect(all(platform({}, {}), 'google_cloudbuild_trigger').find((t) => t.name === 'ms-prod-retrain').filter).toBeUndefined();
    expect(() => platform({}, { models: ['Legacy'] })).toThrow('RetrainingTrigger: invalid props\n  - models: "Legacy": expected lowercase letters, digits and single hyphens');
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => platform({ namePrefix: 'Ms', minReplicas: 0, maxReplicas: -1, trafficSplit: { latest: 0, previous: 90 }, alias: 'Prod', containerImage: 'not an image' })).toThrow(
      'VertexDeployTrigger: invalid props\n' +
        '  - namePrefix "Ms": expected lowercase letters, digits and single hyphens\n' +
        '  - minReplicas 0: expected a whole number, at least 1\n' +
        '  - maxReplicas -1: expected a whole number, at least minReplicas (0)\n' +
        '  - trafficSplit {"latest":0,"previous":90}: expected whole percentages that sum to 100\n' +
        '  - trafficSplit.latest 0: expected the deployed version to receive traffic\n' +
        '  - alias "Prod": expected a Vertex AI version alias (a lowercase letter, then letters, digits, hyphens)\n' +
        '  - containerImage "not an image": expected a container image URI',
    );
    expect(() => platform({}, { namePrefix: 'X', buildConfig: 'retrain.json' })).toThrow(
      'RetrainingTrigger: invalid props\n' +
        '  - namePrefix "X": expected lowercase letters, digits and single hyphens\n' +
        '  - buildConfig "retrain.json": expected the path of your YAML training build config in the repository, such as ci/retrain.cloudbuild.yaml',
    );
    // ModelStack ships no training build, so there is no default path to fall back on.
    expect(() => platform({}, { buildConfig: undefined })).toThrow(
      'RetrainingTrigger: invalid props\n  - buildConfig undefined: expected the path of your YAML training build config in the repository, such as ci/retrain.cloudbuild.yaml',
    );
    expect(() => synth((scope) => new VertexDeployerRole(scope, 'R', { namePrefix: 'A', project }))).toThrow('VertexDeployerRole: invalid props\n  - namePrefix "A"');
    expect(() =>
      synth((scope) => {
        const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms', project, region: 'europe-west1' });
        new EncryptedTopic(scope, 'T', { name: 'goog-x', project, registry, messageRetentionSeconds: 60 });
      }),
    ).toThrow(
      'EncryptedTopic: invalid props\n' +
        '  - name "goog-x": expected a letter, then 2 to 254 letters, digits or -_.~+%, not starting with goog\n' +
        '  - messageRetentionSeconds 60: expected 600 to 2678400',
    );
  });
});
