import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { BigqueryTableIamMember } from '@cdktf/provider-google/lib/bigquery-table-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { WorkflowsWorkflow } from '@cdktf/provider-google/lib/workflows-workflow';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import { BATCH_FAILED_EVENT, BATCH_WORKFLOW_ENV, batchWorkflowSource, type BatchWorkflowInput, type BatchWorkflowOutput } from './private/batch-workflow';
import { withRegistryDefaults } from './private/registry-defaults';
import { stackCustomRole, workflowFailureAlert } from './private/workflow-runs';
import { ServiceAgents } from './private/service-agents';
import { requireApis } from './required-apis';

/** What a batch prediction scores: `batch/<model>/input/` in the artifacts bucket, or a BigQuery table. */
export type BatchPredictionInput =
  | {
      /** Objects under `batch/<model>/input/` in the artifacts bucket. */
      readonly kind: 'gcs';
    }
  | {
      /** Rows of a BigQuery table. */
      readonly kind: 'bigquery';
      /** `bq://<project>.<dataset>.<table>`, with the model's feature columns. */
      readonly table: string;
    };

/** Where a batch prediction writes: `batch/<model>/output/` in the reports bucket, or BigQuery. */
export type BatchPredictionOutput =
  | {
      /** Under `batch/<model>/output/` in the reports bucket. */
      readonly kind: 'gcs';
    }
  | {
      /** BigQuery. */
      readonly kind: 'bigquery';
      /** `bq://<project>` (Vertex AI creates a dataset per job) or `bq://<project>.<dataset>` (a table per job). */
      readonly destination: string;
    };

/** Properties of a {@link BatchPrediction}. */
export interface BatchPredictionProps {
  /** The registry: input under `batch/<model>/input/` in its artifacts bucket, output in its reports bucket, its key encrypts the job. */
  readonly registry: ModelRegistry;
  /**
   * Prefix of resource names, such as `modelstack-dev`.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Region of the job, the workflow and the schedule.
   * @default - the registry's region
   */
  readonly region?: string;
  /** Model name, as in the config. */
  readonly model: string;
  /** The Vertex AI model id in the registry (`<namePrefix>-<model>`, `ModelEndpoint.displayName`). */
  readonly modelId: string;
  /** The version alias the job scores with (the environment name the deploy trigger moves). */
  readonly alias: string;
  /** Feature names in the model's order. */
  readonly features: readonly string[];
  /** EventBridge schedule, as in the config (`cron(0 2 * * ? *)`, `rate(1 day)`); see {@link cloudSchedulerCron}. */
  readonly schedule: string;
  /**
   * Content type of the input objects (Cloud Storage input).
   * @default 'text/csv'
   */
  readonly contentType?: 'text/csv' | 'application/jsonlines';
  /**
   * A job running longer is cancelled and the run fails.
   * @default 4
   */
  readonly maxRuntimeHours?: number;
  /**
   * Compute Engine machine type of the job's replicas.
   * @default 'n1-standard-2'
   */
  readonly machineType?: string;
  /**
   * Replicas the job starts with.
   * @default 1
   */
  readonly startingReplicaCount?: number;
  /**
   * Most replicas.
   * @default 1
   */
  readonly maxReplicaCount?: number;
  /**
   * What the job scores: `batch/<model>/input/` in the artifacts bucket, or a BigQuery table `bq://<project>.<dataset>.<table>`.
   * @default { kind: 'gcs' }
   */
  readonly input?: BatchPredictionInput;
  /**
   * Where predictions go: `batch/<model>/output/` in the reports bucket, or BigQuery (`bq://<project>[.<dataset>]`).
   * @default { kind: 'gcs' }
   */
  readonly output?: BatchPredictionOutput;
  /**
   * Notification channel ids the failure alert notifies.
   * @default - none (the alert still opens an incident)
   */
  readonly notificationChannels?: string[];
}

/** Seconds between two looks at a running job. */
const POLL_SECONDS = 120;

/**
 * The scheduled Vertex AI batch prediction of one model. Cloud Scheduler starts a CMEK Cloud Workflows workflow
 * (OAuth token of its own account) that first looks for input (objects under `batch/<model>/input/`, or rows in the
 * BigQuery table) and ends without a job when there is none; otherwise it creates a BatchPredictionJob with the model
 * version the environment alias names (`<namePrefix>-<model>@<alias>`), the configured machine type and replicas,
 * the registry's CMEK key (`encryptionSpec`) and its own job account, waits for it, and cancels it past
 * `maxRuntimeHours`. A failed run logs one ERROR entry that a log-based metric counts, and an alert policy fires on it.
 *
 * Why a workflow rather than Cloud Scheduler calling the Vertex AI REST API directly: the scheduler cannot look for
 * input first (a job over no input fails, which would alert every quiet night) nor see how the job ends.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { BatchPrediction, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * new BatchPrediction(stack, 'Batch-churn', {
 *   registry,
 *   model: 'churn',
 *   modelId: 'modelstack-dev-churn',
 *   alias: 'dev',
 *   features: ['tenure_months', 'monthly_charges', 'contract'],
 *   schedule: 'cron(0 2 * * ? *)',
 * });
 * ```
 */
