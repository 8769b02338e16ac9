import { CONTAINER_IMAGE_URI } from '../../constructs/private/image-uri';
import type { Operation, VertexClient } from './client';

export interface DeployOptions {
  readonly project: string;
  readonly region: string;
  /** Numeric endpoint id (the platform derives it from the endpoint's display name). */
  readonly endpointId: string;
  /** Model resource id and display name, such as `modelstack-prod-churn`. */
  readonly modelId: string;
  /** `gs://<bucket>/models/<model>/<version>/model.tar.gz`: the registry object that announced the version. */
  readonly artifact: string;
  /** Serving container image. */
  readonly image: string;
  /**
   * For a custom container (such as the built model server): the port it listens on and its health and predict
   * routes. Vertex AI passes them to the container as `AIP_HTTP_PORT`, `AIP_HEALTH_ROUTE` and `AIP_PREDICT_ROUTE`
   * (ModelContainerSpec `ports`, `healthRoute`, `predictRoute`), and the model directory as `AIP_STORAGE_URI`.
   * Prebuilt containers need none.
   */
  readonly container?: { readonly port: number; readonly healthRoute: string; readonly predictRoute: string };
  readonly machineType: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Traffic for the new version, in percent; the version that served before keeps the rest. */
  readonly latestPercent: number;
  /** Alias moved to the deployed version, such as the environment name. */
  readonly alias: string;
  /** Limit for each long-running operation, in milliseconds. */
  readonly operationTimeoutMs: number;
}

export interface DeployResult {
  /** `projects/.../models/<id>@<versionId>` */
  readonly modelVersion: string;
  readonly uploaded: boolean;
  readonly deployedModelId: string;
  /** The endpoint's traffic split afterwards, by deployed model id. */
  readonly trafficSplit: Readonly<Record<string, number>>;
  readonly undeployed: readonly string[];
}

interface Model {
  readonly name: string;
  readonly versionId: string;
  readonly versionAliases?: readonly string[];
}

interface DeployedModel {
  readonly id: string;
  readonly model: string;
  readonly modelVersionId?: string;
}

interface Endpoint {
  readonly deployedModels?: readonly DeployedModel[];
  readonly trafficSplit?: Readonly<Record<string, number>>;
}

/** The parts of a registry artifact URI. */
export interface Artifact {
  readonly bucket: string;
  readonly model: string;
  readonly version: string;
  /** `gs://<bucket>/models/<model>/<version>/`: what Vertex AI loads. */
  readonly directory: string;
}

/** Parses `gs://<bucket>/models/<model>/<version>/<file>` (the registry layout). */
export function parseArtifact(uri: string): Artifact {
  const match = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,221}[a-z0-9])\/models\/([^/]+)\/([^/]+)\/[^/]+$/.exec(uri);
  if (!match) throw new Error(`--artifact "${uri}": expected gs://<bucket>/models/<model>/<version>/<file>`);
  const [, bucket, model, version] = match;
  return { bucket, model, version, directory: `gs://${bucket}/models/${model}/${version}/` };
}

