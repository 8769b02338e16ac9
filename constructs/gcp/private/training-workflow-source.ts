/**
 * The Cloud Workflows program of a model's training pipeline on Google Cloud (docs/training.md, "On Google Cloud"),
 * the same steps as the SageMaker pipeline (infra/pipeline/training-pipeline.ts):
 *
 *   arguments (schedule | drift | manual; a CloudEvent from Eventarc is a drift) -> at most one active execution
 *   -> the current version (the model version holding the environment alias) -> experiment run (Vertex ML Metadata)
 *   -> prepare (CustomJob) -> train (CustomJob) | tune (HyperparameterTuningJob, best trial) -> evaluate (CustomJob)
 *   -> gate (at least as good as the current version, reaching the floor) -> baseline (the baseline function)
 *   -> publish (CustomJob)
 *   -> upload to the Vertex AI Model Registry (alias v<version>, not the environment alias) -> result
 *
 * Vertex AI through its Workflows connectors (https://cloud.google.com/workflows/docs/reference/googleapis/aiplatform/v1/Overview):
 * `customJobs.create` and `hyperparameterTuningJobs.create` wait until the job ends ("This method waits—the workflow
 * execution is paused—until the operation is complete, fails, or times out"; `connector_params.timeout` raises the
 * 1800 s default), `models.upload` waits for its operation; the ML Metadata calls (the experiment run) are connectors too.
 *
 * The jobs see the registry bucket through Cloud Storage FUSE at `/gcs/<bucket>/` ("Use Cloud Storage FUSE",
 * Vertex AI custom training), so the training code reads and writes plain paths.
 */
import { higherIsBetter, type QualityMetric } from '../../../infra/config/training-schema';
import type { TrainingWorkflowResult } from '../training-contract';
import type { StepBody, WorkflowDefinition, WorkflowStep, WorkflowValue } from './workflow-definition';

/** What the workflow reads from its environment (`user_env_vars`): values Terraform knows only at apply time. */
export const TRAINING_WORKFLOW_ENV = {
  /** The registry's artifacts bucket (training data, work files, versions). */
  bucket: 'TRAINING_BUCKET',
  /** The account the jobs run as. */
  jobAccount: 'TRAINING_JOB_ACCOUNT',
  /** The registry's CMEK key: jobs, tuning jobs, the uploaded model and the metadata store. */
  kmsKey: 'TRAINING_KMS_KEY',
  /** The environment's Vertex AI TensorBoard (`projects/.../tensorboards/<id>`). */
  tensorboard: 'TRAINING_TENSORBOARD',
  /** The account the training image's build runs as (with `imageBuild` only). */
  buildAccount: 'TRAINING_BUILD_ACCOUNT',
  /** The baseline function's run.app URL (`TrainingBaselineFunction`). */
  baselineUrl: 'TRAINING_BASELINE_URL',
} as const;

/** How long the workflow waits for the baseline function: Workflows' longest HTTP request timeout (1800 s). */
export const BASELINE_CALL_TIMEOUT_SECONDS = 1800;

/** The Cloud Build build of ModelStack's training image that a run starts when the image's tag is missing. */
export interface TrainingImageBuildSpec {
  /** `<region>-docker.pkg.dev/<project>/<repository>/training:<content hash>`. */
  readonly image: string;
  /** The image's tag as an Artifact Registry resource name (`projects/.../packages/training/tags/<hash>`). */
  readonly tagName: string;
  /** The build context (`.tar.gz`) in the registry's artifacts bucket. */
  readonly contextObject: string;
  /** The Dockerfile, relative to the context. */
  readonly dockerfile: string;
  /** Region of the build (the repository's). */
  readonly region: string;
}

/** The log entry's `event` the failure metric matches. */
export const TRAINING_FAILED_EVENT = 'training_failed';

/** A tuned parameter's range, as the config states it. */
export type TuningRange =
  | {
      /** A continuous or integer range. */
      readonly type: 'continuous' | 'integer';
      /** Smallest value. */
      readonly min: number;
      /** Largest value. */
      readonly max: number;
      /** How the tuner searches the range (`auto` leaves it to Vertex AI). */
      readonly scaling: 'auto' | 'linear' | 'logarithmic' | 'reverse-logarithmic';
    }
  | {
      /** Categorical values. */
      readonly type: 'categorical';
      /** The values tried. */
      readonly values: readonly string[];
    };

/** The tuning of a {@link TrainingWorkflowSpec}: the config's `training.tuning`. */
export interface TrainingTuningSpec {
  /** The ranges searched, by hyper-parameter name. */
  readonly parameters: Readonly<Record<string, TuningRange>>;
  /** Most trials (maxTrialCount). */
  readonly maxJobs: number;
  /** Most trials at a time (parallelTrialCount). */
  readonly maxParallelJobs: number;
  /** Automated early stopping (decay-curve rule). */
  readonly earlyStopping: boolean;
  /** Bayesian optimisation (Vertex AI's default algorithm) or random search. */
  readonly strategy: 'bayesian' | 'random';
}

