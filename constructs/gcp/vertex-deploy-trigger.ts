import { posix } from 'node:path';
import { CloudbuildTrigger } from '@cdktf/provider-google/lib/cloudbuild-trigger';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import type { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { boundedName } from '../private/names';
import { Problems, SAFE_RESOURCE_NAME } from '../private/validation';
import type { CloudRunDeployerRole } from './cloud-run-deployer-role';
import { CloudRunModelService } from './cloud-run-model-service';
import type { ModelEndpoint } from './model-endpoint';
import type { ModelImageRepository } from './model-image-repository';
import type { ModelVersionEvents } from './model-version-events';
import type { PrivateEndpointAccess, PrivateEndpointAddress } from './private-endpoint-access';
import { buildServiceAccount } from './private/build-account';
import { BUILD_FOLDER, CONTAINER_IMAGE_URI } from '../private/image-uri';
import type { VertexDeployerRole } from './vertex-deployer-role';

/** A GitHub repository connected to Cloud Build (the Cloud Build GitHub App). */
export interface GitHubRepository {
  /** User or organization that owns the repository. */
  readonly owner: string;
  /** Repository name. */
  readonly name: string;
  /**
   * Branch whose code the builds run.
   * @default 'main'
   */
  readonly branch?: string;
}

/** How a {@link VertexDeployTrigger} builds the serving image (`VertexDeployTriggerProps.imageBuild`). */
export interface ImageBuildStep {
  /** The repository the image is pushed to; the trigger's service account may push there, and nowhere else. */
  readonly repository: ModelImageRepository;
  /** The folder holding the Dockerfile, relative to the repository root, such as `containers/model-server`. */
  readonly folder: string;
  /**
   * The port the container serves on.
   * @default 8080
   */
  readonly port?: number;
  /**
   * The container's health route.
   * @default '/health'
   */
  readonly healthRoute?: string;
  /**
   * The container's predict route.
   * @default '/predict'
   */
  readonly predictRoute?: string;
}

/** Where the image steps leave the pushed image's digest for the deploy step. */
const IMAGE_REF_FILE = '/workspace/model-image.ref';
/** Google's Docker builder; it is authenticated to Artifact Registry as the build's service account. */
const DOCKER_BUILDER = 'gcr.io/cloud-builders/docker';

/** Properties of a {@link VertexDeployTrigger}. */
export interface VertexDeployTriggerProps {
  /**
   * Where new versions are deployed: a Vertex AI endpoint, or a Cloud Run service (then the build runs
   * `modelstack cloudrun-deploy`, which rolls out a revision with the version's image and `AIP_STORAGE_URI`; the
   * Vertex AI options below do not apply). Its model decides which objects start a build.
   */
  readonly endpoint: ModelEndpoint | CloudRunModelService;
  /** Where the registry announces new objects under `models/`. */
  readonly events: ModelVersionEvents;
  /**
   * The custom role whose Vertex AI permissions the build's service account gets; required for a Vertex AI endpoint.
   * @default - none: only for a Cloud Run service, whose deployer gets Cloud Run Developer on that service instead
   */
  readonly deployerRole?: VertexDeployerRole;
  /**
   * The roles the build's account gets on the Cloud Run service and its account; required for a Cloud Run service.
   * @default - none: only for a Vertex AI endpoint
   */
  readonly cloudRunDeployerRole?: CloudRunDeployerRole;
  /**
   * The repository holding this project (a ModelStack checkout: the build runs its `npm run build` and
   * `bin/modelstack.cjs vertex-deploy`).
   */
  readonly repository: GitHubRepository;
  /** Prefix of the trigger and service-account names, such as `modelstack-dev`. */
  readonly namePrefix: string;
  /** GCP project id. */
  readonly project: string;
  /** Region of the endpoint, such as `europe-west1`. */
  readonly region: string;
  /**
   * Serving container image the model version is uploaded with (a prebuilt one, such as Vertex AI's).
   * @default - none: `imageBuild` must be set
   */
  readonly containerImage?: string;
  /**
   * A serving image each deploy builds from the checkout instead: it builds `folder`'s Dockerfile, pushes it to
   * `repository` (tagged with the build id; tags there are immutable) and uploads the version with the pushed
   * digest and a custom container spec (port, health and predict routes, which Vertex AI passes to the container as
   * `AIP_HTTP_PORT`, `AIP_HEALTH_ROUTE`, `AIP_PREDICT_ROUTE`; the model directory arrives as `AIP_STORAGE_URI`).
   * @default - none: `containerImage` must be set
   */
  readonly imageBuild?: ImageBuildStep;
  /**
   * Machine type of each replica.
   * @default 'n1-standard-2'
   */
  readonly machineType?: string;
  /**
   * Fewest replicas of the deployed version.
   * @default 1
   */
  readonly minReplicas?: number;
  /**
   * Most replicas of the deployed version.
   * @default 2
   */
  readonly maxReplicas?: number;
  /**
   * Traffic for the version being deployed and for the one that served before it, in percent (sum 100).
   * @default { latest: 100, previous: 0 }
   */
  readonly trafficSplit?: {
    /** Percent of traffic for the version being deployed; at least 1. */
    readonly latest: number;
    /** Percent of traffic left with the version that served before it. */
    readonly previous: number;
  };
  /**
   * Whether each build waits for a manual approval in Cloud Build before it runs.
   * @default false
   */
  readonly approvalRequired?: boolean;
  /**
   * Version alias moved to each deployed version (the environment name reads well: `churn@prod`).
   * @default 'deployed'
   */
  readonly alias?: string;
  /**
   * For a Cloud Run service: also register each rolled-out version in the Vertex AI Model Registry as this model, with
   * `alias`, so that a `BatchPrediction` (which needs a Vertex AI model) scores the version Cloud Run serves. The
   * build's account then gets `cloudRunDeployerRole.modelRegistryRole` on the project. Uploading creates no endpoint
   * and no replica.
   * @default - no registration (Cloud Run only); a Vertex AI endpoint's versions are always registered
   */
  readonly registerModelId?: string;
  /**
   * Container image the build steps run in: it needs Node.js 20 or later and npm (ModelStack's `engines`).
   * @default 'node:22'
   */
  readonly builderImage?: string;
  /**
   * For a Private Service Connect endpoint: after deploying, the build connects the endpoint's service attachment to
   * its reserved address (a forwarding rule; the attachment exists only once a model is deployed).
   * @default - no forwarding rule (public endpoint)
   */
  readonly privateServiceConnect?: {
    /** `PrivateEndpointAccess`: its network and the role that may create the forwarding rule. */
    readonly access: PrivateEndpointAccess;
    /** `access.addressFor(endpoint)`. */
    readonly address: PrivateEndpointAddress;
  };
}

/**
 * Deploys each new model version to its Vertex AI endpoint: a Cloud Build Pub/Sub trigger on the registry's
 * model-version events, filtered to `models/<model>/<version>/model.tar.gz`, that checks out the repository, builds
 * the CLI (`npm ci`, `npm run build`, `npm prune --omit=dev`) and runs the built `modelstack vertex-deploy` (upload the version, move the alias, deploy with the configured machine type,
 * replicas and traffic split, undeploy versions left without traffic). The build runs as its own service
 * account, which may only use the deployer role's Vertex AI permissions and write its logs. For a model served on
 * Cloud Run (`endpoint` a `CloudRunModelService`), the build runs `modelstack cloudrun-deploy` instead (a new revision
 * with the built image and the version's `AIP_STORAGE_URI`), and its account may only update that service.
 *
 * @example
 * ```ts
 * import type { TerraformStack } from 'cdktf';
 * import { VertexDeployTrigger, type ModelEndpoint, type ModelVersionEvents, type VertexDeployerRole } from 'modelstack/gcp';
 *
 * declare const stack: TerraformStack;
 * declare const churn: ModelEndpoint;
 * declare const events: ModelVersionEvents;
 * declare const deployerRole: VertexDeployerRole;
 *
 * new VertexDeployTrigger(stack, 'DeployChurn', {
 *   endpoint: churn,
 *   events,
 *   deployerRole,
 *   namePrefix: 'modelstack-prod',
 *   project: 'my-ml-project',
 *   region: 'europe-west1',
 *   repository: { owner: 'example-org', name: 'modelstack', branch: 'release' },
 *   containerImage: 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
 *   machineType: 'n1-standard-4',
 *   maxReplicas: 4,
 *   trafficSplit: { latest: 10, previous: 90 },
 *   approvalRequired: true,
 *   alias: 'prod',
 * });
 * ```
 */
export class VertexDeployTrigger extends Construct {
  /** The Cloud Build Pub/Sub trigger. */
  readonly trigger: CloudbuildTrigger;
  /** The service account the deploy build runs as. */
  readonly serviceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: VertexDeployTriggerProps) {
    super(scope, id);
    validateProps(props);
    const { endpoint, project } = props;
    const model = endpoint.model;
    const split = props.trafficSplit ?? { latest: 100, previous: 0 };

    const cloudRun = endpoint instanceof CloudRunModelService ? endpoint : undefined;
    this.serviceAccount = buildServiceAccount(this, 'ServiceAccount', {
      accountId: boundedName([props.namePrefix, 'deploy', model], 30),
      displayName: `${props.namePrefix} deploys ${model} to ${cloudRun ? 'Cloud Run' : 'Vertex AI'}`,
      project,
    });
    const dependsOn: ITerraformDependable[] = [];
    if (cloudRun) dependsOn.push(cloudRun.service, ...cloudRun.grantDeploy(`Deploy-${model}`, this.serviceAccount.member, props.cloudRunDeployerRole!));
    else new ProjectIamMember(this, 'Deployer', { project, role: props.deployerRole!.role.name, member: this.serviceAccount.member });

    if (cloudRun && props.registerModelId) {
      dependsOn.push(new ProjectIamMember(this, 'RegistersModels', { project, role: props.cloudRunDeployerRole!.modelRegistryRole.name, member: this.serviceAccount.member }));
    }
    const build = props.imageBuild;
    const imageSteps = build ? this.imageSteps(build, model) : [];
    const imageArgs = build ? ['--image-file', IMAGE_REF_FILE] : ['--image', props.containerImage!];
    const deployArgs = cloudRun
      ? [
          'bin/modelstack.cjs', 'cloudrun-deploy',
          '--project', project,
          '--region', props.region,
          '--service', cloudRun.serviceName,
          '--artifact', 'gs://$_BUCKET/$_OBJECT',
          ...imageArgs,
          ...(props.registerModelId ? ['--vertex-model-id', props.registerModelId, '--alias', props.alias ?? 'deployed'] : []),
        ]
      : [
          'bin/modelstack.cjs', 'vertex-deploy',
          '--project', project,
          '--region', props.region,
          '--endpoint', endpoint.endpointId,
          '--model-id', (endpoint as ModelEndpoint).displayName,
          // Cloud Build substitutions, filled from the Pub/Sub message (below); `$_X`, since `${` is Terraform's.
          '--artifact', 'gs://$_BUCKET/$_OBJECT',
          ...imageArgs,
          ...(build ? ['--container-port', String(build.port ?? 8080), '--health-route', build.healthRoute ?? '/health', '--predict-route', build.predictRoute ?? '/predict'] : []),
          '--machine-type', props.machineType ?? 'n1-standard-2',
          '--min-replicas', String(props.minReplicas ?? 1),
          '--max-replicas', String(props.maxReplicas ?? 2),
          '--latest-percent', String(split.latest),
          '--alias', props.alias ?? 'deployed',
        ];
    const psc = props.privateServiceConnect;
    if (!cloudRun) dependsOn.push((endpoint as ModelEndpoint).endpoint);
    if (build) dependsOn.push(build.repository.grantPush(`Deploy-${model}`, this.serviceAccount.member), ...build.repository.ready);
    if (psc) {
      deployArgs.push('--psc-address', psc.address.resourceName, '--psc-network', psc.access.networkName);
      dependsOn.push(psc.address.address, new ProjectIamMember(this, 'ConnectsPsc', { project, role: psc.access.connectRole.name, member: this.serviceAccount.member }));
    }
    const builder = props.builderImage ?? DEFAULT_BUILDER;

    this.trigger = new CloudbuildTrigger(this, 'Trigger', {
      name: boundedName([props.namePrefix, 'deploy', model], 64),
      description: `Deploys new versions of ${model} (models/${model}/<version>/model.tar.gz) to ${cloudRun ? `Cloud Run service ${cloudRun.serviceName}` : `Vertex AI endpoint ${(endpoint as ModelEndpoint).displayName}`}`,
      project,
      serviceAccount: this.serviceAccount.id,
      pubsubConfig: { topic: props.events.topic.topic.id },
      sourceToBuild: { uri: `https://github.com/${props.repository.owner}/${props.repository.name}`, ref: `refs/heads/${props.repository.branch ?? 'main'}`, repoType: 'GITHUB' },
      substitutions: { _BUCKET: '$(body.message.attributes.bucketId)', _OBJECT: '$(body.message.attributes.objectId)' },
      filter: `_OBJECT.matches("^models/${model}/[^/]+/model[.]tar[.]gz$")`,
      approvalConfig: { approvalRequired: props.approvalRequired ?? false },
      buildAttribute: {
        // The CLI runs compiled: a checkout's bin/modelstack.cjs runs the TypeScript sources through tsx, a
        // devDependency, so the build installs everything, builds dist/, then drops the dev dependencies; the
        // deploy then runs dist/ on production dependencies only (as an installed package would).
        step: [
          { id: 'install', name: builder, entrypoint: 'npm', args: ['ci', '--no-audit', '--no-fund'] },
          { id: 'build', name: builder, entrypoint: 'npm', args: ['run', 'build'] },
          { id: 'prune', name: builder, entrypoint: 'npm', args: ['prune', '--omit=dev', '--no-audit', '--no-fund'] },
          ...imageSteps,
          { id: 'deploy', name: builder, entrypoint: 'node', args: deployArgs },
        ],
        // A user-managed build account cannot write to the default logs bucket.
        options: { logging: 'CLOUD_LOGGING_ONLY' },
        timeout: '3600s',
      },
      // A version uploaded while Terraform applies must not start a deploy to an endpoint that does not exist yet.
      dependsOn,
    });
  }

  /**
   * Build the folder, push it tagged with the build id (tags are immutable, and two models' triggers may build the
   * same commit), and write the pushed `<image>@sha256:<digest>` (docker's RepoDigests after the push) for the deploy
   * step, which uploads the version by digest.
   */
  private imageSteps(build: ImageBuildStep, model: string): { id: string; name: string; entrypoint?: string; args: string[] }[] {
    const image = `${build.repository.imageName(posix.basename(build.folder))}:$BUILD_ID`;
    return [
      // linux/amd64: Vertex AI's machine types (n1-standard, e2-standard) are x86-64.
      { id: `build-image-${model}`, name: DOCKER_BUILDER, args: ['build', '--platform', 'linux/amd64', '--tag', image, build.folder] },
      { id: `push-image-${model}`, name: DOCKER_BUILDER, entrypoint: 'bash', args: ['-c', `docker push ${image} && docker inspect --format='{{index .RepoDigests 0}}' ${image} > ${IMAGE_REF_FILE}`] },
    ];
  }
}

