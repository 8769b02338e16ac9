import { CloudSchedulerJob } from '@cdktf/provider-google/lib/cloud-scheduler-job';
import { EventarcTrigger } from '@cdktf/provider-google/lib/eventarc-trigger';
import { LoggingMetric } from '@cdktf/provider-google/lib/logging-metric';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { VertexAiTensorboard } from '@cdktf/provider-google/lib/vertex-ai-tensorboard';
import { WorkflowsWorkflow } from '@cdktf/provider-google/lib/workflows-workflow';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { EncryptedTopic } from './encrypted-topic';
import type { ModelRegistry } from './model-registry';
import { requireApis } from './required-apis';
import type { TrainingBaselineFunction } from './training-baseline-function';
import type { TrainingImage } from './training-image';
import { withRegistryDefaults } from './private/registry-defaults';
import { stackCustomRole, workflowFailureAlert } from './private/workflow-runs';
import { ServiceAgents } from './private/service-agents';
import { TRAINING_FAILED_EVENT, TRAINING_WORKFLOW_ENV, trainingWorkflowDefinition, trainingWorkflowSource, type TrainingWorkflowSpec } from './private/training-workflow-source';
import { workflowDefinitionProblems } from './private/workflow-definition';
import { trainingWorkflowName } from './training-contract';

/** Properties of a {@link TrainingTensorboard}. */
export interface TrainingTensorboardProps {
  /** The registry: its key encrypts the TensorBoard. */
  readonly registry: ModelRegistry;
  /**
   * Prefix of the display name, such as `modelstack-dev`.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Region of the TensorBoard (the training jobs' region).
   * @default - the registry's region
   */
  readonly region?: string;
}

/**
 * The environment's Vertex AI TensorBoard, encrypted with the registry's key (the Vertex AI service agent is granted
 * the key first): the training jobs' `tensorboard`, where Vertex AI streams what they write to `AIP_TENSORBOARD_LOG_DIR`.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { TrainingTensorboard, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * new TrainingTensorboard(stack, 'Tensorboard', { registry });
 * ```
 */
export class TrainingTensorboard extends Construct {
  /** The TensorBoard instance. */
  readonly tensorboard: VertexAiTensorboard;

  constructor(scope: Construct, id: string, given: TrainingTensorboardProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const agents = ServiceAgents.of(this, props.project);
    this.tensorboard = new VertexAiTensorboard(this, 'Tensorboard', {
      displayName: `${props.namePrefix}-training`,
      description: `${props.namePrefix} training runs (ModelStack)`,
      project: props.project,
      region: props.region,
      // "The Vertex AI service agent must have the Cloud KMS CryptoKey Encrypter/Decrypter role" (Vertex AI CMEK).
      encryptionSpec: { kmsKeyName: props.registry.cryptoKey.id },
      dependsOn: [agents.settled(props.registry.grantKeyUse('VertexAgent', agents.vertex))],
    });
  }
}

/** Properties of a {@link TrainingWorkflow}. */
export interface TrainingWorkflowProps {
  /** The registry: training data, work files and versions in its artifacts bucket; its key encrypts everything. */
  readonly registry: ModelRegistry;
  /** The environment's TensorBoard, which the training and tuning jobs stream to. */
  readonly tensorboard: TrainingTensorboard;
  /** The environment's baseline function: the workflow's account may invoke it, the baseline step calls it. */
  readonly baseline: TrainingBaselineFunction;
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
   * Region of the workflow, the jobs and the schedule.
   * @default - the registry's region
   */
  readonly region?: string;
  /** The environment's name: the deploy alias of approved versions, and drift messages of other environments are ignored. */
  readonly environment: string;
  /**
   * The pipeline: the model, its data, objective, training or tuning, compute and images (the config's `training`
   * section with the model's name, task and features). `project`, `region`, `workflowName`, `modelId`, `alias` and
   * `imageBuild` (from `trainingImage`) are filled in.
   */
  readonly pipeline: Omit<TrainingWorkflowSpec, 'project' | 'region' | 'workflowName' | 'modelId' | 'alias' | 'environment' | 'imageBuild'>;
  /**
   * ModelStack's training image, which a run builds with Cloud Build when its tag is missing: the jobs' image unless
   * `pipeline.trainingImage` names one. One of the two is required.
   * @default - none: `pipeline.trainingImage` is required
   */
  readonly trainingImage?: TrainingImage;
  /**
   * Five-field cron (UTC) on which Cloud Scheduler starts the workflow.
   * @default - no schedule
   */
  readonly schedule?: string;
  /**
   * The DriftDetected topic: an Eventarc trigger starts the workflow on each message (the workflow ends at once for
   * another model's).
   * @default - no retraining on drift
   */
  readonly driftTopic?: EncryptedTopic;
  /**
   * Notification channel ids the failure alert notifies.
   * @default - none (the alert still opens an incident)
   */
  readonly notificationChannels?: string[];
}