export class BatchPrediction extends Construct {
  /** The account the job's model container runs as; it holds no grant. */
  readonly jobAccount: ServiceAccount;
  /** The account the workflow runs as: looks for input, creates, watches and cancels the job. */
  readonly workflowAccount: ServiceAccount;
  /** The workflow one scheduled run executes. */
  readonly workflow: WorkflowsWorkflow;
  /** The Cloud Scheduler job that starts the workflow. */
  readonly schedule: CloudSchedulerJob;
  /** Counts failed runs (log-based, from the workflow's `batch_prediction_failed` entries). */
  readonly failureMetric: LoggingMetric;
  /** Fires on any failed run. */
  readonly failureAlert: MonitoringAlertPolicy;

  constructor(scope: Construct, id: string, given: BatchPredictionProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const cron = validateProps(props);
    const { registry, project, region, namePrefix, model } = props;
    const agents = ServiceAgents.of(this, project);
    const account = (kind: string, what: string) =>
      new ServiceAccount(this, kind, { accountId: boundedName([namePrefix, kind.toLowerCase(), model], 30), displayName: `${namePrefix} ${model} batch ${what}`, project });

    this.jobAccount = account('Batch', 'prediction job');
    this.workflowAccount = account('BatchRun', 'workflow');
    const runner = this.workflowAccount.member;
    const inputPrefix = `batch/${model}/input/`;
    const outputPrefix = `batch/${model}/output/`;
    const input = props.input ?? { kind: 'gcs' };
    const output = props.output ?? { kind: 'gcs' };

    // Vertex AI reads the input and writes the output as its service agent (the job account only runs the container).
    const grants: ITerraformDependable[] = [
      registry.grantKeyUse('VertexAgent', agents.vertex),
      new ProjectIamMember(this, 'RunsBatchJobs', { project, role: batchRole(this, 'BatchRunnerRole', namePrefix, project).name, member: runner }),
      // Creating a job that runs as the job account needs iam.serviceAccounts.actAs on it, and on nothing else.
      new ServiceAccountIamMember(this, 'ActsAsJobAccount', { serviceAccountId: this.jobAccount.name, role: batchRole(this, 'BatchJobAccountUserRole', namePrefix, project).name, member: runner }),
      // sys.log writes the failure entry the alert counts: custom logs need logging.logEntries.create
      // (https://cloud.google.com/workflows/docs/log-workflow, "Permissions required for logging").
      new ProjectIamMember(this, 'WritesLogs', { project, role: 'roles/logging.logWriter', member: runner }),
    ];
    let workflowInput: BatchWorkflowInput;
    if (input.kind === 'gcs') {
      workflowInput = { kind: 'gcs', prefix: inputPrefix, format: props.contentType === 'application/jsonlines' ? 'jsonl' : 'csv' };
      grants.push(
        registry.grantRead(runner, { prefix: inputPrefix }),
        registry.grantRead(agents.vertex, { prefix: inputPrefix }),
      );
    } else {
      const table = parseBigQueryTable(input.table);
      workflowInput = { kind: 'bigquery', table };
      const onTable = { project: table.project, datasetId: table.dataset, tableId: table.table };
      grants.push(
        // tables.get, for the row count.
        new BigqueryTableIamMember(this, 'RunnerReadsInputMetadata', { ...onTable, role: 'roles/bigquery.metadataViewer', member: runner }),
        new BigqueryTableIamMember(this, 'VertexReadsInput', { ...onTable, role: 'roles/bigquery.dataViewer', member: agents.vertex }),
      );
    }
    let workflowOutput: BatchWorkflowOutput;
    if (output.kind === 'gcs') {
      workflowOutput = { kind: 'gcs' };
      // Create only: the reports bucket's retention policy forbids replacing objects anyway.
      grants.push(registry.grantCreate(agents.vertex, { bucket: 'reports', prefix: outputPrefix }));
    } else {
      workflowOutput = { kind: 'bigquery', uri: output.destination };
      const [destProject, dataset] = output.destination.slice('bq://'.length).split('.');
      // Into a dataset: its tables; into a project: Vertex AI creates the dataset with the agent's project role.
      if (dataset) grants.push(new BigqueryDatasetIamMember(this, 'VertexWritesOutput', { project: destProject, datasetId: dataset, role: 'roles/bigquery.dataEditor', member: agents.vertex }));
    }

    const workflowName = boundedName([namePrefix, 'batch', model], 64);
    const maxRuntimeSeconds = (props.maxRuntimeHours ?? 4) * 3600;
    this.workflow = new WorkflowsWorkflow(this, 'Workflow', {
      name: workflowName,
      region,
      project,
      description: `Scheduled Vertex AI batch prediction of ${model} (ModelStack)`,
      serviceAccount: this.workflowAccount.id,
      cryptoKeyName: registry.cryptoKey.id,
      sourceContents: batchWorkflowSource({
        model,
        project,
        region,
        modelVersion: `projects/${project}/locations/${region}/models/${props.modelId}@${props.alias}`,
        displayName: `${props.modelId}-batch`,
        input: workflowInput,
        output: workflowOutput,
        features: props.features,
        machineType: props.machineType ?? 'n1-standard-2',
        startingReplicaCount: props.startingReplicaCount ?? 1,
        maxReplicaCount: props.maxReplicaCount ?? 1,
        maxRuntimeSeconds,
        pollSeconds: POLL_SECONDS,
      }),
      userEnvVars: {
        [BATCH_WORKFLOW_ENV.inputBucket]: registry.bucket.name,
        [BATCH_WORKFLOW_ENV.outputUri]: `gs://${registry.reportsBucket.name}/${outputPrefix}`,
        [BATCH_WORKFLOW_ENV.jobAccount]: this.jobAccount.email,
        [BATCH_WORKFLOW_ENV.kmsKey]: registry.cryptoKey.id,
      },
      deletionProtection: false,
      dependsOn: [agents.settled(registry.grantKeyUse('WorkflowsAgent', agents.workflows)), ...grants],
    });

    const schedulerAccount = account('BatchSched', 'scheduler');
    const invokes = new ProjectIamMember(this, 'ScheduleStartsWorkflows', { project, role: batchRole(this, 'BatchSchedulerRole', namePrefix, project).name, member: schedulerAccount.member });
    this.schedule = new CloudSchedulerJob(this, 'Schedule', {
      name: boundedName([namePrefix, 'batch', model], 500),
      region,
      project,
      description: `Batch prediction of ${model}, ${props.schedule} (ModelStack)`,
      schedule: cron,
      timeZone: 'Etc/UTC',
      // Starting an execution answers at once; the workflow itself waits for the job.
      attemptDeadline: '60s',
      retryConfig: { retryCount: 3, minBackoffDuration: '30s', maxBackoffDuration: '300s' },
      httpTarget: {
        uri: `https://workflowexecutions.googleapis.com/v1/projects/${project}/locations/${region}/workflows/${workflowName}/executions`,
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from('{}').toString('base64'),
        // Google APIs take OAuth access tokens (OIDC tokens are for Cloud Run and functions).
        oauthToken: { serviceAccountEmail: schedulerAccount.email, scope: 'https://www.googleapis.com/auth/cloud-platform' },
      },
      dependsOn: [invokes, this.workflow],
    });
    // Cloud Scheduler posts to the Workflow Executions API, a service of its own
    // (https://cloud.google.com/workflows/docs/reference/executions/rest); the run calls Vertex AI, and Cloud Storage
    // or BigQuery for the input and output. A fresh project has none of them enabled.
    requireApis(this.schedule, ['workflowexecutions.googleapis.com']);
    requireApis(this.workflow, ['aiplatform.googleapis.com', 'storage.googleapis.com', ...(input.kind === 'bigquery' || output.kind === 'bigquery' ? ['bigquery.googleapis.com'] : [])]);

    const failures = workflowFailureAlert(this, {
      project,
      namePrefix,
      model,
      workflowName: workflowName,
      event: BATCH_FAILED_EVENT,
      metricPart: 'batch-failures',
      what: 'batch prediction',
      documentation: `A scheduled batch prediction of ${model} failed: see the executions of workflow ${workflowName} and the Vertex AI batch prediction jobs labelled modelstack_model=${model}.`,
      notificationChannels: props.notificationChannels,
    });
    this.failureMetric = failures.metric;
    this.failureAlert = failures.alert;
  }
}

