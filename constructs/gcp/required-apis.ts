import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { dependable, type IAspect, TerraformDataSource, TerraformResource, type TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';

const KMS = 'cloudkms.googleapis.com';
const STORAGE = 'storage.googleapis.com';
const BIGQUERY = 'bigquery.googleapis.com';
const IAM = 'iam.googleapis.com';
// Project IAM policies and `data.google_project` go through the Resource Manager API.
const RESOURCE_MANAGER = 'cloudresourcemanager.googleapis.com';
const PUBSUB = 'pubsub.googleapis.com';
const VERTEX = 'aiplatform.googleapis.com';
const ARTIFACT_REGISTRY = 'artifactregistry.googleapis.com';
const CLOUD_BUILD = 'cloudbuild.googleapis.com';
const RUN = 'run.googleapis.com';
const LOGGING = 'logging.googleapis.com';
const MONITORING = 'monitoring.googleapis.com';
const COMPUTE = 'compute.googleapis.com';

/**
 * The APIs each Terraform type (resource, or `data.` data source) needs enabled in the project, from the Google
 * documentation of the service. Every `google_*` type a stack uses must be listed: {@link RequiredApis} fails the
 * synth otherwise, so a new resource type cannot slip in without its API. Add a row for a new type.
 */
export const APIS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  google_kms_key_ring: [KMS],
  google_kms_crypto_key: [KMS],
  google_kms_crypto_key_iam_member: [KMS],
  google_storage_bucket: [STORAGE],
  google_storage_bucket_iam_member: [STORAGE],
  google_storage_bucket_object: [STORAGE],
  // GCS publishes the notifications to Pub/Sub.
  google_storage_notification: [STORAGE, PUBSUB],
  'data.google_storage_project_service_account': [STORAGE],
  google_bigquery_dataset: [BIGQUERY],
  google_bigquery_dataset_iam_member: [BIGQUERY],
  google_bigquery_table: [BIGQUERY],
  google_bigquery_table_iam_member: [BIGQUERY],
  'data.google_bigquery_default_service_account': [BIGQUERY],
  google_service_account: [IAM],
  google_project_iam_custom_role: [IAM],
  google_service_account_iam_member: [IAM],
  google_project_iam_member: [RESOURCE_MANAGER],
  'data.google_project': [RESOURCE_MANAGER],
  google_pubsub_topic: [PUBSUB],
  google_pubsub_topic_iam_member: [PUBSUB],
  google_pubsub_subscription: [PUBSUB],
  google_pubsub_subscription_iam_member: [PUBSUB],
  google_artifact_registry_repository: [ARTIFACT_REGISTRY],
  google_artifact_registry_repository_iam_member: [ARTIFACT_REGISTRY],
  // Cloud Run functions builds with Cloud Build into Artifact Registry, runs on Cloud Run, writes build logs to
  // Cloud Logging (https://cloud.google.com/functions/docs/building and .../securing/build-custom-sa).
  google_cloudfunctions2_function: ['cloudfunctions.googleapis.com', CLOUD_BUILD, ARTIFACT_REGISTRY, RUN, LOGGING],
  google_cloud_run_v2_service_iam_member: [RUN],
  // A model served on Cloud Run (CloudRunModelService).
  google_cloud_run_v2_service: [RUN],
  google_workflows_workflow: ['workflows.googleapis.com'],
  google_cloud_scheduler_job: ['cloudscheduler.googleapis.com'],
  // Builds log to Cloud Logging only (`CLOUD_LOGGING_ONLY`).
  google_cloudbuild_trigger: [CLOUD_BUILD, LOGGING],
  google_vertex_ai_endpoint: [VERTEX],
  google_vertex_ai_feature_online_store: [VERTEX],
  google_vertex_ai_tensorboard: [VERTEX],
  // Eventarc creates a Pub/Sub subscription on the topic and starts executions through the Workflow Executions API
  // (https://cloud.google.com/eventarc/docs/workflows/route-trigger-cloud-pubsub, "Prepare to create a trigger").
  google_eventarc_trigger: ['eventarc.googleapis.com', PUBSUB, 'workflows.googleapis.com', 'workflowexecutions.googleapis.com'],
  google_vertex_ai_feature_online_store_featureview: [VERTEX],
  // Log-based metrics are Cloud Logging configuration; alert policies on them are Cloud Monitoring's.
  google_logging_metric: [LOGGING],
  google_monitoring_alert_policy: [MONITORING],
  google_monitoring_dashboard: [MONITORING],
  google_monitoring_metric_descriptor: [MONITORING],
  google_monitoring_notification_channel: [MONITORING],
  // Private networking (Private Service Connect endpoints, VPC access for functions).
  google_compute_address: [COMPUTE],
  google_compute_forwarding_rule: [COMPUTE],
  google_compute_network: [COMPUTE],
  google_compute_subnetwork: [COMPUTE],
  google_compute_firewall: [COMPUTE],
  google_vpc_access_connector: ['vpcaccess.googleapis.com', COMPUTE],
  google_service_networking_connection: ['servicenetworking.googleapis.com', COMPUTE],
};

