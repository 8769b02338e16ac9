import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CfnMlflowTrackingServer } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { Problems } from '../private/validation';
import type { IModelRegistry } from './model-registry';
import { acknowledgeWildcardResource } from './private/nag';

/**
 * The MLflow version of the tracking server (its MlflowVersion): major.minor only. CreateMlflowTrackingServer refuses
 * "2.16.2" with "ValidationException: The provided MLflow version is not supported" and accepts "2.16", then reports
 * the server as 2.16.2 (hashicorp/terraform-provider-aws#42276). The client in the training image is
 * {@link MLFLOW_CLIENT_VERSION}: "For tracking server 2.16.x, use mlflow==2.16.2" ("Integrate MLflow with your
 * environment", SageMaker Developer Guide).
 */
export const MLFLOW_VERSION = '2.16';

/** The MLflow client the training image pins (containers/training/requirements.txt) for a {@link MLFLOW_VERSION} server. */
export const MLFLOW_CLIENT_VERSION = '2.16.2';

/** The sizes of a managed MLflow tracking server (CreateMlflowTrackingServer's TrackingServerSize). */
export type TrackingServerSize = 'Small' | 'Medium' | 'Large';

/**
 * The `sagemaker-mlflow` actions a client needs to log runs: find or create the experiment, create, read and end a
 * run, log parameters, metrics and tags ("Set up IAM permissions for MLflow", SageMaker Developer Guide; the MLflow
 * client's set_experiment, start_run, log_params / log_metrics / set_tags (LogBatch) and end_run (UpdateRun)).
 * set_experiment reads a new experiment back by id after creating it (GetExperiment: mlflow/tracking/fluent.py), so
 * without GetExperiment the first run of each model fails.
 */
export const MLFLOW_LOGGING_ACTIONS = [
  'sagemaker-mlflow:GetExperimentByName',
  'sagemaker-mlflow:CreateExperiment',
  'sagemaker-mlflow:GetExperiment',
  'sagemaker-mlflow:CreateRun',
  'sagemaker-mlflow:GetRun',
  'sagemaker-mlflow:UpdateRun',
  'sagemaker-mlflow:LogBatch',
  'sagemaker-mlflow:LogMetric',
  'sagemaker-mlflow:LogParam',
  'sagemaker-mlflow:SetTag',
] as const;

/** Properties of an {@link ExperimentTracking}. */
export interface ExperimentTrackingProps {
  /** The registry whose bucket holds the artifacts (under `mlflow/`) and whose key encrypts them. */
  readonly registry: IModelRegistry;
  /** The tracking server's name, such as `modelstack-prod` (at most 256 letters, digits and hyphens). */
  readonly trackingServerName: string;
  /**
   * The server's size: how many requests it serves, and what it costs per hour while running.
   * @default 'Small'
   */
  readonly size?: TrackingServerSize;
  /**
   * When SageMaker may update the server, as `Ddd:HH:MM` in UTC, such as `Sun:02:00`.
   * @default - SageMaker picks one
   */
  readonly weeklyMaintenanceWindowStart?: string;
}

/**
 * A SageMaker managed MLflow tracking server (`AWS::SageMaker::MlflowTrackingServer`) for one environment's
 * experiments. Its artifacts go to the registry bucket under `mlflow/`, written by a role that may use only that
 * prefix and the registry key. The server has no network address of its own: every call, the UI included (through
 * a presigned URL), is a SigV4-signed request that IAM authorizes against the server's ARN, so only principals
 * granted `sagemaker-mlflow:*` actions on it ({@link ExperimentTracking.grantLogging}) reach it. Automatic model
 * registration stays off: the training pipelines register versions themselves.
 *
 * @example
 * ```ts
 * import { Stack } from 'aws-cdk-lib';
 * import type * as iam from 'aws-cdk-lib/aws-iam';
 * import { ExperimentTracking, type ModelRegistry } from 'modelstack/aws';
 *
 * declare const stack: Stack;
 * declare const registry: ModelRegistry;
 * declare const trainingRole: iam.IRole;
 * const tracking = new ExperimentTracking(stack, 'Experiments', { registry, trackingServerName: 'modelstack-dev' });
 * tracking.grantLogging(trainingRole); // then MLFLOW_TRACKING_URI=tracking.trackingServerArn in the job
 * ```
 */
export class ExperimentTracking extends Construct {
  /** The tracking server. */
  readonly server: CfnMlflowTrackingServer;
  /** The role SageMaker assumes to write the artifacts. */
  readonly role: iam.Role;
  /** The server's ARN: what clients set as MLFLOW_TRACKING_URI (with the sagemaker-mlflow plugin). */
  readonly trackingServerArn: string;
  /** Where the artifacts are: `s3://<registry bucket>/mlflow/`. */
  readonly artifactStoreUri: string;

  constructor(scope: Construct, id: string, props: ExperimentTrackingProps) {
    super(scope, id);
    const problems = new Problems('ExperimentTracking');
    problems.check(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/.test(props.trackingServerName), `trackingServerName "${props.trackingServerName}": expected at most 256 letters, digits and hyphens, starting and ending with a letter or digit`);
    problems.check(
      props.weeklyMaintenanceWindowStart === undefined || /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$/.test(props.weeklyMaintenanceWindowStart),
      `weeklyMaintenanceWindowStart "${props.weeklyMaintenanceWindowStart}": expected Ddd:HH:MM in UTC, such as Sun:02:00`,
    );
    problems.throwIfAny();
    const stack = Stack.of(this);
    const { bucket, encryptionKey } = props.registry;
    this.artifactStoreUri = `s3://${bucket.bucketName}/mlflow/`;
    this.trackingServerArn = stack.formatArn({ service: 'sagemaker', resource: 'mlflow-tracking-server', resourceName: props.trackingServerName });

    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'), description: `MLflow tracking server ${props.trackingServerName}: its artifacts under mlflow/` });
    const artifacts = bucket.arnForObjects('mlflow/*');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListArtifacts', actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': ['mlflow/*'] } } }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadWriteArtifacts', actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [artifacts] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'RegistryKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [encryptionKey.keyArn] }));
    acknowledgeWildcardResource(this.role, artifacts, "The tracking server's own artifact prefix, mlflow/, only.");

    this.server = new CfnMlflowTrackingServer(this, 'Server', {
      trackingServerName: props.trackingServerName,
      artifactStoreUri: this.artifactStoreUri,
      roleArn: this.role.roleArn,
      trackingServerSize: props.size ?? 'Small',
      mlflowVersion: MLFLOW_VERSION,
      automaticModelRegistration: false,
      weeklyMaintenanceWindowStart: props.weeklyMaintenanceWindowStart,
    });
    // The server checks its role when it starts: the role's policy must exist first.
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy) this.server.node.addDependency(policy);
  }

  /** Lets `grantee` log runs to this server (and nothing else: no deletes, no model registry, no UI). */
  grantLogging(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: [...MLFLOW_LOGGING_ACTIONS], resourceArns: [this.trackingServerArn] });
  }
}
