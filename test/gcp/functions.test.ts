import { parse } from 'yaml';
import { DriftFunction, scheduleFor } from '../../constructs/gcp/drift-function';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { InferenceFunction } from '../../constructs/gcp/inference-function';
import { ModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { allowInvoke } from '../../constructs/gcp/private/cloud-function';
import { all, synth } from './helpers';
import type { Construct } from 'constructs';

const project = 'ms-project';
const region = 'europe-west1';

function build(scope: Construct, options: { sampling?: number; invokers?: string[]; windowHours?: number; models?: string[]; integrity?: { minRows?: number } } = {}) {
  const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
  const platform = new FunctionPlatform(scope, 'Functions', { registry, namePrefix: 'ms-dev', project, region });
  const driftTopic = new EncryptedTopic(scope, 'Drift', { name: 'ms-dev-DriftDetected', project, registry });
  for (const model of options.models ?? ['churn']) {
    const endpoint = new ModelEndpoint(scope, `Endpoint-${model}`, { registry, namePrefix: 'ms-dev', model, project, region, samplingPercentage: options.sampling ?? 20 });
    new InferenceFunction(scope, `Inference-${model}`, {
      platform,
      endpoint,
      features: [{ name: 'tenure', type: 'numeric' }],
      knownModels: ['churn', 'sales'],
      maxBodyBytes: 2048,
      maxInstancesPerRequest: 50,
      upstreamTimeoutMs: 4000,
      invokers: options.invokers ?? ['serviceAccount:app@ms-project.iam.gserviceaccount.com'],
    });
    new DriftFunction(scope, `Drift-${model}`, {
      platform,
      endpoint,
      driftTopic,
      environment: 'dev',
      modelVersion: '3',
      task: 'classification',
      windowHours: options.windowHours ?? 6,
      maxObjectsPerInvocation: 50,
      driftShareThreshold: 0.5,
      qualityDegradationThreshold: 0.05,
      integrity: options.integrity,
    });
  }
}

describe('GCP inference and drift functions', () => {
  const s = synth((scope) => build(scope, { models: ['churn', 'sales'] }));
  const functions = all(s, 'google_cloudfunctions2_function');
  const byName = (name: string) => functions.find((f) => f.name === name);

  test('one source archive per bundle in the artifacts bucket, shared by every function of the stack', () => {
    const objects = all(s, 'google_storage_bucket_object');
    expect(objects.map((o) => o.name).sort()).toEqual([expect.stringMatching(/^functions\/drift-[0-9A-F]{32}\.zip$/), expect.stringMatching(/^functions\/inference-[0-9A-F]{32}\.zip$/)]);
    for (const o of objects) expect(o.bucket).toMatch(/^\$\{google_storage_bucket\.Registry_Bucket_/);
    expect(functions).toHaveLength(4);
    expect(new Set(functions.map((f) => f.build_config.source.storage_source.object)).size).toBe(2);
  });

  test('inference function: Node.js 22, CMEK, own account with only the predictor role, named invokers, env carries the model', () => {
    const fn = byName('ms-dev-fn-predict-churn');
    expect(fn.kms_key_name).toMatch(/^\$\{google_kms_crypto_key\./);
    expect(fn.build_config).toMatchObject({ runtime: 'nodejs22', entry_point: 'predict', docker_repository: expect.stringMatching(/artifact_registry_repository/) });
    expect(fn.service_config).toMatchObject({ ingress_settings: 'ALLOW_ALL', timeout_seconds: 13, min_instance_count: 0, max_instance_count: 10 });
    expect(fn.service_config.environment_variables).toEqual({
      NODE_OPTIONS: '--enable-source-maps',
      MODEL_NAME: 'churn',
      ENDPOINT_NAME: expect.stringMatching(/^projects\/ms-project\/locations\/europe-west1\/endpoints\/\d{10}$/),
      MODEL_FEATURES: '[{"name":"tenure","type":"numeric"}]',
      KNOWN_MODELS: 'churn,sales',
      MAX_BODY_BYTES: '2048',
      MAX_INSTANCES: '50',
      UPSTREAM_TIMEOUT_MS: '4000',
      UPSTREAM_MAX_ATTEMPTS: '2',
    });
    const invokers = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => m.name.includes('Inference-churn'));
    expect(invokers).toEqual([expect.objectContaining({ role: 'roles/run.invoker', member: 'serviceAccount:app@ms-project.iam.gserviceaccount.com' })]);
    const roles = all(s, 'google_project_iam_custom_role');
    // Role ids end with the deployment stamp: a deleted role's id stays reserved for up to 37 days.
    expect(roles.find((r) => r.role_id === 'ms_dev_vertex_predictor_${time_static.DeploymentStamp.unix}').permissions).toEqual(['aiplatform.endpoints.predict']);
  });

  test('inference limits default to the AWS inference API\'s; bad limits are all reported', () => {
    const defaults = synth((scope) => {
      const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region });
      const platform = new FunctionPlatform(scope, 'Functions', { registry, namePrefix: 'ms-dev', project, region });
      const endpoint = new ModelEndpoint(scope, 'Endpoint', { registry, namePrefix: 'ms-dev', model: 'churn', project, region });
      new InferenceFunction(scope, 'Inference', { platform, endpoint, features: [{ name: 'tenure', type: 'numeric' }] });
      expect(() => new InferenceFunction(scope, 'Bad', { platform, endpoint, features: [], maxBodyBytes: 0, maxInstancesPerRequest: 1.5, upstreamTimeoutMs: 50 })).toThrow(
        /upstreamTimeoutMs 50: expected 100 to 60000[\s\S]*maxBodyBytes 0: expected a positive integer[\s\S]*maxInstancesPerRequest 1.5: expected a positive integer/,
      );
    });
    const [fn] = all(defaults, 'google_cloudfunctions2_function');
    expect(fn.service_config.timeout_seconds).toBe(25);
    expect(fn.service_config.environment_variables).toMatchObject({ KNOWN_MODELS: 'churn', MAX_BODY_BYTES: '1048576', MAX_INSTANCES: '100', UPSTREAM_TIMEOUT_MS: '10000' });
  });

  test('every function runs as its own account; project roles are only custom roles and what the build account needs', () => {
    const accounts = functions.map((f) => f.service_config.service_account_email);
    expect(new Set(accounts).size).toBe(4);
    const projectRoles = all(s, 'google_project_iam_member').map((m) => m.role);
    expect(projectRoles.sort()).toEqual(
      [
        'roles/logging.logWriter',
        'roles/storage.objectAdmin',
        ...Array(2).fill('${google_project_iam_custom_role.Functions_PredictorRole_B1E3C9D9.name}'),
        ...Array(2).fill('${google_project_iam_custom_role.Functions_DriftRole_3D4FBC33.name}'),
      ].sort(),
    );
    expect(s.json).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('drift function: bucket grants limited to the model, write-once reports, dataset read, topic publish', () => {
    const grants = all(s, 'google_storage_bucket_iam_member').filter((g) => g.member.includes('Drift-churn'));
    expect(grants.map((g) => [g.role, g.condition.title]).sort()).toEqual(
      [
        ['roles/storage.objectViewer', 'only models/churn/'],
        ['roles/storage.objectCreator', 'only reports/churn/'],
        ['roles/storage.objectViewer', 'only reports/churn/'],
        ['roles/storage.objectUser', 'only data-capture/churn/'],
        ['roles/storage.objectUser', 'only reports/churn/'],
        ['roles/storage.objectViewer', 'only ground-truth/churn/'],
      ].sort(),
    );
    expect(all(s, 'google_bigquery_dataset_iam_member').filter((m) => m.member.includes('Drift-churn'))).toEqual([expect.objectContaining({ role: 'roles/bigquery.dataViewer' })]);
    expect(all(s, 'google_pubsub_topic_iam_member').map((m) => m.role)).toEqual(['roles/pubsub.publisher', 'roles/pubsub.publisher']);
    const env = byName('ms-dev-fn-drift-churn').service_config.environment_variables;
    expect(env).toMatchObject({ MODEL_NAME: 'churn', MODEL_VERSION: '3', ENVIRONMENT_NAME: 'dev', WINDOW_HOURS: '6', MODEL_TASK: 'classification', REQUEST_LOG_TABLE: expect.stringMatching(/^ms-project\.\$\{google_bigquery_dataset\.Registry_RequestLogs_\w+\.dataset_id\}\.request_response_churn$/), WORKFLOW: 'projects/ms-project/locations/europe-west1/workflows/ms-dev-drift-churn' });
    expect(env.ENDPOINT_NAME).toMatch(/^\d{10}$/);
  });

  test('scheduler and workflow call the drift function with OIDC tokens of their own accounts; the workflow is CMEK and valid YAML', () => {
    const job = all(s, 'google_cloud_scheduler_job').find((j) => j.name === 'ms-dev-drift-churn');
    expect(job).toMatchObject({ schedule: '15 */6 * * *', time_zone: 'Etc/UTC', http_target: { http_method: 'POST', oidc_token: { audience: expect.stringMatching(/Drift-churn_Function.*\.url\}$/) } } });
    expect(JSON.parse(Buffer.from(job.http_target.body, 'base64').toString())).toEqual({ mode: 'check' });
    const workflow = all(s, 'google_workflows_workflow').find((w) => w.name === 'ms-dev-drift-churn');
    expect(workflow.crypto_key_name).toMatch(/^\$\{google_kms_crypto_key\./);
    expect(workflow.user_env_vars.DRIFT_FUNCTION_URL).toMatch(/Drift-churn_Function.*\.url\}$/);
    // Terraform turns $${ into ${; what Workflows then reads must be valid YAML with the two calls.
    const source = parse(workflow.source_contents.replace(/\$\$\{/g, '${'));
    const steps = source.main.steps;
    expect(steps[1].profileShards.parallel.for.range).toBe('${[0, plan.shardCount - 1]}');
    expect(steps[1].profileShards.parallel.for.steps[0].profile.try.args.body).toEqual({ mode: 'profile-shard', windowEnd: '${plan.windowEnd}', planKey: '${plan.planKey}', shardIndex: '${index}' });
    expect(steps[2].merge.try).toMatchObject({ call: 'http.post', args: { auth: { type: 'OIDC' }, body: { mode: 'merge' } }, result: 'merged' });
    const invokers = all(s, 'google_cloud_run_v2_service_iam_member').filter((m) => m.name.includes('Drift-churn'));
    expect(invokers.map((m) => m.member).sort()).toEqual([expect.stringMatching(/Drift-churn_Fanout/), expect.stringMatching(/Drift-churn_Scheduler/)]);
  });

  test('the Google agents that encrypt for functions, images and workflows are created, then get the key, before the resources', () => {
    const identities = all(s, 'google_project_service_identity').map((i) => i.service);
    for (const service of ['cloudfunctions.googleapis.com', 'artifactregistry.googleapis.com', 'run.googleapis.com', 'eventarc.googleapis.com', 'workflows.googleapis.com']) expect(identities).toContain(service);
    const keyMembers = all(s, 'google_kms_crypto_key_iam_member').map((m) => m.member).join(' ');
    for (const agent of ['functions', 'artifactRegistry', 'cloudRun', 'eventarc', 'workflows']) expect(keyMembers).toMatch(new RegExp(`\\$\\{google_project_service_identity\\.ServiceAgents-ms-project_Identity-${agent}_\\w+\\.member\\}`));
    const repository = all(s, 'google_artifact_registry_repository')[0];
    expect(repository).toMatchObject({ format: 'DOCKER', kms_key_name: expect.stringMatching(/kms_crypto_key/) });
    // Each waits for the grant and the time IAM takes to apply it.
    expect(repository.depends_on).toEqual([expect.stringMatching(/^time_sleep\..*Settled-Registry_ArtifactRegistryAgentKeyAccess_/)]);
    for (const agent of ['Functions', 'CloudRun', 'Eventarc', 'ArtifactRegistry']) {
      expect(functions[0].depends_on).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^time_sleep\\..*Settled-Registry_${agent}AgentKeyAccess_`))]));
    }
    expect(all(s, 'google_workflows_workflow')[0].depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^time_sleep\..*Settled-Registry_WorkflowsAgentKeyAccess_/)]));
  });

  test('the build account holds what Google lists for function builds: logs, our image repository, the gcf-v2-sources buckets', () => {
    const build = all(s, 'google_artifact_registry_repository_iam_member')[0].member;
    expect(build).toMatch(/^\$\{google_service_account\.Functions_Build_\w+\.member\}$/);
    const projectGrants = all(s, 'google_project_iam_member').filter((m) => m.member === build);
    expect(projectGrants.map(({ role, condition }) => ({ role, condition })).sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { role: 'roles/logging.logWriter', condition: undefined },
      { role: 'roles/storage.objectAdmin', condition: { title: 'only gcf-v2-sources buckets', expression: 'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-")' } },
    ]);
    expect(all(s, 'google_artifact_registry_repository_iam_member')).toEqual([expect.objectContaining({ role: 'roles/artifactregistry.writer' })]);
    expect(all(s, 'google_storage_bucket_iam_member').filter((m) => m.member === build)).toEqual([]);
    // Cloud Run functions copies the source from our bucket as its agent: read access to functions/ only.
    const agentReads = all(s, 'google_storage_bucket_iam_member').filter((m) => /Identity-functions_/.test(m.member));
    expect(agentReads).toEqual([expect.objectContaining({ role: 'roles/storage.objectViewer', condition: expect.objectContaining({ title: 'only functions/' }) })]);
    for (const fn of functions) expect(fn.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^google_project_iam_member\.Functions_BuildReadsSources_/)]));
  });

  test('integrity thresholds reach the drift function as JSON; left out, the defaults apply', () => {
    expect(byName('ms-dev-fn-drift-churn').service_config.environment_variables.INTEGRITY_THRESHOLDS).toBeUndefined();
    const tuned = all(synth((scope) => build(scope, { integrity: { minRows: 500 } })), 'google_cloudfunctions2_function').find((f) => f.name === 'ms-dev-fn-drift-churn');
    expect(tuned.service_config.environment_variables.INTEGRITY_THRESHOLDS).toBe('{"minRows":500}');
  });

  test('refuses public invokers, unlogged endpoints and windows a cron cannot express', () => {
    expect(() => synth((scope) => build(scope, { invokers: ['allUsers'] }))).toThrow(/invoker "allUsers": expected serviceAccount:, group:, user: or domain: \(never public\)/);
    expect(() => synth((scope) => build(scope, { sampling: 0 }))).toThrow(/endpoint of churn: expected samplingPercentage > 0/);
    expect(() => synth((scope) => build(scope, { windowHours: 5 }))).toThrow(/windowHours 5: expected a divisor of 24/);
    expect(() => synth((scope) => build(scope, { integrity: { minRows: 0 } }))).toThrow(/integrity thresholds: minRows 0: expected a positive integer/);
    expect(() => synth((scope) => allowInvoke(scope, 'x', { project: 'p', location: 'r', name: 'n' } as never, 'allAuthenticatedUsers'))).toThrow(/public invokers are not allowed/);
    expect([1, 6, 24, 48, 168, 36, 0].map(scheduleFor)).toEqual(['15 * * * *', '15 */6 * * *', '15 0 * * *', '15 0 */2 * *', '15 0 * * 1', undefined, undefined]);
  });
});
