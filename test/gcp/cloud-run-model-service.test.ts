import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { CloudRunDeployerRole } from '../../constructs/gcp/cloud-run-deployer-role';
import { DriftFunction } from '../../constructs/gcp/drift-function';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { CLOUD_RUN_PLACEHOLDER_IMAGE, CloudRunModelService, type CloudRunModelServiceProps } from '../../constructs/gcp/cloud-run-model-service';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { InferenceFunction } from '../../constructs/gcp/inference-function';
import { ModelImageRepository } from '../../constructs/gcp/model-image-repository';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { ModelVersionEvents } from '../../constructs/gcp/model-version-events';
import { VertexDeployTrigger, type VertexDeployTriggerProps } from '../../constructs/gcp/vertex-deploy-trigger';
import { all, synth } from './helpers';

Testing.setupJest();

const project = 'my-ml-project';
const region = 'europe-west1';

/** A Cloud Run model service with its inference function (capturing) and deploy trigger, as the platform wires them. */
function served(props: Partial<CloudRunModelServiceProps> = {}, trigger: Partial<VertexDeployTriggerProps> = {}) {
  let service!: CloudRunModelService;
  const s = synth((scope: Construct) => {
    const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region });
    service = new CloudRunModelService(scope, 'Serve-churn', { registry, namePrefix: 'ms-dev', model: 'churn', project, region, samplingPercentage: 20, ...props });
    const platform = new FunctionPlatform(scope, 'Functions', { registry });
    new InferenceFunction(scope, 'Inference-churn', { platform, endpoint: service, features: [{ name: 'tenure', type: 'numeric' }], captureAtApi: true });
    const driftTopic = new EncryptedTopic(scope, 'DriftDetected', { registry, name: 'ms-dev-DriftDetected' });
    new DriftFunction(scope, 'Drift-churn', { platform, endpoint: service, driftTopic, environment: 'dev', modelVersion: '1', task: 'classification', windowHours: 24, maxObjectsPerInvocation: 50, driftShareThreshold: 0.3, qualityDegradationThreshold: 0.1 });
    const events = new ModelVersionEvents(scope, 'Events', { registry, topicName: 'ms-dev-model-versions', project });
    const repository = new ModelImageRepository(scope, 'ModelImages', { registry });
    new VertexDeployTrigger(scope, 'Deploy-churn', {
      endpoint: service,
      events,
      cloudRunDeployerRole: new CloudRunDeployerRole(scope, 'CloudRunDeployer', { namePrefix: 'ms-dev', project }),
      repository: { owner: 'example-org', name: 'modelstack' },
      namePrefix: 'ms-dev',
      project,
      region,
      imageBuild: { repository, folder: 'containers/model-server' },
      ...trigger,
    });
  });
  return { ...s, service };
}