/** Node.js 22 (LTS): ModelStack needs 20 or later, and 20 left support in April 2026. */
const DEFAULT_BUILDER = 'node:22';

function validateProps(props: VertexDeployTriggerProps): void {
  const problems = new Problems('VertexDeployTrigger');
  problems.check(SAFE_RESOURCE_NAME.test(props.namePrefix), `namePrefix "${props.namePrefix}": expected lowercase letters, digits and single hyphens`);
  const min = props.minReplicas ?? 1;
  const max = props.maxReplicas ?? 2;
  problems.check(Number.isInteger(min) && min >= 1, `minReplicas ${min}: expected a whole number, at least 1`);
  problems.check(Number.isInteger(max) && max >= min, `maxReplicas ${max}: expected a whole number, at least minReplicas (${min})`);
  const split = props.trafficSplit ?? { latest: 100, previous: 0 };
  const percents = [split.latest, split.previous];
  problems.check(
    percents.every((p) => Number.isInteger(p) && p >= 0 && p <= 100) && split.latest + split.previous === 100,
    `trafficSplit ${JSON.stringify(split)}: expected whole percentages that sum to 100`,
  );
  problems.check(split.latest > 0, 'trafficSplit.latest 0: expected the deployed version to receive traffic');
  problems.check(props.alias === undefined || /^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/.test(props.alias), `alias "${props.alias}": expected a Vertex AI version alias (a lowercase letter, then letters, digits, hyphens)`);
  problems.check((props.containerImage === undefined) !== (props.imageBuild === undefined), 'expected exactly one of containerImage and imageBuild');
  if (props.endpoint instanceof CloudRunModelService) {
    problems.check(props.privateServiceConnect === undefined, 'privateServiceConnect: expected none for a Cloud Run service (it has no Vertex AI endpoint to connect)');
    problems.check(props.cloudRunDeployerRole !== undefined, 'cloudRunDeployerRole: expected the CloudRunDeployerRole for a Cloud Run service');
    problems.check(props.registerModelId === undefined || /^[a-z][a-z0-9_-]{0,62}$/.test(props.registerModelId), `registerModelId "${props.registerModelId}": expected a Vertex AI model id (lowercase letters, digits, - and _, starting with a letter, at most 63)`);
  } else {
    problems.check(props.registerModelId === undefined, 'registerModelId: expected none for a Vertex AI endpoint (vertex-deploy registers its versions already)');
    problems.check(props.deployerRole !== undefined, 'deployerRole: expected the VertexDeployerRole for a Vertex AI endpoint');
  }
  problems.check(
    props.containerImage === undefined || CONTAINER_IMAGE_URI.test(props.containerImage),
    `containerImage "${props.containerImage}": expected a container image URI`,
  );
  if (props.imageBuild) {
    const { folder, port, healthRoute, predictRoute } = props.imageBuild;
    problems.check(BUILD_FOLDER.test(folder), `imageBuild.folder "${folder}": expected a relative folder inside the repository, such as containers/model-server`);
    problems.check(port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535), `imageBuild.port ${port}: expected a port number`);
    for (const [name, route] of [['healthRoute', healthRoute], ['predictRoute', predictRoute]] as const) {
      problems.check(route === undefined || /^\/[\w./-]*$/.test(route), `imageBuild.${name} "${route}": expected a path such as /${name === 'healthRoute' ? 'health' : 'predict'}`);
    }
  }
  // Docker Hub's official images name the Node.js major in the tag (node:18, node:18-slim): catch the old ones.
  const nodeMajor = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)/.exec(props.builderImage ?? DEFAULT_BUILDER)?.[1];
  problems.check(nodeMajor === undefined || Number(nodeMajor) >= 20, `builderImage "${props.builderImage}": expected Node.js 20 or later (ModelStack's engines), such as ${DEFAULT_BUILDER}`);
  problems.throwIfAny();
}