/** Everything the workflow program needs, from the config and the stack. */
export interface TrainingWorkflowSpec {
  /** Model name, as in the config. */
  readonly model: string;
  /** The model's task. */
  readonly task: 'classification' | 'regression';
  /** The environment's name; drift messages of other environments are ignored. */
  readonly environment: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the workflow and the jobs. */
  readonly region: string;
  /** The workflow's own name, for the executions list. */
  readonly workflowName: string;
  /** The Vertex AI model, `<namePrefix>-<model>`: the parent of every version. */
  readonly modelId: string;
  /** The environment alias the deploy build moves to a deployed (hence approved) version. */
  readonly alias: string;
  /** The input schema's features, in order. */
  readonly features: readonly {
    /** Column name. */
    readonly name: string;
    /** Numeric or categorical. */
    readonly type: 'numeric' | 'categorical';
  }[];
  /** The label column. */
  readonly target: string;
  /** The training data's prefix in the registry bucket, ending with `/`. */
  readonly dataPrefix: string;
  /** The training data's format. */
  readonly format: 'csv' | 'jsonl';
  /** The held-out share and the split's seed. */
  readonly holdout: {
    /** Share of rows held out, 0 to 0.5. */
    readonly share: number;
    /** Seed of the split and of the training code. */
    readonly seed: number;
  };
  /** The metric that decides, and that tuning optimises. */
  readonly metric: QualityMetric;
  /**
   * The least acceptable value of `metric` (the largest for mae and rmse).
   * @default - no floor
   */
  readonly floor?: number;
  /**
   * Fixed hyper-parameters of the training code.
   * @default - the training code's defaults
   */
  readonly hyperparameters?: Readonly<Record<string, string | number | boolean>>;
  /**
   * A hyperparameter tuning job instead of one training job.
   * @default - no tuning
   */
  readonly tuning?: TrainingTuningSpec;
  /** Compute Engine machine type of every job. */
  readonly machineType: string;
  /** Boot disk of every job, in GB. */
  readonly bootDiskGb: number;
  /** A job running longer is stopped. */
  readonly maxRuntimeMinutes: number;
  /**
   * The image the jobs run (the config's `training.gcp.image`). One of `trainingImage` and `imageBuild` is required.
   * @default - the image `imageBuild` builds
   */
  readonly trainingImage?: string;
  /**
   * ModelStack's training image, built by the run when its tag is missing (see `TrainingImage`).
   * @default - none: `trainingImage` is used as it is
   */
  readonly imageBuild?: TrainingImageBuildSpec;
  /**
   * The serving image uploaded with a version.
   * @default - the container spec of the version the environment serves, read at run time
   */
  readonly servingImage?: string;
}

const expr = (e: string) => `\${${e}}`;
const str = (s: string) => JSON.stringify(s);
const env = (name: string) => `sys.get_env(${str(name)})`;
const step = (name: string, body: StepBody): WorkflowStep => ({ [name]: body });
const AIPLATFORM = 'googleapis.aiplatform.v1.projects.locations';

/** Step names, shared with the tests. */
export const TRAINING_STEPS = {
  prepare: 'prepare',
  train: 'train',
  tune: 'tune',
  evaluate: 'evaluate',
  gate: 'gate',
  baseline: 'baseline',
  publish: 'publish',
  upload: 'upload',
} as const;

