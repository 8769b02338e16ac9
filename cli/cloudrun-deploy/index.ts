import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { applicationDefaultTokenProvider } from '../vertex-deploy/adc';
import { type AccessTokenProvider, VertexClient } from '../vertex-deploy/client';
import { deployCloudRunRevision, registerVertexModelVersion, validateVertexModelOptions } from './deploy';

export {
  deployCloudRunRevision,
  registerVertexModelVersion,
  validateCloudRunDeployOptions,
  validateVertexModelOptions,
  type CloudRunDeployOptions,
  type CloudRunDeployResult,
  type ContainerRoutes,
  type RegisterVertexModelOptions,
} from './deploy';

/** What the command talks to; tests replace both. */
export interface CloudRunDeployDeps {
  /** Default `CLOUD_RUN_API_BASE_URL` when set (a test's fake), else `https://run.googleapis.com`. */
  readonly baseUrl?: string;
  /** Vertex AI, for `--vertex-model-id`. Default `VERTEX_API_BASE_URL` when set, else `https://<region>-aiplatform.googleapis.com`. */
  readonly vertexBaseUrl?: string;
  /** Default: Application Default Credentials (the metadata server's account on Cloud Build). */
  readonly accessToken?: AccessTokenProvider;
  /** How often the service is polled during the rollout. Default 5000. */
  readonly pollIntervalMs?: number;
  readonly initialBackoffMs?: number;
}

/** `--image`, or the first line of `--image-file`: exactly one of them. */
function servingImage(opts: Record<string, string | number | undefined>): string {
  if ((opts.image === undefined) === (opts.imageFile === undefined)) throw new Error('cloudrun-deploy: expected exactly one of --image and --image-file');
  if (opts.image !== undefined) return String(opts.image);
  try {
    return readFileSync(String(opts.imageFile), 'utf8').trim().split('\n')[0];
  } catch (error) {
    throw new Error(`cloudrun-deploy: --image-file ${String(opts.imageFile)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Adds `cloudrun-deploy` to `program`: rolls out a model version on its Cloud Run service (the model-server image and
 * the version's `AIP_STORAGE_URI`) through the Cloud Run Admin API v2. Cloud Build runs it from the deploy trigger of
 * an environment with `gcp.servingOverride: { kind: 'cloudRun' }`.
 */
export function registerCloudRunDeploy(program: Command, output: { readonly io?: { stdout(text: string): void } } = {}, deps: CloudRunDeployDeps = {}): void {
  program
    .command('cloudrun-deploy')
    .description('roll out a model version from the registry on its Cloud Run service (model-server image, AIP_STORAGE_URI)')
    .requiredOption('--project <id>', 'GCP project id')
    .requiredOption('--region <region>', 'Cloud Run region, such as europe-west1')
    .requiredOption('--service <name>', 'the model\'s Cloud Run service, such as modelstack-dev-serve-churn')
    .requiredOption('--artifact <uri>', 'gs://<bucket>/models/<model>/<version>/model.tar.gz')
    .option('--image <uri>', 'model-server image')
    .option('--image-file <file>', 'a file holding the image (a build step writes the pushed digest there); instead of --image')
    .option('--timeout <seconds>', 'limit for the new revision to become ready', (v) => Number(v), 900)
    .option('--vertex-model-id <id>', 'after the rollout, also register the version in the Vertex AI Model Registry as this model (for batch prediction), such as modelstack-dev-churn')
    .option('--alias <alias>', 'with --vertex-model-id: the version alias moved to it (the environment name)')
    .action(async (opts: Record<string, string | number | undefined>) => {
      const write = (line: string) => (output.io ? output.io.stdout(`${line}\n`) : process.stdout.write(`${line}\n`));
      // Checked before the rollout: a bad option must not leave a revision behind it unregistered.
      const vertexProblems = validateVertexModelOptions(opts.vertexModelId === undefined ? undefined : String(opts.vertexModelId), opts.alias === undefined ? undefined : String(opts.alias));
      if (vertexProblems.length > 0) throw new Error(`cloudrun-deploy: invalid options\n${vertexProblems.map((p) => `  - ${p}`).join('\n')}`);
      const accessToken = deps.accessToken ?? applicationDefaultTokenProvider({ projectId: String(opts.project) });
      const client = new VertexClient({
        region: String(opts.region),
        service: 'Cloud Run',
        apiVersion: 'v2',
        baseUrl: deps.baseUrl ?? (process.env.CLOUD_RUN_API_BASE_URL || 'https://run.googleapis.com'),
        accessToken,
        pollIntervalMs: deps.pollIntervalMs ?? 5000,
        initialBackoffMs: deps.initialBackoffMs,
      });
      const image = servingImage(opts);
      const result = await deployCloudRunRevision(
        client,
        { project: String(opts.project), region: String(opts.region), service: String(opts.service), artifact: String(opts.artifact), image, timeoutMs: Number(opts.timeout) * 1000 },
        write,
      );
      if (opts.vertexModelId === undefined) {
        write(JSON.stringify(result));
        return;
      }
      // Only once the revision is ready: a version that does not start on Cloud Run must not get the environment's alias.
      const vertex = new VertexClient({
        region: String(opts.region),
        baseUrl: deps.vertexBaseUrl ?? (process.env.VERTEX_API_BASE_URL || undefined),
        accessToken,
        pollIntervalMs: deps.pollIntervalMs ?? 5000,
        initialBackoffMs: deps.initialBackoffMs,
      });
      const registered = await registerVertexModelVersion(
        vertex,
        { project: String(opts.project), region: String(opts.region), modelId: String(opts.vertexModelId), artifact: String(opts.artifact), image, container: result.container, alias: String(opts.alias), operationTimeoutMs: Number(opts.timeout) * 1000 },
        write,
      );
      write(JSON.stringify({ ...result, vertexModel: registered }));
    });
}
