// The rules a SageMaker pipeline definition must follow, checked on plain JSON so a hand-edited or mutated
// definition is caught too. Structural rules encode the published JSON schema
// (github.com/aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema, schema/
// pipeline-definition.schema.json) for the step types ModelStack generates; where that schema lags the service,
// the extension is named beside the rule. Semantic rules (unique names, references that resolve, an acyclic
// graph) are what CreatePipeline checks beyond the schema ("Pipelines overview": a pipeline is a DAG of steps).

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Step and parameter names: the schema's `StepName` and `ParameterName`. */
export const PIPELINE_NAME_PATTERN = /^[A-Za-z0-9\-_]{1,64}$/;
const METADATA_KEY = /^[A-Za-z0-9\-_]{1,128}$/;
const MAX_DESCRIPTION = 4096;

/** Every step type of the published schema; ModelStack's model checks the arguments of the first seven. */
const MODELLED_TYPES = ['Processing', 'Training', 'Tuning', 'Lambda', 'Condition', 'RegisterModel', 'Fail'] as const;
const OTHER_TYPES = ['Transform', 'CreateModel', 'Callback', 'ClarifyCheck', 'QualityCheck', 'EMR', 'AutoML', 'Endpoint', 'EndpointConfig'];
/** The schema's `ConditionStep.Arguments.IfSteps/ElseSteps` items. */
const BRANCH_TYPES = ['Training', 'Fail', 'Processing', 'Transform', 'RegisterModel'];

const COMMON_STEP_KEYS = ['Name', 'Type', 'DependsOn', 'DisplayName', 'Description'];
const STEP_KEYS: Record<string, string[]> = {
  Processing: [...COMMON_STEP_KEYS, 'RetryPolicies', 'CacheConfig', 'Arguments', 'PropertyFiles'], // PropertyFiles: the SDK's ProcessingStep(property_files=...) emits it; the schema omits it
  Training: [...COMMON_STEP_KEYS, 'RetryPolicies', 'CacheConfig', 'Arguments'],
  Tuning: [...COMMON_STEP_KEYS, 'RetryPolicies', 'CacheConfig', 'Arguments'],
  Lambda: [...COMMON_STEP_KEYS, 'FunctionArn', 'CacheConfig', 'Arguments', 'OutputParameters'],
  Condition: [...COMMON_STEP_KEYS, 'Arguments'],
  RegisterModel: [...COMMON_STEP_KEYS, 'RetryPolicies', 'Arguments'],
  Fail: [...COMMON_STEP_KEYS, 'Arguments'],
};
const REQUIRED_STEP_KEYS: Record<string, string[]> = {
  Processing: ['Arguments'],
  Training: ['Arguments'],
  Tuning: ['Arguments'],
  Lambda: ['FunctionArn'],
  Condition: ['Arguments'],
  RegisterModel: ['Arguments'],
  Fail: ['Arguments'],
};
const PROCESSING_ARGUMENT_KEYS = ['AppSpecification', 'Environment', 'NetworkConfig', 'ProcessingInputs', 'ProcessingOutputConfig', 'ProcessingResources', 'RoleArn', 'StoppingCondition', 'Tags', 'ProcessingJobName'];
const TRAINING_ARGUMENT_KEYS = ['AlgorithmSpecification', 'CheckpointConfig', 'DebugHookConfig', 'DebugRuleConfigurations', 'EnableInterContainerTrafficEncryption', 'EnableManagedSpotTraining', 'EnableNetworkIsolation', 'HyperParameters', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig', 'RoleArn', 'StoppingCondition', 'Tags', 'TrainingJobName', 'TensorBoardOutputConfig', 'VpcConfig'];
const TRAINING_DEFINITION_KEYS = ['DefinitionName', 'AlgorithmSpecification', 'CheckpointConfig', 'EnableInterContainerTrafficEncryption', 'EnableManagedSpotTraining', 'EnableNetworkIsolation', 'HyperParameterRanges', 'InputDataConfig', 'OutputDataConfig', 'ResourceConfig', 'RetryStrategy', 'RoleArn', 'StaticHyperParameters', 'StoppingCondition', 'TuningObjective', 'VpcConfig'];
const TRAINING_DEFINITION_REQUIRED = ['AlgorithmSpecification', 'OutputDataConfig', 'ResourceConfig', 'RoleArn', 'StoppingCondition'];
const ALGORITHM_KEYS = ['AlgorithmName', 'EnableSageMakerMetricsTimeSeries', 'MetricDefinitions', 'TrainingImage', 'TrainingInputMode'];
const TUNING_CONFIG_KEYS = ['HyperParameterTuningJobObjective', 'ParameterRanges', 'ResourceLimits', 'Strategy', 'TrainingJobEarlyStoppingType', 'TuningJobCompletionCriteria'];
// ModelApprovalStatus and CustomerMetadataProperties: CreateModelPackage's fields, which the SDK's RegisterModel step
// emits (get_create_model_package_request builds the step's arguments); the schema omits them.
const REGISTER_ARGUMENT_KEYS = ['CertifyForMarketplace', 'InferenceSpecification', 'ModelPackageDescription', 'ModelPackageGroupName', 'ModelMetrics', 'ModelApprovalStatus', 'CustomerMetadataProperties'];
/** CreateModelPackage's CustomerMetadataProperties: at most 50 keys of 1-128 characters, values of at most 256. */
const METADATA_PROPERTY_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const MAX_METADATA_PROPERTIES = 50;
const APPROVAL_STATUSES = ['Approved', 'Rejected', 'PendingManualApproval'];
const CONDITION_TYPES = ['GreaterThan', 'LessThan', 'LessThanOrEqualTo', 'GreaterThanOrEqualTo', 'Equals', 'NotEquals'];
const RETRY_EXCEPTIONS = ['Step.SERVICE_FAULT', 'Step.THROTTLING', 'SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT', 'Emr.RESOURCE_LIMIT'];
const SCALING_TYPES = ['Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic'];
/** The schema's `ParameterRanges`: at most 20 ranges of each kind. */
const MAX_RANGES_PER_KIND = 20;
const EXECUTION_VARIABLES = ['PipelineExecutionId', 'PipelineExecutionArn', 'PipelineName', 'PipelineArn', 'StartDateTime', 'CurrentDateTime'];

/**
 * The first segment of `Steps.<step>.<path>` each step type exposes: the SDK's step `properties`, which mirror the
 * Describe* response of the job the step runs (DescribeProcessingJob, DescribeTrainingJob,
 * DescribeHyperParameterTuningJob plus TrainingJobSummaries, DescribeModelPackage).
 */
const STEP_PROPERTIES: Record<string, string[]> = {
  Processing: ['ProcessingJobName', 'ProcessingJobArn', 'ProcessingJobStatus', 'ProcessingInputs', 'ProcessingOutputConfig', 'ProcessingResources', 'AppSpecification', 'ExitMessage', 'FailureReason'],
  Training: ['TrainingJobName', 'TrainingJobArn', 'TrainingJobStatus', 'ModelArtifacts', 'OutputDataConfig', 'FinalMetricDataList', 'HyperParameters', 'AlgorithmSpecification', 'ResourceConfig'],
  Tuning: ['HyperParameterTuningJobName', 'HyperParameterTuningJobArn', 'HyperParameterTuningJobStatus', 'BestTrainingJob', 'TrainingJobSummaries', 'ObjectiveStatusCounters', 'TrainingJobStatusCounters'],
  Lambda: ['OutputParameters'],
  RegisterModel: ['ModelPackageArn', 'ModelPackageName', 'ModelPackageGroupName', 'ModelApprovalStatus'],
  Condition: ['Outcome'],
  Fail: [],
};

/** Collects problems, each prefixed with its JSON path. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  /** Reports keys of `value` outside `allowed` (the schema's additionalProperties: false). */
  onlyKeys(value: Obj, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(value)) if (!allowed.includes(key)) this.add(`${path}.${key}`, `unknown key: expected one of ${allowed.join(', ')}`);
  }
  required(value: Obj, keys: readonly string[], path: string): void {
    for (const key of keys) if (value[key] === undefined) this.add(`${path}.${key}`, 'missing');
  }
}