describe('CloudRunModelService', () => {
  const s = served();
  const [run] = all(s, 'google_cloud_run_v2_service');

  test('scales to zero, up to maxInstances, with the configured CPU and memory, CMEK, its own account; never public', () => {
    expect(all(s, 'google_cloud_run_v2_service')).toHaveLength(1);
    expect(run).toMatchObject({ name: 'ms-dev-serve-churn', location: region, ingress: 'INGRESS_TRAFFIC_ALL', deletion_protection: true });
    expect(run.template.scaling).toEqual({ min_instance_count: 0, max_instance_count: 3 });
    expect(run.template.encryption_key).toMatch(/^\$\{google_kms_crypto_key\.Registry_Key_\w+\.id\}$/);
    expect(run.template.service_account).toMatch(/^\$\{google_service_account\.Serve-churn_Account_\w+\.email\}$/);
    const [container] = run.template.containers;
    expect(container.resources.limits).toEqual({ cpu: '1', memory: '2048Mi' });
    expect(container.ports).toEqual({ container_port: 8080 });
    expect(container.env).toEqual([
      { name: 'AIP_HTTP_PORT', value: '8080' },
      { name: 'AIP_HEALTH_ROUTE', value: '/health' },
      { name: 'AIP_PREDICT_ROUTE', value: '/predict' },
    ]);
    expect(container.startup_probe.http_get).toEqual({ path: '/health' });
    // The key grant of Cloud Run's service agent has settled before the first revision is encrypted with it.
    expect(run.depends_on.join(' ')).toMatch(/time_sleep\.ServiceAgents-my-ml-project_Settled-Registry_CloudRunAgentKeyAccess/);
    expect(s.json).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('created with the public placeholder image, whose image and variables the deploy build owns afterwards', () => {
    expect(run.template.containers[0].image).toBe(CLOUD_RUN_PLACEHOLDER_IMAGE);
    expect(run.lifecycle.ignore_changes).toEqual(expect.arrayContaining(['template[0].containers[0].image', 'template[0].containers[0].env']));
  });

  test('its account may read only models/churn/ in the registry', () => {
    const grants = all(s, 'google_storage_bucket_iam_member').filter((g) => /Serve-churn_Account/.test(g.member));
    expect(grants).toHaveLength(1);
    expect(grants[0].role).toBe('roles/storage.objectViewer');
    expect(grants[0].condition.expression).toContain('/objects/models/churn/');
    const projectGrants = all(s, 'google_project_iam_member').filter((g) => /Serve-churn_Account/.test(g.member));
    expect(projectGrants).toEqual([]);
  });

  test('only the model\'s inference function may invoke it; the function holds no Vertex AI permission', () => {
    const onService = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => /google_cloud_run_v2_service\.Serve-churn_Service/.test(m.name));
    const invokers = onService.filter((m) => m.role === 'roles/run.invoker');
    expect(invokers).toHaveLength(1);
    expect(invokers[0].member).toMatch(/^\$\{google_service_account\.Inference-churn_Account_\w+\.member\}$/);
    expect(all(s, 'google_project_iam_member').filter((g) => /Inference-churn_Account/.test(g.member))).toEqual([]);
    const fn = all(s, 'google_cloudfunctions2_function').find((f) => f.name.includes('-fn-predict-churn'));
    const env = fn.service_config.environment_variables;
    expect(env.CLOUD_RUN_URL).toMatch(/^\$\{google_cloud_run_v2_service\.Serve-churn_Service_\w+\.uri\}$/);
    expect(env.ENDPOINT_NAME).toBe(`projects/${project}/locations/${region}/services/ms-dev-serve-churn`);
    // Cloud Run keeps no request log: the function captures into the folder the drift check reads.
    expect(env.CAPTURE_PREFIX).toBe('data-capture/churn/ms-dev-serve-churn/AllTraffic/');
    expect(env.CAPTURE_SAMPLING_PERCENTAGE).toBe('20');
  });

  test('the deploy build rolls out with cloudrun-deploy, holding two custom roles on this service and its account only', () => {
    const [trigger] = all(s, 'google_cloudbuild_trigger');
    const deploy = trigger.build.step.find((st: any) => st.id === 'deploy');
    expect(deploy.args).toEqual([
      'bin/modelstack.cjs', 'cloudrun-deploy', '--project', project, '--region', region, '--service', 'ms-dev-serve-churn',
      '--artifact', 'gs://$_BUCKET/$_OBJECT', '--image-file', '/workspace/model-image.ref',
    ]);
    const roles = all(s, 'google_project_iam_custom_role');
    const byId = (id: string) => roles.find((r) => r.role_id.startsWith(id));
    expect(byId('ms_dev_cloud_run_deployer').permissions).toEqual(CloudRunDeployerRole.SERVICE_PERMISSIONS);
    expect(byId('ms_dev_cloud_run_act_as').permissions).toEqual(['iam.serviceAccounts.actAs']);
    const deployer = /^\$\{google_service_account\.Deploy-churn_ServiceAccount_\w+\.member\}$/;
    const onService = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => deployer.test(m.member));
    expect(onService).toEqual([expect.objectContaining({ role: expect.stringMatching(/google_project_iam_custom_role\.CloudRunDeployer_ServiceRole_/) })]);
    const onAccount = all(s, 'google_service_account_iam_member').filter((m) => deployer.test(m.member));
    expect(onAccount).toEqual([expect.objectContaining({ service_account_id: expect.stringMatching(/Serve-churn_Account_\w+\.name/), role: expect.stringMatching(/CloudRunDeployer_ActAsRole_/) })]);
    // No project-wide role for the deployer (the Vertex AI deployer role is not needed here).
    expect(all(s, 'google_project_iam_member').filter((g) => deployer.test(g.member)).map((g) => g.role)).toEqual(['roles/logging.logWriter']);
  });

  test('registerModelId (a model with batch): the build also registers each version in the Vertex AI Model Registry, with a project role of model permissions only', () => {
    const r = served({}, { registerModelId: 'ms-dev-churn', alias: 'dev' });
    const deploy = all(r, 'google_cloudbuild_trigger')[0].build.step.find((st: any) => st.id === 'deploy');
    expect(deploy.args.slice(-4)).toEqual(['--vertex-model-id', 'ms-dev-churn', '--alias', 'dev']);
    const role = all(r, 'google_project_iam_custom_role').find((x) => x.role_id.startsWith('ms_dev_cloud_run_model_registry'));
    expect(role.permissions).toEqual(['aiplatform.models.get', 'aiplatform.models.upload', 'aiplatform.models.update']);
    const deployer = /^\$\{google_service_account\.Deploy-churn_ServiceAccount_\w+\.member\}$/;
    expect(all(r, 'google_project_iam_member').filter((g) => deployer.test(g.member)).map((g) => g.role).sort()).toEqual([expect.stringMatching(/CloudRunDeployer_ModelRegistryRole_/), 'roles/logging.logWriter']);
    expect(() => served({}, { registerModelId: 'Bad Id' })).toThrow('registerModelId "Bad Id": expected a Vertex AI model id');
  });

  test('the drift check reads the inference function\'s captures (no request log on Cloud Run)', () => {
    const drift = all(s, 'google_cloudfunctions2_function').find((f) => f.name.includes('-fn-drift-churn'));
    const env = drift.service_config.environment_variables;
    expect(env.ENDPOINT_NAME).toBe('ms-dev-serve-churn');
    expect(env.REQUEST_LOG_TABLE).toBeUndefined();
    expect(drift.description).toContain('what its inference function captures');
    expect(all(s, 'google_bigquery_dataset_iam_member').filter((g) => /Drift-churn/.test(g.member))).toEqual([]);
  });

  test('CPU, memory and instances are checked against Cloud Run\'s limits, every problem listed', () => {
    expect(() => served({ cpu: 3, memoryMb: 100, maxInstances: 0, samplingPercentage: 101, model: 'Churn' })).toThrow(
      'CloudRunModelService: invalid props\n' +
        '  - model "Churn": expected lowercase letters, digits and single hyphens\n' +
        '  - cpu 3: expected 1, 2, 4, 6, 8\n' +
        '  - memoryMb 100: expected a whole number from 512 to 32768\n' +
        '  - maxInstances 0: expected 1 to 1000\n' +
        '  - samplingPercentage 101: expected a whole number from 0 to 100',
    );
    expect(() => served({ cpu: 1, memoryMb: 8192 })).toThrow('memoryMb 8192: expected at most 4096 MB with cpu 1: Cloud Run needs more CPUs for 8192 MB');
    expect(() => served({ cpu: 4, memoryMb: 1024 })).toThrow("memoryMb 1024: expected at least 2048 MB with cpu 4 (Cloud Run's minimum memory for 4 CPUs)");
    const big = served({ cpu: 2, memoryMb: 8192, maxInstances: 20, allowDestroy: true });
    const [r] = all(big, 'google_cloud_run_v2_service');
    expect([r.template.containers[0].resources.limits, r.template.scaling.max_instance_count, r.deletion_protection]).toEqual([{ cpu: '2', memory: '8192Mi' }, 20, false]);
  });
});
