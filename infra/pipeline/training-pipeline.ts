// Generates a model's SageMaker training pipeline definition from the platform config (docs/training.md):
//
//   PrepareData (split + schema validation) -> Train | Tune -> Evaluate (held-out, candidate vs current)
//   Baseline (Lambda: modelstack baseline on the training features, beside training)
//   Gate (at least as good as the current version, and reaching the floor)
//     -> Publish (the version folder models/<model>/<execution id>/) -> Register (model package, approval)
//     else Refuse (Fail step with the evaluation's reason)
//
// Step types: "Pipelines steps" in the SageMaker Developer Guide (build-and-manage-steps.html); the definition's
// grammar: the JSON schema in aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema.
import { awsEnvironment } from '../config/clouds';
import { ImageResolver } from '../config/images';
import type { ModelConfig, PlatformConfig } from '../config/schema';
import { higherIsBetter, type QualityMetric, type TrainingConfig } from '../config/training-schema';
import { awsRegistryBucketName, mlflowTrackingServerName, modelPackageGroupOf, namePrefixOf } from '../aws/names';
import {
  execution,
  join,
  jsonGet,
  param,
  type Channel,
  type ConditionStep,
  type FailStep,
  type Get,
  type LambdaStep,
  type ParameterRanges,
  type PipelineDefinition,
  type PipelineParameter,
  type ProcessingArguments,
  type ProcessingStep,
  type RegisterModelStep,
  type Str,
  stepProperty,
  type TrainingJobShape,
  type TrainingStep,
  type TuningStep,
} from './definition';

/** The steps' names, shared with the local runner. */
export const STEP_NAMES = {
  prepare: 'PrepareData',
  train: 'Train',
  tune: 'Tune',
  evaluate: 'Evaluate',
  baseline: 'Baseline',
  track: 'Track',
  gate: 'Gate',
  publish: 'Publish',
  register: 'Register',
  refuse: 'Refuse',
} as const;

/** Where the container sees its inputs and outputs (SageMaker's /opt/ml/processing convention). */
export const CONTAINER_PATHS = {
  data: '/opt/ml/processing/input/data',
  model: '/opt/ml/processing/input/model',
  test: '/opt/ml/processing/input/test',
  prepared: '/opt/ml/processing/prepared',
  evaluation: '/opt/ml/processing/evaluation',
  baseline: '/opt/ml/processing/input/baseline',
  current: '/opt/ml/processing/input/current',
  noCurrentVersion: '/opt/ml/processing/prepared/no-current-version',
  version: '/opt/ml/processing/version',
  tracking: '/opt/ml/processing/tracking',
} as const;

/** The evaluation step's property file, read by the gate. */
export const EVALUATION_FILE = { name: 'EvaluationReport', output: 'evaluation', path: 'evaluation.json' } as const;

/** The tracking step's property file: the MLflow run's id, read by the registration. */
export const TRACKING_FILE = { name: 'MlflowRun', output: 'tracking', path: 'mlflow.json' } as const;

/** What the definition needs beyond the config: the resources the AWS stack creates. */
export interface TrainingPipelineResources {
  /**
   * The role the jobs run as.
   * @default - `arn:aws:iam::<account>:role/<platform>-<env>-<model>-training`
   */
  readonly roleArn?: string;
  /**
   * The KMS key of the jobs' volumes and outputs.
   * @default - the registry key's alias, `alias/<platform>-<env>-model-registry`
   */
  readonly kmsKeyId?: string;
  /**
   * The image that runs the training code (`python3 -m training.*`, `train`): buildAwsPlatform passes the training
   * image it builds (containers/training) when the config sets no `training.aws.image`.
   * @default - the model's `training.aws.image`, else its serving image (which cannot train: pass a training image)
   */
  readonly trainingImage?: string;
  /**
   * The image registered with the version.
   * @default - the model's image (a built image by its content tag)
   */
  readonly servingImage?: string;
  /**
   * The Lambda function that profiles the training features into baseline.json.
   * @default - `arn:aws:lambda:<region>:<account>:function:<platform>-<env>-training-baseline`
   */
  readonly baselineFunctionArn?: string;
  /**
   * The SageMaker managed MLflow tracking server the Track step logs each execution's run to (MLFLOW_TRACKING_URI),
   * and that the registered version links to; `false` for no Track step.
   * @default - the environment's server, `arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<platform>-<env>`, unless its `aws.mlflow` is false
   */
  readonly mlflowTrackingServerArn?: string | false;
}