/**
 * A model's training pipeline on Google Cloud: a CMEK Cloud Workflows workflow (`trainingWorkflowName`) that drives
 * Vertex AI custom jobs (prepare, train, evaluate, publish) or a hyperparameter tuning job through the Workflows
 * Vertex AI connectors in ModelStack's training image (built with Cloud Build when missing) or `pipeline.trainingImage`,
 * calls the environment's baseline function, compares the candidate with the version the environment serves, and registers a
 * better one: the version folder `models/<model>/<execution id>/` in the registry (which starts the deploy trigger,
 * with its approval where the environment requires one) and a version of `<namePrefix>-<model>` in the Vertex AI Model
 * Registry with the alias `v<execution id>` and labels naming its experiment run. Started by Cloud Scheduler on
 * `schedule` and by an Eventarc trigger on the DriftDetected topic; at most one execution runs at a time. A failed
 * run logs one ERROR entry that a log-based metric counts, and an alert fires on it.
 *
 * The workflow's definition is checked at synth (`workflowDefinitionProblems`): any problem fails the synth.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { ModelImageRepository, TrainingBaselineFunction, TrainingImage, TrainingTensorboard, TrainingWorkflow, type FunctionPlatform, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 * declare const platform: FunctionPlatform;
 *
 * const tensorboard = new TrainingTensorboard(stack, 'Tensorboard', { registry });
 * const baseline = new TrainingBaselineFunction(stack, 'TrainingBaseline', { platform });
 * new TrainingWorkflow(stack, 'Training-churn', {
 *   registry,
 *   tensorboard,
 *   baseline,
 *   environment: 'dev',
 *   schedule: '0 3 * * 1',
 *   pipeline: {
 *     model: 'churn',
 *     task: 'classification',
 *     features: [{ name: 'tenure_months', type: 'numeric' }, { name: 'contract', type: 'categorical' }],
 *     target: 'churned',
 *     dataPrefix: 'training-data/churn/',
 *     format: 'csv',
 *     holdout: { share: 0.25, seed: 7 },
 *     metric: 'rocAuc',
 *     floor: 0.75,
 *     machineType: 'n1-standard-4',
 *     bootDiskGb: 100,
 *     maxRuntimeMinutes: 60,
 *   },
 *   // Or pipeline.trainingImage: an image of your own.
 *   trainingImage: new TrainingImage(stack, 'TrainingImage', { registry, repository: new ModelImageRepository(stack, 'Images', { registry }) }),
 * });
 * ```
 */
export class TrainingWorkflow extends Construct {
  /** The account the jobs run as: reads the data, writes the work files and the version. */
  readonly jobAccount: ServiceAccount;
  /** The account the workflow runs as: creates and reads the jobs, uploads the version, records the run. */
  readonly workflowAccount: ServiceAccount;
  /** The workflow. */
  readonly workflow: WorkflowsWorkflow;
  /** The workflow's name (`trainingWorkflowName`). */
  readonly workflowName: string;
  /** The account Cloud Scheduler and Eventarc start executions as. */
  readonly invokerAccount: ServiceAccount;
  /** The schedule; only with `schedule`. */
  readonly schedule?: CloudSchedulerJob;
  /** The drift trigger; only with `driftTopic`. */
  readonly driftTrigger?: EventarcTrigger;
  /** Counts failed runs (log-based, from the workflow's `training_failed` entries). */
  readonly failureMetric: LoggingMetric;
  /** Fires on any failed run. */
  readonly failureAlert: MonitoringAlertPolicy;

