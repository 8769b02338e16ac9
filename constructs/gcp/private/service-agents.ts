import { DataGoogleBigqueryDefaultServiceAccount } from '@cdktf/provider-google/lib/data-google-bigquery-default-service-account';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';

/**
 * The Google-managed service agents of one project, as IAM members. Google services act as these when they
 * use a CMEK key, write request logs or read model artifacts on our behalf, so they are what CMEK and
 * logging grants name. One instance per project per stack (`ServiceAgents.of`).
 */
export class ServiceAgents extends Construct {
  /** The agents of `project` in the stack that contains `scope`, created on first use. */
  static of(scope: Construct, project: string): ServiceAgents {
    const stack = TerraformStack.of(scope);
    const id = `ServiceAgents-${project}`;
    return (stack.node.tryFindChild(id) as ServiceAgents | undefined) ?? new ServiceAgents(stack, id, project);
  }

  /** Vertex AI (endpoints, model uploads, feature store sync). */
  readonly vertex: string;
  readonly pubsub: string;
  readonly bigquery: string;
  /** Cloud Run functions (it encrypts function sources and builds). */
  readonly functions: string;
  /** Artifact Registry (function images). */
  readonly artifactRegistry: string;
  /** Cloud Run (function instances). */
  readonly cloudRun: string;
  /** Workflows (execution data). */
  readonly workflows: string;

  private constructor(scope: Construct, id: string, project: string) {
    super(scope, id);
    // Service agent emails embed the project number, which only the API knows.
    const number = new DataGoogleProject(this, 'Project', { projectId: project }).number;
    this.vertex = `serviceAccount:service-${number}@gcp-sa-aiplatform.iam.gserviceaccount.com`;
    this.pubsub = `serviceAccount:service-${number}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    this.functions = `serviceAccount:service-${number}@gcf-admin-robot.iam.gserviceaccount.com`;
    this.artifactRegistry = `serviceAccount:service-${number}@gcp-sa-artifactregistry.iam.gserviceaccount.com`;
    this.cloudRun = `serviceAccount:service-${number}@serverless-robot-prod.iam.gserviceaccount.com`;
    this.workflows = `serviceAccount:service-${number}@gcp-sa-workflows.iam.gserviceaccount.com`;
    this.bigquery = new DataGoogleBigqueryDefaultServiceAccount(this, 'BigQuery', { project }).member;
  }
}