/** The parameters an execution may override (StartPipelineExecution's PipelineParameters). */
export const PARAMETER_NAMES = {
  inputData: 'InputData',
  currentModelData: 'CurrentModelDataUrl',
  holdoutShare: 'HoldoutShare',
  seed: 'Seed',
  floor: 'ObjectiveFloor',
  approval: 'ModelApprovalStatus',
  instanceType: 'InstanceType',
} as const;

/**
 * The file PrepareData writes under {@link noCurrentVersionUri}: Evaluate finds it instead of a model.tar.gz when the
 * package group has no approved version yet, and treats the candidate as the first version.
 */
export const NO_CURRENT_VERSION_MARKER = 'NO_CURRENT_VERSION';

/**
 * The `CurrentModelDataUrl` value meaning "no approved version yet" (the parameter's default): a prefix PrepareData
 * writes {@link NO_CURRENT_VERSION_MARKER} to in every execution. It cannot be a word like `none`: Evaluate receives
 * the current model as a ProcessingInput (the job has no network to read S3 itself), whose S3Uri must be an S3 URI
 * (ProcessingS3Input, SageMaker API Reference) under which objects exist, else CreateProcessingJob fails with "No S3
 * objects found under S3 URL".
 */
export function noCurrentVersionUri(bucket: string, model: string): string {
  return `s3://${bucket}/pipelines/${model}/no-current-version/`;
}

/** The quality metric's name in the training job's log, for MetricDefinitions and the tuning objective. */
export function validationMetricName(metric: QualityMetric): string {
  return `validation:${metric}`;
}