/** A step found in the definition, with where it is. */
interface Located {
  readonly step: Obj;
  readonly path: string;
}

/**
 * Every problem of a pipeline definition (JSON as CreatePipeline takes it), each with its JSON path, such as
 * `Steps[2].Arguments.Conditions[0].Type: expected one of GreaterThan, ...`. Empty when it is valid.
 */
export function pipelineDefinitionProblems(definition: unknown): string[] {
  const problems = new Problems();
  if (!isObj(definition)) return ['definition: expected an object'];
  problems.onlyKeys(definition, ['Version', 'Metadata', 'Parameters', 'Steps'], 'definition');
  if (definition.Version !== '2020-12-01') problems.add('Version', `expected "2020-12-01", got ${JSON.stringify(definition.Version)}`);
  if (definition.Metadata !== undefined) checkMetadata(definition.Metadata, problems);
  const parameters = checkParameters(definition.Parameters, problems);
  if (!Array.isArray(definition.Steps)) {
    problems.add('Steps', 'expected an array of steps');
    return problems.list;
  }
  const steps: Located[] = [];
  definition.Steps.forEach((step, i) => checkStep(step, `Steps[${i}]`, problems, steps, false));
  checkGraph(steps, parameters, problems);
  checkInputUris(steps, definition.Parameters, problems);
  return problems.list;
}

/** ProcessingS3Input.S3Uri's pattern (SageMaker API Reference). */
const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;

/**
 * A processing input's S3Uri must be an S3 URI (CreateProcessingJob refuses anything else), whether written in the
 * step or as the default of the parameter it reads: a default such as `none` fails only when an execution starts.
 */