/** The workflow definition as an object (tests read it); {@link trainingWorkflowSource} is what Terraform uploads. */
export function trainingWorkflowDefinition(spec: TrainingWorkflowSpec): WorkflowDefinition {
  const parent = `projects/${spec.project}/locations/${spec.region}`;
  const modelName = `${parent}/models/${spec.modelId}`;
  const features = spec.features.map((f) => `${f.name}:${f.type}`).join(',');
  const categorical = spec.features.filter((f) => f.type === 'categorical').map((f) => f.name).join(',');
  const timeout = spec.maxRuntimeMinutes * 60;
  const better = higherIsBetter(spec.metric);
  const result = (status: TrainingWorkflowResult['status'], reason: string, extra: Record<string, WorkflowValue> = {}) => ({ status, reason, ...extra });
  const skip = (name: string, reason: string): WorkflowStep => step(name, { return: result('skipped', reason) });

  /** A CustomJob body running `command` in the training image, with CMEK, the job account and its own output folder. */
  const jobSpec = (label: string, command: readonly string[], args: readonly string[], withTensorboard: boolean) => ({
    workerPoolSpecs: [
      {
        machineSpec: { machineType: spec.machineType },
        replicaCount: 1,
        diskSpec: { bootDiskType: 'pd-ssd', bootDiskSizeGb: spec.bootDiskGb },
        containerSpec: { imageUri: expr('trainingImage'), command: [...command], args: [...args], env: [{ name: 'MODELSTACK_EXPERIMENT_RUN', value: expr('runId') }] },
      },
    ],
    serviceAccount: expr(env(TRAINING_WORKFLOW_ENV.jobAccount)),
    // AIP_MODEL_DIR = <baseOutputDirectory>/model/ (<baseOutputDirectory>/<trial id>/model/ in a tuning trial):
    // CustomJobSpec.baseOutputDirectory, Vertex AI REST reference.
    baseOutputDirectory: { outputUriPrefix: expr(`"gs://" + bucket + "/" + work + "${label}/"`) },
    ...(withTensorboard ? { tensorboard: expr(env(TRAINING_WORKFLOW_ENV.tensorboard)) } : {}),
    scheduling: { timeout: `${timeout}s` },
  });
  const job = (label: string, command: readonly string[], args: readonly string[], withTensorboard = false) => ({
    displayName: expr(`"${spec.modelId}-${label}-" + version`),
    jobSpec: jobSpec(label, command, args, withTensorboard),
    encryptionSpec: { kmsKeyName: expr(env(TRAINING_WORKFLOW_ENV.kmsKey)) },
    labels: { modelstack_model: spec.model, modelstack_step: label, modelstack_run: expr('version') },
  });
  const python = (module: string) => ['python3', '-m', module];
  /** Runs a CustomJob and fails the run unless it succeeded. */
  const runJob = (name: string, body: Record<string, WorkflowValue>): WorkflowStep[] => [
    step(`${name}Job`, {
      call: `${AIPLATFORM}.customJobs.create`,
      // connector_params.timeout: the connector waits this long for the job (default 1800 s); a little over the job's own.
      args: { parent, region: spec.region, body, connector_params: { timeout: timeout + 600 } },
      result: `${name}Result`,
    }),
    step(`${name}Succeeded`, {
      switch: [{ condition: expr(`${name}Result.state != "JOB_STATE_SUCCEEDED"`), steps: [step(`${name}Failed`, { raise: expr(`"${name}: job " + ${name}Result.name + " ended " + ${name}Result.state`) })] }],
    }),
  ];
  const fuse = (path: string) => expr(`"/gcs/" + bucket + "/" + ${path}`);

  const prepareArgs = ['--model', spec.model, '--task', spec.task, '--target', spec.target, '--features', features, '--format', spec.format, '--input', fuse(str(spec.dataPrefix)), '--holdout-share', String(spec.holdout.share), '--seed', String(spec.holdout.seed), '--out', fuse('work + "prepared"')];
  const fixed = Object.entries(spec.hyperparameters ?? {}).map(([k, v]) => `--${k}=${String(v)}`);
  const trainArgs = ['train', '--model', spec.model, '--task', spec.task, '--target', spec.target, '--features', features, '--metric', spec.metric, '--seed', String(spec.holdout.seed), '--version', expr('version'), '--data', fuse('work + "prepared"'), ...fixed];

  const fit: WorkflowStep[] = spec.tuning ? tuneSteps(spec, parent, job('tune', python('training.vertex'), trainArgs, true), timeout) : [...runJob(TRAINING_STEPS.train, job('train', python('training.vertex'), trainArgs, true)), step('trainedModel', { assign: [{ candidateDir: expr('work + "train/model/"') }] })];

  const evaluateArgs = ['--model', spec.model, '--metric', spec.metric, '--candidate', fuse('candidateDir + "model.tar.gz"'), '--test', fuse('work + "prepared/test"'), '--current', expr('currentFolder'), ...(spec.floor !== undefined ? ['--floor', String(spec.floor)] : []), '--out', fuse('work + "evaluation"')];
  const floorCondition = spec.floor === undefined ? '' : ` and evaluation.candidate.${spec.metric} ${better ? '>=' : '<='} ${spec.floor}`;

  const steps: WorkflowStep[] = [
    step('init', {
      assign: [
        { input: expr('default(args, {})') },
        { version: expr(env('GOOGLE_CLOUD_WORKFLOW_EXECUTION_ID')) },
        { bucket: expr(env(TRAINING_WORKFLOW_ENV.bucket)) },
        { work: expr(`"pipelines/${spec.model}/" + version + "/"`) },
        { runId: expr(`"${spec.modelId}-" + version`) },
        { reason: expr('default(map.get(input, "reason"), "manual")') },
        { requested: expr(`default(map.get(input, "model"), "${spec.model}")`) },
      ],
    }),
    // Eventarc passes the CloudEvent as the argument (https://cloud.google.com/eventarc/docs/workflows/route-trigger-cloud-pubsub):
    // a Pub/Sub trigger cannot filter on message attributes, so the drift message's model is checked here.
    step('fromDrift', {
      switch: [
        {
          condition: expr('map.get(input, "specversion") != null'),
          steps: [
            step('driftAttributes', { assign: [{ attributes: expr('default(map.get(map.get(map.get(input, "data"), "message"), "attributes"), {})') }, { reason: 'drift' }, { requested: expr('default(map.get(attributes, "model"), "")') }] }),
            step('otherEnvironment', { switch: [{ condition: expr(`default(map.get(attributes, "environment"), "${spec.environment}") != "${spec.environment}"`), steps: [skip('driftElsewhere', `drift in another environment: this workflow trains ${spec.model} in ${spec.environment}`)] }] }),
          ],
        },
      ],
    }),
    step('checkArguments', {
      switch: [
        { condition: expr(`requested != "${spec.model}"`), steps: [step('otherModel', { return: { status: 'skipped', reason: expr(`"the request names model " + requested + ": this workflow trains ${spec.model}"`) } })] },
        { condition: expr('not (reason in ["schedule", "drift", "manual"])'), steps: [step('badReason', { raise: expr('"reason " + reason + ": expected schedule, drift or manual"') })] },
      ],
    }),
    // At most one running execution per model: the oldest ACTIVE execution goes on, any other ends here
    // (executions.list filter: state, orderBy: createTime; https://cloud.google.com/workflows/docs/reference/googleapis/workflowexecutions/v1/projects.locations.workflows.executions/list).
    step('listActive', {
      call: 'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list',
      args: { parent: `${parent}/workflows/${spec.workflowName}`, filter: 'state="ACTIVE"', orderBy: 'createTime', pageSize: 1 },
      result: 'active',
    }),
    step('alone', {
      switch: [
        {
          condition: expr('len(default(map.get(active, "executions"), [])) > 0 and not text.match_regex(active.executions[0].name, "/executions/" + version + "$")'),
          steps: [step('anotherRunning', { return: { status: 'skipped', reason: expr(`"execution " + active.executions[0].name + " of ${spec.workflowName} is running"`) } })],
        },
      ],
    }),
    // The current approved version: the one the deploy build moved the environment alias to (it deploys a version
    // only after the environment's approval, when required).
    step('findCurrent', {
      try: { steps: [step('getCurrent', { call: `${AIPLATFORM}.models.get`, args: { name: `${modelName}@${spec.alias}`, region: spec.region }, result: 'current' })] },
      except: { as: 'e', steps: [step('noCurrent', { switch: [{ condition: expr('map.get(e, "code") == 404'), steps: [step('none', { assign: [{ current: null }] })] }] }), step('rethrowCurrent', { switch: [{ condition: expr('map.get(e, "code") != 404'), steps: [step('currentFailed', { raise: expr('e') })] }] })] },
    }),
    step('images', {
      assign: [
        { currentFolder: 'none' },
        { servingImage: spec.servingImage ?? null },
        { containerSpec: spec.servingImage ? { imageUri: spec.servingImage } : null },
        { trainingImage: trainingImage(spec) },
      ],
    }),
    step('fromCurrent', {
      switch: [
        {
          condition: expr('current != null'),
          steps: [
            // artifactUri is gs://<bucket>/models/<model>/<version>/: the job reads it through the FUSE mount.
            step('currentPaths', { assign: [{ currentFolder: expr('text.replace_all(current.artifactUri, "gs://", "/gcs/")') }] }),
            step('currentImages', { switch: [{ condition: expr('servingImage == null'), steps: [step('sameServer', { assign: [{ containerSpec: expr('current.containerSpec') }, { servingImage: expr('current.containerSpec.imageUri') }] })] }] }),
          ],
        },
      ],
    }),
    ...(spec.trainingImage === undefined && spec.imageBuild ? imageBuildSteps(spec, spec.imageBuild, timeout) : []),
    ...experimentRunSteps(spec, parent),
    ...runJob(TRAINING_STEPS.prepare, job('prepare', python('training.prepare'), prepareArgs)),
    ...fit,
    ...(spec.tuning ? trialRunSteps(spec, parent) : []),
    ...runJob(TRAINING_STEPS.evaluate, job('evaluate', python('training.evaluate'), evaluateArgs)),
    // The connector puts `object` in the URL path: a name with `/` must be URL-encoded ("URL-encode object names to be
    // path safe", https://cloud.google.com/workflows/docs/reference/googleapis/storage/v1/objects/get and its sample).
    step('readEvaluation', { call: 'googleapis.storage.v1.objects.get', args: { bucket: expr('bucket'), object: expr('text.url_encode(work + "evaluation/evaluation.json")'), alt: 'media' }, result: 'evaluationBody' }),
    // The connector parses a JSON object's body (Cloud Storage FUSE sets Content-Type from the extension); bytes are decoded.
    step('parseEvaluation', { try: { steps: [step('decode', { assign: [{ evaluation: expr('json.decode(evaluationBody)') }] })] }, except: { as: 'parsed', steps: [step('alreadyParsed', { assign: [{ evaluation: expr('evaluationBody') }] })] } }),
    step(TRAINING_STEPS.gate, {
      switch: [
        {
          condition: expr(`not (evaluation.comparison.improvement >= 0${floorCondition})`),
          steps: [
            ...finishRunSteps('rejected', parent, spec.region),
            step('rejected', { return: { status: 'rejected', version: expr('version'), reason: expr('evaluation.decision.reason'), metrics: expr('evaluation.candidate') } }),
          ],
        },
      ],
    }),
    // The baseline function (the AWS TrainingBaseline Lambda's core behind a Cloud Run function), so the training image
    // needs no Node.js: an authenticated call with an OIDC token for its URL ("Invoke Cloud Run functions or Cloud
    // Run", https://cloud.google.com/workflows/docs/calling-run-functions); http.post raises on any answer >= 400.
    step(`${TRAINING_STEPS.baseline}Call`, {
      call: 'http.post',
      args: {
        url: expr(env(TRAINING_WORKFLOW_ENV.baselineUrl)),
        auth: { type: 'OIDC' },
        timeout: BASELINE_CALL_TIMEOUT_SECONDS,
        body: { features: expr('"gs://" + bucket + "/" + work + "prepared/features/train-features.csv"'), categorical, output: expr('"gs://" + bucket + "/" + work + "baseline/baseline.json"') },
      },
      result: 'baselineResult',
    }),
    ...runJob(
      TRAINING_STEPS.publish,
      job('publish', python('training.vertex'), ['publish', '--model', spec.model, '--version', expr('version'), '--model-dir', fuse('candidateDir'), '--evaluation', fuse('work + "evaluation"'), '--baseline', fuse('work + "baseline"'), '--data', expr(`"gs://" + bucket + "/${spec.dataPrefix}"`), '--execution', expr(`"${parent}/workflows/${spec.workflowName}/executions/" + version`), '--staging', fuse('work + "version"'), '--out', fuse(`"models/${spec.model}/" + version`)]),
    ),
    ...uploadSteps(spec, parent, modelName),
    ...finishRunSteps('registered', parent, spec.region),
    step('registered', { return: { status: 'registered', version: expr('version'), reason: expr('evaluation.decision.reason'), metrics: expr('evaluation.candidate') } }),
  ];

  return {
    main: {
      params: ['args'],
      steps: [
        step('run', {
          try: { steps },
          except: {
            as: 'e',
            steps: [
              step('logFailure', { call: 'sys.log', args: { severity: 'ERROR', json: { event: TRAINING_FAILED_EVENT, model: spec.model, error: expr('e') } } }),
              ...failRunSteps(spec, parent),
              step('failed', { raise: expr('e') }),
            ],
          },
        }),
      ],
    },
  };
}

