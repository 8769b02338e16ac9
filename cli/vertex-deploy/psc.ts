import type { VertexClient } from './client';

/**
 * Connecting a Private Service Connect Vertex AI endpoint to the consumer network: a forwarding rule on a reserved
 * internal address that targets the endpoint's service attachment
 * (https://cloud.google.com/vertex-ai/docs/predictions/private-service-connect,
 * https://cloud.google.com/vpc/docs/configure-private-service-connect-services). Vertex AI creates the attachment
 * when a model is deployed, so this runs after the deployment, and again harmlessly on every later one.
 */
export interface ConnectOptions {
  readonly project: string;
  readonly region: string;
  readonly endpointId: string;
  /** `projects/<project>/regions/<region>/addresses/<name>`: the reserved address; the forwarding rule takes its name. */
  readonly address: string;
  /** `projects/<project>/global/networks/<name>`. */
  readonly network: string;
  readonly operationTimeoutMs: number;
}

export interface ConnectResult {
  /** `projects/<project>/regions/<region>/forwardingRules/<name>` */
  readonly forwardingRule: string;
  readonly serviceAttachment: string;
  readonly created: boolean;
}

interface PscEndpoint {
  readonly privateServiceConnectConfig?: { readonly serviceAttachment?: string };
  readonly deployedModels?: readonly { readonly privateEndpoints?: { readonly serviceAttachment?: string } }[];
}

/** A Compute Engine operation (not google.longrunning: `status` DONE, errors in `error.errors`). */
interface ComputeOperation {
  readonly name: string;
  readonly status?: 'PENDING' | 'RUNNING' | 'DONE';
  readonly error?: { readonly errors?: readonly { readonly code?: string; readonly message?: string }[] };
}

const ADDRESS = /^projects\/([a-z][a-z0-9-]{4,28}[a-z0-9])\/regions\/([a-z]+-[a-z]+\d+)\/addresses\/([a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)$/;
const NETWORK = /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/global\/networks\/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every problem with the PSC options. */
export function validateConnectOptions(options: Pick<ConnectOptions, 'address' | 'network' | 'region'>): string[] {
  const problems: string[] = [];
  const address = ADDRESS.exec(options.address);
  if (!address) problems.push(`--psc-address "${options.address}": expected projects/<project>/regions/<region>/addresses/<name>`);
  else if (address[2] !== options.region) problems.push(`--psc-address "${options.address}": expected an address in --region ${options.region} (the endpoint's)`);
  if (!NETWORK.test(options.network)) problems.push(`--psc-network "${options.network}": expected projects/<project>/global/networks/<name>`);
  return problems;
}

/** `projects/...` of a Compute Engine or Vertex AI resource name or URL, for comparing them. */
function relative(name: string): string {
  return name.replace(/^https:\/\/[^/]+\/compute\/(v1|beta)\//, '').replace(/^\/\/[^/]+\//, '');
}

/**
 * Makes sure the endpoint's service attachment is reached through a forwarding rule on `options.address`: creates
 * the rule when it is missing, leaves it when it already targets the attachment, and fails (naming both) when a rule
 * of that name targets something else.
 */
export async function connectPrivateEndpoint(vertex: VertexClient, compute: VertexClient, options: ConnectOptions, log: (line: string) => void = () => {}): Promise<ConnectResult> {
  const problems = validateConnectOptions(options);
  if (problems.length > 0) throw new Error(`vertex-deploy: invalid options\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const [, addressProject, region, name] = ADDRESS.exec(options.address)!;
  const endpointName = `projects/${options.project}/locations/${options.region}/endpoints/${options.endpointId}`;
  const endpoint = await vertex.call<PscEndpoint>('endpoints.get', 'GET', endpointName);
  const serviceAttachment =
    endpoint.privateServiceConnectConfig?.serviceAttachment ?? endpoint.deployedModels?.map((d) => d.privateEndpoints?.serviceAttachment).find(Boolean);
  if (!serviceAttachment) {
    throw new Error(`vertex-deploy: endpoint ${endpointName} has no Private Service Connect service attachment: expected an endpoint created with privateServiceConnectConfig and a deployed model`);
  }

  const forwardingRule = `projects/${addressProject}/regions/${region}/forwardingRules/${name}`;
  const existing = await compute.find<{ target?: string; pscConnectionStatus?: string }>('forwardingRules.get', forwardingRule);
  if (existing) {
    if (relative(existing.target ?? '') !== relative(serviceAttachment)) {
      throw new Error(`vertex-deploy: forwarding rule ${forwardingRule} targets ${existing.target}, not the endpoint's service attachment ${serviceAttachment}: delete it and run again`);
    }
    log(`forwarding rule ${name} already connects ${serviceAttachment} (${existing.pscConnectionStatus ?? 'status unknown'})`);
    return { forwardingRule, serviceAttachment, created: false };
  }

  log(`connecting ${serviceAttachment} to ${options.address} (forwarding rule ${name})`);
  const operation = await compute.call<ComputeOperation>('forwardingRules.insert', 'POST', `projects/${addressProject}/regions/${region}/forwardingRules`, {
    name,
    network: options.network,
    IPAddress: options.address,
    target: serviceAttachment,
    // A Private Service Connect endpoint to a published service has no load-balancing scheme.
    loadBalancingScheme: '',
    description: `Private Service Connect endpoint of Vertex AI endpoint ${options.endpointId} (ModelStack)`,
  });
  await waitForComputeOperation(compute, `projects/${addressProject}/regions/${region}/operations/${operation.name}`, operation, options.operationTimeoutMs);
  log(`forwarding rule ${name} created`);
  return { forwardingRule, serviceAttachment, created: true };
}

async function waitForComputeOperation(compute: VertexClient, path: string, first: ComputeOperation, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let current = first;
  while (current.status !== 'DONE') {
    if (Date.now() >= deadline) throw new Error(`Compute Engine forwardingRules.insert failed: operation ${first.name} still running after ${Math.round(timeoutMs / 1000)} s (timed out)`);
    await compute.pause();
    current = await compute.call<ComputeOperation>('regionOperations.get', 'GET', path);
  }
  const errors = current.error?.errors ?? [];
  if (errors.length > 0) {
    throw new Error(`Compute Engine forwardingRules.insert failed: operation ${first.name}: ${errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? 'no message'}`).join('; ')}`);
  }
}