/** What the batch predictions of a stack share: one custom role per kind of caller. */
const BATCH_ROLES = {
  // Vertex AI IAM cannot name one job or model through Terraform's GA provider: this applies project-wide.
  BatchRunnerRole: {
    name: 'batch_runner',
    title: 'batch prediction runner',
    description: 'Create, watch and cancel Vertex AI batch prediction jobs, and read the model they name (the batch workflows).',
    permissions: ['aiplatform.batchPredictionJobs.create', 'aiplatform.batchPredictionJobs.get', 'aiplatform.batchPredictionJobs.cancel', 'aiplatform.models.get'],
  },
  // Granted on one job account only: creating a job that runs as it needs actAs on it.
  BatchJobAccountUserRole: {
    name: 'batch_job_account_user',
    title: 'batch job account user',
    description: 'Start a Vertex AI job as a batch job account (granted on that account only).',
    permissions: ['iam.serviceAccounts.actAs'],
  },
  // Workflows IAM cannot name one workflow through Terraform: this applies to the project's workflows.
  BatchSchedulerRole: {
    name: 'batch_scheduler',
    title: 'batch prediction scheduler',
    description: 'Start workflow executions (the batch prediction schedules).',
    permissions: ['workflows.executions.create'],
  },
} as const;

function batchRole(scope: Construct, kind: keyof typeof BATCH_ROLES, namePrefix: string, project: string): ProjectIamCustomRole {
  return stackCustomRole(scope, kind, BATCH_ROLES[kind], namePrefix, project);
}