/** A model's training pipeline definition in one AWS environment. */
export function trainingPipelineDefinition(config: PlatformConfig, envName: string, modelName: string, resources: TrainingPipelineResources = {}): PipelineDefinition {
  const model = config.models.find((m) => m.name === modelName);
  if (!model) throw new Error(`no model named "${modelName}": expected one of ${config.models.map((m) => m.name).join(', ')}`);
  if (!model.training) throw new Error(`model ${modelName} has no training section: add models[].training to the config (docs/training.md)`);
  const environment = awsEnvironment(config, envName);
  const { account, region } = environment.aws;
  const prefix = namePrefixOf(config, envName);
  const bucket = awsRegistryBucketName(config, envName);
  const training = model.training;
  const image = resources.servingImage ?? new ImageResolver(config).uriOf(model.image);
  const ctx: Context = {
    model,
    training,
    bucket,
    region,
    roleArn: resources.roleArn ?? `arn:aws:iam::${account}:role/${prefix}-${model.name}-training`,
    kmsKeyId: resources.kmsKeyId ?? `alias/${prefix}-model-registry`,
    trainingImage: resources.trainingImage ?? training.aws.image ?? image,
    mlflow:
      resources.mlflowTrackingServerArn ??
      (environment.aws.mlflow === false ? false : `arn:aws:sagemaker:${region}:${account}:mlflow-tracking-server/${mlflowTrackingServerName(config, envName)}`),
    experiment: `${prefix}-${model.name}`,
    // Every execution works under its own prefix, so two executions never share files.
    workPrefix: (...parts: (string | Get)[]) => join('/', [`s3://${bucket}/pipelines/${model.name}`, execution('PipelineExecutionId'), ...parts]),
  };
  const metric = training.objective.metric;
  const parameters: PipelineParameter[] = [
    { Name: PARAMETER_NAMES.inputData, Type: 'String', DefaultValue: `s3://${bucket}/${training.data.prefix ?? `training-data/${model.name}/`}`, Description: `Training data (${training.data.format}) under this S3 prefix.` },
    {
      Name: PARAMETER_NAMES.currentModelData,
      Type: 'String',
      DefaultValue: noCurrentVersionUri(bucket, model.name),
      Description: `The approved version the candidate must match or beat: its model package's ModelDataUrl (s3://${bucket}/models/${model.name}/<version>/model.tar.gz), or this default when there is none yet. Set by whoever starts the execution.`,
    },
    { Name: PARAMETER_NAMES.holdoutShare, Type: 'Float', DefaultValue: training.holdout.share },
    { Name: PARAMETER_NAMES.seed, Type: 'Integer', DefaultValue: training.holdout.seed },
    { Name: PARAMETER_NAMES.approval, Type: 'String', DefaultValue: environment.approvalRequired ? 'PendingManualApproval' : 'Approved' },
    { Name: PARAMETER_NAMES.instanceType, Type: 'String', DefaultValue: training.aws.instanceType },
  ];
  if (training.objective.floor !== undefined) parameters.push({ Name: PARAMETER_NAMES.floor, Type: 'Float', DefaultValue: training.objective.floor, Description: `Least acceptable ${metric}${higherIsBetter(metric) ? '' : ' (the largest accepted)'}.` });

  const prepare = prepareStep(ctx);
  const fit = training.tuning ? tuneStep(ctx) : trainStep(ctx);
  const modelData: Str = training.tuning
    ? // The best job's artifact: <S3OutputPath>/<training job name>/output/model.tar.gz (CreateTrainingJob's output layout).
      ctx.workPrefix('train', stepProperty(STEP_NAMES.tune, 'BestTrainingJob.TrainingJobName'), 'output', 'model.tar.gz')
    : stepProperty(STEP_NAMES.train, 'ModelArtifacts.S3ModelArtifacts');
  const evaluate = evaluateStep(ctx, modelData);
  const baseline = baselineStep(ctx, resources.baselineFunctionArn ?? `arn:aws:lambda:${region}:${account}:function:${prefix}-training-baseline`);
  const versionFolder = join('/', [`s3://${bucket}/models/${model.name}`, execution('PipelineExecutionId')]);
  const publish = publishStep(ctx, modelData, versionFolder);
  const track = ctx.mlflow ? trackStep(ctx, ctx.mlflow, modelData) : undefined;
  const register = registerStep(ctx, image, `${prefix}-${model.name}`, modelPackageGroupOf(config, envName, model.name));
  const refuse: FailStep = {
    Name: STEP_NAMES.refuse,
    Type: 'Fail',
    Description: 'The candidate is worse than the current version or below the floor: nothing is registered.',
    Arguments: { ErrorMessage: jsonGet(STEP_NAMES.evaluate, EVALUATION_FILE.name, 'decision.reason') },
  };
  const better = higherIsBetter(metric);
  const gate: ConditionStep = {
    Name: STEP_NAMES.gate,
    Type: 'Condition',
    Description: `Register when ${metric} is at least the current version's${training.objective.floor !== undefined ? ' and reaches the floor' : ''}.`,
    // The baseline must exist before the version is published; a condition's branches may hold no Lambda step
    // (the schema's IfSteps), so the baseline runs beside training and the gate waits for it. So it does for the
    // run's tracking: every candidate is tracked, registered or not, and the registration names the run.
    DependsOn: [STEP_NAMES.baseline, ...(track ? [STEP_NAMES.track] : [])],
    Arguments: {
      Conditions: [
        // improvement = (candidate - current), sign-adjusted so positive is better; 0 without a current version.
        { Type: 'GreaterThanOrEqualTo', LeftValue: jsonGet(STEP_NAMES.evaluate, EVALUATION_FILE.name, 'comparison.improvement'), RightValue: 0 },
        ...(training.objective.floor !== undefined
          ? [{ Type: better ? ('GreaterThanOrEqualTo' as const) : ('LessThanOrEqualTo' as const), LeftValue: jsonGet(STEP_NAMES.evaluate, EVALUATION_FILE.name, `candidate.${metric}`), RightValue: param(PARAMETER_NAMES.floor) }]
          : []),
      ],
      IfSteps: [publish, register],
      ElseSteps: [refuse],
    },
  };
  return {
    Version: '2020-12-01',
    Metadata: { model: model.name, environment: envName, generator: 'modelstack' },
    Parameters: parameters,
    Steps: [prepare, fit, evaluate, baseline, ...(track ? [track] : []), gate],
  };
}

