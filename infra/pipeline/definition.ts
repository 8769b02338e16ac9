// A typed model of the SageMaker Model Building Pipeline definition (`Version: "2020-12-01"`), the JSON that
// CreatePipeline's PipelineDefinition and AWS::SageMaker::Pipeline's PipelineDefinitionBody take. It covers the
// step types ModelStack generates. Shapes follow the published JSON schema
// (github.com/aws-sagemaker-mlops/sagemaker-model-building-pipeline-definition-JSON-schema) and the request
// shapes of the APIs each step calls (CreateProcessingJob, CreateTrainingJob, CreateHyperParameterTuningJob,
// CreateModelPackage); `checks.ts` holds the rules.

/** A reference to a parameter (`Parameters.<name>`), an execution variable (`Execution.<name>`) or a step property (`Steps.<step>.<path>`). */
export interface Get {
  /** The reference. */
  readonly Get: string;
}

/** Concatenation at run time (the SDK's `Join`). */
export interface Join {
  /** The separator and the values. */
  readonly 'Std:Join': { readonly On: string; readonly Values: readonly (string | number | boolean | Get)[] };
}

/** A value read from a step's property file (the SDK's `JsonGet`): `PropertyFile` is `Steps.<step>.PropertyFiles.<name>`. */
export interface JsonGet {
  /** The property file and the JSON path in it. */
  readonly 'Std:JsonGet': { readonly PropertyFile: Get; readonly Path: string };
}

/** A value known only when the pipeline runs. */
export type Expression = Get | Join | JsonGet;
/** A string, or an expression that yields one. */
export type Str = string | Expression;
/** An integer, or an expression that yields one. */
export type Int = number | Expression;
/** A number, or an expression that yields one. */
export type Num = number | Expression;
/** A boolean, or an expression that yields one. */
export type Bool = boolean | Expression;

/** A pipeline parameter, overridable per execution (StartPipelineExecution's PipelineParameters). */
export type PipelineParameter =
  | { readonly Name: string; readonly Type: 'String'; readonly DefaultValue?: string; readonly Description?: string }
  | { readonly Name: string; readonly Type: 'Integer'; readonly DefaultValue?: number; readonly Description?: string }
  | { readonly Name: string; readonly Type: 'Float'; readonly DefaultValue?: number; readonly Description?: string }
  | { readonly Name: string; readonly Type: 'Boolean'; readonly DefaultValue?: boolean; readonly Description?: string };

/** What every step has. */
interface StepBase {
  readonly Name: string;
  readonly DisplayName?: string;
  readonly Description?: string;
  /** Steps that must finish first, beyond those the step's references imply. */
  readonly DependsOn?: readonly string[];
}

/** A file in a processing output that later steps read with {@link JsonGet}. */
export interface PropertyFile {
  readonly PropertyFileName: string;
  readonly OutputName: string;
  readonly FilePath: string;
}

/** CreateProcessingJob's request, as a step's arguments. */
export interface ProcessingArguments {
  readonly ProcessingResources: { readonly ClusterConfig: { readonly InstanceCount: Int; readonly InstanceType: Str; readonly VolumeSizeInGB: Int; readonly VolumeKmsKeyId?: Str } };
  readonly AppSpecification: { readonly ImageUri: Str; readonly ContainerEntrypoint?: readonly Str[]; readonly ContainerArguments?: readonly Str[] };
  readonly RoleArn: Str;
  readonly ProcessingInputs?: readonly {
    readonly InputName: Str;
    readonly S3Input: { readonly S3Uri: Str; readonly LocalPath: Str; readonly S3DataType: Str; readonly S3InputMode: Str };
  }[];
  readonly ProcessingOutputConfig?: {
    readonly Outputs: readonly { readonly OutputName: Str; readonly S3Output: { readonly S3Uri: Str; readonly LocalPath: Str; readonly S3UploadMode: Str } }[];
    readonly KmsKeyId?: Str;
  };
  readonly StoppingCondition?: { readonly MaxRuntimeInSeconds: Int };
  readonly Environment?: Readonly<Record<string, Str>>;
  readonly NetworkConfig?: { readonly EnableNetworkIsolation?: Bool; readonly EnableInterContainerTrafficEncryption?: Bool };
}