/** The image the jobs run: the configured one, else the one the run builds. */
function trainingImage(spec: TrainingWorkflowSpec): string {
  const image = spec.trainingImage ?? spec.imageBuild?.image;
  if (image === undefined) throw new Error(`training workflow of ${spec.model}: expected trainingImage or imageBuild (the image the jobs run)`);
  return image;
}

/**
 * Makes sure ModelStack's training image exists before the first job: looks its content-hash tag up in Artifact
 * Registry (projects.locations.repositories.packages.tags.get, `artifactregistry.tags.get`; a 404 means not built yet)
 * and, when it is missing, builds it with Cloud Build from the uploaded context and waits
 * (`googleapis.cloudbuild.v1.projects.locations.builds.create`: "This method waits ... until the operation is complete,
 * fails, or times out", https://cloud.google.com/workflows/docs/reference/googleapis/cloudbuild/v1/projects.locations.builds/create).
 * The build runs as the build account (`Build.serviceAccount`), logs to Cloud Logging only (a user-specified account
 * must: "Configure user-specified service accounts", Cloud Build) and pushes the one tag (`Build.images`). Tags are
 * immutable, so when two runs (two models) build the same context at once, the second push fails: a failed build is
 * fine when the tag exists afterwards.
 *
 * Checked against the references: the tag's name is
 * `projects/{p}/locations/{l}/repositories/{r}/packages/{package}/tags/{tag}` (packages.tags.get, Artifact Registry
 * REST; `training` needs no `%2F` escaping); `http.get` raises an `HttpError` whose `code` is the status (the "Catch errors" sample tests `e.code == 404`); `Build.serviceAccount` is
 * `projects/{project}/serviceAccounts/{service_account}` (ServiceAccountName, Cloud Build v1); a build that fails
 * ends its operation with an error, which the connector raises as an `OperationError` ("Understand connectors",
 * long-running operations), and a finished one returns the Build, whose `status` is checked as well.
 */
