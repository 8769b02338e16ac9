import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { CfnPipeline } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { pipelineDefinitionProblems } from '../../infra/pipeline/checks';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { IModelRegistry } from './model-registry';
import { parseEcrImage } from '../private/image-uri';
import { acknowledgeWildcardResource } from './private/nag';

/** Properties of a {@link TrainingPipeline}. */
export interface TrainingPipelineProps {
  /** The registry the pipeline reads training data from and registers versions in. */
  readonly registry: IModelRegistry;
  /** Model name in the registry. */
  readonly model: string;
  /** The pipeline's name, such as `modelstack-dev-churn-training`. */
  readonly pipelineName: string;
  /**
   * The pipeline definition (SageMaker's 2020-12-01 format), such as `trainingPipelineDefinition` generates. It is
   * checked with `pipelineDefinitionProblems` at synth: any problem fails synth. Its jobs' `RoleArn` must be this
   * construct's role (`roleName`); it may hold same-stack tokens, such as the registry key's ARN.
   */
  readonly definition: object;
  /** Name of the role the pipeline and its jobs run as: the name the definition's `RoleArn` values use. */
  readonly roleName: string;
  /** The ECR images the definition's jobs run (`123456789012.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>` or `@sha256:`). */
  readonly images: readonly string[];
  /** The function of the definition's Lambda step (the baseline); the pipeline may invoke it and nothing else. */
  readonly baselineFunction: lambda.IFunction;
  /**
   * Where the model's training data is in the registry bucket (read only).
   * @default `training-data/<model>/`
   */
  readonly dataPrefix?: string;
  /**
   * The pipeline's description.
   * @default - `Training pipeline of <model>`
   */
  readonly description?: string;
}

/**
 * One model's SageMaker Model Building Pipeline (`AWS::SageMaker::Pipeline`) with the definition it is given, and
 * the least-privilege role the pipeline and its processing, training and tuning jobs run as: it reads the model's
 * training data, works under `pipelines/<model>/`, publishes under `models/<model>/`, registers in the model's package
 * group, invokes the baseline function, encrypts with the registry key and passes only itself to SageMaker.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as lambda from 'aws-cdk-lib/aws-lambda';
 * import { TrainingPipeline, type ModelRegistry } from 'modelstack/aws';
 * import { awsEnvironment, demoConfig, parseConfig, trainingPipelineDefinition } from 'modelstack/platform';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const baseline: lambda.IFunction; // named modelstack-dev-training-baseline
 *
 * const config = parseConfig(demoConfig);
 * const definition = trainingPipelineDefinition(config, 'dev', 'churn', { kmsKeyId: registry.encryptionKey.keyArn });
 * new TrainingPipeline(stack, 'ChurnTraining', {
 *   registry,
 *   model: 'churn',
 *   pipelineName: 'modelstack-dev-churn-training',
 *   roleName: 'modelstack-dev-churn-training',
 *   definition,
 *   images: ['111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server:abc'],
 *   baselineFunction: baseline,
 * });
 * ```
 */
