import { Aspects, Testing, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { RequiredApis } from '../../constructs/gcp/required-apis';
import { BatchPrediction, type BatchPredictionProps, cloudSchedulerCron } from '../../constructs/gcp/batch-prediction';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { all, synth } from './helpers';

const project = 'ms-project';
const region = 'europe-west1';

function build(scope: Construct, models: string[], overrides: Partial<BatchPredictionProps> = {}) {
  const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
  for (const model of models) {
    new BatchPrediction(scope, `Batch-${model}`, {
      registry,
      model,
      modelId: `ms-dev-${model}`,
      alias: 'dev',
      features: ['tenure', 'charges', 'contract'],
      schedule: 'cron(0 2 * * ? *)',
      contentType: 'application/jsonlines',
      maxRuntimeHours: 2,
      machineType: 'n1-standard-4',
      startingReplicaCount: 1,
      maxReplicaCount: 3,
      notificationChannels: ['projects/ms-project/notificationChannels/1'],
      ...overrides,
    });
  }
}

/** The workflow's definition as Workflows reads it: Terraform's `$${` escape undone. */
const definition = (workflow: any) => JSON.parse(workflow.source_contents.replace(/\$\$\{/g, '${'));
const step = (steps: any[], name: string) => steps.find((s) => name in s)?.[name];

describe('BatchPrediction (Vertex AI batch prediction on a schedule)', () => {
  const s = synth((scope) => build(scope, ['churn', 'sales']));
  const workflows = all(s, 'google_workflows_workflow');
  const churn = workflows.find((w) => w.name === 'ms-dev-batch-churn');
  const steps = definition(churn).main.steps[0].run.try.steps;

  test('the workflow looks for input first and returns without a job when there is none', () => {
    const names = steps.map((st: any) => Object.keys(st)[0]);
    expect(names.slice(0, 5)).toEqual(['init', 'listInput', 'countInput', 'anyInput', 'createJob']);
    expect(step(steps, 'listInput')).toEqual({
      call: 'googleapis.storage.v1.objects.list',
      args: { bucket: '${sys.get_env("BATCH_INPUT_BUCKET")}', prefix: 'batch/churn/input/', maxResults: 10 },
      result: 'listing',
    });
    expect(step(steps, 'anyInput').switch[0]).toEqual({ condition: '${inputs == 0}', steps: [{ noInput: { return: 'no input: nothing to score' } }] });
  });

  test('the job: the alias-named model version, CMEK, its own account, machine type and replicas, rows in feature order', () => {
    const create = step(steps, 'createJob');
    expect(create.call).toBe('googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create');
    expect(create.args.parent).toBe('projects/ms-project/locations/europe-west1');
    expect(create.args.body).toEqual({
      displayName: 'ms-dev-churn-batch',
      model: 'projects/ms-project/locations/europe-west1/models/ms-dev-churn@dev',
      inputConfig: { instancesFormat: 'jsonl', gcsSource: { uris: ['${"gs://" + sys.get_env("BATCH_INPUT_BUCKET") + "/batch/churn/input/*"}'] } },
      instanceConfig: { instanceType: 'array', includedFields: ['tenure', 'charges', 'contract'] },
      outputConfig: { predictionsFormat: 'jsonl', gcsDestination: { outputUriPrefix: '${sys.get_env("BATCH_OUTPUT_URI")}' } },
      dedicatedResources: { machineSpec: { machineType: 'n1-standard-4' }, startingReplicaCount: 1, maxReplicaCount: 3 },
      serviceAccount: '${sys.get_env("BATCH_JOB_ACCOUNT")}',
      encryptionSpec: { kmsKeyName: '${sys.get_env("BATCH_KMS_KEY")}' },
      labels: { modelstack_model: 'churn' },
    });
    expect(churn.user_env_vars).toEqual({
      BATCH_INPUT_BUCKET: expect.stringMatching(/^\$\{google_storage_bucket\.Registry_Bucket_\w+\.name\}$/),
      BATCH_OUTPUT_URI: expect.stringMatching(/^gs:\/\/\$\{google_storage_bucket\.Registry_Reports_\w+\.name\}\/batch\/churn\/output\/$/),
      BATCH_JOB_ACCOUNT: expect.stringMatching(/^\$\{google_service_account\.Batch-churn_Batch_\w+\.email\}$/),
      BATCH_KMS_KEY: expect.stringMatching(/^\$\{google_kms_crypto_key\.Registry_Key\w*\.id\}$/),
    });
    // The workflow itself is CMEK too, and runs as its own account.
    expect(churn.crypto_key_name).toBe(churn.user_env_vars.BATCH_KMS_KEY);
    expect(churn.service_account).toMatch(/^\$\{google_service_account\.Batch-churn_BatchRun_\w+\.id\}$/);
  });

  test('a job that fails, or runs past maxRuntimeHours (then cancelled), fails the run; every failure is logged once for the alert', () => {
    const outcome = step(steps, 'outcome');
    expect(outcome.next).toBe('wait');
    expect(outcome.switch.map((c: any) => c.condition)).toEqual([
      '${job.state == "JOB_STATE_SUCCEEDED"}',
      '${job.state in ["JOB_STATE_FAILED","JOB_STATE_CANCELLED","JOB_STATE_EXPIRED"]}',
      '${sys.now() > deadline}',
    ]);
    expect(outcome.switch[2].steps[0].cancelJob.call).toBe('googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel');
    expect(step(steps, 'init').assign).toContainEqual({ deadline: '${sys.now() + 7200}' });
    const except = definition(churn).main.steps[0].run.except;
    expect(except.steps[0].logFailure).toEqual({ call: 'sys.log', args: { severity: 'ERROR', json: { event: 'batch_prediction_failed', model: 'churn', error: '${e}' } } });
    const metric = all(s, 'google_logging_metric').find((m) => m.name === 'ms-dev-batch-failures-churn');
    expect(metric.filter).toBe('resource.type="workflows.googleapis.com/Workflow" AND resource.labels.workflow_id="ms-dev-batch-churn" AND jsonPayload.event="batch_prediction_failed"');
    const alert = all(s, 'google_monitoring_alert_policy').find((a) => a.display_name === 'ms-dev batch prediction of churn failed');
    expect(alert.conditions[0].condition_threshold).toMatchObject({ filter: 'metric.type="logging.googleapis.com/user/ms-dev-batch-failures-churn"', comparison: 'COMPARISON_GT', threshold_value: 0 });
    expect(alert.notification_channels).toEqual(['projects/ms-project/notificationChannels/1']);
  });

  test('Cloud Scheduler starts the workflow with an OAuth token of its own account, on the converted schedule', () => {
    const job = all(s, 'google_cloud_scheduler_job').find((j) => j.name === 'ms-dev-batch-churn');
    expect(job.schedule).toBe('0 2 * * *');
    expect(job.time_zone).toBe('Etc/UTC');
    expect(job.http_target.uri).toBe('https://workflowexecutions.googleapis.com/v1/projects/ms-project/locations/europe-west1/workflows/ms-dev-batch-churn/executions');
    expect(job.http_target.oauth_token.service_account_email).toMatch(/^\$\{google_service_account\.Batch-churn_BatchSched_\w+\.email\}$/);
  });

  test('a fresh project: the Workflow Executions API before the schedule, Vertex AI and the input\'s service before the workflow', () => {
    const apisOf = (overrides: Partial<BatchPredictionProps>) => {
      const app = Testing.app();
      const stack = new TerraformStack(app, 'test');
      Aspects.of(stack).add(new RequiredApis(stack, project));
      build(stack, ['churn'], overrides);
      const json = JSON.parse(Testing.synth(stack));
      const [workflow] = Object.values<any>(json.resource.google_workflows_workflow);
      const [schedule] = Object.values<any>(json.resource.google_cloud_scheduler_job);
      return { workflow: workflow.depends_on as string[], schedule: schedule.depends_on as string[] };
    };
    const gcs = apisOf({});
    expect(gcs.schedule).toContain('google_project_service.Api-workflowexecutions');
    expect(gcs.workflow).toEqual(expect.arrayContaining(['google_project_service.Api-aiplatform', 'google_project_service.Api-storage']));
    expect(gcs.workflow).not.toContain('google_project_service.Api-bigquery');
    expect(apisOf({ input: { kind: 'bigquery', table: 'bq://ms-project.sales.rows' } }).workflow).toContain('google_project_service.Api-bigquery');
  });

  test('least privilege: three accounts per model; prefix-scoped object grants; custom roles shared by the stack', () => {
    const accounts = all(s, 'google_service_account').map((a) => a.account_id).filter((id) => id.includes('batch'));
    expect(accounts.sort()).toEqual(['ms-dev-batch-churn', 'ms-dev-batch-sales', 'ms-dev-batchrun-churn', 'ms-dev-batchrun-sales', 'ms-dev-batchsched-churn', 'ms-dev-batchsched-sales']);
    const roles = all(s, 'google_project_iam_custom_role');
    expect(roles.map((r) => r.permissions).sort()).toEqual([
      ['aiplatform.batchPredictionJobs.create', 'aiplatform.batchPredictionJobs.get', 'aiplatform.batchPredictionJobs.cancel', 'aiplatform.models.get'],
      ['iam.serviceAccounts.actAs'],
      ['workflows.executions.create'],
    ]);
    // actAs only on the model's own job account.
    const actAs = all(s, 'google_service_account_iam_member');
    expect(actAs).toHaveLength(2);
    for (const grant of actAs) expect(grant.service_account_id).toMatch(/^\$\{google_service_account\.Batch-(churn|sales)_Batch_\w+\.name\}$/);
    const objectGrants = all(s, 'google_storage_bucket_iam_member').filter((g) => /batch\//.test(g.condition?.title ?? ''));
    expect(objectGrants.map((g) => [g.role, g.condition.title]).sort()).toEqual([
      ['roles/storage.objectCreator', 'only batch/churn/output/'],
      ['roles/storage.objectCreator', 'only batch/sales/output/'],
      ['roles/storage.objectViewer', 'only batch/churn/input/'],
      ['roles/storage.objectViewer', 'only batch/churn/input/'],
      ['roles/storage.objectViewer', 'only batch/sales/input/'],
      ['roles/storage.objectViewer', 'only batch/sales/input/'],
    ]);
    expect(s.json).not.toMatch(/allUsers|allAuthenticatedUsers/);
  });

  test('BigQuery input and output: the row count decides, and only that table and dataset are granted', () => {
    const bq = synth((scope) =>
      build(scope, ['churn'], { input: { kind: 'bigquery', table: 'bq://acme-data.crm.churn_features' }, output: { kind: 'bigquery', destination: 'bq://acme-data.scores' } }),
    );
    const bqSteps = definition(all(bq, 'google_workflows_workflow')[0]).main.steps[0].run.try.steps;
    expect(step(bqSteps, 'getTable')).toEqual({ call: 'googleapis.bigquery.v2.tables.get', args: { projectId: 'acme-data', datasetId: 'crm', tableId: 'churn_features' }, result: 'table' });
    expect(step(bqSteps, 'countInput').assign).toEqual([{ inputs: '${int(default(map.get(table, "numRows"), "0"))}' }]);
    const body = step(bqSteps, 'createJob').args.body;
    expect(body.inputConfig).toEqual({ instancesFormat: 'bigquery', bigquerySource: { inputUri: 'bq://acme-data.crm.churn_features' } });
    expect(body.outputConfig).toEqual({ predictionsFormat: 'bigquery', bigqueryDestination: { outputUri: 'bq://acme-data.scores' } });
    expect(all(bq, 'google_bigquery_table_iam_member').map((g) => [g.table_id, g.role]).sort()).toEqual([
      ['churn_features', 'roles/bigquery.dataViewer'],
      ['churn_features', 'roles/bigquery.metadataViewer'],
    ]);
    expect(all(bq, 'google_bigquery_dataset_iam_member').filter((g) => g.dataset_id === 'scores').map((g) => g.role)).toEqual(['roles/bigquery.dataEditor']);
  });

  test('CSV lines are scored as they are; invalid settings list every problem', () => {
    const csv = synth((scope) => build(scope, ['churn'], { contentType: 'text/csv' }));
    const body = step(definition(all(csv, 'google_workflows_workflow')[0]).main.steps[0].run.try.steps, 'createJob').args.body;
    expect(body.inputConfig.instancesFormat).toBe('csv');
    expect(body.instanceConfig).toBeUndefined();
    expect(() => synth((scope) => build(scope, ['churn'], { schedule: 'cron(0 2 L * ? *)', maxRuntimeHours: 49, startingReplicaCount: 4 }))).toThrow(
      /schedule "cron\(0 2 L \* \? \*\)": expected an EventBridge cron[\s\S]*maxRuntimeHours 49: expected 1 to 48[\s\S]*startingReplicaCount 4: expected 1 to maxReplicaCount \(3\)/,
    );
  });
});

describe('cloudSchedulerCron', () => {
  test.each([
    ['cron(0 2 * * ? *)', '0 2 * * *'],
    ['cron(15 10 ? * MON-FRI *)', '15 10 * * 1-5'],
    ['cron(0 8 ? * 1,7 *)', '0 8 * * 0,6'],
    ['cron(0/30 * * * ? *)', '0-59/30 * * * *'],
    ['cron(5 0/4 * * ? *)', '5 0-23/4 * * *'],
    ['rate(15 minutes)', '*/15 * * * *'],
    ['rate(1 hour)', '0 * * * *'],
    ['rate(6 hours)', '0 */6 * * *'],
    ['rate(1 day)', '0 0 * * *'],
  ])('%s → %s', (expression, cron) => expect(cloudSchedulerCron(expression)).toBe(cron));

  test.each(['cron(0 2 L * ? *)', 'cron(0 2 ? * 6#3 *)', 'cron(0 2 * * ? 2027)', 'rate(7 minutes)', 'rate(5 hours)', 'rate(2 days)', 'every day'])('%s has no unix-cron form', (expression) =>
    expect(cloudSchedulerCron(expression)).toBeUndefined(),
  );
});