/** APIs a resource's runtime calls need beyond its own type's (a workflow that starts Cloud Build builds). */
const EXTRA_APIS = new WeakMap<IConstruct, readonly string[]>();

/**
 * Records that `resource` needs `apis` enabled besides those of its type: a workflow calls other services at run time,
 * which its Terraform type cannot say. {@link RequiredApis} enables them and makes `resource` depend on them.
 */
export function requireApis(resource: TerraformResource, apis: readonly string[]): void {
  EXTRA_APIS.set(resource, [...new Set([...(EXTRA_APIS.get(resource) ?? []), ...apis])]);
}

/** `google_x` for a resource, `data.google_x` for a data source; undefined for anything else. */
function typeKey(node: IConstruct): string | undefined {
  if (TerraformResource.isTerraformResource(node)) return node.terraformResourceType;
  if (TerraformDataSource.isTerraformDataSource(node)) return `data.${node.terraformResourceType}`;
  return undefined;
}

/**
 * The APIs `node` needs, or undefined when it is a Google type the table does not know. Service identities need
 * their own service's API; non-Google types (`time_sleep`) need none.
 */
export function apisFor(node: IConstruct): readonly string[] | undefined {
  const type = typeKey(node);
  if (type === undefined || !/^(data\.)?google_/.test(type)) return [];
  if (node instanceof GoogleProjectServiceIdentity) return node.serviceInput ? [node.serviceInput] : undefined;
  if (type === 'google_project_service') return [];
  const own = APIS_BY_TYPE[type];
  const extra = EXTRA_APIS.get(node);
  return own && extra ? [...own, ...extra] : own;
}

/**
 * Enables every API the stack's resources need and makes each resource and data source depend on the APIs it needs
 * (`google_project_service`, `disable_on_destroy = false`: other stacks or people may use the API too, and disabling
 * one fails while its resources exist; https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/resources/google_project_service).
 * A data source that depends on a resource still to be created is read during apply, after its API is on.
 *
 * An aspect, so it sees the finished stack: it runs once at synth, on the stack itself, before its children.
 * Service Usage and Cloud Resource Manager must already be on: Terraform needs them to enable anything
 * (`modelstack preflight` checks them).
 *
 * @example
 * ```ts
 * import { Aspects, TerraformStack } from 'cdktf';
 * import { RequiredApis } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * Aspects.of(stack).add(new RequiredApis(stack, 'acme-ml-dev'));
 * ```
 */
export class RequiredApis implements IAspect {
  private done = false;

  /**
   * @param stack the stack whose resources get their APIs enabled
   * @param project the project the APIs are enabled in
   */
  constructor(
    private readonly stack: TerraformStack,
    private readonly project: string,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack || this.done) return;
    this.done = true;
    const services = new Map<string, ProjectService>();
    const service = (api: string) => {
      let enabled = services.get(api);
      if (!enabled) {
        enabled = new ProjectService(this.stack, `Api-${api.split('.')[0]}`, { project: this.project, service: api, disableOnDestroy: false });
        services.set(api, enabled);
      }
      return enabled;
    };
    const unknown = new Set<string>();
    for (const child of this.stack.node.findAll()) {
      if (!TerraformResource.isTerraformResource(child) && !TerraformDataSource.isTerraformDataSource(child)) continue;
      const apis = apisFor(child);
      if (apis === undefined) {
        unknown.add(typeKey(child)!);
        continue;
      }
      if (apis.length > 0) child.dependsOn = [...(child.dependsOn ?? []), ...[...new Set(apis)].map((api) => dependable(service(api)))];
    }
    if (unknown.size > 0) {
      throw new Error(`${this.stack.node.id}: no API known for ${[...unknown].sort().join(', ')}: add each to APIS_BY_TYPE in constructs/gcp/required-apis.ts`);
    }
  }
}
