import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { type AccessTokenProvider, VertexClient } from './client';
import { deployModelVersion } from './deploy';
import { connectPrivateEndpoint, validateConnectOptions } from './psc';
import { applicationDefaultTokenProvider } from './adc';

export { VertexApiError, VertexClient, type AccessTokenProvider, type Operation, type VertexClientOptions } from './client';
export { deployModelVersion, parseArtifact, validateDeployOptions, versionAlias, type DeployOptions, type DeployResult } from './deploy';
export { connectPrivateEndpoint, type ConnectOptions, type ConnectResult, validateConnectOptions } from './psc';
export { applicationDefaultTokenProvider, CLOUD_PLATFORM_SCOPE } from './adc';
export { METADATA_TOKEN_URL, metadataTokenProvider } from './token';

/** What the command talks to; tests replace both. */
export interface VertexDeployDeps {
  /** Default `VERTEX_API_BASE_URL` when set (a private or regional API endpoint, a test's fake), else `https://<region>-aiplatform.googleapis.com`. */
  readonly baseUrl?: string;
  /** Default: Application Default Credentials (a key or federation file, gcloud's login, or the metadata server on Cloud Build). */
  readonly accessToken?: AccessTokenProvider;
  /** Compute Engine (PSC forwarding rules). Default `COMPUTE_API_BASE_URL` when set, else `https://compute.googleapis.com/compute`. */
  readonly computeBaseUrl?: string;
  /** Passed to the client: tests shorten backoff and polling. */
  readonly pollIntervalMs?: number;
  readonly initialBackoffMs?: number;
}

/** Where the command writes its progress; `modelstack`'s CLI context fits. */
export interface VertexDeployOutput {
  readonly io?: { stdout(text: string): void };
}

/** `--image`, or the first line of `--image-file`: exactly one of them. */
function servingImage(opts: Record<string, string | number | undefined>): string {
  if ((opts.image === undefined) === (opts.imageFile === undefined)) throw new Error('vertex-deploy: expected exactly one of --image and --image-file');
  if (opts.image !== undefined) return String(opts.image);
  try {
    return readFileSync(String(opts.imageFile), 'utf8').trim().split('\n')[0];
  } catch (error) {
    throw new Error(`vertex-deploy: --image-file ${String(opts.imageFile)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** `--container-port`, `--health-route` and `--predict-route`: all three or none. */
function customContainer(opts: Record<string, string | number | undefined>): { port: number; healthRoute: string; predictRoute: string } | undefined {
  const given = [opts.containerPort, opts.healthRoute, opts.predictRoute].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) throw new Error('vertex-deploy: expected --container-port, --health-route and --predict-route together (a custom container)');
  return { port: Number(opts.containerPort), healthRoute: String(opts.healthRoute), predictRoute: String(opts.predictRoute) };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
  return n;
}

/**
 * Adds `vertex-deploy` to `program`: uploads a model version from the registry to Vertex AI, deploys it to its
 * endpoint with the given resources and traffic split, and moves an alias to it. Cloud Build runs it from the
 * deploy trigger the platform creates per model.
 */
export function registerVertexDeploy(program: Command, output: VertexDeployOutput = {}, deps: VertexDeployDeps = {}): void {
  program
    .command('vertex-deploy')
    .description('upload a model version from the registry to Vertex AI and deploy it to its endpoint')
    .requiredOption('--project <id>', 'GCP project id')
    .requiredOption('--region <region>', 'Vertex AI region, such as europe-west1')
    .requiredOption('--endpoint <id>', 'numeric Vertex AI endpoint id')
    .requiredOption('--model-id <id>', 'Vertex AI model id, such as modelstack-prod-churn')
    .requiredOption('--artifact <uri>', 'gs://<bucket>/models/<model>/<version>/model.tar.gz')
    .option('--image <uri>', 'serving container image')
    .option('--image-file <file>', 'a file holding the serving container image (a build step writes the pushed digest there); instead of --image')
    .option('--container-port <port>', 'custom container: the port it serves on (Vertex AI sets AIP_HTTP_PORT)', positiveInt)
    .option('--health-route <path>', 'custom container: its health route (AIP_HEALTH_ROUTE); with --container-port')
    .option('--predict-route <path>', 'custom container: its predict route (AIP_PREDICT_ROUTE); with --container-port')
    .option('--machine-type <type>', 'machine type of each replica', 'n1-standard-2')
    .option('--min-replicas <n>', 'minimum replicas', positiveInt, 1)
    .option('--max-replicas <n>', 'maximum replicas', positiveInt, 2)
    .option('--latest-percent <n>', 'traffic for the new version in percent; the previous version keeps the rest', positiveInt, 100)
    .option('--alias <alias>', 'version alias moved to the deployed version', 'deployed')
    .option('--operation-timeout <seconds>', 'limit for each long-running operation', positiveInt, 2400)
    .option('--psc-address <name>', 'Private Service Connect endpoint: connect it to this reserved address (projects/<p>/regions/<r>/addresses/<name>) after deploying')
    .option('--psc-network <name>', 'the address\'s VPC network (projects/<p>/global/networks/<name>); with --psc-address')
    .action(async (opts: Record<string, string | number | undefined>) => {
      const write = (line: string) => (output.io ? output.io.stdout(`${line}\n`) : process.stdout.write(`${line}\n`));
      const accessToken = deps.accessToken ?? applicationDefaultTokenProvider({ projectId: String(opts.project) });
      const clientOptions = { region: String(opts.region), accessToken, pollIntervalMs: deps.pollIntervalMs, initialBackoffMs: deps.initialBackoffMs };
      const client = new VertexClient({ ...clientOptions, baseUrl: deps.baseUrl ?? (process.env.VERTEX_API_BASE_URL || undefined) });
      const image = servingImage(opts);
      const container = customContainer(opts);
      const psc = opts.pscAddress || opts.pscNetwork ? { address: String(opts.pscAddress ?? ''), network: String(opts.pscNetwork ?? '') } : undefined;
      // Checked before deploying: a bad PSC option must not leave a deployment behind it unconnected.
      const pscProblems = psc ? validateConnectOptions({ ...psc, region: String(opts.region) }) : [];
      if (pscProblems.length > 0) throw new Error(`vertex-deploy: invalid options\n${pscProblems.map((p) => `  - ${p}`).join('\n')}`);
      const result = await deployModelVersion(
        client,
        {
          project: String(opts.project),
          region: String(opts.region),
          endpointId: String(opts.endpoint),
          modelId: String(opts.modelId),
          artifact: String(opts.artifact),
          image,
          container,
          machineType: String(opts.machineType),
          minReplicas: Number(opts.minReplicas),
          maxReplicas: Number(opts.maxReplicas),
          latestPercent: Number(opts.latestPercent),
          alias: String(opts.alias),
          operationTimeoutMs: Number(opts.operationTimeout) * 1000,
        },
        write,
      );
      if (!psc) {
        write(JSON.stringify(result));
        return;
      }
      const compute = new VertexClient({
        ...clientOptions,
        service: 'Compute Engine',
        baseUrl: deps.computeBaseUrl ?? (process.env.COMPUTE_API_BASE_URL || 'https://compute.googleapis.com/compute'),
      });
      const connected = await connectPrivateEndpoint(
        client,
        compute,
        { project: String(opts.project), region: String(opts.region), endpointId: String(opts.endpoint), ...psc, operationTimeoutMs: Number(opts.operationTimeout) * 1000 },
        write,
      );
      write(JSON.stringify({ ...result, privateServiceConnect: connected }));
    });
}
