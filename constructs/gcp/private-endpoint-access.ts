import { ComputeAddress } from '@cdktf/provider-google/lib/compute-address';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { VpcAccessConnector } from '@cdktf/provider-google/lib/vpc-access-connector';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelEndpoint } from './model-endpoint';
import { customRoleId } from './private/ids';

/** Properties of a {@link PrivateEndpointAccess}. */
export interface PrivateEndpointAccessProps {
  /** Prefix of the connector, address and role names, such as `modelstack-prod`. */
  readonly namePrefix: string;
  /** GCP project id; the network and subnetwork belong to it. */
  readonly project: string;
  /** Region of the endpoints, the subnetwork and the functions, such as `europe-west1`. */
  readonly region: string;
  /** Name of the VPC network the endpoints are reached from. */
  readonly network: string;
  /** Name of a subnetwork of `network` in `region`: each endpoint's internal address comes from it. */
  readonly subnetwork: string;
  /** An unused /28 range of `network` for the functions' Serverless VPC Access connector, such as `10.8.0.0/28`. */
  readonly connectorRange: string;
}

/** Where one Private Service Connect endpoint is reached: its reserved address and the forwarding rule's name. */
export interface PrivateEndpointAddress {
  /** The reserved internal address. */
  readonly address: ComputeAddress;
  /** `projects/<project>/regions/<region>/addresses/<name>`: what `vertex-deploy --psc-address` connects. */
  readonly resourceName: string;
  /** `http://<internal IP>`: the inference function's Vertex AI base URL. */
  readonly baseUrl: string;
}

/**
 * Reaching Private Service Connect Vertex AI endpoints from the environment's functions. A PSC endpoint answers only
 * through a forwarding rule in the consumer's VPC network that targets the endpoint's service attachment
 * (https://cloud.google.com/vertex-ai/docs/predictions/private-service-connect). Vertex AI creates the attachment
 * when a model is deployed, and provider 6.50 exposes it only under `deployed_models` (empty until then), so
 * Terraform reserves each endpoint's internal address here and `modelstack vertex-deploy --psc-address` creates the
 * forwarding rule on that address after the deployment (with {@link connectRole}). Cloud Run functions reach the
 * address through a Serverless VPC Access connector (provider 6.50's `google_cloudfunctions2_function` has no
 * Direct VPC egress), private ranges only, so Google APIs and the metadata server are reached as before.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { PrivateEndpointAccess, type ModelEndpoint } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const churn: ModelEndpoint;
 *
 * const access = new PrivateEndpointAccess(stack, 'Psc', {
 *   namePrefix: 'modelstack-prod',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   network: 'ml-vpc',
 *   subnetwork: 'ml-europe-west1',
 *   connectorRange: '10.8.0.0/28',
 * });
 * const churnAddress = access.addressFor(churn); // pass to InferenceFunction and VertexDeployTrigger
 * ```
 */
export class PrivateEndpointAccess extends Construct {
  /** The functions' connector into the network. */
  readonly connector: VpcAccessConnector;
  /** `projects/<project>/global/networks/<network>`. */
  readonly networkName: string;
  /** What the deploy build needs to create an endpoint's forwarding rule on its reserved address. */
  readonly connectRole: ProjectIamCustomRole;
  private readonly props: PrivateEndpointAccessProps;

  constructor(scope: Construct, id: string, props: PrivateEndpointAccessProps) {
    super(scope, id);
    validateProps(props);
    this.props = props;
    const { project, region } = props;
    this.networkName = `projects/${project}/global/networks/${props.network}`;
    this.connector = new VpcAccessConnector(this, 'Connector', {
      // Connector names: at most 25 characters (https://cloud.google.com/vpc/docs/configure-serverless-vpc-access).
      name: boundedName([props.namePrefix, 'psc'], 25),
      project,
      region,
      network: props.network,
      ipCidrRange: props.connectorRange,
      machineType: 'e2-micro',
      minInstances: 2,
      maxInstances: 3,
    });
    // Creating a PSC endpoint to a published service: a forwarding rule (pscCreate) on an internal address of the
    // network (https://cloud.google.com/vpc/docs/configure-private-service-connect-services).
    this.connectRole = new ProjectIamCustomRole(this, 'ConnectRole', {
      project,
      // Custom role ids stay reserved after deletion: a per-deployment suffix lets destroy-then-deploy work.
      roleId: customRoleId(this, props.namePrefix, 'psc_connect'),
      title: `${props.namePrefix} connects Vertex AI PSC endpoints`,
      permissions: [
        'compute.addresses.get',
        'compute.addresses.use',
        'compute.addresses.useInternal',
        'compute.forwardingRules.create',
        'compute.forwardingRules.get',
        'compute.forwardingRules.pscCreate',
        'compute.networks.use',
        'compute.regionOperations.get',
        'compute.subnetworks.use',
      ],
    });
  }

  /** Reserves the internal address `<endpoint display name>-psc` that the endpoint's forwarding rule will use. */
  addressFor(endpoint: ModelEndpoint): PrivateEndpointAddress {
    const { project, region } = this.props;
    const name = `${endpoint.displayName}-psc`;
    const address = new ComputeAddress(this, `Address-${endpoint.model}`, {
      name,
      project,
      region,
      addressType: 'INTERNAL',
      subnetwork: `projects/${project}/regions/${region}/subnetworks/${this.props.subnetwork}`,
      description: `Private Service Connect endpoint of Vertex AI endpoint ${endpoint.displayName} (ModelStack)`,
    });
    return { address, resourceName: `projects/${project}/regions/${region}/addresses/${name}`, baseUrl: `http://${address.address}` };
  }
}

function validateProps(props: PrivateEndpointAccessProps): void {
  const problems = new Problems('PrivateEndpointAccess');
  const resourceName = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(resourceName.test(props.network), `network "${props.network}": expected a VPC network name`);
  problems.check(resourceName.test(props.subnetwork), `subnetwork "${props.subnetwork}": expected a subnetwork name`);
  problems.check(/^(\d{1,3}\.){3}\d{1,3}\/28$/.test(props.connectorRange), `connectorRange "${props.connectorRange}": expected an unused /28 range such as 10.8.0.0/28`);
  problems.throwIfAny();
}
