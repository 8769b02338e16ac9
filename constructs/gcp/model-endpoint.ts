import { VertexAiEndpoint } from '@cdktf/provider-google/lib/vertex-ai-endpoint';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import { MODELS_PREFIX } from './private/iam';
import { numericId, underscored } from './private/ids';
import { ServiceAgents } from './private/service-agents';
import { withRegistryDefaults } from './private/registry-defaults';

/** Private serving: Private Service Connect, or VPC peering (private services access must already exist). */
export type EndpointNetwork =
  | {
      /** Private Service Connect. */
      readonly kind: 'psc';
      /**
       * More projects that may create PSC endpoints to this endpoint.
       * @default - only the endpoint's own project, which is always allowed
       */
      readonly projectAllowlist?: readonly string[];
    }
  | {
      /** VPC peering through private services access. */
      readonly kind: 'vpc';
      /** The peered network, as `projects/<project number>/global/networks/<name>`. */
      readonly network: string;
    };

/** Properties of a {@link ModelEndpoint}. */
export interface ModelEndpointProps {
  /** The registry: its key encrypts the endpoint and its BigQuery dataset receives the request-response logs. */
  readonly registry: ModelRegistry;
  /**
   * Prefix of the endpoint's display name, such as `modelstack-dev`.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /** The model served; its versions are read from `models/<model>/` in the registry. */
  readonly model: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Region of the endpoint, such as `europe-west1`.
   * @default - the registry's region
   */
  readonly region?: string;
  /**
   * Percentage of requests and responses logged to the registry's BigQuery dataset, a whole number from 0 to 100;
   * 0 turns logging off. A private endpoint (`network.kind: vpc`) cannot log (see `requestLoggingAvailable`): its
   * inference function captures this share instead.
   * @default 0
   */
  readonly samplingPercentage?: number;
  /**
   * Private endpoint.
   * @default - public endpoint (callers still need IAM permission to predict)
   */
  readonly network?: EndpointNetwork;
  /**
   * Labels on the endpoint.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/**
 * A Vertex AI endpoint for one model: CMEK-encrypted with the registry key, request-response logging to the
 * registry's BigQuery dataset at the given sampling rate, optionally private. Terraform cannot upload or deploy
 * a model, so the endpoint starts empty; `modelstack vertex-deploy` (run by a `VertexDeployTrigger`) deploys
 * versions to it and owns its traffic split, which Terraform therefore ignores.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { ModelEndpoint, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * const churn = new ModelEndpoint(stack, 'Churn', {
 *   registry,
 *   namePrefix: 'modelstack-dev',
 *   model: 'churn',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   samplingPercentage: 20,
 *   network: { kind: 'psc' },
 * });
 * // churn.endpointId is known at synth time: monitoring filters and the deploy trigger use it.
 * ```
 */
export class ModelEndpoint extends Construct {
  /** The Vertex AI endpoint resource. */
  readonly endpoint: VertexAiEndpoint;
  /** The endpoint's numeric id, derived from its display name. */
  readonly endpointId: string;
  /** The endpoint's display name, `<namePrefix>-<model>`. */
  readonly displayName: string;
  /** The model served. */
  readonly model: string;
  /** `projects/<project>/locations/<region>/endpoints/<id>`: what the Vertex AI REST API calls it. */
  readonly resourceName: string;
  /** The BigQuery table request-response logs go to (Vertex AI creates it), or undefined when logging is off. */
  readonly requestLogTable?: string;
  /** The share of requests to capture, `samplingPercentage` (by Vertex AI's log, or by the inference function). */
  readonly samplingPercentage: number;
  /**
   * Whether Vertex AI can log this endpoint's requests and responses: not for a private endpoint over VPC peering
   * ("Choose an endpoint type", Vertex AI docs: request and response logging is not supported there), so the
   * inference function captures for it (`InferenceFunctionProps.captureAtApi`).
   */
  readonly requestLoggingAvailable: boolean;

  constructor(scope: Construct, id: string, given: ModelEndpointProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    validateProps(props);
    const { registry, project, region } = props;
    const agents = ServiceAgents.of(this, project);
    this.model = props.model;
    this.displayName = `${props.namePrefix}-${props.model}`;
    this.endpointId = numericId(this.displayName);
    this.resourceName = `projects/${project}/locations/${region}/endpoints/${this.endpointId}`;

    // Vertex AI acts as its service agent to encrypt the endpoint, write logs and read uploaded artifacts.
    const agentCanUseKey = agents.settled(registry.grantKeyUse('VertexAgent', agents.vertex));
    // Every model's versions (models.upload reads the artifact as the agent), whichever endpoint deploys them.
    registry.grantRead(agents.vertex, { prefix: MODELS_PREFIX });

    const sampling = props.samplingPercentage ?? 0;
    this.samplingPercentage = sampling;
    this.requestLoggingAvailable = props.network?.kind !== 'vpc';
    const dependsOn: ITerraformDependable[] = [agentCanUseKey];
    if (sampling > 0 && this.requestLoggingAvailable) {
      dependsOn.push(agents.settled(registry.grantRequestLogWrite('VertexAgentWritesLogs', agents.vertex)));
      // A full table reference: Vertex AI creates the table with its schema; the dataset must exist.
      this.requestLogTable = `${registry.requestLogDataset.datasetId}.request_response_${underscored(props.model)}`;
    }

    const network = props.network;
    this.endpoint = new VertexAiEndpoint(this, 'Endpoint', {
      name: this.endpointId,
      displayName: this.displayName,
      description: `${props.model} (ModelStack)`,
      project,
      location: region,
      region,
      encryptionSpec: { kmsKeyName: registry.cryptoKey.id },
      predictRequestResponseLoggingConfig: this.requestLogTable
        ? { enabled: true, samplingRate: sampling / 100, bigqueryDestination: { outputUri: `bq://${project}.${this.requestLogTable}` } }
        : undefined,
      privateServiceConnectConfig:
        network?.kind === 'psc'
          ? { enablePrivateServiceConnect: true, projectAllowlist: [project, ...(network.projectAllowlist ?? []).filter((p) => p !== project)] }
          : undefined,
      network: network?.kind === 'vpc' ? network.network : undefined,
      labels: props.labels,
      // The deploy tool changes the traffic split on every deployment; Terraform must not reset it (`traffic_split`
      // is an argument of the resource: https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/vertex_ai_endpoint#traffic_split).
      lifecycle: { ignoreChanges: ['traffic_split'] },
      dependsOn,
    });
  }

  /** A Cloud Monitoring filter selecting this endpoint's time series of `metricType`. */
  metricFilter(metricType: string): string {
    return `resource.type = "aiplatform.googleapis.com/Endpoint" AND resource.labels.endpoint_id = "${this.endpointId}" AND metric.type = "${metricType}"`;
  }

}

function validateProps(props: ModelEndpointProps & { namePrefix: string }): void {
  const problems = new Problems('ModelEndpoint (GCP)');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  const sampling = props.samplingPercentage ?? 0;
  problems.check(Number.isInteger(sampling) && sampling >= 0 && sampling <= 100, `samplingPercentage ${sampling}: expected a whole number from 0 to 100`);
  if (props.network?.kind === 'vpc') {
    problems.check(
      /^projects\/\d+\/global\/networks\/[a-z][-a-z0-9]*$/.test(props.network.network),
      `network.network "${props.network.network}": expected projects/<project number>/global/networks/<name>`,
    );
  }
  problems.throwIfAny();
}