/** A processing job (data preparation, evaluation, publishing). */
export interface ProcessingStep extends StepBase {
  readonly Type: 'Processing';
  readonly Arguments: ProcessingArguments;
  readonly PropertyFiles?: readonly PropertyFile[];
}

/** A training channel (CreateTrainingJob's InputDataConfig item). */
export interface Channel {
  readonly ChannelName: Str;
  readonly ContentType?: Str;
  readonly DataSource: { readonly S3DataSource: { readonly S3Uri: Str; readonly S3DataType: Str; readonly S3DataDistributionType?: Str } };
}

/** What a training job and a tuning job's training job definition share. */
export interface TrainingJobShape {
  readonly AlgorithmSpecification: {
    readonly TrainingImage: Str;
    readonly TrainingInputMode: Str;
    readonly MetricDefinitions?: readonly { readonly Name: Str; readonly Regex: Str }[];
  };
  readonly RoleArn: Str;
  readonly InputDataConfig: readonly Channel[];
  readonly OutputDataConfig: { readonly S3OutputPath: Str; readonly KmsKeyId?: Str };
  readonly ResourceConfig: { readonly InstanceCount: Int; readonly InstanceType: Str; readonly VolumeSizeInGB: Int; readonly VolumeKmsKeyId?: Str };
  readonly StoppingCondition: { readonly MaxRuntimeInSeconds: Int };
  readonly EnableNetworkIsolation?: Bool;
  readonly EnableInterContainerTrafficEncryption?: Bool;
}

/** One training job. */
export interface TrainingStep extends StepBase {
  readonly Type: 'Training';
  readonly Arguments: TrainingJobShape & { readonly HyperParameters?: Readonly<Record<string, Str>> };
}

/** Tuning ranges (SageMaker's ParameterRanges); bounds are strings, as the API takes them. */
export interface ParameterRanges {
  readonly ContinuousParameterRanges?: readonly { readonly Name: Str; readonly MinValue: Str; readonly MaxValue: Str; readonly ScalingType?: ScalingType }[];
  readonly IntegerParameterRanges?: readonly { readonly Name: Str; readonly MinValue: Str; readonly MaxValue: Str; readonly ScalingType?: ScalingType }[];
  readonly CategoricalParameterRanges?: readonly { readonly Name: Str; readonly Values: readonly Str[] }[];
}

/** How a tuner searches a numeric range. */
export type ScalingType = 'Auto' | 'Linear' | 'Logarithmic' | 'ReverseLogarithmic';

/** A hyper-parameter tuning job. */
export interface TuningStep extends StepBase {
  readonly Type: 'Tuning';
  readonly Arguments: {
    readonly HyperParameterTuningJobConfig: {
      readonly Strategy: 'Bayesian' | 'Random';
      readonly HyperParameterTuningJobObjective: { readonly Type: 'Maximize' | 'Minimize'; readonly MetricName: Str };
      readonly ResourceLimits: { readonly MaxNumberOfTrainingJobs: number; readonly MaxParallelTrainingJobs: number };
      readonly ParameterRanges: ParameterRanges;
      readonly TrainingJobEarlyStoppingType?: 'Off' | 'Auto';
    };
    readonly TrainingJobDefinition: TrainingJobShape & { readonly StaticHyperParameters?: Readonly<Record<string, Str>> };
  };
}

/** A Lambda function call; its result's keys named in OutputParameters become `Steps.<name>.OutputParameters['<key>']`. */
export interface LambdaStep extends StepBase {
  readonly Type: 'Lambda';
  readonly FunctionArn: string;
  readonly Arguments?: Readonly<Record<string, Str | Num | Bool>>;
  readonly OutputParameters?: readonly { readonly OutputName: string; readonly OutputType: 'String' | 'Integer' | 'Boolean' | 'Float' }[];
}

/** Comparison of two values. */
export interface BinaryCondition {
  readonly Type: 'GreaterThan' | 'GreaterThanOrEqualTo' | 'LessThan' | 'LessThanOrEqualTo' | 'Equals' | 'NotEquals';
  readonly LeftValue: Str | Num | Bool;
  readonly RightValue: Str | Num | Bool;
}

