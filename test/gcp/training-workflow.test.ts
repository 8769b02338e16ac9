import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aspects, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { ModelImageRepository } from '../../constructs/gcp/model-image-repository';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { RequiredApis } from '../../constructs/gcp/required-apis';
import { TrainingBaselineFunction } from '../../constructs/gcp/training-baseline-function';
import { TrainingImage } from '../../constructs/gcp/training-image';
import { studySpec } from '../../constructs/gcp/private/training-workflow-source';
import { workflowDefinitionProblems } from '../../constructs/gcp/private/workflow-definition';
import { trainingWorkflowName } from '../../constructs/gcp/training-contract';
import { TrainingTensorboard, TrainingWorkflow, type TrainingWorkflowProps } from '../../constructs/gcp/training-workflow';
import { all, synth } from './helpers';
import { TUNED } from './training-spec';

const project = 'ms-project';
const region = 'europe-west1';
const { project: _p, region: _r, workflowName: _w, modelId: _m, alias: _a, environment: _e, imageBuild: _i, ...pipeline } = TUNED;

function build(scope: Construct, overrides: Partial<TrainingWorkflowProps> = {}) {
  const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
  const tensorboard = new TrainingTensorboard(scope, 'Tensorboard', { registry });
  const baseline = new TrainingBaselineFunction(scope, 'TrainingBaseline', { platform: new FunctionPlatform(scope, 'Functions', { registry }) });
  const driftTopic = new EncryptedTopic(scope, 'Drift', { name: 'ms-dev-DriftDetected', project, registry });
  const trainingImage = new TrainingImage(scope, 'TrainingImage', { registry, repository: new ModelImageRepository(scope, 'Images', { registry }) });
  new TrainingWorkflow(scope, 'Training-churn', { registry, tensorboard, baseline, environment: 'dev', pipeline, trainingImage, schedule: '0 3 * * 1', driftTopic, notificationChannels: ['projects/ms-project/notificationChannels/1'], ...overrides });
}