interface Context {
  readonly model: ModelConfig;
  readonly training: TrainingConfig;
  readonly bucket: string;
  readonly region: string;
  readonly roleArn: string;
  readonly kmsKeyId: string;
  readonly trainingImage: string;
  /** The MLflow tracking server's ARN, or false. */
  readonly mlflow: string | false;
  /** The MLflow experiment of the model's runs. */
  readonly experiment: string;
  readonly workPrefix: (...parts: (string | Get)[]) => Str;
}

/** A parameter as a string argument (container arguments are strings). */
const asText = (name: string): Str => join('', [param(name)]);

function processing(ctx: Context, module: string, args: readonly Str[], io: Pick<ProcessingArguments, 'ProcessingInputs' | 'ProcessingOutputConfig'>): ProcessingArguments {
  return {
    ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: param(PARAMETER_NAMES.instanceType), VolumeSizeInGB: ctx.training.aws.volumeSizeGb, VolumeKmsKeyId: ctx.kmsKeyId } },
    AppSpecification: { ImageUri: ctx.trainingImage, ContainerEntrypoint: ['python3', '-m', module], ContainerArguments: args },
    RoleArn: ctx.roleArn,
    ...io,
    StoppingCondition: { MaxRuntimeInSeconds: ctx.training.aws.maxRuntimeMinutes * 60 },
    // The jobs read and write S3 through the channels SageMaker mounts: they need no network of their own.
    NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true },
  };
}

const input = (name: string, uri: Str, localPath: string) => ({ InputName: name, S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: 'S3Prefix', S3InputMode: 'File' } });
const output = (name: string, uri: Str, localPath: string) => ({ OutputName: name, S3Output: { S3Uri: uri, LocalPath: localPath, S3UploadMode: 'EndOfJob' } });
const preparedUri = (name: string) => stepProperty(STEP_NAMES.prepare, `ProcessingOutputConfig.Outputs['${name}'].S3Output.S3Uri`);

function prepareStep(ctx: Context): ProcessingStep {
  const { model, training } = ctx;
  return {
    Name: STEP_NAMES.prepare,
    Type: 'Processing',
    Description: 'Validates the data against the input schema and splits it into train, validation and held-out test sets.',
    Arguments: processing(
      ctx,
      'training.prepare',
      ['--model', model.name, '--task', model.task, '--target', training.target, '--features', featuresArgument(model), '--format', training.data.format, '--input', CONTAINER_PATHS.data, '--holdout-share', asText(PARAMETER_NAMES.holdoutShare), '--seed', asText(PARAMETER_NAMES.seed), '--out', CONTAINER_PATHS.prepared],
      {
        ProcessingInputs: [input('data', param(PARAMETER_NAMES.inputData), CONTAINER_PATHS.data)],
        ProcessingOutputConfig: {
          Outputs: [
            ...['train', 'validation', 'test', 'features'].map((name) => output(name, ctx.workPrefix('prepared', name), `${CONTAINER_PATHS.prepared}/${name}`)),
            // The marker behind CurrentModelDataUrl's "none yet" default: one fixed prefix per model, rewritten by each execution.
            output('no-current-version', noCurrentVersionUri(ctx.bucket, model.name), CONTAINER_PATHS.noCurrentVersion),
          ],
          KmsKeyId: ctx.kmsKeyId,
        },
      },
    ),
  };
}

/** The input schema as one argument: `name:numeric,name:categorical,...`. */
function featuresArgument(model: ModelConfig): string {
  return model.inputSchema.features.map((f) => `${f.name}:${f.type}`).join(',');
}

