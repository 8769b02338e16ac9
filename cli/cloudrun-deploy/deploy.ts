import { CONTAINER_IMAGE_URI } from '../../constructs/private/image-uri';
import type { VertexClient } from '../vertex-deploy/client';
import { parseArtifact } from '../vertex-deploy/deploy';

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
    return { service: name, revision: current.latestReadyRevision, updated: false, image: options.image, storageUri };
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
      return { service: name, revision: service.latestReadyRevision!, updated: true, image: options.image, storageUri };
    }
    if (Date.now() >= deadline) throw new Error(`cloudrun-deploy: ${options.service} still rolling out after ${Math.round(options.timeoutMs / 1000)} s (timed out)`);
    await client.pause();
  }
}
