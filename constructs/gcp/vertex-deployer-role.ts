import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import { customRoleId } from './private/ids';

/** Properties of a {@link VertexDeployerRole}. */
export interface VertexDeployerRoleProps {
  /** Prefix of the role id, such as `modelstack-dev` (hyphens become underscores). */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
}

/**
 * Exactly the Vertex AI permissions `modelstack vertex-deploy` uses, as a project custom role. The predefined
 * `roles/aiplatform.user` would also allow training jobs, predictions, datasets and more. Polling a long-running
 * operation needs the `get` permission of the resource it belongs to, which the list already holds.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { VertexDeployerRole } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 *
 * const deployer = new VertexDeployerRole(stack, 'DeployerRole', { namePrefix: 'modelstack-dev', project: 'my-ml-project' });
 * // deployer.role.name is projects/my-ml-project/roles/modelstack_dev_vertex_deployer_<deployment stamp>
 * ```
 */
export class VertexDeployerRole extends Construct {
  /**
   * The role's permissions: what the Vertex AI REST reference lists under "IAM Permissions" for each call the
   * tool makes (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.models and
   * .../projects.locations.endpoints).
   */
  static readonly PERMISSIONS: readonly string[] = [
    'aiplatform.models.get', // models.get: find the model and its version by alias
    'aiplatform.models.upload', // models.upload: a new version
    'aiplatform.models.update', // models.mergeVersionAliases
    'aiplatform.endpoints.get', // endpoints.get: deployed models and traffic
    'aiplatform.endpoints.deploy', // endpoints.deployModel
    'aiplatform.endpoints.undeploy', // endpoints.undeployModel
    'aiplatform.endpoints.update', // endpoints.patch (updateMask=trafficSplit): a redeployed version's split
  ];

  /** The project custom role; grant `role.name` to the deploying account. */
  readonly role: ProjectIamCustomRole;

  constructor(scope: Construct, id: string, props: VertexDeployerRoleProps) {
    super(scope, id);
    const problems = new Problems('VertexDeployerRole');
    problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
    problems.throwIfAny();
    this.role = new ProjectIamCustomRole(this, 'Role', {
      roleId: customRoleId(this, props.namePrefix, 'vertex_deployer'),
      title: `${props.namePrefix} Vertex AI deployer`,
      description: 'Uploads model versions, moves their aliases and deploys them to endpoints (modelstack vertex-deploy).',
      permissions: [...VertexDeployerRole.PERMISSIONS],
      project: props.project,
    });
  }
}
