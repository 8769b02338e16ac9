import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { ProjectIamMember, type ProjectIamMemberCondition } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { StorageBucketObject } from '@cdktf/provider-google/lib/storage-bucket-object';
import { AssetType, type ITerraformDependable, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import { buildServiceAccount } from './private/build-account';
import { type FunctionBundle, functionBundleDir } from './private/function-bundle';
import { customRoleId } from './private/ids';
import { ServiceAgents } from './private/service-agents';
import { withRegistryDefaults } from './private/registry-defaults';

/** Properties of a {@link FunctionPlatform}. */
export interface FunctionPlatformProps {
  /** The registry: its key encrypts the images and functions, its artifacts bucket holds the function sources. */
  readonly registry: ModelRegistry;
  /**
   * Prefix of resource names, such as `modelstack-dev`: lowercase letters, digits and single hyphens.
   * @default - the registry's `namePrefix`
   */
  readonly namePrefix?: string;
  /**
   * GCP project id.
   * @default - the registry's project
   */
  readonly project?: string;
  /**
   * Region of the image repository and the functions, such as `europe-west1`.
   * @default - the registry's region
   */
  readonly region?: string;
}

/** Where function sources live in the artifacts bucket. */
export const FUNCTION_SOURCES_PREFIX = 'functions/';

/** Objects in the buckets Cloud Run functions (2nd gen) keeps deployed sources in, and those buckets themselves. */
const FUNCTION_SOURCE_BUCKETS_CONDITION: ProjectIamMemberCondition = {
  title: 'only gcf-v2-sources buckets',
  expression: 'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-")',
};

/**
 * What every platform Cloud Function of one environment shares: the CMEK Artifact Registry repository its image is
 * built into, the service account its build runs as (logs, that repository, the sources: nothing else), the key
 * grants of the Google service agents that encrypt for it, the uploaded source archives (one per bundle, built
 * once per synth), and the project custom roles the functions' own accounts get.
 *
 * Create one per environment and pass it to every `InferenceFunction` and `DriftFunction`.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { FunctionPlatform, InferenceFunction, type ModelEndpoint, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 * declare const churn: ModelEndpoint;
 *
 * const platform = new FunctionPlatform(stack, 'Functions', {
 *   registry,
 *   namePrefix: 'modelstack-dev',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 * });
 * new InferenceFunction(stack, 'Inference-churn', {
 *   platform,
 *   endpoint: churn,
 *   features: [{ name: 'tenure_months', type: 'numeric' }],
 *   knownModels: ['churn'],
 *   maxBodyBytes: 1048576,
 *   maxInstancesPerRequest: 100,
 *   upstreamTimeoutMs: 10000,
 * });
 * ```
 */
export class FunctionPlatform extends Construct {
  /** The registry the platform was created with. */
  readonly registry: ModelRegistry;
  /** The CMEK-encrypted Docker repository the function images are built into; images older than 30 days are deleted, except the 5 most recent. */
  readonly repository: ArtifactRegistryRepository;
  /** The service account function builds run as. */
  readonly buildAccount: ServiceAccount;
  /** `aiplatform.endpoints.predict`, nothing else. */
  readonly predictorRole: ProjectIamCustomRole;
  /** BigQuery query jobs, drift time series and starting the fan-out workflow. */
  readonly driftRole: ProjectIamCustomRole;
  /** What a function must be created after: the key grants and the build account's roles. */
  readonly ready: ITerraformDependable[] = [];
  /** The prefix of resource names the platform was created with. */
  readonly namePrefix: string;
  /** The GCP project id. */
  readonly project: string;
  /** The region of the repository and the functions. */
  readonly region: string;
  private readonly sources = new Map<FunctionBundle, StorageBucketObject>();

  constructor(scope: Construct, id: string, given: FunctionPlatformProps) {
    super(scope, id);
    const props = withRegistryDefaults(given);
    const problems = new Problems('FunctionPlatform');
    problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
    problems.throwIfAny();
    const { registry, project, region, namePrefix } = props;
    this.registry = registry;
    this.project = project;
    this.region = region;
    this.namePrefix = namePrefix;
    const agents = ServiceAgents.of(this, project);

    // Cloud Run functions CMEK: "for all functions" Google lists the Cloud Run functions, Artifact Registry, Cloud
    // Storage (registry grant), Cloud Run and Eventarc agents (https://cloud.google.com/functions/docs/securing/cmek),
    // and warns that a first deployment can fail while the grants propagate: each function waits for them.
    const artifactRegistryKey = agents.settled(registry.grantKeyUse('ArtifactRegistryAgent', agents.artifactRegistry));
    this.ready.push(
      agents.settled(registry.grantKeyUse('FunctionsAgent', agents.functions)),
      agents.settled(registry.grantKeyUse('CloudRunAgent', agents.cloudRun)),
      agents.settled(registry.grantKeyUse('EventarcAgent', agents.eventarc)),
      artifactRegistryKey,
    );

    this.repository = new ArtifactRegistryRepository(this, 'Images', {
      repositoryId: `${namePrefix}-functions`,
      location: region,
      project,
      format: 'DOCKER',
      description: `${namePrefix} platform function images`,
      kmsKeyName: registry.cryptoKey.id,
      // Cloud Run keeps serving the deployed image; older builds are only history.
      cleanupPolicies: [{ id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount: 5 } }, { id: 'delete-old', action: 'DELETE', condition: { olderThan: `${30 * 86400}s` } }],
      dependsOn: [artifactRegistryKey],
    });

    this.buildAccount = buildServiceAccount(this, 'Build', {
      accountId: boundedName([namePrefix, 'fn-build'], 30),
      displayName: `${namePrefix} function builds`,
      project,
    });
    // What Google lists for a function's build service account
    // (https://cloud.google.com/run/docs/configuring/services/build-service-account, "Required roles"): Logs Writer
    // (comes with buildServiceAccount), Artifact Registry Writer (on our repository only), and Storage Object Admin
    // "for retrieving the function source from the Cloud Storage bucket". That bucket is the one Cloud Run functions
    // copies the source to, `gcf-v2-sources-<project number>-<region>[-<CMEK key hash>]`
    // (https://cloud.google.com/functions/docs/building), created by Google on the first deployment: a bucket grant
    // cannot name it ahead, so the project grant is limited to those buckets by an IAM condition.
    const readsSources = new ProjectIamMember(this, 'BuildReadsSources', {
      project,
      role: 'roles/storage.objectAdmin',
      member: this.buildAccount.member,
      condition: FUNCTION_SOURCE_BUCKETS_CONDITION,
    });
    this.ready.push(
      new ArtifactRegistryRepositoryIamMember(this, 'BuildPushesImages', {
        project,
        location: region,
        repository: this.repository.name,
        role: 'roles/artifactregistry.writer',
        member: this.buildAccount.member,
      }),
      readsSources,
      this.node.findChild('BuildLogs') as unknown as ITerraformDependable,
      // Cloud Run functions copies the source named in the function (our bucket) into that bucket as its agent.
      agents.settled(registry.grantRead(agents.functions, { prefix: FUNCTION_SOURCES_PREFIX })),
    );

    this.predictorRole = new ProjectIamCustomRole(this, 'PredictorRole', {
      roleId: customRoleId(this, namePrefix, 'vertex_predictor'),
      title: `${namePrefix} Vertex AI predictor`,
      // Vertex AI IAM cannot name one endpoint through Terraform's GA provider: this applies to every endpoint of the project.
      description: 'Online predictions from Vertex AI endpoints (the inference functions).',
      permissions: ['aiplatform.endpoints.predict'],
      project,
    });
    this.driftRole = new ProjectIamCustomRole(this, 'DriftRole', {
      roleId: customRoleId(this, namePrefix, 'drift_function'),
      title: `${namePrefix} drift function`,
      description: 'Query jobs over the request logs, drift time series, and starting the fan-out workflow (the drift functions).',
      permissions: ['bigquery.jobs.create', 'monitoring.timeSeries.create', 'workflows.executions.create'],
      project,
    });
  }

  /** The uploaded source archive of `bundle`, created on first use (one per stack). */
  source(bundle: FunctionBundle): StorageBucketObject {
    const existing = this.sources.get(bundle);
    if (existing) return existing;
    const asset = new TerraformAsset(this, `${bundle}-asset`, { path: functionBundleDir(bundle), type: AssetType.ARCHIVE });
    const object = new StorageBucketObject(this, `${bundle}-source`, {
      // The content hash in the name: a changed bundle is a new object, which redeploys the functions.
      name: `${FUNCTION_SOURCES_PREFIX}${bundle}-${asset.assetHash}.zip`,
      bucket: this.registry.bucket.name,
      source: asset.path,
      contentType: 'application/zip',
    });
    this.sources.set(bundle, object);
    return object;
  }
}