/** The version alias the tool gives each uploaded version, `v<version>` (Vertex AI aliases start with a letter). */
export function versionAlias(version: string): string {
  return `v${version.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.replace(/-+$/, '');
}

/** Every problem with `options`, so one error lists them all. */
export function validateDeployOptions(options: DeployOptions): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => ok || problems.push(problem);
  check(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/.test(options.project), `--project "${options.project}": expected a GCP project id`);
  check(/^[a-z]+-[a-z]+\d+$/.test(options.region), `--region "${options.region}": expected a GCP region such as europe-west1`);
  check(/^[1-9]\d{0,18}$/.test(options.endpointId), `--endpoint "${options.endpointId}": expected a numeric endpoint id`);
  check(/^[a-z][a-z0-9_-]{0,62}$/.test(options.modelId), `--model-id "${options.modelId}": expected lowercase letters, digits, - and _, starting with a letter`);
  check(Number.isInteger(options.minReplicas) && options.minReplicas >= 1, `--min-replicas ${options.minReplicas}: expected a whole number, at least 1`);
  check(Number.isInteger(options.maxReplicas) && options.maxReplicas >= options.minReplicas, `--max-replicas ${options.maxReplicas}: expected a whole number, at least --min-replicas`);
  check(
    Number.isInteger(options.latestPercent) && options.latestPercent >= 1 && options.latestPercent <= 100,
    `--latest-percent ${options.latestPercent}: expected 1 to 100 (the previous version gets the rest, so the split sums to 100)`,
  );
  check(/^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$/.test(options.alias), `--alias "${options.alias}": expected a lowercase letter, then letters, digits and hyphens`);
  check(CONTAINER_IMAGE_URI.test(options.image), `--image "${options.image}": expected a container image URI`);
  if (options.container) {
    const { port, healthRoute, predictRoute } = options.container;
    // ModelContainerSpec: ports 7080, 8100-8200, 8888 and 9000 are reserved by Vertex AI.
    check(Number.isInteger(port) && port >= 1 && port <= 65535 && ![7080, 8888, 9000].includes(port) && !(port >= 8100 && port <= 8200), `--container-port ${port}: expected a port Vertex AI does not reserve (not 7080, 8100-8200, 8888 or 9000)`);
    check(/^\/[\w./-]*$/.test(healthRoute), `--health-route "${healthRoute}": expected a path such as /health`);
    check(/^\/[\w./-]*$/.test(predictRoute), `--predict-route "${predictRoute}": expected a path such as /predict`);
  }
  try {
    parseArtifact(options.artifact);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/**
 * Uploads the model version behind `options.artifact` (unless a version with its `v<version>` alias exists),
 * deploys it to the endpoint with the configured resources and traffic split (the previous version keeps
 * `100 - latestPercent`), undeploys versions left without traffic, and moves `options.alias` to it.
 * Every step is idempotent, so a retried build finishes what a failed one started.
 */
export async function deployModelVersion(client: VertexClient, options: DeployOptions, log: (line: string) => void = () => {}): Promise<DeployResult> {
  const problems = validateDeployOptions(options);
  if (problems.length > 0) throw new Error(`vertex-deploy: invalid options\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const artifact = parseArtifact(options.artifact);
  const parent = `projects/${options.project}/locations/${options.region}`;
  const modelName = `${parent}/models/${options.modelId}`;
  const endpointName = `${parent}/endpoints/${options.endpointId}`;
  const alias = versionAlias(artifact.version);
  const timeout = options.operationTimeoutMs;

  // 1. Upload (or find) the version.
  const { versionId, uploaded } = await uploadModelVersion(client, options, log);
  const modelVersion = `${modelName}@${versionId}`;

  // 2. Deploy it with the configured split.
  const endpoint = await client.call<Endpoint>('endpoints.get', 'GET', endpointName);
  const deployed = endpoint.deployedModels ?? [];
  const traffic = endpoint.trafficSplit ?? {};
  const isThisVersion = (d: DeployedModel) => sameModel(d.model, modelName) && d.modelVersionId === versionId;
  const current = deployed.find(isThisVersion);
  // The previous version is the other deployed model that served the most traffic.
  const previous = deployed.filter((d) => !isThisVersion(d) && (traffic[d.id] ?? 0) > 0).sort((a, b) => traffic[b.id] - traffic[a.id])[0];
  const previousPercent = previous ? 100 - options.latestPercent : 0;
  if (!previous && options.latestPercent < 100) log(`no previous version serves traffic: the new version gets 100%`);

  let deployedModelId: string;
  let split: Record<string, number>;
  if (current) {
    deployedModelId = current.id;
    split = withPrevious({ [deployedModelId]: 100 - previousPercent }, previous, previousPercent);
    if (sameSplit(split, traffic)) {
      log(`version ${versionId} is already deployed as ${deployedModelId} with traffic ${JSON.stringify(split)}`);
    } else {
      log(`version ${versionId} is already deployed as ${deployedModelId}; setting traffic ${JSON.stringify(split)}`);
      await client.call('endpoints.patch', 'PATCH', `${endpointName}?updateMask=trafficSplit`, { trafficSplit: split });
    }
  } else {
    // "0" stands for the model being deployed; Vertex AI replaces it with the new deployed model's id.
    const requested = withPrevious({ '0': 100 - previousPercent }, previous, previousPercent);
    log(`deploying ${modelVersion} to ${endpointName} on ${options.machineType} x${options.minReplicas}-${options.maxReplicas}, traffic ${JSON.stringify(requested)}`);
    const operation = await client.call<Operation>('endpoints.deployModel', 'POST', `${endpointName}:deployModel`, {
      deployedModel: {
        model: modelVersion,
        displayName: `${options.modelId}-${alias}`,
        dedicatedResources: {
          machineSpec: { machineType: options.machineType },
          minReplicaCount: options.minReplicas,
          maxReplicaCount: options.maxReplicas,
        },
      },
      trafficSplit: requested,
    });
    const result = await client.wait<{ deployedModel?: { id?: string } }>('endpoints.deployModel', operation, timeout);
    if (!result?.deployedModel?.id) throw new Error(`Vertex AI endpoints.deployModel failed: operation ${operation.name} returned no deployed model id`);
    deployedModelId = result.deployedModel.id;
    split = withPrevious({ [deployedModelId]: 100 - previousPercent }, previous, previousPercent);
    log(`deployed as ${deployedModelId}`);
  }

  // 3. Undeploy what no longer serves (a deployed model costs its replicas whether it gets traffic or not).
  const undeployed: string[] = [];
  for (const stale of deployed.filter((d) => d.id !== deployedModelId && d.id !== previous?.id)) {
    log(`undeploying ${stale.id} (${stale.model}@${stale.modelVersionId ?? '?'})`);
    const operation = await client.call<Operation>('endpoints.undeployModel', 'POST', `${endpointName}:undeployModel`, { deployedModelId: stale.id });
    await client.wait('endpoints.undeployModel', operation, timeout);
    undeployed.push(stale.id);
  }
  if (previous && previousPercent === 0) {
    log(`undeploying ${previous.id}: the configured split leaves it no traffic`);
    const operation = await client.call<Operation>('endpoints.undeployModel', 'POST', `${endpointName}:undeployModel`, { deployedModelId: previous.id });
    await client.wait('endpoints.undeployModel', operation, timeout);
    undeployed.push(previous.id);
  }

  // 4. Move the alias.
  await moveVersionAlias(client, modelName, versionId, options.alias, log);

  return { modelVersion, uploaded, deployedModelId, trafficSplit: split, undeployed };
}

