import { CONTAINER_IMAGE_URI } from '../../constructs/private/image-uri';
import type { VertexClient } from '../vertex-deploy/client';
import { moveVersionAlias, parseArtifact, uploadModelVersion } from '../vertex-deploy/deploy';

export interface CloudRunDeployOptions {
  readonly project: string;
  readonly region: string;
  /** The model's Cloud Run service name, such as `modelstack-dev-serve-churn`. */
  readonly service: string;
  /** `gs://<bucket>/models/<model>/<version>/model.tar.gz`: the registry object that announced the version. */
  readonly artifact: string;
  /** The model-server image, by digest. */
  readonly image: string;
  /** Limit for the rollout (the new revision becoming ready), in milliseconds. */
  readonly timeoutMs: number;
}

export interface CloudRunDeployResult {
  /** `projects/.../services/<name>` */
  readonly service: string;
  /** The revision serving all traffic afterwards. */
  readonly revision: string;
  /** Whether a new revision was rolled out (false: the service already served this image and version). */
  readonly updated: boolean;
  readonly image: string;
  /** `gs://<bucket>/models/<model>/<version>/`, the model server's `AIP_STORAGE_URI`. */
  readonly storageUri: string;
  /** The model server's port and routes on the service (its `AIP_HTTP_PORT`, `AIP_HEALTH_ROUTE`, `AIP_PREDICT_ROUTE`). */
  readonly container: ContainerRoutes;
}

/** A custom container's port and routes, as Vertex AI's ModelContainerSpec and the model server's `AIP_*` take them. */
export interface ContainerRoutes {
  readonly port: number;
  readonly healthRoute: string;
  readonly predictRoute: string;
}

interface EnvVar {
  readonly name: string;
  readonly value?: string;
}

interface Container {
  readonly image?: string;
  readonly env?: readonly EnvVar[];
  readonly [key: string]: unknown;
}

interface TrafficTarget {
  readonly type?: string;
  readonly revision?: string;
  readonly percent?: number;
}

/** The parts of a Cloud Run v2 `Service` the rollout reads and writes (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services). */
interface Service {
  readonly name: string;
  readonly generation?: string;
  readonly observedGeneration?: string;
  readonly reconciling?: boolean;
  readonly latestReadyRevision?: string;
  readonly latestCreatedRevision?: string;
  readonly terminalCondition?: { readonly state?: string; readonly message?: string; readonly reason?: string };
  readonly template?: { readonly containers?: readonly Container[]; readonly [key: string]: unknown };
  readonly traffic?: readonly TrafficTarget[];
  readonly [key: string]: unknown;
}

const STORAGE_URI = 'AIP_STORAGE_URI';
/** All traffic to the newest ready revision. */
const LATEST = { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 } as const;