export class TrainingPipeline extends Construct {
  /** The pipeline resource. */
  readonly pipeline: CfnPipeline;
  /** The role of the pipeline and of every job it starts. */
  readonly role: iam.Role;
  /** The pipeline's name. */
  readonly pipelineName: string;
  /** The pipeline's ARN. */
  readonly pipelineArn: string;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    validateProps(props);
    const stack = Stack.of(this);
    const { model } = props;
    this.pipelineName = props.pipelineName;
    this.pipelineArn = stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: props.pipelineName.toLowerCase() });

    // One role for the pipeline and its jobs (by default each step takes on the pipeline execution role: "Access
    // Management", SageMaker Model Building Pipelines, SageMaker Developer Guide); SageMaker assumes it for both.
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Training pipeline of ${model} and its jobs`,
    });
    const statements = trainingRolePolicy({ stack, props, roleArn: this.role.roleArn });
    for (const statement of statements) this.role.addToPrincipalPolicy(statement);
    acknowledgeFindings(this.role, statements);

    this.pipeline = new CfnPipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      pipelineDescription: props.description ?? `Training pipeline of ${model}`,
      roleArn: this.role.roleArn,
      // toJsonString keeps the definition's tokens (the registry key's ARN) resolvable inside the JSON body.
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(props.definition) },
    });
    // The pipeline's first execution must find its role's permissions (the role's separate policy) in place.
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy) this.pipeline.node.addDependency(policy);
  }

  /** Lets `grantee` start and list this pipeline's executions. */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:StartPipelineExecution', 'sagemaker:ListPipelineExecutions'], resourceArns: [this.pipelineArn] });
  }
}

function validateProps(props: TrainingPipelineProps): void {
  const problems = new Problems('TrainingPipeline');
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  problems.check(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/.test(props.pipelineName), `pipelineName "${props.pipelineName}": expected letters, digits and hyphens, at most 256 characters`);
  problems.check(/^[\w+=,.@-]{1,64}$/.test(props.roleName), `roleName "${props.roleName}": expected at most 64 letters, digits or +=,.@_-`);
  for (const image of props.images) problems.check(parseEcrImage(image) !== undefined, `images: "${image}" is not an ECR image URI; SageMaker training and processing jobs run images from ECR`);
  for (const problem of pipelineDefinitionProblems(props.definition)) problems.check(false, `definition: ${problem}`);
  problems.throwIfAny();
}

const JOB_ACTIONS = [
  'sagemaker:CreateProcessingJob',
  'sagemaker:DescribeProcessingJob',
  'sagemaker:StopProcessingJob',
  'sagemaker:CreateTrainingJob',
  'sagemaker:DescribeTrainingJob',
  'sagemaker:StopTrainingJob',
  'sagemaker:CreateHyperParameterTuningJob',
  'sagemaker:DescribeHyperParameterTuningJob',
  'sagemaker:StopHyperParameterTuningJob',
  // Also the Track step's reads of a tuning job's trials (training/trials.py): ListTrainingJobsForHyperParameterTuningJob
  // on the hyper-parameter-tuning-job, DescribeTrainingJob on each training-job (their resource types in "Actions,
  // resources, and condition keys for Amazon SageMaker", Service Authorization Reference). Pipelines names the tuning
  // job per execution, so no narrower ARN than the job-name wildcard exists at deploy time.
  'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
  // Pipelines tags the jobs it starts with the execution they belong to.
  'sagemaker:AddTags',
];

/** What the pipeline and its jobs need, and nothing more (every action names its resources). */
function trainingRolePolicy(options: { stack: Stack; props: TrainingPipelineProps; roleArn: string }): iam.PolicyStatement[] {
  const { stack, props, roleArn } = options;
  const { registry, model } = props;
  const bucket = registry.bucket.bucketArn;
  const dataPrefix = props.dataPrefix ?? `training-data/${model}/`;
  const work = `pipelines/${model}/`;
  const versions = `models/${model}/`;
  const job = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: '*' });
  const group = registry.modelPackageGroupName(model);
  const logGroup = (name: string) => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws/sagemaker/${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  const repositories = [...new Set(props.images.map((uri) => parseEcrImage(uri)!).map((i) => `arn:${stack.partition}:ecr:${i.region}:${i.account}:repository/${i.repository}`))];
  return [
    new iam.PolicyStatement({
      sid: 'PipelineJobs',
      // Create and Describe for each job type of the pipeline ("Pipeline Role Permissions", Access Management,
      // SageMaker Model Building Pipelines). Job names are generated per execution, hence the name wildcard.
      actions: JOB_ACTIONS,
      resources: [job('processing-job'), job('training-job'), job('hyper-parameter-tuning-job')],
    }),
    new iam.PolicyStatement({
      sid: 'RegisterVersion',
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage', 'sagemaker:AddTags'],
      resources: [
        stack.formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: group }),
        stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${group}/*` }),
      ],
    }),
    new iam.PolicyStatement({
      sid: 'PassOnlyItself',
      // "To pass any role to a SageMaker job within a pipeline, the iam:PassRole permission for the role that is being passed".
      actions: ['iam:PassRole'],
      resources: [roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
    new iam.PolicyStatement({ sid: 'InvokeBaseline', actions: ['lambda:InvokeFunction'], resources: [props.baselineFunction.functionArn] }),
    new iam.PolicyStatement({
      sid: 'ListModelPrefixes',
      actions: ['s3:ListBucket'],
      resources: [bucket],
      conditions: { StringLike: { 's3:prefix': [`${dataPrefix}*`, `${work}*`, `${versions}*`] } },
    }),
    // Std:JsonGet reads the evaluation report (s3:GetObject, "Pipeline Role Permissions"); the jobs read their inputs.
    new iam.PolicyStatement({ sid: 'ReadTrainingData', actions: ['s3:GetObject'], resources: [`${bucket}/${dataPrefix}*`, `${bucket}/${versions}*`] }),
    new iam.PolicyStatement({ sid: 'ReadWriteWork', actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [`${bucket}/${work}*`] }),
    new iam.PolicyStatement({ sid: 'PublishVersions', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [`${bucket}/${versions}*`] }),
    new iam.PolicyStatement({
      sid: 'RegistryKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [registry.encryptionKey.keyArn],
    }),
    new iam.PolicyStatement({
      sid: 'VolumeKeyGrants',
      // Jobs encrypt their ML storage volumes with VolumeKmsKeyId through a grant SageMaker creates for the instance.
      actions: ['kms:CreateGrant'],
      resources: [registry.encryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
    new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logGroup('ProcessingJobs'), logGroup('TrainingJobs')],
    }),
    new iam.PolicyStatement({
      sid: 'JobMetrics',
      // PutMetricData has no resource-level permissions; the condition pins the namespaces.
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/TrainingJobs', '/aws/sagemaker/ProcessingJobs'] } },
    }),
    new iam.PolicyStatement({ sid: 'PullImages', actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], resources: repositories }),
    // GetAuthorizationToken has no resource-level permissions.
    new iam.PolicyStatement({ sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
  ];
}

const WILDCARD_REASONS: Record<string, string> = {
  PipelineJobs: 'Pipelines names each job per execution; the role may manage processing, training and tuning jobs only.',
  RegisterVersion: "Versions of the model's own package group only.",
  ReadTrainingData: "The model's own training data and published versions only.",
  ReadWriteWork: "The model's own per-execution work folder only.",
  PublishVersions: "The model's own version folders only.",
  JobLogs: "Log streams of SageMaker's processing and training job log groups.",
};

function acknowledgeFindings(role: iam.Role, statements: readonly iam.PolicyStatement[]): void {
  for (const statement of statements) {
    for (const resource of statement.resources) {
      if (resource === '*') {
        Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'ecr:GetAuthorizationToken and cloudwatch:PutMetricData (pinned to the SageMaker job namespaces) have no resource-level permissions.' });
      } else if (statement.sid && WILDCARD_REASONS[statement.sid]) {
        acknowledgeWildcardResource(role, resource, WILDCARD_REASONS[statement.sid]);
      }
    }
  }
}