function checkInputUris(steps: Located[], parameters: Json, problems: Problems): void {
  const defaults = new Map<string, Json>(Array.isArray(parameters) ? parameters.filter(isObj).map((p) => [String(p.Name), p.DefaultValue]) : []);
  for (const { step, path } of steps) {
    if (step.Type !== 'Processing' || !isObj(step.Arguments) || !Array.isArray(step.Arguments.ProcessingInputs)) continue;
    step.Arguments.ProcessingInputs.forEach((input, i) => {
      const uri = isObj(input) && isObj(input.S3Input) ? input.S3Input.S3Uri : undefined;
      const at = `${path}.Arguments.ProcessingInputs[${i}].S3Input.S3Uri`;
      if (typeof uri === 'string' && !S3_URI.test(uri)) problems.add(at, `expected an s3:// or https:// URI, got ${JSON.stringify(uri)}`);
      const parameter = isObj(uri) && typeof uri.Get === 'string' && uri.Get.startsWith('Parameters.') ? uri.Get.slice('Parameters.'.length) : undefined;
      const value = parameter === undefined ? undefined : defaults.get(parameter);
      if (typeof value === 'string' && !S3_URI.test(value)) problems.add(at, `parameter ${parameter}'s default ${JSON.stringify(value)} is not an S3 URI: an execution that keeps it fails`);
    });
  }
}

function checkMetadata(metadata: Json, problems: Problems): void {
  if (!isObj(metadata)) return problems.add('Metadata', 'expected an object');
  for (const [key, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(key)) problems.add(`Metadata.${key}`, 'expected a key of 1-128 letters, digits, - and _');
    if (typeof value !== 'string' || value.length > 1024) problems.add(`Metadata.${key}`, 'expected a string of at most 1024 characters');
  }
}

const PARAMETER_VALUE: Record<string, (v: Json) => boolean> = {
  String: (v) => typeof v === 'string' && v.length <= 4096,
  Integer: (v) => Number.isInteger(v),
  Float: (v) => typeof v === 'number',
  Boolean: (v) => typeof v === 'boolean',
};

/** The parameters' names by type; problems for each malformed one. */
function checkParameters(parameters: Json, problems: Problems): Map<string, string> {
  const names = new Map<string, string>();
  if (parameters === undefined) return names;
  if (!Array.isArray(parameters)) {
    problems.add('Parameters', 'expected an array');
    return names;
  }
  parameters.forEach((parameter, i) => {
    const path = `Parameters[${i}]`;
    if (!isObj(parameter)) return problems.add(path, 'expected an object');
    problems.onlyKeys(parameter, ['Name', 'Type', 'DefaultValue', 'Description'], path);
    // The schema requires Type except for String parameters, the default type.
    const type = parameter.Type === undefined ? 'String' : parameter.Type;
    if (typeof type !== 'string' || !(type in PARAMETER_VALUE)) problems.add(`${path}.Type`, `expected one of ${Object.keys(PARAMETER_VALUE).join(', ')}`);
    else if (parameter.DefaultValue !== undefined && !PARAMETER_VALUE[type](parameter.DefaultValue)) {
      problems.add(`${path}.DefaultValue`, `expected a ${type.toLowerCase()}${type === 'String' ? ' of at most 4096 characters' : ''}, got ${JSON.stringify(parameter.DefaultValue)}`);
    }
    checkDescription(parameter.Description, `${path}.Description`, problems);
    if (typeof parameter.Name !== 'string' || !PIPELINE_NAME_PATTERN.test(parameter.Name)) {
      problems.add(`${path}.Name`, `expected 1-64 letters, digits, - and _, got ${JSON.stringify(parameter.Name)}`);
    } else if (names.has(parameter.Name)) {
      problems.add(`${path}.Name`, `duplicate parameter name "${parameter.Name}"`);
    } else {
      names.set(parameter.Name, String(type));
    }
  });
  return names;
}

function checkDescription(value: Json, path: string, problems: Problems): void {
  if (value !== undefined && (typeof value !== 'string' || value.length > MAX_DESCRIPTION)) problems.add(path, `expected a string of at most ${MAX_DESCRIPTION} characters`);
}