/** Every problem with `options`, so one error lists them all. */
export function validateCloudRunDeployOptions(options: CloudRunDeployOptions): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => ok || problems.push(problem);
  check(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(options.project), `--project "${options.project}": expected a GCP project id`);
  check(/^[a-z]+-[a-z]+\d+$/.test(options.region), `--region "${options.region}": expected a GCP region such as europe-west1`);
  check(/^[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?$/.test(options.service), `--service "${options.service}": expected a Cloud Run service name (lowercase letters, digits and hyphens, at most 49)`);
  check(CONTAINER_IMAGE_URI.test(options.image), `--image "${options.image}": expected a container image URI`);
  try {
    parseArtifact(options.artifact);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/**
 * Rolls out a model version on its Cloud Run service: a new revision running `options.image` with `AIP_STORAGE_URI`
 * set to the version's directory (the model server loads it at start), all traffic to it. The service's other
 * settings (resources, scaling, account, key, the other `AIP_*` variables) are Terraform's and are sent back as read.
 * Waits on the service itself (not the returned operation: the deployer's role is granted on the service only) until
 * the revision is ready, and fails with Cloud Run's reason when it is not. A rerun for the image and version the
 * service already serves changes nothing.
 */
export async function deployCloudRunRevision(client: VertexClient, options: CloudRunDeployOptions, log: (line: string) => void = () => {}): Promise<CloudRunDeployResult> {
  const problems = validateCloudRunDeployOptions(options);
  if (problems.length > 0) throw new Error(`cloudrun-deploy: invalid options\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const storageUri = parseArtifact(options.artifact).directory;
  const name = `projects/${options.project}/locations/${options.region}/services/${options.service}`;

  const current = await client.call<Service>('services.get', 'GET', name);
  const containers = current.template?.containers ?? [];
  if (containers.length !== 1) throw new Error(`cloudrun-deploy: ${name} has ${containers.length} containers: expected the model server alone`);
  const [container] = containers;
  const env = container.env ?? [];
  const serving = env.find((e) => e.name === STORAGE_URI)?.value;
  const allLatest = (current.traffic ?? []).length === 1 && current.traffic![0].type === LATEST.type && current.traffic![0].percent === 100;
  if (container.image === options.image && serving === storageUri && allLatest && current.latestReadyRevision && current.latestReadyRevision === current.latestCreatedRevision) {
    log(`${options.service} already serves ${options.image} with ${storageUri} (${current.latestReadyRevision})`);
    return { service: name, revision: current.latestReadyRevision, updated: false, image: options.image, storageUri, container: routesOf(env) };
  }

  const updated: Service = {
    ...current,
    template: {
      ...current.template,
      containers: [{ ...container, image: options.image, env: [...env.filter((e) => e.name !== STORAGE_URI), { name: STORAGE_URI, value: storageUri }] }],
    },
    traffic: [LATEST],
  };
  log(`rolling out ${options.image} with ${STORAGE_URI}=${storageUri} on ${options.service}`);
  await client.call('services.patch', 'PATCH', name, updated);

  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const service = await client.call<Service>('services.get', 'GET', name);
    const settled = !service.reconciling && service.observedGeneration !== undefined && service.observedGeneration === service.generation;
    if (settled) {
      const condition = service.terminalCondition;
      if (condition?.state !== 'CONDITION_SUCCEEDED' || service.latestReadyRevision !== service.latestCreatedRevision) {
        throw new Error(
          `cloudrun-deploy: revision ${service.latestCreatedRevision ?? '(none)'} of ${options.service} is not ready: ${condition?.reason ?? condition?.state ?? 'unknown'}: ${condition?.message ?? 'no message'} (traffic stays on ${service.latestReadyRevision ?? 'no revision'})`,
        );
      }
      log(`${options.service}: ${service.latestReadyRevision} serves all traffic`);
      return { service: name, revision: service.latestReadyRevision!, updated: true, image: options.image, storageUri, container: routesOf(env) };
    }
    if (Date.now() >= deadline) throw new Error(`cloudrun-deploy: ${options.service} still rolling out after ${Math.round(options.timeoutMs / 1000)} s (timed out)`);
    await client.pause();
  }
}

/** The port and routes the service passes the model server (the platform's defaults when a variable is missing). */
function routesOf(env: readonly EnvVar[]): ContainerRoutes {
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  return { port: Number(value('AIP_HTTP_PORT') ?? 8080), healthRoute: value('AIP_HEALTH_ROUTE') ?? '/health', predictRoute: value('AIP_PREDICT_ROUTE') ?? '/predict' };
}

/** Every problem with `--vertex-model-id` and `--alias` (both or neither), checked before the rollout. */
export function validateVertexModelOptions(modelId: string | undefined, alias: string | undefined): string[] {
  if (modelId === undefined && alias === undefined) return [];
  const problems: string[] = [];
  if (modelId === undefined || alias === undefined) problems.push('--vertex-model-id and --alias: expected both or neither');
  if (modelId !== undefined && !/^[a-z][a-z0-9_-]{0,62}$/.test(modelId)) problems.push(`--vertex-model-id "${modelId}": expected lowercase letters, digits, - and _, starting with a letter`);
  if (alias !== undefined && !/^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/.test(alias)) problems.push(`--alias "${alias}": expected a lowercase letter, then letters, digits and hyphens`);
  return problems;
}

export interface RegisterVertexModelOptions {
  readonly project: string;
  readonly region: string;
  /** The Vertex AI model, `<platform>-<env>-<model>`: the name the environment's batch prediction workflow scores with. */
  readonly modelId: string;
  /** `gs://<bucket>/models/<model>/<version>/model.tar.gz`. */
  readonly artifact: string;
  /** The image the Cloud Run service now runs. */
  readonly image: string;
  /** Its port and routes (`CloudRunDeployResult.container`). */
  readonly container: ContainerRoutes;
  /** Moved to the version: the environment's name. */
  readonly alias: string;
  /** Limit for the upload operation, in milliseconds. */
  readonly operationTimeoutMs: number;
}

/**
 * Registers the version Cloud Run now serves in the Vertex AI Model Registry, so that Vertex AI batch prediction can
 * score with it in an environment without Vertex AI endpoints: uploads it (unless its `v<version>` alias exists) with
 * the same image, port and routes, then moves the environment's alias to it. An upload creates no endpoint and no
 * replica; batch prediction takes a model resource (`BatchPredictionJob.model`,
 * https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.batchPredictionJobs) and provisions its
 * own nodes per job, so the environment still idles at zero.
 */
export async function registerVertexModelVersion(vertex: VertexClient, options: RegisterVertexModelOptions, log: (line: string) => void = () => {}): Promise<{ modelVersion: string; uploaded: boolean }> {
  const { versionId, uploaded } = await uploadModelVersion(vertex, options, log);
  const modelName = `projects/${options.project}/locations/${options.region}/models/${options.modelId}`;
  await moveVersionAlias(vertex, modelName, versionId, options.alias, log);
  return { modelVersion: `${modelName}@${versionId}`, uploaded };
}