  constructor(scope: Construct, id: string, given: TrainingWorkflowProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const { registry, project, region, namePrefix } = props;
    const model = props.pipeline.model;
    validateProps(props);
    const agents = ServiceAgents.of(this, project);
    const account = (kind: string, what: string) =>
      new ServiceAccount(this, kind, { accountId: boundedName([namePrefix, kind.toLowerCase(), model], 30), displayName: `${namePrefix} ${model} training ${what}`, project });
    this.jobAccount = account('Train', 'jobs');
    this.workflowAccount = account('TrainRun', 'workflow');
    this.invokerAccount = account('TrainStart', 'starter');
    const runner = this.workflowAccount.member;
    const jobs = this.jobAccount.member;
    const dataPrefix = props.pipeline.dataPrefix;
    const modelPrefix = `models/${model}/`;
    const workPrefix = `pipelines/${model}/`;

    // The jobs' image: the configured one, else ModelStack's, which a run builds when its tag is missing.
    const imageBuild = props.pipeline.trainingImage === undefined ? props.trainingImage : undefined;
    const grants: ITerraformDependable[] = [
      ...(imageBuild ? [...imageBuild.ready, ...imageBuild.grantBuild(this, 'TrainRun', runner)] : []),
      // Vertex AI encrypts the jobs, the tuning job and the uploaded model as its service agent.
      agents.settled(registry.grantKeyUse('VertexAgent', agents.vertex)),
      new ProjectIamMember(this, 'RunsTraining', { project, role: trainingRole(this, 'TrainingRunnerRole', namePrefix, project).name, member: runner }),
      // Creating a job that runs as the job account needs iam.serviceAccounts.actAs on it, and on nothing else.
      new ServiceAccountIamMember(this, 'ActsAsJobAccount', { serviceAccountId: this.jobAccount.name, role: trainingRole(this, 'TrainingJobAccountUserRole', namePrefix, project).name, member: runner }),
      new ProjectIamMember(this, 'WritesLogs', { project, role: 'roles/logging.logWriter', member: runner }),
      props.baseline.grantInvoke(`TrainRun-${model}`, runner),
      // The workflow reads the evaluation's decision.
      registry.grantRead(runner, { prefix: workPrefix }),
      // The jobs, through Cloud Storage FUSE: read the data and the current version, write work files and the version.
      registry.grantRead(jobs, { prefix: dataPrefix }),
      registry.grantRead(jobs, { prefix: modelPrefix }),
      // Create only: a version folder is written once, never replaced.
      registry.grantCreate(jobs, { prefix: modelPrefix }),
      // Work files: FUSE may rewrite a file it writes in parts.
      registry.grantReadWrite(jobs, { prefix: workPrefix }),
      new ProjectIamMember(this, 'JobsWriteTensorboard', { project, role: trainingRole(this, 'TrainingJobRole', namePrefix, project).name, member: jobs }),
    ];

    this.workflowName = trainingWorkflowName(namePrefix, model);
    const spec: TrainingWorkflowSpec = {
      ...props.pipeline,
      project,
      region,
      environment: props.environment,
      workflowName: this.workflowName,
      modelId: `${namePrefix}-${model}`,
      alias: props.environment,
      imageBuild: imageBuild?.buildSpec,
    };
    const problems = workflowDefinitionProblems(trainingWorkflowDefinition(spec));
    if (problems.length > 0) throw new Error(`TrainingWorkflow ${model}: the generated workflow breaks the Workflows syntax rules:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.workflow = new WorkflowsWorkflow(this, 'Workflow', {
      name: this.workflowName,
      region,
      project,
      description: `Training pipeline of ${model}: prepare, train or tune, evaluate, gate, publish, register (ModelStack)`,
      serviceAccount: this.workflowAccount.id,
      cryptoKeyName: registry.cryptoKey.id,
      sourceContents: trainingWorkflowSource(spec),
      userEnvVars: {
        [TRAINING_WORKFLOW_ENV.bucket]: registry.bucket.name,
        [TRAINING_WORKFLOW_ENV.jobAccount]: this.jobAccount.email,
        [TRAINING_WORKFLOW_ENV.kmsKey]: registry.cryptoKey.id,
        [TRAINING_WORKFLOW_ENV.tensorboard]: props.tensorboard.tensorboard.id,
        [TRAINING_WORKFLOW_ENV.baselineUrl]: props.baseline.url,
        ...(imageBuild ? { [TRAINING_WORKFLOW_ENV.buildAccount]: imageBuild.buildAccount.email } : {}),
      },
      deletionProtection: false,
      dependsOn: [agents.settled(registry.grantKeyUse('WorkflowsAgent', agents.workflows)), props.tensorboard.tensorboard, ...grants, ...(imageBuild ? [imageBuild.context] : [])],
    });
    // What the run calls besides Workflows: Vertex AI (jobs, models, ML Metadata), Cloud Storage (the evaluation) and
    // the Workflow Executions API (executions.list), a service of its own that only an Eventarc trigger enabled before
    // (https://cloud.google.com/workflows/docs/reference/executions/rest); with the training image, Cloud Build and
    // Artifact Registry (the tag lookup and the build).
    requireApis(this.workflow, [...RUN_APIS, ...(imageBuild ? ['cloudbuild.googleapis.com', 'artifactregistry.googleapis.com'] : [])]);

    const invokes = new ProjectIamMember(this, 'StartsWorkflows', { project, role: trainingRole(this, 'TrainingStarterRole', namePrefix, project).name, member: this.invokerAccount.member });
    if (props.schedule) {
      this.schedule = new CloudSchedulerJob(this, 'Schedule', {
        name: boundedName([namePrefix, model, 'training'], 500),
        region,
        project,
        description: `Training pipeline of ${model}, ${props.schedule} UTC (ModelStack)`,
        schedule: props.schedule,
        timeZone: 'Etc/UTC',
        attemptDeadline: '60s',
        retryConfig: { retryCount: 3, minBackoffDuration: '30s', maxBackoffDuration: '300s' },
        httpTarget: {
          uri: `https://workflowexecutions.googleapis.com/v1/projects/${project}/locations/${region}/workflows/${this.workflowName}/executions`,
          httpMethod: 'POST',
          headers: { 'Content-Type': 'application/json' },
          // Executions.create takes the argument as a JSON string (Execution.argument).
          body: Buffer.from(JSON.stringify({ argument: JSON.stringify({ reason: 'schedule', model }) })).toString('base64'),
          oauthToken: { serviceAccountEmail: this.invokerAccount.email, scope: 'https://www.googleapis.com/auth/cloud-platform' },
        },
        dependsOn: [invokes, this.workflow],
      });
      // Cloud Scheduler posts to the Workflow Executions API.
      requireApis(this.schedule, [WORKFLOW_EXECUTIONS_API]);
    }
    if (props.driftTopic) {
      // Eventarc (Pub/Sub source, Workflows destination) rather than a push subscription: a push carries an OIDC token,
      // which the Workflow Executions API does not take, and a Pub/Sub envelope, not an Execution.
      // https://cloud.google.com/eventarc/docs/workflows/route-trigger-cloud-pubsub
      this.driftTrigger = new EventarcTrigger(this, 'DriftTrigger', {
        name: boundedName([namePrefix, model, 'retrain'], 63),
        location: region,
        project,
        matchingCriteria: [{ attribute: 'type', value: 'google.cloud.pubsub.topic.v1.messagePublished' }],
        transport: { pubsub: { topic: props.driftTopic.topic.id } },
        destination: { workflow: this.workflow.id },
        serviceAccount: this.invokerAccount.email,
        dependsOn: [invokes, this.workflow],
      });
    }

    const failures = workflowFailureAlert(this, {
      project,
      namePrefix,
      model,
      workflowName: this.workflowName,
      event: TRAINING_FAILED_EVENT,
      metricPart: 'training-failures',
      what: 'training',
      documentation: `A training run of ${model} failed: see the executions of workflow ${this.workflowName} and the Vertex AI custom jobs labelled modelstack_model=${model}.`,
      notificationChannels: props.notificationChannels,
    });
    this.failureMetric = failures.metric;
    this.failureAlert = failures.alert;
  }
}