/** Registration of a model package version in a model package group (CreateModelPackage). */
export interface RegisterModelStep extends StepBase {
  readonly Type: 'RegisterModel';
  readonly Arguments: {
    readonly ModelPackageGroupName: Str;
    readonly ModelPackageDescription?: Str;
    readonly ModelApprovalStatus?: Str;
    readonly InferenceSpecification: {
      readonly Containers: readonly { readonly Image: Str; readonly ModelDataUrl: Str }[];
      readonly SupportedContentTypes: readonly Str[];
      readonly SupportedResponseMIMETypes: readonly Str[];
      readonly SupportedRealtimeInferenceInstanceTypes?: readonly Str[];
      readonly SupportedTransformInstanceTypes?: readonly Str[];
    };
    readonly ModelMetrics?: {
      readonly ModelQuality?: { readonly Statistics?: MetricsSource };
      readonly ModelDataQuality?: { readonly Statistics?: MetricsSource; readonly Constraints?: MetricsSource };
    };
    /** Free-form key-value metadata of the version (CreateModelPackage's CustomerMetadataProperties). */
    readonly CustomerMetadataProperties?: Readonly<Record<string, Str>>;
  };
}

/** A metrics file of a model package. */
export interface MetricsSource {
  readonly ContentType: Str;
  readonly S3Uri: Str;
}

/** Ends the execution as failed, with a message. */
export interface FailStep extends StepBase {
  readonly Type: 'Fail';
  readonly Arguments: { readonly ErrorMessage: Str };
}

/** Runs IfSteps when every condition holds, else ElseSteps. */
export interface ConditionStep extends StepBase {
  readonly Type: 'Condition';
  readonly Arguments: {
    readonly Conditions: readonly BinaryCondition[];
    readonly IfSteps?: readonly BranchStep[];
    readonly ElseSteps?: readonly BranchStep[];
  };
}

/** The step types the published schema allows in a condition's branches. */
export type BranchStep = ProcessingStep | TrainingStep | RegisterModelStep | FailStep;

/** Any step ModelStack generates. */
export type PipelineStep = ProcessingStep | TrainingStep | TuningStep | LambdaStep | ConditionStep | RegisterModelStep | FailStep;

/** A pipeline definition. */
export interface PipelineDefinition {
  /** The definition format's version. */
  readonly Version: '2020-12-01';
  /**
   * Free-form labels (keys of 1-128 letters, digits, - and _; values of at most 1024 characters).
   * @default - none
   */
  readonly Metadata?: Readonly<Record<string, string>>;
  /**
   * Parameters an execution may override.
   * @default - none
   */
  readonly Parameters?: readonly PipelineParameter[];
  /** The steps; a condition's branches hold more. */
  readonly Steps: readonly PipelineStep[];
}

/** `{ Get: "Parameters.<name>" }`. */
export const param = (name: string): Get => ({ Get: `Parameters.${name}` });
/** `{ Get: "Execution.<name>" }`, such as PipelineExecutionId. */
export const execution = (name: 'PipelineExecutionId' | 'PipelineExecutionArn' | 'PipelineName' | 'StartDateTime'): Get => ({ Get: `Execution.${name}` });
/** `{ Get: "Steps.<step>.<path>" }`. */
export const stepProperty = (step: string, path: string): Get => ({ Get: `Steps.${step}.${path}` });
/** `{ "Std:Join": { On, Values } }`. */
export const join = (on: string, values: readonly (string | number | boolean | Get)[]): Join => ({ 'Std:Join': { On: on, Values: values } });
/** `{ "Std:JsonGet": ... }` reading `path` from step `step`'s property file `file`. */
export const jsonGet = (step: string, file: string, path: string): JsonGet => ({ 'Std:JsonGet': { PropertyFile: stepProperty(step, `PropertyFiles.${file}`), Path: path } });

/** Every step, condition branches included, in definition order. */
export function allSteps(definition: { readonly Steps: readonly PipelineStep[] }): PipelineStep[] {
  return definition.Steps.flatMap((step): PipelineStep[] =>
    step.Type === 'Condition' ? [step, ...(step.Arguments.IfSteps ?? []), ...(step.Arguments.ElseSteps ?? [])] : [step],
  );
}