function imageBuildSteps(spec: TrainingWorkflowSpec, build: TrainingImageBuildSpec, timeout: number): WorkflowStep[] {
  const tagUrl = `https://artifactregistry.googleapis.com/v1/${build.tagName}`;
  // At least 30 minutes, at most 24 hours: a job may run for a week (scheduling.timeout), a build may not (Cloud
  // Build's largest build timeout; Cloud Deploy states it for its Cloud Build executions, "between 10m and 24h").
  const buildTimeout = Math.min(Math.max(timeout, 1800), 24 * 3600);
  const findTag = (name: string, found: string): WorkflowStep => step(name, { call: 'http.get', args: { url: tagUrl, auth: { type: 'OAuth2' } }, result: found });
  return [
    step('findImage', {
      try: { steps: [findTag('getImageTag', 'imageTag'), step('imageExists', { assign: [{ imageMissing: false }] })] },
      except: {
        as: 'tagError',
        steps: [
          step('imageLookupFailed', { switch: [{ condition: expr('map.get(tagError, "code") != 404'), steps: [step('tagLookupFailed', { raise: expr('tagError') })] }] }),
          step('imageNotBuilt', { assign: [{ imageMissing: true }] }),
        ],
      },
    }),
    step('buildImage', {
      switch: [
        {
          condition: expr('imageMissing'),
          steps: [
            step('imageBuild', {
              try: {
                steps: [
                  step('imageBuildCall', {
                    call: 'googleapis.cloudbuild.v1.projects.locations.builds.create',
                    args: {
                      parent: `projects/${spec.project}/locations/${build.region}`,
                      projectId: spec.project,
                      body: {
                        source: { storageSource: { bucket: expr('bucket'), object: build.contextObject } },
                        steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', '--file', build.dockerfile, '--tag', build.image, '.'] }],
                        images: [build.image],
                        serviceAccount: expr(`"projects/${spec.project}/serviceAccounts/" + ${env(TRAINING_WORKFLOW_ENV.buildAccount)}`),
                        options: { logging: 'CLOUD_LOGGING_ONLY' },
                        timeout: `${buildTimeout}s`,
                        tags: ['modelstack-training-image', spec.model],
                      },
                      connector_params: { timeout: buildTimeout + 600 },
                    },
                    result: 'imageBuildResult',
                  }),
                  step('imageBuilt', { switch: [{ condition: expr('imageBuildResult.status != "SUCCESS"'), steps: [step('imageBuildFailed', { raise: expr('"training image build " + imageBuildResult.id + " ended " + imageBuildResult.status') })] }] }),
                ],
              },
              except: {
                as: 'buildError',
                steps: [
                  step('builtElsewhere', {
                    try: { steps: [findTag('recheckImageTag', 'imageTagAfter')] },
                    except: { as: 'stillMissing', steps: [step('buildFailed', { raise: expr('buildError') })] },
                  }),
                ],
              },
            }),
          ],
        },
      ],
    }),
  ];
}

/** Vertex AI StudySpec scale types (`ParameterSpec.ScaleType`); `auto` leaves it to Vertex AI. */
const SCALE_TYPES = { auto: undefined, linear: 'UNIT_LINEAR_SCALE', logarithmic: 'UNIT_LOG_SCALE', 'reverse-logarithmic': 'UNIT_REVERSE_LOG_SCALE' } as const;

/** The StudySpec of the config's tuning section (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/StudySpec). */
export function studySpec(spec: TrainingWorkflowSpec): Record<string, WorkflowValue> {
  const tuning = spec.tuning!;
  const parameters = Object.entries(tuning.parameters).map(([parameterId, range]): Record<string, WorkflowValue> => {
    if (range.type === 'categorical') return { parameterId, categoricalValueSpec: { values: [...range.values] } };
    const scale = SCALE_TYPES[range.scaling];
    const values: Record<string, WorkflowValue> =
      range.type === 'integer' ? { integerValueSpec: { minValue: String(range.min), maxValue: String(range.max) } } : { doubleValueSpec: { minValue: range.min, maxValue: range.max } };
    return scale ? { parameterId, ...values, scaleType: scale } : { parameterId, ...values };
  });
  return {
    metrics: [{ metricId: spec.metric, goal: higherIsBetter(spec.metric) ? 'MAXIMIZE' : 'MINIMIZE' }],
    parameters,
    // ALGORITHM_UNSPECIFIED is Vertex AI's Bayesian optimisation ("the default algorithm"); RANDOM_SEARCH otherwise.
    algorithm: tuning.strategy === 'random' ? 'RANDOM_SEARCH' : 'ALGORITHM_UNSPECIFIED',
    // The training code reports one measurement per trial, at its end.
    measurementSelectionType: 'LAST_MEASUREMENT',
    // Decay-curve stopping predicts a trial's final value from completed trials and its intermediate measurements;
    // with one measurement per trial it can stop little, but it is the documented automated stopping for Vertex AI.
    ...(tuning.earlyStopping ? { decayCurveStoppingSpec: { useElapsedDuration: false } } : {}),
  };
}