const WORKFLOW_EXECUTIONS_API = 'workflowexecutions.googleapis.com';
/** The APIs every training run calls, whatever starts it. */
const RUN_APIS = ['aiplatform.googleapis.com', 'storage.googleapis.com', WORKFLOW_EXECUTIONS_API] as const;

/** What the training workflows of a stack share: one custom role per kind of caller. */
const TRAINING_ROLES = {
  // Vertex AI IAM cannot name one job or model through Terraform's GA provider: this applies project-wide.
  TrainingRunnerRole: {
    name: 'training_runner',
    title: 'training workflow runner',
    description: 'Create and read Vertex AI custom and tuning jobs, upload and read models, record ML Metadata runs; list workflow executions (the training workflows).',
    permissions: [
      'aiplatform.customJobs.create',
      'aiplatform.customJobs.get',
      'aiplatform.customJobs.cancel',
      'aiplatform.hyperparameterTuningJobs.create',
      'aiplatform.hyperparameterTuningJobs.get',
      'aiplatform.hyperparameterTuningJobs.cancel',
      'aiplatform.models.upload',
      'aiplatform.models.get',
      // Vertex AI has no aiplatform.operations.get (an unknown permission fails the custom role's apply): reading
      // operations is aiplatform.operations.list, as in roles/aiplatform.user ("Vertex AI roles and permissions",
      // https://cloud.google.com/iam/docs/roles-permissions/aiplatform).
      'aiplatform.operations.list',
      'aiplatform.metadataStores.create',
      'aiplatform.metadataStores.get',
      'aiplatform.contexts.create',
      'aiplatform.contexts.get',
      'aiplatform.contexts.update',
      'aiplatform.contexts.addContextChildren',
      // The job's TensorBoard: CustomJobSpec.tensorboard is checked against the caller.
      'aiplatform.tensorboards.get',
      'workflows.executions.list',
    ],
  },
  // Granted on one job account only.
  TrainingJobAccountUserRole: {
    name: 'training_job_account_user',
    title: 'training job account user',
    description: 'Start a Vertex AI job as a training job account (granted on that account only).',
    permissions: ['iam.serviceAccounts.actAs'],
  },
  // The jobs' account: stream TensorBoard logs (Vertex AI uploads them as the job's account; Google's setup grants
  // that account roles/aiplatform.user: "Set up for Vertex AI TensorBoard",
  // https://cloud.google.com/vertex-ai/docs/experiments/tensorboard-setup). The uploader (google-cloud-aiplatform,
  // tensorboard/uploader_utils.py) creates runs and time series in batches (BatchCreateTensorboardRuns,
  // BatchCreateTensorboardTimeSeries) and lists them to find one that already exists: batchCreate and list as well.
  TrainingJobRole: {
    name: 'training_job',
    title: 'training job',
    description: 'Write TensorBoard experiments, runs and time series (the training jobs).',
    permissions: [
      'aiplatform.tensorboards.get',
      'aiplatform.tensorboardExperiments.create',
      'aiplatform.tensorboardExperiments.get',
      'aiplatform.tensorboardExperiments.write',
      'aiplatform.tensorboardRuns.create',
      'aiplatform.tensorboardRuns.batchCreate',
      'aiplatform.tensorboardRuns.get',
      'aiplatform.tensorboardRuns.list',
      'aiplatform.tensorboardRuns.write',
      'aiplatform.tensorboardTimeSeries.create',
      'aiplatform.tensorboardTimeSeries.batchCreate',
      'aiplatform.tensorboardTimeSeries.get',
      'aiplatform.tensorboardTimeSeries.list',
    ],
  },
  // Workflows IAM cannot name one workflow through Terraform (no google_workflows_workflow_iam_* in provider 6.50).
  // An Eventarc trigger's account invokes the workflow and receives the events: Google's Terraform sample for a
  // Workflows destination grants roles/workflows.invoker and roles/eventarc.eventReceiver
  // (https://cloud.google.com/eventarc/docs/samples/eventarc-workflows-create-serviceaccount); of those, this one
  // permission each.
  TrainingStarterRole: {
    name: 'training_starter',
    title: 'training pipeline starter',
    description: 'Start workflow executions and receive Eventarc events (the training schedules and drift triggers).',
    permissions: ['workflows.executions.create', 'eventarc.events.receiveEvent'],
  },
} as const;

