import { BigqueryDatasetIamMember } from '@cdktf/provider-google/lib/bigquery-dataset-iam-member';
import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import type { Cloudfunctions2Function } from '@cdktf/provider-google/lib/cloudfunctions2-function';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { WorkflowsWorkflow } from '@cdktf/provider-google/lib/workflows-workflow';
import { Construct } from 'constructs';
import { driftSettings, type DriftSettings, driftSettingsProblems } from '../../core/drift/defaults';
import { integrityThresholds, type IntegrityThresholds } from '../../core/drift/integrity-thresholds';
import { registryLayout } from '../../core/layout';
import { DRIFT_ENV } from '../../lambdas/drift/config';
import { GCP_DRIFT_ENV } from '../../lambdas/drift/gcp/config';
import { boundedName } from '../private/names';
import { Problems } from '../private/validation';
import { functionServiceName } from './drift-contract';
import type { EncryptedTopic } from './encrypted-topic';
import type { FunctionPlatform } from './function-platform';
import type { CloudRunModelService } from './cloud-run-model-service';
import type { ModelEndpoint } from './model-endpoint';
import { allowInvoke, platformFunction } from './private/cloud-function';
import { DRIFT_WORKFLOW_URL_ENV, driftWorkflowSource } from './private/drift-workflow';
import { ServiceAgents } from './private/service-agents';

/**
 * Properties of a {@link DriftFunction}. The check's settings and their defaults are the cloud-free
 * {@link DriftSettings}; `windowHours` also needs a cron schedule on Cloud Scheduler: a divisor of 24, or whole days
 * up to 7 (see `scheduleFor`). The check runs at minute 15 after each window end.
 */
export interface DriftFunctionProps extends DriftSettings {
  /** The environment's function platform: source archives, image repository, build account and custom roles. */
  readonly platform: FunctionPlatform;
  /**
   * The endpoint whose request-response log is checked (or, for a Cloud Run service or a private endpoint without a
   * log, its inference function's captures); `samplingPercentage` must be > 0.
   */
  readonly endpoint: ModelEndpoint | CloudRunModelService;
  /** The environment's DriftDetected topic (see `driftTopicName`); the function may only publish to it. */
  readonly driftTopic: EncryptedTopic;
  /** Environment name, as the metrics and events label it. */
  readonly environment: string;
  /** Artifact version whose baseline is the reference. */
  readonly modelVersion: string;
  /** What the model predicts; decides the model-quality metrics computed when labels arrive. */
  readonly task: 'classification' | 'regression';
  /**
   * Thresholds of the data-integrity checks run beside the drift metrics.
   * @default - INTEGRITY_DEFAULTS
   */
  readonly integrity?: IntegrityThresholds;
  /**
   * Rows per exported capture object (one BigQuery result page).
   * @default 10000
   */
  readonly exportPageRows?: number;
}

/** How long one function step may take: the schedule's attempt deadline and the workflow's call timeout match it. */
const STEP_SECONDS = 900;

/**
 * The scheduled drift check of one model on Google Cloud. Cloud Scheduler calls the drift function (OIDC token of
 * its own account) at minute 15 of every window end, giving request logs time to reach BigQuery. The function
 * exports the window's logged requests into the capture layout, runs the shared drift core (report.json and
 * report.html in the reports bucket, the drift metrics, one `DriftDetected` per window), and fans large windows
 * out to a Cloud Workflows workflow that calls it per shard and then merges. Three service accounts, each with
 * only its own grants: the function's, the scheduler's (invoke it) and the workflow's (invoke it).
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { DriftFunction, type EncryptedTopic, type FunctionPlatform, type ModelEndpoint } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const platform: FunctionPlatform;
 * declare const churn: ModelEndpoint; // created with samplingPercentage > 0
 * declare const driftTopic: EncryptedTopic;
 *
 * new DriftFunction(stack, 'Drift-churn', {
 *   platform,
 *   endpoint: churn,
 *   driftTopic,
 *   environment: 'dev',
 *   modelVersion: '1',
 *   task: 'classification',
 *   windowHours: 6, // the other settings keep DRIFT_DEFAULTS
 * });
 * ```
 */