function tuneSteps(spec: TrainingWorkflowSpec, parent: string, customJob: { displayName: string; jobSpec: Record<string, WorkflowValue>; encryptionSpec: WorkflowValue; labels: WorkflowValue }, timeout: number): WorkflowStep[] {
  const tuning = spec.tuning!;
  const better = higherIsBetter(spec.metric);
  const body = {
    displayName: customJob.displayName,
    studySpec: studySpec(spec),
    maxTrialCount: tuning.maxJobs,
    parallelTrialCount: tuning.maxParallelJobs,
    maxFailedTrialCount: tuning.maxJobs,
    trialJobSpec: customJob.jobSpec,
    encryptionSpec: customJob.encryptionSpec,
    labels: customJob.labels,
  };
  // Trials run one after another in waves of parallelTrialCount: the connector waits for all of them.
  const waves = Math.ceil(tuning.maxJobs / tuning.maxParallelJobs);
  return [
    step('tuneJob', {
      call: `${AIPLATFORM}.hyperparameterTuningJobs.create`,
      args: { parent, region: spec.region, body, connector_params: { timeout: Math.min(waves * timeout + 600, 31_536_000) } },
      result: 'tuneResult',
    }),
    step('tuneSucceeded', { switch: [{ condition: expr('tuneResult.state != "JOB_STATE_SUCCEEDED"'), steps: [step('tuneFailed', { raise: expr('"tune: job " + tuneResult.name + " ended " + tuneResult.state') })] }] }),
    step('bestInit', { assign: [{ best: null }, { bestValue: null }] }),
    step('bestTrial', {
      for: {
        value: 'trial',
        in: expr('default(map.get(tuneResult, "trials"), [])'),
        steps: [
          step('succeededTrial', {
            switch: [
              {
                condition: expr(`trial.state == "SUCCEEDED" and map.get(trial, "finalMeasurement") != null and (bestValue == null or trial.finalMeasurement.metrics[0].value ${better ? '>' : '<'} bestValue)`),
                steps: [step('newBest', { assign: [{ best: expr('trial') }, { bestValue: expr('trial.finalMeasurement.metrics[0].value') }] })],
              },
            ],
          }),
        ],
      },
    }),
    step('anyTrial', { switch: [{ condition: expr('best == null'), steps: [step('noTrial', { raise: expr('"tune: no trial of " + tuneResult.name + " succeeded"') })] }] }),
    // A trial's AIP_MODEL_DIR is <baseOutputDirectory>/<trial id>/model/.
    step('tunedModel', { assign: [{ candidateDir: expr('work + "tune/" + best.id + "/model/"') }] }),
  ];
}

/**
 * Vertex AI Experiments as the Vertex AI SDK stores them, so the console's Experiments page shows them: contexts in the
 * ML Metadata store `default`, read from googleapis/python-aiplatform (google/cloud/aiplatform/metadata/, commit
 * 91cc8ce4, 2026-08-21):
 *
 * - the experiment: a `system.Experiment` context, schema version 0.0.1, id and display name the experiment's name,
 *   `description`, metadata `{"experiment_deleted": false}` (constants.py:21-41 and :58; `Experiment.create`,
 *   experiment_resources.py:164-213). Its backing TensorBoard is metadata too: `backing_tensorboard_resource`, the
 *   TensorBoard's resource name (constants.py:43; `assign_backing_tensorboard`, experiment_resources.py:591-646).
 *   A `tensorboard_link` key would make it a custom job's TensorBoard experiment, which the SDK refuses (:147-157);
 * - a run: a `system.ExperimentRun` context (schema 0.0.1), id `<experiment>-<run name>`, display name the run name
 *   (`_format_experiment_run_resource_id`, experiment_run_resource.py:56-67; `ExperimentRun.create`, :737-751),
 *   created with metadata `{"_params": {}, "_metrics": {}, "_state": "RUNNING"}` (constants.py:49-51) and made a
 *   child of the experiment (`_associate_to_experiment` → `add_context_children`, experiment_resources.py:648-656,
 *   :792); `log_params` and `log_metrics` merge flat maps of numbers and strings into `_params` and `_metrics`
 *   (experiment_run_resource.py:1009-1072), `update_state` writes an Execution.State name into `_state` (:343-357).
 *   The SDK sends the whole merged context (resource.py:254-321); `contexts.patch` with `updateMask: metadata`
 *   replaces the metadata likewise, so each patch here writes every key.
 *
 * Through the connectors `metadataStores.create` (waits for its operation), `metadataStores.contexts.create`
 * (`contextId`: 4-128 of `[a-z0-9-]`), `contexts.patch` and `contexts.addContextChildren`
 * (https://cloud.google.com/workflows/docs/reference/googleapis/aiplatform/v1/projects.locations.metadataStores.contexts/create).
 * Run names are the execution id (the run `<modelId>-<execution id>`); a tuning trial is the run
 * `<modelId>-<execution id>-trial-<trial id>` (at most 63 + 1 + 36 + 7 + 3 = 110 characters: the SDK keeps run ids
 * to 121, constants.py:77-78).
 */
export const EXPERIMENT_SCHEMAS = { experiment: 'system.Experiment', run: 'system.ExperimentRun', version: '0.0.1' } as const;

/** The run's parameters known before it trains: the fixed hyper-parameters, the split and the objective. */
export function staticRunParams(spec: TrainingWorkflowSpec): Record<string, string | number> {
  // The SDK takes numbers and strings (log_params raises on anything else): booleans become strings.
  const fixed = Object.fromEntries(Object.entries(spec.hyperparameters ?? {}).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]));
  return { ...fixed, metric: spec.metric, seed: spec.holdout.seed, holdout_share: spec.holdout.share };
}

