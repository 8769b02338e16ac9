import { DataGoogleBigqueryDefaultServiceAccount } from '@cdktf/provider-google/lib/data-google-bigquery-default-service-account';
import { DataGoogleStorageProjectServiceAccount } from '@cdktf/provider-google/lib/data-google-storage-project-service-account';
import { GoogleProjectServiceIdentity } from '@cdktf/provider-google-beta/lib/google-project-service-identity';
import { GoogleBetaProvider } from '@cdktf/provider-google-beta/lib/provider';
import { type TerraformResource, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { TimeSleep } from './time';

/**
 * How long a resource waits after an IAM grant it relies on: Google documents that a policy change typically takes
 * effect within 2 minutes (https://cloud.google.com/iam/docs/access-change-propagation). Only the first apply waits.
 */
export const IAM_PROPAGATION = '120s';

/** The APIs whose service agents are created with `google_project_service_identity`. */
const IDENTITY_SERVICES = {
  vertex: 'aiplatform.googleapis.com',
  pubsub: 'pubsub.googleapis.com',
  functions: 'cloudfunctions.googleapis.com',
  artifactRegistry: 'artifactregistry.googleapis.com',
  cloudRun: 'run.googleapis.com',
  workflows: 'workflows.googleapis.com',
  eventarc: 'eventarc.googleapis.com',
} as const;
type IdentityAgent = keyof typeof IDENTITY_SERVICES;

/**
 * The Google-managed service agents of one project, as IAM members. Google services act as these when they use a
 * CMEK key, write request logs or read model artifacts on our behalf, so they are what CMEK and logging grants name.
 *
 * Most agents only exist after the first use of their service (Artifact Registry's, for example, appears with the
 * first repository, which itself needs the agent's key grant), so each is created here first: with
 * `google_project_service_identity` (google-beta only; https://cloud.google.com/iam/docs/create-service-agents),
 * or, for Cloud Storage and BigQuery, which that API does not cover, with the data sources whose read creates the
 * agent (`google_storage_project_service_account`, `google_bigquery_default_service_account`). Every member below
 * references the resource that creates the agent, so a grant naming it is applied after it exists.
 *
 * One instance per project per stack (`ServiceAgents.of`); an agent's resource is only added when first asked for.
 */
export class ServiceAgents extends Construct {
  /** The agents of `project` in the stack that contains `scope`, created on first use. */
  static of(scope: Construct, project: string): ServiceAgents {
    const stack = TerraformStack.of(scope);
    const id = `ServiceAgents-${project}`;
    return (stack.node.tryFindChild(id) as ServiceAgents | undefined) ?? new ServiceAgents(stack, id, project);
  }

  private readonly members = new Map<string, string>();
  private readonly sleeps = new Map<string, TimeSleep>();

  private constructor(
    scope: Construct,
    id: string,
    private readonly project: string,
  ) {
    super(scope, id);
  }

  /** Vertex AI (endpoints, model uploads, feature store sync). */
  get vertex(): string {
    return this.identity('vertex');
  }
  get pubsub(): string {
    return this.identity('pubsub');
  }
  /** Cloud Run functions (it encrypts function sources and builds). */
  get functions(): string {
    return this.identity('functions');
  }
  /** Artifact Registry (function images). */
  get artifactRegistry(): string {
    return this.identity('artifactRegistry');
  }
  /** Cloud Run (function instances). */
  get cloudRun(): string {
    return this.identity('cloudRun');
  }
  /** Workflows (execution data). */
  get workflows(): string {
    return this.identity('workflows');
  }
  /** Eventarc (one of the agents Cloud Run functions CMEK needs, event-driven or not). */
  get eventarc(): string {
    return this.identity('eventarc');
  }
  /**
   * BigQuery (CMEK of datasets); the data source calls projects.getServiceAccount, which creates the agent on first
   * use (https://cloud.google.com/bigquery/docs/customer-managed-encryption).
   */
  get bigquery(): string {
    return this.memoized('BigQuery', () => new DataGoogleBigqueryDefaultServiceAccount(this, 'BigQuery', { project: this.project }).member);
  }
  /**
   * Cloud Storage (CMEK of buckets, bucket notifications); the data source calls projects.serviceAccount.get, which
   * creates the agent (https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/data-sources/storage_project_service_account).
   */
  get storage(): string {
    return this.memoized('Storage', () => new DataGoogleStorageProjectServiceAccount(this, 'Storage', { project: this.project }).member);
  }

  /**
   * What a resource relying on `grant` must depend on: the grant, then the time IAM takes to apply it (a
   * `time_sleep` of {@link IAM_PROPAGATION}). One per grant.
   */
  settled(grant: TerraformResource): TimeSleep {
    const key = grant.node.path;
    let sleep = this.sleeps.get(key);
    if (!sleep) {
      sleep = new TimeSleep(this, `Settled-${grant.friendlyUniqueId}`, IAM_PROPAGATION, [grant]);
      this.sleeps.set(key, sleep);
    }
    return sleep;
  }

  private identity(agent: IdentityAgent): string {
    return this.memoized(agent, () => {
      const service = IDENTITY_SERVICES[agent];
      return new GoogleProjectServiceIdentity(this, `Identity-${agent}`, { project: this.project, service, provider: betaProvider(this, this.project) }).member;
    });
  }

  private memoized(key: string, create: () => string): string {
    let member = this.members.get(key);
    if (member === undefined) {
      member = create();
      this.members.set(key, member);
    }
    return member;
  }
}

/** The stack's google-beta provider (`GcpEnvironmentStack` configures one); a bare one for `project` when it has none. */
function betaProvider(scope: Construct, project: string): GoogleBetaProvider {
  const stack = TerraformStack.of(scope);
  const existing = stack.node.findAll().find((c): c is GoogleBetaProvider => c instanceof GoogleBetaProvider);
  return existing ?? new GoogleBetaProvider(stack, 'google-beta', { project });
}
