import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { customRoleId } from './private/ids';

/** Properties of a {@link CloudRunDeployerRole}. */
export interface CloudRunDeployerRoleProps {
  /** Prefix of the role ids, such as `modelstack-dev` (hyphens become underscores). */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
}

/**
 * Exactly what `modelstack cloudrun-deploy` needs, as two project custom roles that `CloudRunModelService.grantDeploy`
 * grants on one service and on its service account (never project-wide): reading and updating the service, and acting
 * as the service's account, which Cloud Run requires of whoever deploys a revision that runs as it (Cloud Run's
 * "Required roles" for a deployer: Cloud Run Developer on the service and Service Account User on the service identity,
 * https://cloud.google.com/run/docs/configuring/services/memory-limits). The predefined roles would
 * also allow deleting the service and changing its IAM policy (`roles/run.developer`), or listing and reading every
 * account (`roles/iam.serviceAccountUser`).
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { CloudRunDeployerRole } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 *
 * const deployer = new CloudRunDeployerRole(stack, 'CloudRunDeployer', { namePrefix: 'modelstack-dev', project: 'my-ml-project' });
 * // VertexDeployTrigger({ endpoint: cloudRunService, cloudRunDeployerRole: deployer, ... }) grants both.
 * ```
 */
export class CloudRunDeployerRole extends Construct {
  /**
   * The permission the Cloud Run Admin API v2 reference lists for each method `cloudrun-deploy` calls
   * (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/get and .../patch); it waits on
   * the service, not on the operation, so it needs no `run.operations.get` (a project-level permission).
   */
  static readonly SERVICE_PERMISSIONS: readonly string[] = ['run.services.get', 'run.services.update'];
  /** Deploying a revision that runs as a service account needs `actAs` on that account. */
  static readonly ACT_AS_PERMISSIONS: readonly string[] = ['iam.serviceAccounts.actAs'];
  /**
   * Registering the rolled-out version in the Vertex AI Model Registry (`cloudrun-deploy --vertex-model-id`), for batch
   * prediction: what the Vertex AI REST reference lists for `models.get`, `models.upload` (on the location) and
   * `models.mergeVersionAliases` (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models);
   * polling the upload operation needs `models.get`. No endpoint permission: nothing is deployed.
   */
  static readonly MODEL_REGISTRY_PERMISSIONS: readonly string[] = ['aiplatform.models.get', 'aiplatform.models.upload', 'aiplatform.models.update'];

  /** Granted on the model's Cloud Run service. */
  readonly serviceRole: ProjectIamCustomRole;
  /** Granted on the service's own account. */
  readonly actAsRole: ProjectIamCustomRole;
  /**
   * Granted on the project to the deploy builds of models with `batch` only: Vertex AI models have no IAM policy of
   * their own in Terraform, so model permissions are project-wide.
   */
  readonly modelRegistryRole: ProjectIamCustomRole;

  constructor(scope: Construct, id: string, props: CloudRunDeployerRoleProps) {
    super(scope, id);
    const problems = new Problems('CloudRunDeployerRole');
    problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
    problems.throwIfAny();
    this.serviceRole = new ProjectIamCustomRole(this, 'ServiceRole', {
      roleId: customRoleId(this, props.namePrefix, 'cloud_run_deployer'),
      title: `${props.namePrefix} Cloud Run model deployer`,
      description: 'Rolls out model versions on a Cloud Run service (modelstack cloudrun-deploy); granted per service.',
      permissions: [...CloudRunDeployerRole.SERVICE_PERMISSIONS],
      project: props.project,
    });
    this.actAsRole = new ProjectIamCustomRole(this, 'ActAsRole', {
      roleId: customRoleId(this, props.namePrefix, 'cloud_run_act_as'),
      title: `${props.namePrefix} Cloud Run model deployer (act as)`,
      description: 'Deploys revisions that run as a service account; granted on that account only.',
      permissions: [...CloudRunDeployerRole.ACT_AS_PERMISSIONS],
      project: props.project,
    });
    this.modelRegistryRole = new ProjectIamCustomRole(this, 'ModelRegistryRole', {
      roleId: customRoleId(this, props.namePrefix, 'cloud_run_model_registry'),
      title: `${props.namePrefix} Cloud Run model deployer (Vertex AI Model Registry)`,
      description: 'Registers the versions Cloud Run serves in the Vertex AI Model Registry for batch prediction (no endpoints).',
      permissions: [...CloudRunDeployerRole.MODEL_REGISTRY_PERMISSIONS],
      project: props.project,
    });
  }
}