function experimentRunSteps(spec: TrainingWorkflowSpec, parent: string): WorkflowStep[] {
  const store = `${parent}/metadataStores/default`;
  const tolerate409 = (name: string, call: StepBody): WorkflowStep =>
    step(name, {
      try: { steps: [step(`${name}Call`, call)] },
      // 409 ALREADY_EXISTS: created by an earlier run.
      except: { as: 'conflict', steps: [step(`${name}Exists`, { switch: [{ condition: expr('map.get(conflict, "code") != 409'), steps: [step(`${name}Failed`, { raise: expr('conflict') })] }] })] },
    });
  const experimentMetadata = { experiment_deleted: false, backing_tensorboard_resource: expr(env(TRAINING_WORKFLOW_ENV.tensorboard)) };
  return [
    tolerate409('metadataStore', { call: `${AIPLATFORM}.metadataStores.create`, args: { parent, metadataStoreId: 'default', region: spec.region, body: { encryptionSpec: { kmsKeyName: expr(env(TRAINING_WORKFLOW_ENV.kmsKey)) }, description: 'ModelStack training runs' } } }),
    tolerate409('experiment', {
      call: `${AIPLATFORM}.metadataStores.contexts.create`,
      args: {
        parent: store,
        contextId: spec.modelId,
        region: spec.region,
        body: { displayName: spec.modelId, description: `Training runs of ${spec.model} in ${spec.environment} (ModelStack)`, schemaTitle: EXPERIMENT_SCHEMAS.experiment, schemaVersion: EXPERIMENT_SCHEMAS.version, metadata: experimentMetadata },
      },
    }),
    // An experiment created before (or by hand) gets the environment's TensorBoard as its backing TensorBoard too.
    step('experimentTensorboard', {
      call: `${AIPLATFORM}.metadataStores.contexts.patch`,
      args: { name: `${store}/contexts/${spec.modelId}`, region: spec.region, updateMask: 'metadata', body: { metadata: experimentMetadata } },
    }),
    step('runParameters', { assign: [{ runParams: staticRunParams(spec) }] }),
    step('experimentRun', {
      call: `${AIPLATFORM}.metadataStores.contexts.create`,
      args: {
        parent: store,
        contextId: expr('runId'),
        region: spec.region,
        body: { displayName: expr('version'), schemaTitle: EXPERIMENT_SCHEMAS.run, schemaVersion: EXPERIMENT_SCHEMAS.version, metadata: { _params: expr('runParams'), _metrics: {}, _state: 'RUNNING', reason: expr('reason'), version: expr('version') } },
      },
    }),
    step('runInExperiment', { call: `${AIPLATFORM}.metadataStores.contexts.addContextChildren`, args: { context: `${store}/contexts/${spec.modelId}`, region: spec.region, body: { childContexts: [expr(`"${store}/contexts/" + runId`)] } } }),
  ];
}

/**
 * Each trial of the tuning job as a run of the experiment (`tuneResult.trials`: Trial.id, state, parameters
 * `[{parameterId, value}]`, finalMeasurement.metrics `[{metricId, value}]`, Vertex AI REST reference), with its
 * parameters (the fixed ones and the trial's), its final metrics, `_state` COMPLETE for a SUCCEEDED trial (FAILED
 * otherwise: INFEASIBLE is Vertex AI's failed trial), and the execution's run as `parent_run`. Then the best trial's
 * parameters join the execution run's. The maps are built with `map[key]: value` assignments (a computed key:
 * https://cloud.google.com/workflows/docs/reference/syntax/maps); a variable defined before a loop keeps what the
 * loop assigns to it, one created inside stays there (the "workflows-loop-scope" sample, syntax/iteration).
 */
function trialRunSteps(spec: TrainingWorkflowSpec, parent: string): WorkflowStep[] {
  const store = `${parent}/metadataStores/default`;
  const trialRunId = 'runId + "-trial-" + trial.id';
  return [
    step('trialRunsInit', { assign: [{ trialRuns: [] }] }),
    step('trialRuns', {
      for: {
        value: 'trial',
        in: expr('default(map.get(tuneResult, "trials"), [])'),
        steps: [
          step('trialInit', { assign: [{ trialParams: staticRunParams(spec) }, { trialMetrics: {} }, { trialState: 'FAILED' }] }),
          step('trialParameters', { for: { value: 'parameter', in: expr('default(map.get(trial, "parameters"), [])'), steps: [step('trialParameter', { assign: [{ 'trialParams[parameter.parameterId]': expr('parameter.value') }] })] } }),
          step('trialMeasurement', {
            for: { value: 'measured', in: expr('default(map.get(default(map.get(trial, "finalMeasurement"), {}), "metrics"), [])'), steps: [step('trialMetric', { assign: [{ 'trialMetrics[measured.metricId]': expr('measured.value') }] })] },
          }),
          step('trialSucceeded', { switch: [{ condition: expr('trial.state == "SUCCEEDED"'), steps: [step('trialComplete', { assign: [{ trialState: 'COMPLETE' }] })] }] }),
          step('trialRun', {
            call: `${AIPLATFORM}.metadataStores.contexts.create`,
            args: {
              parent: store,
              contextId: expr(trialRunId),
              region: spec.region,
              body: {
                displayName: expr('version + "-trial-" + trial.id'),
                schemaTitle: EXPERIMENT_SCHEMAS.run,
                schemaVersion: EXPERIMENT_SCHEMAS.version,
                metadata: { _params: expr('trialParams'), _metrics: expr('trialMetrics'), _state: expr('trialState'), trial_state: expr('trial.state'), parent_run: expr('runId'), tuning_job: expr('tuneResult.name'), best: expr('trial.id == best.id') },
              },
            },
          }),
          step('trialListed', { assign: [{ trialRuns: expr(`list.concat(trialRuns, "${store}/contexts/" + ${trialRunId})`) }] }),
        ],
      },
    }),
    step('trialsInExperiment', {
      switch: [{ condition: expr('len(trialRuns) > 0'), steps: [step('addTrialRuns', { call: `${AIPLATFORM}.metadataStores.contexts.addContextChildren`, args: { context: `${store}/contexts/${spec.modelId}`, region: spec.region, body: { childContexts: expr('trialRuns') } } })] }],
    }),
    step('bestParameters', { for: { value: 'parameter', in: expr('default(map.get(best, "parameters"), [])'), steps: [step('bestParameter', { assign: [{ 'runParams[parameter.parameterId]': expr('parameter.value') }] })] } }),
  ];
}