function trainingRole(scope: Construct, kind: keyof typeof TRAINING_ROLES, namePrefix: string, project: string): ProjectIamCustomRole {
  return stackCustomRole(scope, kind, TRAINING_ROLES[kind], namePrefix, project);
}

function validateProps(props: TrainingWorkflowProps & { namePrefix: string }): void {
  const problems = new Problems('TrainingWorkflow');
  const { pipeline } = props;
  problems.check(SAFE_RESOURCE_NAME.test(pipeline.model), `pipeline.model "${pipeline.model}": expected lowercase letters, digits and single hyphens`);
  problems.check(pipeline.features.length > 0, 'pipeline.features: expected at least one feature');
  problems.check(
    pipeline.trainingImage !== undefined || props.trainingImage !== undefined,
    'trainingImage: expected ModelStack\'s training image (a TrainingImage) or pipeline.trainingImage (an Artifact Registry image that trains): the jobs need an image with the training code',
  );
  // "This value may be up to 63 characters, and valid characters are [a-z0-9_-]" (UploadModelRequest.modelId,
  // https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models/upload).
  const modelId = `${props.namePrefix}-${pipeline.model}`;
  problems.check(modelId.length <= 63, `Vertex AI model id "${modelId}" (${modelId.length} characters): expected at most 63 (UploadModelRequest.modelId)`);
  problems.check(/^([A-Za-z0-9!_.*'()-]+\/)+$/.test(pipeline.dataPrefix), `pipeline.dataPrefix "${pipeline.dataPrefix}": expected an object prefix ending with /`);
  problems.check(props.schedule === undefined || props.schedule.trim().split(/\s+/).length === 5, `schedule "${props.schedule}": expected five cron fields (UTC)`);
  if (pipeline.tuning) {
    problems.check(pipeline.tuning.maxParallelJobs <= pipeline.tuning.maxJobs, `pipeline.tuning.maxParallelJobs ${pipeline.tuning.maxParallelJobs}: expected at most maxJobs (${pipeline.tuning.maxJobs})`);
  }
  problems.throwIfAny();
}