/**
 * An EventBridge schedule expression as a Cloud Scheduler (unix-cron, UTC) schedule, or undefined when cron cannot
 * say it. `cron(m h dom mon dow year)`: `?` becomes `*`, day-of-week 1-7 (SUN-SAT, EventBridge) becomes 0-6, names
 * become numbers; `L`, `W`, `#` and a year other than `*` have no unix-cron form. `rate(n unit)`: minutes dividing
 * 60, hours dividing 24, or 1 day.
 */
export function cloudSchedulerCron(expression: string): string | undefined {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    if (rate[2].startsWith('minute')) return n >= 1 && 60 % n === 0 ? (n === 1 ? '* * * * *' : `*/${n} * * * *`) : undefined;
    if (rate[2].startsWith('hour')) return n >= 1 && 24 % n === 0 ? (n === 1 ? '0 * * * *' : `0 */${n} * * *`) : undefined;
    return n === 1 ? '0 0 * * *' : undefined;
  }
  const cron = /^cron\(([^()]+)\)$/.exec(expression);
  if (!cron) return undefined;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [minute, hour, dom, month, dow, year] = fields;
  if (year !== '*' || fields.some((f) => /[LW#]/.test(f))) return undefined;
  const days = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
  const weekday = dow === '?' || dow === '*' ? '*' : dow.replace(/[A-Z]{3}|\d+/g, (token) => (/^\d+$/.test(token) ? String(Number(token) - 1) : String(days.indexOf(token))));
  if (/(^|[^\d])-1/.test(weekday) || weekday.split(/[,/-]/).some((part) => part !== '*' && part !== '' && Number(part) > 6)) return undefined;
  // EventBridge's `0/30` (start/step) is `0-59/30` in unix-cron, which only steps over ranges and `*`.
  const maxima = [59, 23, 31, 12, 6];
  return [minute, hour, dom === '?' ? '*' : dom, month, weekday].map((field, i) => field.replace(/^(\d+)\/(\d+)$/, `$1-${maxima[i]}/$2`)).join(' ');
}

function parseBigQueryTable(uri: string): { project: string; dataset: string; table: string } {
  const [project, dataset, table] = uri.slice('bq://'.length).split('.');
  return { project, dataset, table };
}

function validateProps(props: BatchPredictionProps & { namePrefix: string }): string {
  const problems = new Problems('BatchPrediction');
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  const cron = cloudSchedulerCron(props.schedule);
  problems.check(cron !== undefined, `schedule "${props.schedule}": expected an EventBridge cron without L, W, # or a year, or rate() in minutes dividing 60, hours dividing 24, or 1 day (Cloud Scheduler takes unix-cron)`);
  const hours = props.maxRuntimeHours ?? 4;
  problems.check(Number.isInteger(hours) && hours >= 1 && hours <= 48, `maxRuntimeHours ${hours}: expected 1 to 48`);
  const start = props.startingReplicaCount ?? 1;
  const max = props.maxReplicaCount ?? 1;
  problems.check(Number.isInteger(start) && start >= 1 && start <= max, `startingReplicaCount ${start}: expected 1 to maxReplicaCount (${max})`);
  problems.check(props.features.length > 0, 'features: expected at least one feature name');
  if (props.input?.kind === 'bigquery') problems.check(/^bq:\/\/[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w+\.[\w$-]+$/.test(props.input.table), `input.table "${props.input.table}": expected bq://<project>.<dataset>.<table>`);
  if (props.output?.kind === 'bigquery') problems.check(/^bq:\/\/[a-z][a-z0-9-]{4,28}[a-z0-9](\.\w+)?$/.test(props.output.destination), `output.destination "${props.output.destination}": expected bq://<project> or bq://<project>.<dataset>`);
  problems.throwIfAny();
  return cron!;
}