/** What {@link uploadModelVersion} needs: the model, the version's artifact and its serving container. */
export interface UploadOptions {
  readonly project: string;
  readonly region: string;
  /** Model resource id and display name, such as `modelstack-dev-churn`. */
  readonly modelId: string;
  /** `gs://<bucket>/models/<model>/<version>/model.tar.gz`: the registry object that announced the version. */
  readonly artifact: string;
  /** Serving container image. */
  readonly image: string;
  /**
   * A custom container's port and routes (see {@link DeployOptions.container}).
   * @default - none (a prebuilt container)
   */
  readonly container?: { readonly port: number; readonly healthRoute: string; readonly predictRoute: string };
  /** Limit for the upload operation, in milliseconds. */
  readonly operationTimeoutMs: number;
}

/**
 * Uploads the version behind `options.artifact` to the Vertex AI Model Registry as a version of `options.modelId`
 * (the model is created with the first one) with the alias `v<version>`, unless a version with that alias exists.
 * An upload creates no endpoint and no replica.
 */
export async function uploadModelVersion(client: VertexClient, options: UploadOptions, log: (line: string) => void = () => {}): Promise<{ versionId: string; uploaded: boolean }> {
  const artifact = parseArtifact(options.artifact);
  const parent = `projects/${options.project}/locations/${options.region}`;
  const modelName = `${parent}/models/${options.modelId}`;
  const alias = versionAlias(artifact.version);
  const existing = await client.find<Model>('models.get', `${modelName}@${alias}`);
  if (existing) {
    log(`model ${options.modelId} version ${existing.versionId} (${alias}) already uploaded`);
    return { versionId: existing.versionId, uploaded: false };
  }
  const parentModel = await client.find<Model>('models.get', modelName);
  const operation = await client.call<Operation>('models.upload', 'POST', `${parent}/models:upload`, {
    ...(parentModel ? { parentModel: modelName } : { modelId: options.modelId }),
    model: {
      displayName: options.modelId,
      description: `ModelStack model ${artifact.model}`,
      versionDescription: `${artifact.model} ${artifact.version} from ${options.artifact}`,
      versionAliases: [alias],
      artifactUri: artifact.directory,
      containerSpec: containerSpec(options),
      labels: { modelstack_model: artifact.model },
    },
  });
  log(`uploading ${artifact.directory} as ${options.modelId} (${alias})`);
  const uploaded = await client.wait<{ model?: string; modelVersionId?: string }>('models.upload', operation, options.operationTimeoutMs);
  if (!uploaded?.modelVersionId) throw new Error(`Vertex AI models.upload failed: operation ${operation.name} returned no modelVersionId`);
  log(`uploaded version ${uploaded.modelVersionId}`);
  return { versionId: uploaded.modelVersionId, uploaded: true };
}