function checkStep(step: Json, path: string, problems: Problems, steps: Located[], inBranch: boolean): void {
  if (!isObj(step)) return problems.add(path, 'expected a step object');
  const type = step.Type;
  if (typeof type !== 'string' || !(MODELLED_TYPES as readonly string[]).includes(type)) {
    const known = OTHER_TYPES.includes(String(type));
    return problems.add(`${path}.Type`, known ? `${String(type)} steps are not part of ModelStack's pipeline model: expected one of ${MODELLED_TYPES.join(', ')}` : `expected one of ${[...MODELLED_TYPES, ...OTHER_TYPES].join(', ')}, got ${JSON.stringify(type)}`);
  }
  if (inBranch && !BRANCH_TYPES.includes(type)) problems.add(`${path}.Type`, `a condition's IfSteps and ElseSteps hold only ${BRANCH_TYPES.join(', ')} steps, got ${type}`);
  problems.onlyKeys(step, STEP_KEYS[type], path);
  problems.required(step, ['Name', ...REQUIRED_STEP_KEYS[type]], path);
  if (step.Name !== undefined && (typeof step.Name !== 'string' || !PIPELINE_NAME_PATTERN.test(step.Name))) problems.add(`${path}.Name`, `expected 1-64 letters, digits, - and _, got ${JSON.stringify(step.Name)}`);
  if (step.DisplayName !== undefined && (typeof step.DisplayName !== 'string' || !PIPELINE_NAME_PATTERN.test(step.DisplayName))) problems.add(`${path}.DisplayName`, 'expected 1-64 letters, digits, - and _');
  checkDescription(step.Description, `${path}.Description`, problems);
  if (step.DependsOn !== undefined && (!Array.isArray(step.DependsOn) || !step.DependsOn.every((d) => typeof d === 'string' && PIPELINE_NAME_PATTERN.test(d)))) {
    problems.add(`${path}.DependsOn`, 'expected an array of step names');
  }
  if (step.RetryPolicies !== undefined) checkRetryPolicies(step.RetryPolicies, `${path}.RetryPolicies`, problems);
  if (step.CacheConfig !== undefined) {
    if (!isObj(step.CacheConfig)) problems.add(`${path}.CacheConfig`, 'expected an object');
    else problems.onlyKeys(step.CacheConfig, ['Enabled', 'ExpireAfter'], `${path}.CacheConfig`);
  }
  steps.push({ step, path });
  const args = step.Arguments;
  const argsPath = `${path}.Arguments`;
  if (args !== undefined && !isObj(args)) return problems.add(argsPath, 'expected an object');
  const a = (args ?? {}) as Obj;
  switch (type) {
    case 'Processing':
      problems.onlyKeys(a, PROCESSING_ARGUMENT_KEYS, argsPath);
      // CreateProcessingJob requires these three (the pipeline names the job itself).
      problems.required(a, ['AppSpecification', 'ProcessingResources', 'RoleArn'], argsPath);
      if (isObj(a.AppSpecification)) {
        problems.onlyKeys(a.AppSpecification, ['ContainerArguments', 'ContainerEntrypoint', 'ImageUri'], `${argsPath}.AppSpecification`);
        problems.required(a.AppSpecification, ['ImageUri'], `${argsPath}.AppSpecification`);
      }
      checkPropertyFiles(step, path, problems);
      break;
    case 'Training':
      problems.onlyKeys(a, TRAINING_ARGUMENT_KEYS, argsPath);
      // CreateTrainingJob requires these (the pipeline names the job itself).
      problems.required(a, ['AlgorithmSpecification', 'OutputDataConfig', 'ResourceConfig', 'RoleArn', 'StoppingCondition'], argsPath);
      if (isObj(a.AlgorithmSpecification)) problems.onlyKeys(a.AlgorithmSpecification, ALGORITHM_KEYS, `${argsPath}.AlgorithmSpecification`);
      if (a.HyperParameters !== undefined) checkStringMap(a.HyperParameters, `${argsPath}.HyperParameters`, problems);
      break;
    case 'Tuning':
      checkTuning(a, argsPath, problems);
      break;
    case 'Lambda':
      if (typeof step.FunctionArn !== 'string' || !/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9-_]{1,64}(:[A-Za-z0-9$_-]+)?$/.test(step.FunctionArn)) {
        problems.add(`${path}.FunctionArn`, `expected a Lambda function ARN, got ${JSON.stringify(step.FunctionArn)}`);
      }
      if (step.OutputParameters !== undefined) {
        if (!Array.isArray(step.OutputParameters)) problems.add(`${path}.OutputParameters`, 'expected an array');
        else step.OutputParameters.forEach((o, i) => {
          if (!isObj(o) || typeof o.OutputName !== 'string' || !['String', 'Integer', 'Boolean', 'Float'].includes(String(o.OutputType))) {
            problems.add(`${path}.OutputParameters[${i}]`, 'expected { OutputName, OutputType: String | Integer | Boolean | Float }');
          }
        });
      }
      break;
    case 'Condition':
      problems.onlyKeys(a, ['Conditions', 'IfSteps', 'ElseSteps'], argsPath);
      if (!Array.isArray(a.Conditions)) problems.add(`${argsPath}.Conditions`, 'expected an array of conditions');
      else a.Conditions.forEach((c, i) => checkCondition(c, `${argsPath}.Conditions[${i}]`, problems));
      if (inBranch) problems.add(path, 'a condition step cannot be inside another condition\'s branch');
      for (const branch of ['IfSteps', 'ElseSteps']) {
        if (a[branch] === undefined) continue;
        if (!Array.isArray(a[branch])) problems.add(`${argsPath}.${branch}`, 'expected an array of steps');
        else (a[branch] as Json[]).forEach((s, i) => checkStep(s, `${argsPath}.${branch}[${i}]`, problems, steps, true));
      }
      break;
    case 'RegisterModel':
      problems.onlyKeys(a, REGISTER_ARGUMENT_KEYS, argsPath);
      problems.required(a, ['ModelPackageGroupName', 'InferenceSpecification'], argsPath);
      if (typeof a.ModelApprovalStatus === 'string' && !APPROVAL_STATUSES.includes(a.ModelApprovalStatus)) {
        problems.add(`${argsPath}.ModelApprovalStatus`, `expected one of ${APPROVAL_STATUSES.join(', ')}`);
      }
      if (a.CustomerMetadataProperties !== undefined) checkCustomerMetadata(a.CustomerMetadataProperties, `${argsPath}.CustomerMetadataProperties`, problems);
      if (isObj(a.InferenceSpecification)) {
        const spec = a.InferenceSpecification;
        if (!Array.isArray(spec.Containers) || spec.Containers.length === 0) problems.add(`${argsPath}.InferenceSpecification.Containers`, 'expected at least one container');
        else spec.Containers.forEach((c, i) => isObj(c) && problems.required(c, ['Image', 'ModelDataUrl'], `${argsPath}.InferenceSpecification.Containers[${i}]`));
      }
      break;
    case 'Fail':
      problems.onlyKeys(a, ['ErrorMessage'], argsPath);
      break;
  }
  checkExpressions(args, argsPath, problems);
}