export class DriftFunction extends Construct {
  /** The drift function (Cloud Run functions, 2nd gen): check, shard-profiling and merge modes. */
  readonly function: Cloudfunctions2Function;
  /** The function's own service account. */
  readonly serviceAccount: ServiceAccount;
  /** The fan-out workflow: calls the function per shard, then merges. */
  readonly workflow: WorkflowsWorkflow;
  /** The Cloud Scheduler job that calls the function after each window. */
  readonly schedule: CloudSchedulerJob;

  constructor(scope: Construct, id: string, props: DriftFunctionProps) {
    super(scope, id);
    const { platform, endpoint } = props;
    const { registry, project, region, namePrefix } = platform;
    const model = endpoint.model;
    const table = endpoint.requestLogTable;
    const problems = new Problems('DriftFunction');
    problems.check(
      endpoint.samplingPercentage > 0,
      `endpoint of ${model}: expected samplingPercentage > 0: the drift check reads its request log (or, for a private endpoint, what its inference function captures)`,
    );
    const settings = driftSettings(props);
    for (const problem of driftSettingsProblems(props)) problems.check(false, problem);
    const cron = scheduleFor(settings.windowHours);
    problems.check(cron !== undefined, `windowHours ${settings.windowHours}: expected a divisor of 24 or a whole number of days up to 7 (Cloud Scheduler runs on a cron schedule)`);
    try {
      integrityThresholds(props.integrity);
    } catch (err) {
      problems.check(false, (err as Error).message);
    }
    problems.throwIfAny();
    const name = functionServiceName(namePrefix, `drift-${model}`);
    const account = (kind: string, what: string) =>
      new ServiceAccount(this, kind, { accountId: boundedName([namePrefix, kind.toLowerCase(), model], 30), displayName: `${name} ${what}`, project });

    this.serviceAccount = account('Drift', 'function');
    const member = this.serviceAccount.member;
    const grants = [
      registry.grantRead(member, { bucket: 'baselines', prefix: registryLayout.modelPrefix(model) }),
      // Reports are write-once: create and read, never replace or delete.
      registry.grantCreate(member, { bucket: 'reports', prefix: registryLayout.reportsPrefix(model) }),
      registry.grantRead(member, { bucket: 'reports', prefix: registryLayout.reportsPrefix(model) }),
      // Exported captures and the check's working state (event claims, shard plans and profiles) are rewritten.
      registry.grantReadWrite(member, { prefix: registryLayout.dataCapturePrefix(model) }),
      registry.grantReadWrite(member, { prefix: registryLayout.reportsPrefix(model) }),
      registry.grantRead(member, { prefix: registryLayout.groundTruthPrefix(model) }),
      // Dataset-wide: Vertex AI creates the table on the first logged request, so a table grant has nothing to name yet.
      ...(table ? [new BigqueryDatasetIamMember(this, 'ReadsRequestLogs', { datasetId: registry.requestLogDataset.datasetId, project, role: 'roles/bigquery.dataViewer', member })] : []),
      new ProjectIamMember(this, 'RunsQueriesWritesMetricsStartsFanOut', { project, role: platform.driftRole.name, member }),
      props.driftTopic.grantPublish(`Drift-${model}-Publishes`, member),
    ];

    const workflowName = boundedName([namePrefix, 'drift', model], 64);
    this.function = platformFunction(this, 'Function', {
      platform,
      name,
      description: `Scheduled drift check of ${model} over ${table ? 'Vertex AI request logs' : 'what its inference function captures'} (ModelStack)`,
      bundle: 'drift',
      serviceAccount: this.serviceAccount,
      environment: {
        [DRIFT_ENV.model]: model,
        [DRIFT_ENV.modelVersion]: props.modelVersion,
        [DRIFT_ENV.environment]: props.environment,
        [DRIFT_ENV.endpointName]: endpoint.endpointId,
        [DRIFT_ENV.windowHours]: String(settings.windowHours),
        [DRIFT_ENV.maxObjects]: String(settings.maxObjectsPerInvocation),
        [DRIFT_ENV.driftShare]: String(settings.driftShareThreshold),
        [DRIFT_ENV.task]: props.task,
        [DRIFT_ENV.qualityDegradation]: String(settings.qualityDegradationThreshold),
        ...(props.integrity ? { [DRIFT_ENV.integrity]: JSON.stringify(props.integrity) } : {}),
        [GCP_DRIFT_ENV.artifactsBucket]: registry.bucket.name,
        [GCP_DRIFT_ENV.baselinesBucket]: registry.baselinesBucket.name,
        [GCP_DRIFT_ENV.reportsBucket]: registry.reportsBucket.name,
        [GCP_DRIFT_ENV.project]: project,
        [GCP_DRIFT_ENV.region]: region,
        [GCP_DRIFT_ENV.topic]: props.driftTopic.topic.id,
        [GCP_DRIFT_ENV.workflow]: `projects/${project}/locations/${region}/workflows/${workflowName}`,
        // Without a log (a private endpoint), the inference function writes the captures the check reads.
        ...(table ? { [GCP_DRIFT_ENV.requestLogTable]: `${project}.${table}` } : {}),
        [GCP_DRIFT_ENV.exportPageRows]: String(props.exportPageRows ?? 10_000),
      },
      timeoutSeconds: STEP_SECONDS,
      memory: '1Gi',
      // A schedule per window and the fan-out's shards; more instances would only queue on the same window.
      maxInstances: 20,
      // Only Cloud Scheduler and Workflows call it, and both are Google-internal callers with identity tokens.
      ingress: 'all',
      dependsOn: grants,
    });

    const workflowAccount = account('Fanout', 'fan-out workflow');
    const agents = ServiceAgents.of(this, project);
    const workflowKey = agents.settled(registry.grantKeyUse('WorkflowsAgent', agents.workflows));
    this.workflow = new WorkflowsWorkflow(this, 'FanOut', {
      name: workflowName,
      region,
      project,
      description: `Drift check fan-out of ${model}: profile shards in parallel, then merge (ModelStack)`,
      serviceAccount: workflowAccount.id,
      cryptoKeyName: registry.cryptoKey.id,
      sourceContents: driftWorkflowSource(STEP_SECONDS, 20),
      userEnvVars: { [DRIFT_WORKFLOW_URL_ENV]: this.function.url },
      deletionProtection: false,
      dependsOn: [workflowKey, allowInvoke(this, 'FanoutInvokes', this.function, workflowAccount.member)],
    });

    const schedulerAccount = account('Scheduler', 'scheduler');
    this.schedule = new CloudSchedulerJob(this, 'Schedule', {
      name: boundedName([namePrefix, 'drift', model], 500),
      region,
      project,
      description: `Drift check of ${model} every ${settings.windowHours} h (ModelStack)`,
      schedule: cron,
      timeZone: 'Etc/UTC',
      attemptDeadline: `${STEP_SECONDS}s`,
      retryConfig: { retryCount: 3, minBackoffDuration: '60s', maxBackoffDuration: '600s' },
      httpTarget: {
        uri: this.function.url,
        httpMethod: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify({ mode: 'check' })).toString('base64'),
        oidcToken: { serviceAccountEmail: schedulerAccount.email, audience: this.function.url },
      },
      dependsOn: [allowInvoke(this, 'ScheduleInvokes', this.function, schedulerAccount.member)],
    });
  }
}

/**
 * Minute 15 of every window end, in UTC: `windowHours` dividing 24 runs every that many hours, whole days up to
 * a week run at 00:15 every that many days of the month (restarting on the 1st, so the first window of a month
 * can overlap the last one before it), 168 weekly on Mondays. Undefined when cron cannot express it.
 */
export function scheduleFor(windowHours: number): string | undefined {
  if (!Number.isInteger(windowHours) || windowHours < 1) return undefined;
  if (windowHours === 168) return '15 0 * * 1';
  if (windowHours < 24 && 24 % windowHours === 0) return windowHours === 1 ? '15 * * * *' : `15 */${windowHours} * * *`;
  if (windowHours % 24 === 0 && windowHours <= 168) return windowHours === 24 ? '15 0 * * *' : `15 0 */${windowHours / 24} * *`;
  return undefined;
}