function trainingJob(ctx: Context): TrainingJobShape {
  const metric = ctx.training.objective.metric;
  const channel = (name: string): Channel => ({ ChannelName: name, ContentType: 'text/csv', DataSource: { S3DataSource: { S3Uri: preparedUri(name), S3DataType: 'S3Prefix', S3DataDistributionType: 'FullyReplicated' } } });
  return {
    AlgorithmSpecification: {
      TrainingImage: ctx.trainingImage,
      TrainingInputMode: 'File',
      // The training code prints `validation:<metric>=<value>`; SageMaker reads the objective from the log with this regex.
      MetricDefinitions: [{ Name: validationMetricName(metric), Regex: `${validationMetricName(metric)}=([-+0-9.eE]+)` }],
    },
    RoleArn: ctx.roleArn,
    InputDataConfig: [channel('train'), channel('validation')],
    OutputDataConfig: { S3OutputPath: ctx.workPrefix('train'), KmsKeyId: ctx.kmsKeyId },
    ResourceConfig: { InstanceCount: 1, InstanceType: param(PARAMETER_NAMES.instanceType), VolumeSizeInGB: ctx.training.aws.volumeSizeGb, VolumeKmsKeyId: ctx.kmsKeyId },
    StoppingCondition: { MaxRuntimeInSeconds: ctx.training.aws.maxRuntimeMinutes * 60 },
    EnableNetworkIsolation: true,
    EnableInterContainerTrafficEncryption: true,
  };
}

/** Fixed hyper-parameters as strings (CreateTrainingJob's HyperParameters are a string map), with the model and seed. */
function staticHyperparameters(ctx: Context): Record<string, string> {
  const fixed = Object.fromEntries(Object.entries(ctx.training.hyperparameters ?? {}).map(([k, v]) => [k, String(v)]));
  return {
    model: ctx.model.name,
    task: ctx.model.task,
    target: ctx.training.target,
    features: featuresArgument(ctx.model),
    metric: ctx.training.objective.metric,
    seed: String(ctx.training.holdout.seed),
    ...fixed,
  };
}

function trainStep(ctx: Context): TrainingStep {
  // The version label travels as a hyper-parameter: model.json names the version the model is published as.
  return { Name: STEP_NAMES.train, Type: 'Training', Description: 'Trains the candidate with the training code.', Arguments: { ...trainingJob(ctx), HyperParameters: { ...staticHyperparameters(ctx), version: execution('PipelineExecutionId') } } };
}

const SCALING = { auto: 'Auto', linear: 'Linear', logarithmic: 'Logarithmic', 'reverse-logarithmic': 'ReverseLogarithmic' } as const;

function tuneStep(ctx: Context): TuningStep {
  const tuning = ctx.training.tuning!;
  const ranges = Object.entries(tuning.parameters);
  const numeric = (type: 'continuous' | 'integer') =>
    ranges.flatMap(([name, range]) => (range.type === type ? [{ Name: name, MinValue: String(range.min), MaxValue: String(range.max), ScalingType: SCALING[range.scaling] }] : []));
  const parameterRanges: ParameterRanges = {
    ContinuousParameterRanges: numeric('continuous'),
    IntegerParameterRanges: numeric('integer'),
    CategoricalParameterRanges: ranges.flatMap(([name, range]) => (range.type === 'categorical' ? [{ Name: name, Values: range.values }] : [])),
  };
  const metric = ctx.training.objective.metric;
  return {
    Name: STEP_NAMES.tune,
    Type: 'Tuning',
    Description: `Searches ${ranges.map(([n]) => n).join(', ')} for the best validation ${metric}.`,
    Arguments: {
      HyperParameterTuningJobConfig: {
        Strategy: tuning.strategy === 'random' ? 'Random' : 'Bayesian',
        HyperParameterTuningJobObjective: { Type: higherIsBetter(metric) ? 'Maximize' : 'Minimize', MetricName: validationMetricName(metric) },
        ResourceLimits: { MaxNumberOfTrainingJobs: tuning.maxJobs, MaxParallelTrainingJobs: tuning.maxParallelJobs },
        ParameterRanges: parameterRanges,
        TrainingJobEarlyStoppingType: tuning.earlyStopping ? 'Auto' : 'Off',
      },
      TrainingJobDefinition: { ...trainingJob(ctx), StaticHyperParameters: { ...staticHyperparameters(ctx), version: execution('PipelineExecutionId') } },
    },
  };
}