function checkRetryPolicies(policies: Json, path: string, problems: Problems): void {
  if (!Array.isArray(policies)) return problems.add(path, 'expected an array');
  policies.forEach((policy, i) => {
    if (!isObj(policy) || !RETRY_EXCEPTIONS.includes(String(policy.ExceptionType))) problems.add(`${path}[${i}].ExceptionType`, `expected one of ${RETRY_EXCEPTIONS.join(', ')}`);
    else problems.onlyKeys(policy, ['ExceptionType', 'IntervalSeconds', 'BackoffRate', 'ExpireAfterMin', 'MaxAttempts'], `${path}[${i}]`);
  });
}

function checkStringMap(map: Json, path: string, problems: Problems): void {
  if (!isObj(map)) return problems.add(path, 'expected an object');
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string' && !isExpression(value)) problems.add(`${path}.${key}`, `expected a string (hyper-parameters are strings), got ${JSON.stringify(value)}`);
  }
}

function checkCustomerMetadata(map: Json, path: string, problems: Problems): void {
  if (!isObj(map)) return problems.add(path, 'expected an object of string values');
  const keys = Object.keys(map);
  if (keys.length > MAX_METADATA_PROPERTIES) problems.add(path, `expected at most ${MAX_METADATA_PROPERTIES} properties, got ${keys.length}`);
  for (const [key, value] of Object.entries(map)) {
    if (!METADATA_PROPERTY_KEY.test(key)) problems.add(`${path}.${key}`, 'expected a key of 1-128 letters, digits, spaces and _.:/=+-@');
    if (typeof value === 'string' ? value.length > 256 : !isExpression(value)) problems.add(`${path}.${key}`, `expected a string of at most 256 characters, got ${JSON.stringify(value)}`);
  }
}

function checkPropertyFiles(step: Obj, path: string, problems: Problems): void {
  if (step.PropertyFiles === undefined) return;
  if (!Array.isArray(step.PropertyFiles)) return problems.add(`${path}.PropertyFiles`, 'expected an array');
  const outputs = processingOutputNames(step);
  step.PropertyFiles.forEach((file, i) => {
    const at = `${path}.PropertyFiles[${i}]`;
    if (!isObj(file)) return problems.add(at, 'expected an object');
    problems.onlyKeys(file, ['PropertyFileName', 'OutputName', 'FilePath'], at);
    problems.required(file, ['PropertyFileName', 'OutputName', 'FilePath'], at);
    if (typeof file.OutputName === 'string' && !outputs.includes(file.OutputName)) problems.add(`${at}.OutputName`, `expected one of the step's outputs (${outputs.join(', ') || 'none'}), got "${file.OutputName}"`);
  });
}

function checkTuning(a: Obj, path: string, problems: Problems): void {
  problems.onlyKeys(a, ['HyperParameterTuningJobConfig', 'Tags', 'HyperParameterTuningJobName', 'TrainingJobDefinition', 'TrainingJobDefinitions', 'WarmStartConfig'], path);
  problems.required(a, ['HyperParameterTuningJobConfig'], path);
  const config = a.HyperParameterTuningJobConfig;
  const at = `${path}.HyperParameterTuningJobConfig`;
  if (isObj(config)) {
    problems.onlyKeys(config, TUNING_CONFIG_KEYS, at);
    problems.required(config, ['ResourceLimits', 'Strategy'], at);
    if (config.Strategy !== undefined && !['Bayesian', 'Random'].includes(String(config.Strategy))) problems.add(`${at}.Strategy`, 'expected Bayesian or Random');
    if (config.TrainingJobEarlyStoppingType !== undefined && !['Off', 'Auto'].includes(String(config.TrainingJobEarlyStoppingType))) problems.add(`${at}.TrainingJobEarlyStoppingType`, 'expected Off or Auto');
    const objective = config.HyperParameterTuningJobObjective;
    if (objective !== undefined) {
      if (!isObj(objective) || !['Maximize', 'Minimize'].includes(String(objective.Type)) || objective.MetricName === undefined) {
        problems.add(`${at}.HyperParameterTuningJobObjective`, 'expected { Type: Maximize | Minimize, MetricName }');
      }
    }
    const limits = config.ResourceLimits;
    if (isObj(limits)) {
      for (const key of ['MaxNumberOfTrainingJobs', 'MaxParallelTrainingJobs']) {
        if (!Number.isInteger(limits[key]) || (limits[key] as number) < 1) problems.add(`${at}.ResourceLimits.${key}`, `expected an integer of at least 1, got ${JSON.stringify(limits[key])}`);
      }
      if (Number.isInteger(limits.MaxParallelTrainingJobs) && Number.isInteger(limits.MaxNumberOfTrainingJobs) && (limits.MaxParallelTrainingJobs as number) > (limits.MaxNumberOfTrainingJobs as number)) {
        problems.add(`${at}.ResourceLimits.MaxParallelTrainingJobs`, 'expected at most MaxNumberOfTrainingJobs');
      }
    }
    if (config.ParameterRanges !== undefined) checkRanges(config.ParameterRanges, `${at}.ParameterRanges`, problems);
  }
  const definition = a.TrainingJobDefinition;
  if (definition !== undefined) {
    const dp = `${path}.TrainingJobDefinition`;
    if (!isObj(definition)) return problems.add(dp, 'expected an object');
    problems.onlyKeys(definition, TRAINING_DEFINITION_KEYS, dp);
    problems.required(definition, TRAINING_DEFINITION_REQUIRED, dp);
    if (isObj(definition.AlgorithmSpecification)) problems.onlyKeys(definition.AlgorithmSpecification, ALGORITHM_KEYS, `${dp}.AlgorithmSpecification`);
    if (definition.StaticHyperParameters !== undefined) checkStringMap(definition.StaticHyperParameters, `${dp}.StaticHyperParameters`, problems);
  } else if (a.TrainingJobDefinitions === undefined) {
    problems.add(`${path}.TrainingJobDefinition`, 'missing: expected TrainingJobDefinition or TrainingJobDefinitions');
  }
}