/** The workflow's definition as Workflows reads it: Terraform's `$${` escape undone. */
const definition = (workflow: any) => JSON.parse(workflow.source_contents.replace(/\$\$\{/g, '${'));
const flat = (steps: any[]): [string, any][] =>
  steps.flatMap((s) => Object.entries(s).flatMap(([name, body]: [string, any]) => [[name, body] as [string, any], ...flat(body.steps ?? []), ...flat(body.try?.steps ?? []), ...flat(body.except?.steps ?? []), ...flat(body.for?.steps ?? []), ...(body.switch ?? []).flatMap((b: any) => flat(b.steps ?? []))]));
const stepOf = (def: any, name: string) => flat(def.main.steps).find(([n]) => n === name)?.[1];

describe('TrainingWorkflow (Cloud Workflows driving Vertex AI training)', () => {
  const s = synth((scope) => build(scope));
  const [workflow] = all(s, 'google_workflows_workflow');
  const def = definition(workflow);

  test('the workflow contract the CLI relies on: its name, region, CMEK, its own account', () => {
    expect(trainingWorkflowName('ms-dev', 'churn')).toBe('ms-dev-churn-training');
    const long = trainingWorkflowName('a-very-long-platform-name-prod', 'customer-lifetime-value-forecast');
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^a-very-long-platform-name-prod-customer-lifetime-value-[0-9a-f]{8}$/);
    expect(workflow).toMatchObject({ name: 'ms-dev-churn-training', region, project, crypto_key_name: expect.stringMatching(/google_kms_crypto_key\.Registry_Key_\w+\.id/) });
    expect(workflow.service_account).toMatch(/google_service_account\.Training-churn_TrainRun_\w+\.id/);
    expect(Object.keys(workflow.user_env_vars).sort()).toEqual(['TRAINING_BASELINE_URL', 'TRAINING_BUCKET', 'TRAINING_BUILD_ACCOUNT', 'TRAINING_JOB_ACCOUNT', 'TRAINING_KMS_KEY', 'TRAINING_TENSORBOARD']);
    expect(workflowDefinitionProblems(def)).toEqual([]);
    // The CLI imports the name and the result type from a module that loads no cdktf.
    expect(readFileSync(join(__dirname, '../../constructs/gcp/training-contract.ts'), 'utf8')).not.toMatch(/from ['"](cdktf|@cdktf|constructs)/);
  });

  test('every way the workflow ends answers the result contract: a status, a reason, and a version and metrics once trained', () => {
    const returns = flat(def.main.steps).filter(([, body]) => body.return !== undefined).map(([name, body]) => [name, body.return]);
    expect(returns.length).toBeGreaterThanOrEqual(5);
    for (const [name, result] of returns) {
      expect({ name, status: ['registered', 'rejected', 'skipped'].includes(result.status), reason: typeof result.reason }).toEqual({ name, status: true, reason: 'string' });
      expect(Object.keys(result).every((k) => ['status', 'version', 'reason', 'metrics'].includes(k))).toBe(true);
      if (result.status !== 'skipped') expect(result).toMatchObject({ version: '${version}', metrics: '${evaluation.candidate}' });
    }
  });

  test('the steps mirror the SageMaker pipeline: one active execution, current version, prepare, tune, evaluate, gate, baseline, publish, upload', () => {
    const names = def.main.steps[0].run.try.steps.map((st: any) => Object.keys(st)[0]);
    expect(names).toEqual([
      'init', 'fromDrift', 'checkArguments', 'listActive', 'alone', 'findCurrent', 'images', 'fromCurrent', 'findImage', 'buildImage',
      'metadataStore', 'experiment', 'experimentTensorboard', 'runParameters', 'experimentRun', 'runInExperiment',
      'prepareJob', 'prepareSucceeded', 'tuneJob', 'tuneSucceeded', 'bestInit', 'bestTrial', 'anyTrial', 'tunedModel',
      'trialRunsInit', 'trialRuns', 'trialsInExperiment', 'bestParameters',
      'evaluateJob', 'evaluateSucceeded', 'readEvaluation', 'parseEvaluation', 'gate',
      'baselineCall', 'publishJob', 'publishSucceeded', 'upload', 'registeredRun', 'registered',
    ]);
    expect(stepOf(def, 'listActive')).toEqual({
      call: 'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list',
      args: { parent: 'projects/ms-project/locations/europe-west1/workflows/ms-dev-churn-training', filter: 'state="ACTIVE"', orderBy: 'createTime', pageSize: 1 },
      result: 'active',
    });
    expect(stepOf(def, 'anotherRunning').return.status).toBe('skipped');
    // The current approved version holds the environment alias (the deploy build moves it after approval).
    expect(stepOf(def, 'getCurrent').args.name).toBe('projects/ms-project/locations/europe-west1/models/ms-dev-churn@dev');
  });

  test('the jobs: CMEK, the job account, the training image, output under pipelines/<model>/<execution>/, TensorBoard on training', () => {
    const prepare = stepOf(def, 'prepareJob');
    expect(prepare.call).toBe('googleapis.aiplatform.v1.projects.locations.customJobs.create');
    expect(prepare.args.connector_params).toEqual({ timeout: 4200 });
    const body = prepare.args.body;
    expect(body.encryptionSpec).toEqual({ kmsKeyName: '${sys.get_env("TRAINING_KMS_KEY")}' });
    expect(body.jobSpec.serviceAccount).toBe('${sys.get_env("TRAINING_JOB_ACCOUNT")}');
    expect(body.jobSpec.baseOutputDirectory).toEqual({ outputUriPrefix: '${"gs://" + bucket + "/" + work + "prepare/"}' });
    expect(body.jobSpec.tensorboard).toBeUndefined();
    const [pool] = body.jobSpec.workerPoolSpecs;
    expect(pool.machineSpec).toEqual({ machineType: 'n1-standard-4' });
    expect(pool.containerSpec.imageUri).toBe('${trainingImage}');
    expect(pool.containerSpec.command).toEqual(['python3', '-m', 'training.prepare']);
    expect(pool.containerSpec.args).toEqual(expect.arrayContaining(['--input', '${"/gcs/" + bucket + "/" + "training-data/churn/"}', '--holdout-share', '0.25', '--seed', '7']));

    const tune = stepOf(def, 'tuneJob');
    expect(tune.call).toBe('googleapis.aiplatform.v1.projects.locations.hyperparameterTuningJobs.create');
    expect(tune.args.body).toMatchObject({ maxTrialCount: 8, parallelTrialCount: 2, encryptionSpec: { kmsKeyName: '${sys.get_env("TRAINING_KMS_KEY")}' } });
    expect(tune.args.body.trialJobSpec.tensorboard).toBe('${sys.get_env("TRAINING_TENSORBOARD")}');
    expect(tune.args.body.trialJobSpec.workerPoolSpecs[0].containerSpec.command).toEqual(['python3', '-m', 'training.vertex']);
    // A trial's model: <baseOutputDirectory>/<trial id>/model/.
    expect(stepOf(def, 'tunedModel').assign).toEqual([{ candidateDir: '${work + "tune/" + best.id + "/model/"}' }]);
  });

  test('tuning: the config\'s ranges, metric and early stopping as a Vertex AI StudySpec', () => {
    expect(studySpec(TUNED as any)).toEqual({
      metrics: [{ metricId: 'rocAuc', goal: 'MAXIMIZE' }],
      parameters: [
        { parameterId: 'max_depth', integerValueSpec: { minValue: '2', maxValue: '6' } },
        { parameterId: 'learning_rate', doubleValueSpec: { minValue: 0.02, maxValue: 0.3 }, scaleType: 'UNIT_LOG_SCALE' },
        { parameterId: 'booster', categoricalValueSpec: { values: ['gbtree', 'dart'] } },
      ],
      algorithm: 'ALGORITHM_UNSPECIFIED',
      measurementSelectionType: 'LAST_MEASUREMENT',
      decayCurveStoppingSpec: { useElapsedDuration: false },
    });
    const random = studySpec({ ...TUNED, metric: 'rmse', tuning: { ...TUNED.tuning!, strategy: 'random', earlyStopping: false } } as any);
    expect(random).toMatchObject({ metrics: [{ metricId: 'rmse', goal: 'MINIMIZE' }], algorithm: 'RANDOM_SEARCH' });
    expect(random.decayCurveStoppingSpec).toBeUndefined();
  });

  test('the gate: at least as good as the current version and reaching the floor, else rejected with the evaluation\'s reason', () => {
    const gate = stepOf(def, 'gate').switch[0];
    expect(gate.condition).toBe('${not (evaluation.comparison.improvement >= 0 and evaluation.candidate.rocAuc >= 0.75)}');
    expect(stepOf(def, 'rejected').return).toEqual({ status: 'rejected', version: '${version}', reason: '${evaluation.decision.reason}', metrics: '${evaluation.candidate}' });
    expect(stepOf(def, 'registered').return).toEqual({ status: 'registered', version: '${version}', reason: '${evaluation.decision.reason}', metrics: '${evaluation.candidate}' });
  });

  test('the upload: a version of <prefix>-<model> with alias v<version> (never the environment alias), CMEK, labels naming the experiment run', () => {
    const first = stepOf(def, 'uploadFirstCall');
    const next = stepOf(def, 'uploadNextCall');
    expect(first.call).toBe('googleapis.aiplatform.v1.projects.locations.models.upload');
    expect(first.args.body.modelId).toBe('ms-dev-churn');
    expect(next.args.body.parentModel).toBe('projects/ms-project/locations/europe-west1/models/ms-dev-churn');
    const model = next.args.body.model;
    expect(model.versionAliases).toEqual(['${"v" + version}']);
    expect(JSON.stringify(model)).not.toContain('"dev"');
    expect(model.artifactUri).toBe('${"gs://" + bucket + "/models/churn/" + version + "/"}');
    expect(model.labels).toEqual({ modelstack_model: 'churn', modelstack_experiment: 'ms-dev-churn', modelstack_experiment_run: '${version}', modelstack_reason: '${reason}' });
    expect(model.encryptionSpec).toEqual({ kmsKeyName: '${sys.get_env("TRAINING_KMS_KEY")}' });
    // The publish job writes the version folder the deploy trigger watches, with the experiment run in metrics.json.
    const publish = stepOf(def, 'publishJob').args.body.jobSpec.workerPoolSpecs[0].containerSpec;
    expect(publish.args).toEqual(expect.arrayContaining(['publish', '--out', '${"/gcs/" + bucket + "/" + "models/churn/" + version}']));
    expect(publish.env).toEqual([{ name: 'MODELSTACK_EXPERIMENT_RUN', value: '${runId}' }]);
  });

  test('the experiment run: a CMEK default metadata store, an ExperimentRun context under the model\'s Experiment, patched with the outcome', () => {
    expect(stepOf(def, 'metadataStoreCall').args).toMatchObject({ metadataStoreId: 'default', body: { encryptionSpec: { kmsKeyName: '${sys.get_env("TRAINING_KMS_KEY")}' } } });
    expect(stepOf(def, 'experimentCall').args).toMatchObject({ contextId: 'ms-dev-churn', body: { schemaTitle: 'system.Experiment' } });
    const run = stepOf(def, 'experimentRun');
    expect(run.call).toBe('googleapis.aiplatform.v1.projects.locations.metadataStores.contexts.create');
    expect(run.args).toMatchObject({ parent: 'projects/ms-project/locations/europe-west1/metadataStores/default', contextId: '${runId}', body: { schemaTitle: 'system.ExperimentRun' } });
    expect(stepOf(def, 'init').assign).toContainEqual({ runId: '${"ms-dev-churn-" + version}' });
    // The SDK's metadata keys (test/gcp/training-experiments.test.ts runs these steps and compares with the SDK's contexts).
    expect(stepOf(def, 'registeredRun').args).toMatchObject({ updateMask: 'metadata', body: { metadata: { _state: 'COMPLETE', status: 'registered', _params: '${runParams}', _metrics: '${evaluation.candidate}' } } });
    expect(stepOf(def, 'rejectedRun').args.body.metadata.status).toBe('rejected');
  });

  test('triggers: Cloud Scheduler on the cron with a schedule argument, Eventarc on the drift topic; one starter account', () => {
    const [schedule] = all(s, 'google_cloud_scheduler_job');
    expect(schedule).toMatchObject({ schedule: '0 3 * * 1', time_zone: 'Etc/UTC', region });
    expect(schedule.http_target.uri).toBe('https://workflowexecutions.googleapis.com/v1/projects/ms-project/locations/europe-west1/workflows/ms-dev-churn-training/executions');
    expect(JSON.parse(JSON.parse(Buffer.from(schedule.http_target.body, 'base64').toString()).argument)).toEqual({ reason: 'schedule', model: 'churn' });
    expect(schedule.http_target.oauth_token.service_account_email).toMatch(/TrainStart/);
    const [trigger] = all(s, 'google_eventarc_trigger');
    expect(trigger).toMatchObject({
      name: 'ms-dev-churn-retrain',
      location: region,
      matching_criteria: [{ attribute: 'type', value: 'google.cloud.pubsub.topic.v1.messagePublished' }],
      transport: { pubsub: { topic: expect.stringMatching(/google_pubsub_topic\.Drift_Topic_\w+\.id/) } },
      destination: { workflow: expect.stringMatching(/google_workflows_workflow\.Training-churn_Workflow_\w+\.id/) },
    });
    expect(trigger.service_account).toMatch(/TrainStart/);
    // A drift message of another model or environment ends the run at once.
    expect(stepOf(def, 'driftAttributes').assign).toContainEqual({ reason: 'drift' });
    expect(stepOf(def, 'otherModel').return.status).toBe('skipped');
  });

  test('IAM: custom roles without wildcards, storage on the model\'s prefixes only, actAs on the job account only, no public member', () => {
    const roles = all(s, 'google_project_iam_custom_role');
    for (const role of roles) for (const p of role.permissions) expect(p).not.toContain('*');
    expect(roles.map((r) => r.role_id.replace(/_\$\{.*$/, ''))).toEqual(expect.arrayContaining([expect.stringMatching(/training_runner/), expect.stringMatching(/training_starter/)]));
    expect(roles.find((r) => /training_starter/.test(r.role_id)).permissions).toEqual(['workflows.executions.create', 'eventarc.events.receiveEvent']);
    const grants = all(s, 'google_storage_bucket_iam_member').filter((g) => /Training-churn_Train/.test(g.member));
    expect(grants.map((g) => [g.role, g.condition?.title]).sort()).toEqual(
      [
        ['roles/storage.objectViewer', 'only pipelines/churn/'],
        ['roles/storage.objectViewer', 'only training-data/churn/'],
        ['roles/storage.objectViewer', 'only models/churn/'],
        ['roles/storage.objectCreator', 'only models/churn/'],
        ['roles/storage.objectUser', 'only pipelines/churn/'],
      ].sort(),
    );
    const actAs = all(s, 'google_service_account_iam_member').map((g) => g.service_account_id);
    // The job account (to create jobs) and the image's build account (to start its build), nothing else.
    expect(actAs).toHaveLength(2);
    expect(actAs).toEqual(expect.arrayContaining([expect.stringMatching(/Training-churn_Train_\w+\.name/), expect.stringMatching(/TrainingImage_Build_\w+\.name/)]));
    expect(s.json).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('IAM: every permission of the training roles is one Google publishes (an unknown one fails terraform apply)', () => {
    // The permissions of the predefined roles these custom roles pick from, as Google lists them: roles/aiplatform.user
    // and roles/aiplatform.admin (https://cloud.google.com/iam/docs/roles-permissions/aiplatform), roles/workflows.invoker
    // (https://cloud.google.com/iam/docs/roles-permissions/workflows), roles/eventarc.eventReceiver
    // (https://cloud.google.com/iam/docs/roles-permissions/eventarc), roles/iam.serviceAccountUser.
    const published = new Set([
      ...['customJobs', 'hyperparameterTuningJobs'].flatMap((r) => ['create', 'get', 'cancel', 'list', 'delete'].map((v) => `aiplatform.${r}.${v}`)),
      'aiplatform.models.upload', 'aiplatform.models.get', 'aiplatform.models.list', 'aiplatform.models.update',
      'aiplatform.operations.list',
      'aiplatform.metadataStores.create', 'aiplatform.metadataStores.get', 'aiplatform.metadataStores.list',
      'aiplatform.contexts.create', 'aiplatform.contexts.get', 'aiplatform.contexts.update', 'aiplatform.contexts.list', 'aiplatform.contexts.addContextChildren',
      'aiplatform.tensorboards.get',
      ...['tensorboardExperiments', 'tensorboardRuns'].flatMap((r) => ['create', 'get', 'write', 'list'].map((v) => `aiplatform.${r}.${v}`)),
      ...['create', 'get', 'list', 'batchCreate'].map((v) => `aiplatform.tensorboardTimeSeries.${v}`), 'aiplatform.tensorboardRuns.batchCreate',
      'workflows.executions.create', 'workflows.executions.get', 'workflows.executions.list',
      'eventarc.events.receiveEvent', 'eventarc.events.receiveAuditLogWritten',
      'iam.serviceAccounts.actAs',
      // roles/cloudbuild.builds.editor and .viewer (https://cloud.google.com/iam/docs/roles-permissions/cloudbuild),
      // roles/artifactregistry.reader (https://cloud.google.com/iam/docs/roles-permissions/artifactregistry).
      'cloudbuild.builds.create', 'cloudbuild.builds.get', 'cloudbuild.operations.get',
      'artifactregistry.tags.get',
    ]);
    // The training roles (the function platform's own are tested with it).
    const roles = all(s, 'google_project_iam_custom_role').filter((r) => /_training_/.test(r.role_id));
    expect(roles.length).toBeGreaterThanOrEqual(4);
    // What the TensorBoard uploader calls as the job account (google-cloud-aiplatform, tensorboard/uploader_utils.py).
    const jobRole = roles.find((r) => /_training_job_\$\{/.test(r.role_id));
    expect(jobRole.permissions).toEqual(expect.arrayContaining(['aiplatform.tensorboardRuns.batchCreate', 'aiplatform.tensorboardRuns.list', 'aiplatform.tensorboardTimeSeries.batchCreate', 'aiplatform.tensorboardTimeSeries.list']));
    const unknown = roles.flatMap((r) => r.permissions.filter((p: string) => !published.has(p)).map((p: string) => `${r.role_id}: ${p}`));
    expect(unknown).toEqual([]);
  });

  test('the baseline step calls the environment\'s baseline function with an OIDC token; the workflow account may invoke it, nothing more', () => {
    expect(stepOf(def, 'baselineCall')).toEqual({
      call: 'http.post',
      args: {
        url: '${sys.get_env("TRAINING_BASELINE_URL")}',
        auth: { type: 'OIDC' },
        timeout: 1800,
        body: { features: '${"gs://" + bucket + "/" + work + "prepared/features/train-features.csv"}', categorical: 'contract', output: '${"gs://" + bucket + "/" + work + "baseline/baseline.json"}' },
      },
      result: 'baselineResult',
    });
    // The image needs no `modelstack` any more: no job runs it.
    expect(workflow.source_contents).not.toMatch(/"modelstack"/);
    expect(workflow.user_env_vars.TRAINING_BASELINE_URL).toMatch(/google_cloudfunctions2_function\.TrainingBaseline_Function_\w+\.service_config\[0\]\.uri/);
    const [fn] = all(s, 'google_cloudfunctions2_function');
    expect(fn).toMatchObject({ name: 'ms-dev-fn-training-baseline', kms_key_name: expect.stringMatching(/google_kms_crypto_key/), build_config: { entry_point: 'baseline', runtime: 'nodejs22' } });
    expect(fn.service_config).toMatchObject({ ingress_settings: 'ALLOW_INTERNAL_ONLY', timeout_seconds: 1800, service_account_email: expect.stringMatching(/TrainingBaseline_Account_\w+\.email/) });
    expect(fn.service_config.environment_variables.REGISTRY_BUCKET).toMatch(/google_storage_bucket\.Registry_Bucket_\w+\.name/);
    const invokers = all(s, 'google_cloud_run_v2_service_iam_member');
    expect(invokers).toEqual([expect.objectContaining({ role: 'roles/run.invoker', member: expect.stringMatching(/Training-churn_TrainRun_\w+\.member/) })]);
    // The function's account reads and writes the work folders only.
    const grants = all(s, 'google_storage_bucket_iam_member').filter((g) => /TrainingBaseline_Account/.test(g.member));
    expect(grants.map((g) => [g.role, g.condition.title])).toEqual([['roles/storage.objectUser', 'only pipelines/']]);
  });

  test('TensorBoard and failures: a CMEK TensorBoard, a log-based failure metric and its alert', () => {
    const [tensorboard] = all(s, 'google_vertex_ai_tensorboard');
    expect(tensorboard.encryption_spec.kms_key_name).toMatch(/google_kms_crypto_key\.Registry_Key_\w+\.id/);
    expect(tensorboard.depends_on.join()).toMatch(/VertexAgent/);
    const [metric] = all(s, 'google_logging_metric');
    expect(metric.filter).toBe('resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="ms-dev-churn-training" AND jsonPayload.event="training_failed"');
    const [alert] = all(s, 'google_monitoring_alert_policy');
    expect(alert.notification_channels).toEqual(['projects/ms-project/notificationChannels/1']);
  });

  test('a fresh project: the APIs the run calls are enabled before the workflow and the schedule, with or without a drift trigger', () => {
    // The workflow lists its executions (googleapis.workflowexecutions connector) and Cloud Scheduler posts to
    // workflowexecutions.googleapis.com: the Workflow Executions API is a service of its own
    // (https://cloud.google.com/workflows/docs/reference/executions/rest), which only the Eventarc trigger enabled.
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    Aspects.of(stack).add(new RequiredApis(stack, project));
    build(stack, { driftTopic: undefined });
    const json = JSON.parse(Testing.synth(stack));
    const [trained] = Object.values<any>(json.resource.google_workflows_workflow);
    expect(trained.depends_on).toEqual(expect.arrayContaining(['google_project_service.Api-workflowexecutions', 'google_project_service.Api-aiplatform', 'google_project_service.Api-storage']));
    const [schedule] = Object.values<any>(json.resource.google_cloud_scheduler_job);
    expect(schedule.depends_on).toEqual(expect.arrayContaining(['google_project_service.Api-workflowexecutions']));
    expect(json.resource.google_project_service['Api-workflowexecutions']).toMatchObject({ service: 'workflowexecutions.googleapis.com', disable_on_destroy: false });
  });

  test('without schedule or drift topic there are no triggers; invalid props list every problem', () => {
    const quiet = synth((scope) => build(scope, { schedule: undefined, driftTopic: undefined }));
    expect(all(quiet, 'google_cloud_scheduler_job')).toHaveLength(0);
    expect(all(quiet, 'google_eventarc_trigger')).toHaveLength(0);
    expect(() => synth((scope) => build(scope, { pipeline: { ...pipeline, model: 'Churn', features: [], dataPrefix: 'data' }, schedule: '0 3 * *' }))).toThrow(
      'TrainingWorkflow: invalid props\n' +
        '  - pipeline.model "Churn": expected lowercase letters, digits and single hyphens\n' +
        '  - pipeline.features: expected at least one feature\n' +
        '  - pipeline.dataPrefix "data": expected an object prefix ending with /\n' +
        '  - schedule "0 3 * *": expected five cron fields (UTC)',
    );
    // The Vertex AI model <namePrefix>-<model> is first uploaded at the end of a run: a too long id fails at synth instead.
    const long = 'customer-lifetime-value-forecast-by-region-and-sales-channel';
    expect(() => synth((scope) => build(scope, { pipeline: { ...pipeline, model: long } }))).toThrow(
      `  - Vertex AI model id "ms-dev-${long}" (${`ms-dev-${long}`.length} characters): expected at most 63 (UploadModelRequest.modelId)`,
    );
  });
});