function evaluateStep(ctx: Context, modelData: Str): ProcessingStep {
  const { model, training } = ctx;
  return {
    Name: STEP_NAMES.evaluate,
    Type: 'Processing',
    Description: 'Scores the candidate and the current version on the held-out set; writes quality.json, metrics.json and the decision.',
    Arguments: processing(
      ctx,
      'training.evaluate',
      [
        '--model', model.name,
        '--metric', training.objective.metric,
        '--candidate', `${CONTAINER_PATHS.model}/model.tar.gz`,
        '--test', CONTAINER_PATHS.test,
        '--current', CONTAINER_PATHS.current,
        ...(training.objective.floor !== undefined ? ['--floor', asText(PARAMETER_NAMES.floor)] : []),
        '--out', CONTAINER_PATHS.evaluation,
      ],
      {
        ProcessingInputs: [
          input('model', modelData, CONTAINER_PATHS.model),
          input('test', preparedUri('test'), CONTAINER_PATHS.test),
          // The job is network-isolated: the current version's model.tar.gz (or the "none yet" marker) arrives as an input.
          input('current', param(PARAMETER_NAMES.currentModelData), CONTAINER_PATHS.current),
        ],
        ProcessingOutputConfig: { Outputs: [output(EVALUATION_FILE.output, ctx.workPrefix('evaluation'), CONTAINER_PATHS.evaluation)], KmsKeyId: ctx.kmsKeyId },
      },
    ),
    PropertyFiles: [{ PropertyFileName: EVALUATION_FILE.name, OutputName: EVALUATION_FILE.output, FilePath: EVALUATION_FILE.path }],
  };
}

function baselineStep(ctx: Context, functionArn: string): LambdaStep {
  const categorical = ctx.model.inputSchema.features.filter((f) => f.type === 'categorical').map((f) => f.name);
  return {
    Name: STEP_NAMES.baseline,
    Type: 'Lambda',
    Description: 'modelstack baseline over exactly the training features (label excluded): the drift check\'s reference.',
    FunctionArn: functionArn,
    Arguments: { features: preparedUri('features'), categorical: categorical.join(','), output: ctx.workPrefix('baseline', 'baseline.json') },
    OutputParameters: [{ OutputName: 'baseline', OutputType: 'String' }],
  };
}

function publishStep(ctx: Context, modelData: Str, versionFolder: Str): ProcessingStep {
  return {
    Name: STEP_NAMES.publish,
    Type: 'Processing',
    Description: 'Writes the version folder in the registry layout: model.tar.gz, baseline.json, quality.json, metrics.json, lineage.json.',
    Arguments: processing(
      ctx,
      'training.publish',
      [
        '--model', ctx.model.name,
        '--version', execution('PipelineExecutionId'),
        '--model-dir', CONTAINER_PATHS.model,
        '--evaluation', CONTAINER_PATHS.evaluation,
        '--baseline', CONTAINER_PATHS.baseline,
        '--data', param(PARAMETER_NAMES.inputData),
        '--execution', execution('PipelineExecutionArn'),
        '--out', CONTAINER_PATHS.version,
      ],
      {
        ProcessingInputs: [
          input('model', modelData, CONTAINER_PATHS.model),
          input(EVALUATION_FILE.output, stepProperty(STEP_NAMES.evaluate, `ProcessingOutputConfig.Outputs['${EVALUATION_FILE.output}'].S3Output.S3Uri`), CONTAINER_PATHS.evaluation),
          input('baseline', stepProperty(STEP_NAMES.baseline, "OutputParameters['baseline']"), CONTAINER_PATHS.baseline),
        ],
        ProcessingOutputConfig: { Outputs: [output('version', versionFolder, CONTAINER_PATHS.version)], KmsKeyId: ctx.kmsKeyId },
      },
    ),
  };
}