function checkRanges(ranges: Json, path: string, problems: Problems): void {
  if (!isObj(ranges)) return problems.add(path, 'expected an object');
  problems.onlyKeys(ranges, ['ContinuousParameterRanges', 'IntegerParameterRanges', 'CategoricalParameterRanges'], path);
  for (const [kind, list] of Object.entries(ranges)) {
    if (!Array.isArray(list)) {
      problems.add(`${path}.${kind}`, 'expected an array');
      continue;
    }
    if (list.length > MAX_RANGES_PER_KIND) problems.add(`${path}.${kind}`, `expected at most ${MAX_RANGES_PER_KIND} ranges, got ${list.length}`);
    list.forEach((range, i) => {
      const at = `${path}.${kind}[${i}]`;
      if (!isObj(range)) return problems.add(at, 'expected an object');
      if (kind === 'CategoricalParameterRanges') {
        problems.onlyKeys(range, ['Name', 'Values'], at);
        problems.required(range, ['Name', 'Values'], at);
        return;
      }
      problems.onlyKeys(range, ['Name', 'MinValue', 'MaxValue', 'ScalingType'], at);
      problems.required(range, ['Name', 'MinValue', 'MaxValue'], at);
      if (range.ScalingType !== undefined && !SCALING_TYPES.includes(String(range.ScalingType))) problems.add(`${at}.ScalingType`, `expected one of ${SCALING_TYPES.join(', ')}`);
      // The API takes the bounds as strings.
      for (const key of ['MinValue', 'MaxValue']) if (range[key] !== undefined && typeof range[key] !== 'string' && !isExpression(range[key])) problems.add(`${at}.${key}`, `expected a string, got ${JSON.stringify(range[key])}`);
      if (typeof range.MinValue === 'string' && typeof range.MaxValue === 'string' && Number(range.MinValue) >= Number(range.MaxValue)) problems.add(`${at}.MaxValue`, `expected more than MinValue (${range.MinValue})`);
    });
  }
}

function checkCondition(condition: Json, path: string, problems: Problems): void {
  if (!isObj(condition)) return problems.add(path, 'expected a condition object');
  if (condition.Type === 'Or') {
    problems.onlyKeys(condition, ['Type', 'Conditions'], path);
    if (!Array.isArray(condition.Conditions)) return problems.add(`${path}.Conditions`, 'expected an array of conditions');
    return condition.Conditions.forEach((c, i) => checkCondition(c, `${path}.Conditions[${i}]`, problems));
  }
  if (condition.Type === 'In' || condition.Type === 'NotIn') {
    problems.onlyKeys(condition, ['Type', 'Value', 'In'], path);
    return problems.required(condition, ['Value', 'In'], path);
  }
  if (!CONDITION_TYPES.includes(String(condition.Type))) return problems.add(`${path}.Type`, `expected one of ${[...CONDITION_TYPES, 'In', 'NotIn', 'Or'].join(', ')}, got ${JSON.stringify(condition.Type)}`);
  problems.onlyKeys(condition, ['Type', 'LeftValue', 'RightValue'], path);
  problems.required(condition, ['LeftValue', 'RightValue'], path);
}

/** Whether `value` is a Get, Std:Join or Std:JsonGet expression (whatever its shape). */
function isExpression(value: Json): boolean {
  return isObj(value) && ('Get' in value || 'Std:Join' in value || 'Std:JsonGet' in value);
}

/**
 * Checks the shape of every expression under `value`. `Std:Join` and `Std:JsonGet` are the SDK's `Join` and
 * `JsonGet` functions; the published schema defines `JoinFunction` but allows only strings and `Get` as argument
 * values, while the service and the SDK accept both wherever a value may be an expression.
 */
