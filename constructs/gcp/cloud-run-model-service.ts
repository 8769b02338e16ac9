import { CloudRunV2Service } from '@cdktf/provider-google/lib/cloud-run-v2-service';
import { CloudRunV2ServiceIamMember } from '@cdktf/provider-google/lib/cloud-run-v2-service-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { registryLayout } from '../../core/layout';
import { boundedName } from '../private/names';
import { CLOUD_RUN_CPUS, cloudRunMemoryProblem, Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { ModelRegistry } from './model-registry';
import type { CloudRunDeployerRole } from './cloud-run-deployer-role';
import { ServiceAgents } from './private/service-agents';

/**
 * The image a service is created with before any model version is deployed: Google's public sample container, which
 * the Cloud Run documentation's own Terraform samples deploy (https://cloud.google.com/run/docs/samples/cloudrun-service-ingress).
 * Terraform must create the service (its IAM, key and the inference function need it) before the first deploy build
 * has pushed an image to the project; the deploy build then replaces it, and Terraform ignores the image from then on.
 */
export const CLOUD_RUN_PLACEHOLDER_IMAGE = 'us-docker.pkg.dev/cloudrun/container/hello';

/** The model-server container contract on Cloud Run: the port and the routes, as Vertex AI passes them (`AIP_*`). */
export const CLOUD_RUN_CONTAINER = { port: 8080, healthRoute: '/health', predictRoute: '/predict' } as const;

/** Properties of a {@link CloudRunModelService}. */
export interface CloudRunModelServiceProps {
  /** The registry: its key encrypts the service, and the service may read `models/<model>/` in its artifacts bucket. */
  readonly registry: ModelRegistry;
  /** Prefix of the service and service-account names, such as `modelstack-dev`. */
  readonly namePrefix: string;
  /** The model served. */
  readonly model: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the service, such as `europe-west1`. */
  readonly region: string;
  /**
   * CPUs of each instance: 1, 2, 4, 6 or 8.
   * @default 1
   */
  readonly cpu?: number;
  /**
   * Memory of each instance, in MB (512 to 32768, within Cloud Run's limits for `cpu`).
   * @default 2048
   */
  readonly memoryMb?: number;
  /**
   * Most instances; the fewest is always 0, so an idle service costs nothing.
   * @default 3
   */
  readonly maxInstances?: number;
  /**
   * Percentage of successful predictions the inference function captures for the drift check (Cloud Run has no
   * request log of its own), a whole number from 0 to 100.
   * @default 0
   */
  readonly samplingPercentage?: number;
  /**
   * Whether Terraform may delete the service.
   * @default false (the service is protected, `deletion_protection`)
   */
  readonly allowDestroy?: boolean;
}

/**
 * One model served on Cloud Run with the model-server container, scaling to zero: a Cloud Run v2 service with 0 to
 * `maxInstances` instances, CMEK (the registry key), its own service account, which may only read `models/<model>/`
 * in the registry (what `AIP_STORAGE_URI` points at), and nobody allowed to invoke it until `grantInvoke` names
 * someone (the model's inference function). Ingress is `all`: the inference functions reach Google APIs and
 * `run.app` URLs without a VPC, and Cloud Run counts a request from another Cloud Run service as internal only when
 * it is routed through a VPC network (https://cloud.google.com/run/docs/securing/ingress), so every request must
 * carry an identity token of an invoker instead.
 *
 * Terraform creates the service with {@link CLOUD_RUN_PLACEHOLDER_IMAGE} and no `AIP_STORAGE_URI`; the deploy trigger
 * (`modelstack cloudrun-deploy`) sets the built image and the version's directory with each new version, and
 * Terraform ignores both afterwards (`lifecycle.ignore_changes`). Until then, the placeholder answers with HTML, which
 * the inference function reports as `503 ModelNotReady`.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { CloudRunModelService, type ModelRegistry } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const registry: ModelRegistry;
 *
 * const churn = new CloudRunModelService(stack, 'Serve-churn', {
 *   registry,
 *   namePrefix: 'modelstack-dev',
 *   model: 'churn',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   cpu: 1,
 *   memoryMb: 2048,
 *   maxInstances: 3,
 * });
 * // The inference function passes `serving: churn` and is granted roles/run.invoker on it.
 * ```
 */
export class CloudRunModelService extends Construct {
  /** The Cloud Run service. */
  readonly service: CloudRunV2Service;
  /** The service's own account: reads `models/<model>/` in the registry, nothing else. */
  readonly serviceAccount: ServiceAccount;
  /** The model served. */
  readonly model: string;
  /** The service name, `<namePrefix>-serve-<model>` (bounded to Cloud Run's 49 characters). */
  readonly serviceName: string;
  /**
   * The name the capture folder and the drift check use for this serving target, as they use a Vertex AI endpoint's
   * id: the service name (`data-capture/<model>/<service name>/AllTraffic/`).
   */
  readonly endpointId: string;
  /** `projects/<project>/locations/<region>/services/<name>`: what the Cloud Run Admin API calls it. */
  readonly resourceName: string;
  /** The share of requests the inference function captures. */
  readonly samplingPercentage: number;
  /** Cloud Run keeps no request-response log: the inference function captures instead. */
  readonly requestLoggingAvailable = false;
  /** No request-log table (the drift check reads the inference function's captures). */
  readonly requestLogTable: undefined = undefined;
  /** The service's URL (known after apply): the inference function calls `<uri>/predict` with an identity token for it. */
  readonly uri: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the service. */
  readonly region: string;

  constructor(scope: Construct, id: string, props: CloudRunModelServiceProps) {
    super(scope, id);
    validateProps(props);
    const { registry, project, region, model } = props;
    const agents = ServiceAgents.of(this, project);
    this.model = model;
    this.project = project;
    this.region = region;
    this.serviceName = boundedName([props.namePrefix, 'serve', model], 49);
    this.endpointId = this.serviceName;
    this.resourceName = `projects/${project}/locations/${region}/services/${this.serviceName}`;
    this.samplingPercentage = props.samplingPercentage ?? 0;

    this.serviceAccount = new ServiceAccount(this, 'Account', {
      accountId: boundedName([props.namePrefix, 'serve', model], 30),
      displayName: `${this.serviceName} (reads models/${model}/ only)`,
      project,
    });
    // The model server reads objects by name only (JSON API objects.get), so a prefix condition suffices.
    const readsModel = registry.grantRead(this.serviceAccount.member, { prefix: registryLayout.modelPrefix(model) });
    // Cloud Run's service agent encrypts the revision's image with the key
    // (https://cloud.google.com/run/docs/securing/using-cmek): the grant must have propagated before the first revision.
    const keyReady = agents.settled(registry.grantKeyUse('CloudRunAgent', agents.cloudRun));

    const dependsOn: ITerraformDependable[] = [keyReady, readsModel];
    this.service = new CloudRunV2Service(this, 'Service', {
      name: this.serviceName,
      location: region,
      project,
      description: `${model} on the ModelStack model server, 0 instances when idle`,
      ingress: 'INGRESS_TRAFFIC_ALL',
      deletionProtection: !(props.allowDestroy ?? false),
      template: {
        serviceAccount: this.serviceAccount.email,
        encryptionKey: registry.cryptoKey.id,
        scaling: { minInstanceCount: 0, maxInstanceCount: props.maxInstances ?? 3 },
        containers: [
          {
            image: CLOUD_RUN_PLACEHOLDER_IMAGE,
            ports: { containerPort: CLOUD_RUN_CONTAINER.port },
            resources: { limits: { cpu: String(props.cpu ?? 1), memory: `${props.memoryMb ?? 2048}Mi` }, cpuIdle: true },
            env: [
              { name: 'AIP_HTTP_PORT', value: String(CLOUD_RUN_CONTAINER.port) },
              { name: 'AIP_HEALTH_ROUTE', value: CLOUD_RUN_CONTAINER.healthRoute },
              { name: 'AIP_PREDICT_ROUTE', value: CLOUD_RUN_CONTAINER.predictRoute },
            ],
            // The model server opens its port at once and answers 200 on the health route once the model is loaded;
            // an instance gets requests only after this probe passes (up to 2 minutes for a large model).
            startupProbe: { httpGet: { path: CLOUD_RUN_CONTAINER.healthRoute }, periodSeconds: 5, failureThreshold: 24, timeoutSeconds: 4 },
          },
        ],
      },
      // The deploy build owns the image and the version's variables (AIP_STORAGE_URI); Terraform keeps the rest.
      lifecycle: { ignoreChanges: ['template[0].containers[0].image', 'template[0].containers[0].env', 'client', 'client_version'] },
      dependsOn,
    });
    this.uri = this.service.uri;
  }

  /** Lets `member` call the service (`roles/run.invoker` on this service only); never a public principal. */
  grantInvoke(id: string, member: string): CloudRunV2ServiceIamMember {
    if (/allUsers|allAuthenticatedUsers/.test(member)) throw new Error(`CloudRunModelService: invoker "${member}": public invokers are not allowed`);
    return new CloudRunV2ServiceIamMember(this, id, { project: this.project, location: this.region, name: this.service.name, role: 'roles/run.invoker', member });
  }

  /**
   * Lets `member` (a deploy build's account) roll out new revisions of this service only: `role.serviceRole` on the
   * service and `role.actAsRole` on its service account.
   */
  grantDeploy(id: string, member: string, role: CloudRunDeployerRole): ITerraformDependable[] {
    return [
      new CloudRunV2ServiceIamMember(this, `${id}Updates`, { project: this.project, location: this.region, name: this.service.name, role: role.serviceRole.name, member }),
      new ServiceAccountIamMember(this, `${id}ActsAs`, { serviceAccountId: this.serviceAccount.name, role: role.actAsRole.name, member }),
    ];
  }
}

function validateProps(props: CloudRunModelServiceProps): void {
  const problems = new Problems('CloudRunModelService');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  problems.check(SAFE_RESOURCE_NAME.test(props.model), `model "${props.model}": expected lowercase letters, digits and single hyphens`);
  const cpu = props.cpu ?? 1;
  const memoryMb = props.memoryMb ?? 2048;
  const cpuOk = (CLOUD_RUN_CPUS as readonly number[]).includes(cpu);
  problems.check(cpuOk, `cpu ${cpu}: expected ${CLOUD_RUN_CPUS.join(', ')}`);
  const memoryOk = Number.isInteger(memoryMb) && memoryMb >= 512 && memoryMb <= 32768;
  problems.check(memoryOk, `memoryMb ${memoryMb}: expected a whole number from 512 to 32768`);
  if (cpuOk && memoryOk) {
    const problem = cloudRunMemoryProblem(cpu, memoryMb);
    problems.check(problem === undefined, `memoryMb ${memoryMb}: ${problem}`);
  }
  const max = props.maxInstances ?? 3;
  problems.check(Number.isInteger(max) && max >= 1 && max <= 1000, `maxInstances ${max}: expected 1 to 1000`);
  const sampling = props.samplingPercentage ?? 0;
  problems.check(Number.isInteger(sampling) && sampling >= 0 && sampling <= 100, `samplingPercentage ${sampling}: expected a whole number from 0 to 100`);
  problems.throwIfAny();
}