function registerStep(ctx: Context, image: string, description: string, group: string): RegisterModelStep {
  const file = (name: string) => join('/', [`s3://${ctx.bucket}/models/${ctx.model.name}`, execution('PipelineExecutionId'), name]);
  return {
    Name: STEP_NAMES.register,
    Type: 'RegisterModel',
    DependsOn: [STEP_NAMES.publish],
    Arguments: {
      ModelPackageGroupName: group,
      ModelPackageDescription: `${description}: trained by pipeline execution`,
      // Approved deploys (resolve-versions picks it); PendingManualApproval waits for a person where the environment requires approval.
      ModelApprovalStatus: param(PARAMETER_NAMES.approval),
      InferenceSpecification: {
        // The registry layout resolve-versions expects: s3://<registry>/models/<model>/<version>/model.tar.gz.
        Containers: [{ Image: image, ModelDataUrl: file('model.tar.gz') }],
        SupportedContentTypes: ['text/csv', 'application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
      ModelMetrics: {
        ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: file('quality.json') } },
        ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: file('baseline.json') } },
      },
      // The version's link to its MLflow run (CreateModelPackage's CustomerMetadataProperties, which the SDK's
      // RegisterModel step passes through).
      ...(ctx.mlflow
        ? { CustomerMetadataProperties: { mlflow_run_id: jsonGet(STEP_NAMES.track, TRACKING_FILE.name, 'run_id'), mlflow_tracking_server_arn: ctx.mlflow, mlflow_experiment: ctx.experiment } }
        : {}),
    },
  };
}

function trackStep(ctx: Context, trackingServerArn: string, modelData: Str): ProcessingStep {
  const base = processing(
    ctx,
    'training.track',
    [
      '--model', ctx.model.name,
      '--execution', execution('PipelineExecutionId'),
      '--candidate', `${CONTAINER_PATHS.model}/model.tar.gz`,
      '--evaluation', CONTAINER_PATHS.evaluation,
      // A tuned candidate: each trial of the tuning job becomes a nested run (ListTrainingJobsForHyperParameterTuningJob
      // and DescribeTrainingJob, which the pipeline role may call on its own jobs).
      ...(ctx.training.tuning
        ? ['--tuning-job', stepProperty(STEP_NAMES.tune, 'HyperParameterTuningJobName'), '--best-trial', stepProperty(STEP_NAMES.tune, 'BestTrainingJob.TrainingJobName')]
        : []),
      '--out', CONTAINER_PATHS.tracking,
    ],
    {
      ProcessingInputs: [
        input('model', modelData, CONTAINER_PATHS.model),
        input(EVALUATION_FILE.output, stepProperty(STEP_NAMES.evaluate, `ProcessingOutputConfig.Outputs['${EVALUATION_FILE.output}'].S3Output.S3Uri`), CONTAINER_PATHS.evaluation),
      ],
      ProcessingOutputConfig: { Outputs: [output(TRACKING_FILE.output, ctx.workPrefix('tracking'), CONTAINER_PATHS.tracking)], KmsKeyId: ctx.kmsKeyId },
    },
  );
  return {
    Name: STEP_NAMES.track,
    Type: 'Processing',
    Description: `Logs the candidate (parameters, validation and held-out metrics, the decision) as one MLflow run${ctx.training.tuning ? ', each tuning trial as a nested run' : ''}.`,
    Arguments: {
      ...base,
      // The MLflow client calls the tracking server's API, which a network-isolated job cannot ("No inbound or
      // outbound network calls can be made", EnableNetworkIsolation, SageMaker API Reference). Only this step has
      // network: it reads the candidate's training record and the evaluation, never the training data.
      NetworkConfig: { EnableNetworkIsolation: false, EnableInterContainerTrafficEncryption: true },
      // boto3 (the trials' SageMaker calls) needs a region: the pipeline's.
      Environment: { MLFLOW_TRACKING_URI: trackingServerArn, MLFLOW_EXPERIMENT_NAME: ctx.experiment, AWS_DEFAULT_REGION: ctx.region },
    },
    PropertyFiles: [{ PropertyFileName: TRACKING_FILE.name, OutputName: TRACKING_FILE.output, FilePath: TRACKING_FILE.path }],
  };
}