function checkExpressions(value: Json, path: string, problems: Problems): void {
  if (Array.isArray(value)) return value.forEach((v, i) => checkExpressions(v, `${path}[${i}]`, problems));
  if (!isObj(value)) return;
  if ('Get' in value) {
    if (Object.keys(value).length !== 1 || typeof value.Get !== 'string') problems.add(path, 'expected { Get: "<reference>" } and nothing else');
    return;
  }
  if ('Std:Join' in value) {
    const join = value['Std:Join'];
    if (Object.keys(value).length !== 1 || !isObj(join) || typeof join.On !== 'string' || !Array.isArray(join.Values)) return problems.add(path, 'expected { "Std:Join": { On: "<separator>", Values: [...] } }');
    join.Values.forEach((v, i) => {
      if (!['string', 'number', 'boolean'].includes(typeof v) && !(isObj(v) && 'Get' in v)) problems.add(`${path}["Std:Join"].Values[${i}]`, 'expected a string, number, boolean or { Get }');
      checkExpressions(v, `${path}["Std:Join"].Values[${i}]`, problems);
    });
    return;
  }
  if ('Std:JsonGet' in value) {
    const get = value['Std:JsonGet'];
    if (Object.keys(value).length !== 1 || !isObj(get) || typeof get.Path !== 'string' || !isObj(get.PropertyFile) || typeof get.PropertyFile.Get !== 'string') {
      problems.add(path, 'expected { "Std:JsonGet": { PropertyFile: { Get: "Steps.<step>.PropertyFiles.<file>" }, Path: "<json path>" } }');
    }
    return;
  }
  for (const [key, v] of Object.entries(value)) checkExpressions(v, `${path}.${key}`, problems);
}

/** The OutputName of each of a processing step's outputs. */
function processingOutputNames(step: Obj): string[] {
  const config = isObj(step.Arguments) ? step.Arguments.ProcessingOutputConfig : undefined;
  const outputs = isObj(config) && Array.isArray(config.Outputs) ? config.Outputs : [];
  return outputs.map((o) => (isObj(o) ? o.OutputName : undefined)).filter((n): n is string => typeof n === 'string');
}

/** Every `Get` reference under `value`, with its path; `propertyFile` marks the PropertyFile of a Std:JsonGet. */
function references(value: Json, path: string, out: { ref: string; path: string; propertyFile: boolean }[] = []): typeof out {
  if (Array.isArray(value)) value.forEach((v, i) => references(v, `${path}[${i}]`, out));
  else if (isObj(value)) {
    if (typeof value.Get === 'string' && Object.keys(value).length === 1) out.push({ ref: value.Get, path, propertyFile: false });
    else if (isObj(value['Std:JsonGet']) && isObj(value['Std:JsonGet'].PropertyFile) && typeof value['Std:JsonGet'].PropertyFile.Get === 'string') {
      out.push({ ref: value['Std:JsonGet'].PropertyFile.Get, path: `${path}["Std:JsonGet"].PropertyFile`, propertyFile: true });
    } else for (const [key, v] of Object.entries(value)) references(v, `${path}.${key}`, out);
  }
  return out;
}

const STEP_REFERENCE = /^Steps\.([A-Za-z0-9\-_]{1,64})\.(.+)$/;

/** Unique step names, references that resolve, DependsOn that names steps, and no cycle. */
function checkGraph(steps: Located[], parameters: Map<string, string>, problems: Problems): void {
  const byName = new Map<string, Obj>();
  for (const { step, path } of steps) {
    if (typeof step.Name !== 'string') continue;
    if (byName.has(step.Name)) problems.add(`${path}.Name`, `duplicate step name "${step.Name}"`);
    else byName.set(step.Name, step);
  }
  const edges = new Map<string, Set<string>>();
  for (const { step, path } of steps) {
    if (typeof step.Name !== 'string') continue;
    const deps = edges.get(step.Name) ?? new Set<string>();
    edges.set(step.Name, deps);
    (Array.isArray(step.DependsOn) ? step.DependsOn : []).forEach((dep, i) => {
      if (typeof dep !== 'string') return;
      if (dep === step.Name) problems.add(`${path}.DependsOn[${i}]`, 'a step cannot depend on itself');
      else if (!byName.has(dep)) problems.add(`${path}.DependsOn[${i}]`, `no step named "${dep}"`);
      else deps.add(dep);
    });
    const { Name: _name, DependsOn: _deps, ...rest } = step;
    // A condition's branches are checked as steps of their own; its references are in its Conditions.
    const scope = step.Type === 'Condition' && isObj(step.Arguments) ? { Conditions: step.Arguments.Conditions } : rest;
    for (const { ref, path: at, propertyFile } of references(scope, path)) {
      const problem = referenceProblem(ref, propertyFile, byName, parameters);
      if (problem) problems.add(at, problem);
      const target = STEP_REFERENCE.exec(ref)?.[1];
      if (target && byName.has(target)) {
        if (target === step.Name) problems.add(at, 'a step cannot read its own properties');
        else deps.add(target);
      }
    }
  }
  // A step in a condition's branch runs after the condition.
  for (const { step } of steps) {
    if (step.Type !== 'Condition' || !isObj(step.Arguments)) continue;
    for (const branch of ['IfSteps', 'ElseSteps']) {
      for (const inner of (Array.isArray(step.Arguments[branch]) ? step.Arguments[branch] : []) as Json[]) {
        if (isObj(inner) && typeof inner.Name === 'string' && typeof step.Name === 'string') edges.get(inner.Name)?.add(step.Name);
      }
    }
  }
  const cycle = findCycle(edges);
  if (cycle) problems.add('Steps', `the steps form a cycle: ${cycle.join(' -> ')}`);
}