/** Moves `alias` to version `versionId` of `modelName`: off the version holding it, then onto this one (idempotent). */
export async function moveVersionAlias(client: VertexClient, modelName: string, versionId: string, alias: string, log: (line: string) => void = () => {}): Promise<void> {
  const holder = await client.find<Model>('models.get', `${modelName}@${alias}`);
  if (holder && holder.versionId !== versionId) {
    await client.call('models.mergeVersionAliases', 'POST', `${modelName}@${holder.versionId}:mergeVersionAliases`, { versionAliases: [`-${alias}`] });
  }
  if (holder?.versionId !== versionId) {
    await client.call('models.mergeVersionAliases', 'POST', `${modelName}@${versionId}:mergeVersionAliases`, { versionAliases: [alias] });
  }
  log(`alias ${alias} -> version ${versionId}`);
}

/** The model's ModelContainerSpec: the image, and for a custom container its port and routes. */
function containerSpec(options: { readonly image: string; readonly container?: UploadOptions['container'] }): Record<string, unknown> {
  if (!options.container) return { imageUri: options.image };
  const { port, healthRoute, predictRoute } = options.container;
  return { imageUri: options.image, ports: [{ containerPort: port }], healthRoute, predictRoute };
}

/**
 * Whether a model resource name returned by Vertex AI names `modelName`. Vertex AI answers with the project
 * *number* (`projects/123456789012/locations/…/models/…`, optionally `@<version>`) whichever form the request
 * used, so the project part matches by id or by any number; the location and model id must be equal.
 */
export function sameModel(returned: string, modelName: string): boolean {
  const parts = (name: string) => /^projects\/([^/]+)\/(locations\/[^/]+\/models\/[^/@]+)(?:@.*)?$/.exec(name);
  const got = parts(returned);
  const want = parts(modelName);
  if (!got || !want) return false;
  return got[2] === want[2] && (got[1] === want[1] || /^\d+$/.test(got[1]));
}

/** Whether the endpoint's current split is `wanted` (a deployed model missing from a split has 0 %). */
function sameSplit(wanted: Readonly<Record<string, number>>, current: Readonly<Record<string, number>>): boolean {
  const ids = new Set([...Object.keys(wanted), ...Object.keys(current)]);
  return [...ids].every((id) => (wanted[id] ?? 0) === (current[id] ?? 0));
}

function withPrevious(split: Record<string, number>, previous: DeployedModel | undefined, percent: number): Record<string, number> {
  return previous && percent > 0 ? { ...split, [previous.id]: percent } : split;
}