/**
 * Marks the experiment run FAILED, with the error. A failure before the run exists (or before its parameters are
 * known) leaves nothing to mark: that patch fails, and a warning says so; the workflow's own error is raised after.
 */
function failRunSteps(spec: TrainingWorkflowSpec, parent: string): WorkflowStep[] {
  const region = spec.region;
  return [
    step('failRun', {
      try: {
        steps: [
          step('failRunCall', {
            call: `${AIPLATFORM}.metadataStores.contexts.patch`,
            args: {
              name: expr(`"${parent}/metadataStores/default/contexts/" + runId`),
              region,
              updateMask: 'metadata',
              body: { metadata: { _params: expr('runParams'), _metrics: {}, _state: 'FAILED', status: 'failed', reason: expr('reason'), version: expr('version'), error: expr('json.encode_to_string(e)') } },
            },
          }),
        ],
      },
      except: { as: 'unmarked', steps: [step('runNotMarked', { call: 'sys.log', args: { severity: 'WARNING', json: { event: 'experiment_run_not_marked_failed', model: spec.model, error: expr('unmarked') } } })] },
    }),
  ];
}

/** Records the outcome on the experiment run (contexts.patch): its parameters, the candidate's held-out metrics, COMPLETE. */
function finishRunSteps(status: 'registered' | 'rejected', parent: string, region: string): WorkflowStep[] {
  return [
    step(`${status}Run`, {
      call: `${AIPLATFORM}.metadataStores.contexts.patch`,
      args: {
        name: expr(`"${parent}/metadataStores/default/contexts/" + runId`),
        region,
        updateMask: 'metadata',
        body: { metadata: { _params: expr('runParams'), _metrics: expr('evaluation.candidate'), _state: 'COMPLETE', status, reason: expr('reason'), version: expr('version') } },
      },
    }),
  ];
}

/**
 * Registers the version in the Vertex AI Model Registry under `<modelId>` with the alias `v<version>`, the alias the
 * deploy build looks for (cli/vertex-deploy: it deploys an uploaded version rather than uploading it again), and
 * never the environment alias: the deploy build moves that one once the version is deployed (after approval where
 * the environment requires it). models.upload: `parentModel` for a new version of an existing model, `modelId` for
 * the first (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models/upload).
 * Without a serving image (a built model server and no deployed version yet) the deploy build uploads the version.
 */
function uploadSteps(spec: TrainingWorkflowSpec, parent: string, modelName: string): WorkflowStep[] {
  const model = {
    displayName: spec.modelId,
    description: `ModelStack model ${spec.model}`,
    versionDescription: expr(`"${spec.model} " + version + " trained by workflow ${spec.workflowName} (" + reason + ")"`),
    // Vertex AI aliases start with a letter: the version folder's name with a v, as vertex-deploy's versionAlias.
    versionAliases: [expr('"v" + version')],
    artifactUri: expr(`"gs://" + bucket + "/models/${spec.model}/" + version + "/"`),
    containerSpec: expr('containerSpec'),
    labels: { modelstack_model: spec.model, modelstack_experiment: spec.modelId, modelstack_experiment_run: expr('version'), modelstack_reason: expr('reason') },
    encryptionSpec: { kmsKeyName: expr(env(TRAINING_WORKFLOW_ENV.kmsKey)) },
  };
  // The deploy build may have uploaded the version first (it starts on model.tar.gz): the alias is then taken, and
  // the version is registered all the same.
  const upload = (name: string, target: Record<string, WorkflowValue>): WorkflowStep =>
    step(name, {
      try: { steps: [step(`${name}Call`, { call: `${AIPLATFORM}.models.upload`, args: { parent, region: spec.region, body: { ...target, model } }, result: 'uploaded' })] },
      except: {
        as: 'uploadError',
        steps: [
          step(`${name}Check`, {
            try: { steps: [step(`${name}Get`, { call: `${AIPLATFORM}.models.get`, args: { name: expr(`"${modelName}@v" + version`), region: spec.region }, result: 'uploaded' })] },
            except: { as: 'notThere', steps: [step(`${name}Failed`, { raise: expr('uploadError') })] },
          }),
        ],
      },
    });
  return [
    step(TRAINING_STEPS.upload, {
      switch: [
        {
          condition: expr('containerSpec != null'),
          steps: [
            step('findModel', {
              try: { steps: [step('getModel', { call: `${AIPLATFORM}.models.get`, args: { name: modelName, region: spec.region }, result: 'parentModel' })] },
              except: { as: 'missing', steps: [step('firstVersion', { switch: [{ condition: expr('map.get(missing, "code") == 404'), steps: [step('noModel', { assign: [{ parentModel: null }] })] }, { condition: true, steps: [step('getModelFailed', { raise: expr('missing') })] }] })] },
            }),
            step('uploadVersion', {
              switch: [
                { condition: expr('parentModel == null'), steps: [upload('uploadFirst', { modelId: spec.modelId })] },
                { condition: true, steps: [upload('uploadNext', { parentModel: modelName })] },
              ],
            }),
          ],
        },
      ],
    }),
  ];
}

/**
 * The workflow source for Terraform: JSON, with every Workflows expression's `${` written `$${`, Terraform's escape
 * for a literal `${`.
 */
export function trainingWorkflowSource(spec: TrainingWorkflowSpec): string {
  return JSON.stringify(trainingWorkflowDefinition(spec), null, 2).replace(/\$\{/g, '$${');
}