function referenceProblem(ref: string, propertyFile: boolean, steps: Map<string, Obj>, parameters: Map<string, string>): string | undefined {
  if (ref.startsWith('Parameters.')) {
    const name = ref.slice('Parameters.'.length);
    return parameters.has(name) ? undefined : `no parameter named "${name}" (parameters: ${[...parameters.keys()].join(', ') || 'none'})`;
  }
  if (ref.startsWith('Execution.')) {
    const name = ref.slice('Execution.'.length);
    return EXECUTION_VARIABLES.includes(name) ? undefined : `no execution variable "${name}": expected one of ${EXECUTION_VARIABLES.join(', ')}`;
  }
  const match = STEP_REFERENCE.exec(ref);
  if (!match) return `expected Parameters.<name>, Execution.<name> or Steps.<step>.<property>, got "${ref}"`;
  const [, name, property] = match;
  const step = steps.get(name);
  if (!step) return `no step named "${name}" (steps: ${[...steps.keys()].join(', ')})`;
  const type = String(step.Type);
  if (propertyFile) {
    const file = /^PropertyFiles\.([A-Za-z0-9\-_]+)$/.exec(property)?.[1];
    const files = Array.isArray(step.PropertyFiles) ? step.PropertyFiles.map((f) => (isObj(f) ? f.PropertyFileName : undefined)) : [];
    return file && files.includes(file) ? undefined : `step "${name}" has no property file "${property.replace(/^PropertyFiles\./, '')}" (files: ${files.join(', ') || 'none'})`;
  }
  const root = /^[A-Za-z]+/.exec(property)?.[0] ?? '';
  if (!(STEP_PROPERTIES[type] ?? []).includes(root)) return `a ${type} step has no property "${root}": expected one of ${(STEP_PROPERTIES[type] ?? []).join(', ') || '(none)'}`;
  const output = /^ProcessingOutputConfig\.Outputs\['([^']+)'\]/.exec(property)?.[1];
  if (output !== undefined && !processingOutputNames(step).includes(output)) return `step "${name}" has no output "${output}" (outputs: ${processingOutputNames(step).join(', ')})`;
  const lambdaOutput = /^OutputParameters\['([^']+)'\]$/.exec(property)?.[1];
  if (type === 'Lambda') {
    const declared = Array.isArray(step.OutputParameters) ? step.OutputParameters.map((o) => (isObj(o) ? o.OutputName : undefined)) : [];
    if (lambdaOutput === undefined || !declared.includes(lambdaOutput)) return `step "${name}" declares no output parameter ${lambdaOutput === undefined ? `in "${property}"` : `"${lambdaOutput}"`} (declared: ${declared.join(', ') || 'none'})`;
  }
  return undefined;
}

/** A cycle in `edges` (step -> the steps it waits for), as names, or undefined. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The steps of a valid definition in an order that respects every dependency (DependsOn and references). */
export function executionOrder(definition: { readonly Steps: readonly unknown[] }): string[] {
  const steps: Located[] = [];
  const problems = new Problems();
  definition.Steps.forEach((step, i) => checkStep(step, `Steps[${i}]`, problems, steps, false));
  const names = steps.map(({ step }) => String(step.Name));
  const deps = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  for (const { step } of steps) {
    for (const dep of Array.isArray(step.DependsOn) ? step.DependsOn : []) deps.get(String(step.Name))?.add(String(dep));
    const scope = step.Type === 'Condition' && isObj(step.Arguments) ? { Conditions: step.Arguments.Conditions } : { ...step, Name: undefined, DependsOn: undefined };
    for (const { ref } of references(scope, '')) {
      const target = STEP_REFERENCE.exec(ref)?.[1];
      if (target && target !== step.Name && deps.has(target)) deps.get(String(step.Name))?.add(target);
    }
    // A step in a condition's branch runs after the condition.
    if (step.Type === 'Condition' && isObj(step.Arguments)) {
      for (const branch of ['IfSteps', 'ElseSteps']) {
        for (const inner of (Array.isArray(step.Arguments[branch]) ? step.Arguments[branch] : []) as Json[]) {
          if (isObj(inner)) deps.get(String(inner.Name))?.add(String(step.Name));
        }
      }
    }
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < names.length) {
    const ready = names.filter((n) => !placed.has(n) && [...(deps.get(n) ?? [])].every((d) => placed.has(d)));
    if (ready.length === 0) throw new Error('the pipeline definition has a cycle: check it with pipelineDefinitionProblems first');
    for (const n of ready) {
      order.push(n);
      placed.add(n);
    }
  }
  return order;
}
