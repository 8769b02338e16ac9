import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Vertex AI that speaks the REST calls `vertex-deploy` makes (models get/upload/mergeVersionAliases,
 * endpoints get/patch/deployModel/undeployModel, operations get) and the metadata server's token endpoint, keeps
 * state between them, and can be told to
 * fail: `fault()` answers matching requests with an error status, `failOperations` makes operations end in error.
 */
export interface FakeVersion {
  versionId: string;
  aliases: string[];
  artifactUri: string;
  imageUri: string;
}

export interface FakeDeployedModel {
  id: string;
  model: string;
  modelVersionId: string;
  machineType: string;
  minReplicaCount: number;
  maxReplicaCount: number;
}

interface PendingOperation {
  name: string;
  pollsLeft: number;
  complete: () => object;
}

interface Fault {
  method: string;
  pattern: RegExp;
  status: number;
  times: number;
  body: string;
  headers: Record<string, string>;
}

interface FakeEndpoint {
  deployedModels: FakeDeployedModel[];
  trafficSplit: Record<string, number>;
  /** A Private Service Connect endpoint: Vertex AI creates its service attachment with the first deployment. */
  psc?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: any;
}

export class FakeVertex {
  readonly requests: RecordedRequest[] = [];
  /** The metadata server paths asked for (GCE_METADATA_HOST pointing here). */
  readonly metadataRequests: string[] = [];
  readonly models = new Map<string, FakeVersion[]>();
  readonly endpoints = new Map<string, FakeEndpoint>();
  /** Compute Engine forwarding rules by `projects/.../forwardingRules/<name>`, as Compute Engine returns them. */
  readonly forwardingRules = new Map<string, { name: string; network: string; IPAddress: string; target: string; pscConnectionStatus: string }>();
  /**
   * GETs an operation answers "not done" before it completes; `Infinity` never completes; `0` answers the call
   * with the finished operation (a long-running operation may be done when it is returned), so no poll waits.
   */
  operationPolls = 1;
  /** Operations of calls matching this end with an error. */
  failOperations?: RegExp;
  /**
   * The project's number. Vertex AI answers with resource names in the number form
   * (`projects/<number>/locations/...`) whichever form the request used, and so does the fake.
   */
  projectNumber = '123456789012';
  private readonly operations = new Map<string, PendingOperation>();
  private readonly faults: Fault[] = [];
  private nextId = 100;
  private server?: Server;
  baseUrl = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => send(res, 500, { error: { status: 'INTERNAL', message: String(err) } }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Answers the next `times` requests whose `METHOD path` matches with `status`. */
  fault(method: string, pattern: RegExp, status: number, options: { times?: number; body?: string; headers?: Record<string, string> } = {}): void {
    const body = options.body ?? JSON.stringify({ error: { code: status, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'FAILED', message: `injected ${status}` } });
    this.faults.push({ method, pattern, status, times: options.times ?? 1, body, headers: options.headers ?? {} });
  }

  addEndpoint(id: string, options: { psc?: boolean } = {}): void {
    this.endpoints.set(id, { deployedModels: [], trafficSplit: {}, psc: options.psc });
  }

  /** The service attachment Vertex AI gives a PSC endpoint (in its tenant project). */
  serviceAttachment(endpointId: string): string {
    return `projects/tenant-p${endpointId}/regions/europe-west1/serviceAttachments/sa-${endpointId}`;
  }

  /** Which calls were made, as `METHOD path` without the project prefix. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path.replace(/^projects\/[^/]+\/locations\/[^/]+\//, '')}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The metadata server too, so a CLI run with GCE_METADATA_HOST pointing here gets a token: Google's auth library
    // first checks that a metadata server answers (GET .../instance), and it requires Metadata-Flavor: Google on every
    // answer.
    if (req.method === 'GET' && req.url?.startsWith('/computeMetadata/v1/instance')) {
      if (req.headers['metadata-flavor'] !== 'Google') return send(res, 403, { error: 'missing Metadata-Flavor: Google' });
      const token = req.url.split('?')[0] === '/computeMetadata/v1/instance/service-accounts/default/token';
      this.metadataRequests.push(req.url);
      return send(res, 200, token ? { access_token: 'metadata-token', expires_in: 3599, token_type: 'Bearer' } : {}, { 'metadata-flavor': 'Google' });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? JSON.parse(text) : undefined;
    const method = req.method!;
    const compute = req.url!.startsWith('/compute/v1/');
    // Compute Engine paths are recorded (and matched by faults) as `compute/projects/...`.
    const path = compute ? `compute/${decodeURIComponent(req.url!.replace(/^\/compute\/v1\//, ''))}` : decodeURIComponent(req.url!.replace(/^\/v1\//, ''));
    this.requests.push({ method, path, authorization: req.headers.authorization, body });

    const fault = this.faults.find((f) => f.times > 0 && f.method === method && f.pattern.test(path));
    if (fault) {
      fault.times--;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body);
      return;
    }
    if (compute) return this.compute(res, method, path.slice('compute/'.length), body);

    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /operations\/(\d+)$/.exec(path))) return this.poll(res, path);
    if (method === 'POST' && /\/models:upload$/.test(path)) return this.upload(res, body);
    if (method === 'POST' && (m = /\/models\/([^/@]+)@([^/:]+):mergeVersionAliases$/.exec(path))) return this.mergeAliases(res, m[1], m[2], body);
    if (method === 'GET' && (m = /\/models\/([^/@]+)(?:@([^/]+))?$/.exec(path))) return this.getModel(res, path, m[1], m[2]);
    if ((m = /\/endpoints\/(\d+)(?::(\w+))?(\?.*)?$/.exec(path))) {
      const endpoint = this.endpoints.get(m[1]);
      if (!endpoint) return send(res, 404, { error: { status: 'NOT_FOUND', message: `Endpoint ${m[1]} not found` } });
      if (method === 'GET' && !m[2]) return this.getEndpoint(res, path, m[1], endpoint);
      if (method === 'PATCH' && !m[2]) return this.patchTraffic(res, endpoint, body);
      if (method === 'POST' && m[2] === 'deployModel') return this.deploy(res, path, endpoint, body);
      if (method === 'POST' && m[2] === 'undeployModel') return this.undeploy(res, path, endpoint, body);
    }
    send(res, 404, { error: { status: 'NOT_FOUND', message: `no route for ${method} ${path}` } });
  }

  private getModel(res: ServerResponse, path: string, modelId: string, ref?: string): void {
    const versions = this.models.get(modelId);
    const version = ref ? versions?.find((v) => v.versionId === ref || v.aliases.includes(ref)) : versions?.[versions.length - 1];
    if (!version) return send(res, 404, { error: { status: 'NOT_FOUND', message: `Model ${path} not found` } });
    send(res, 200, { name: this.canonical(path.split('@')[0]), versionId: version.versionId, versionAliases: version.aliases, artifactUri: version.artifactUri });
  }

  private upload(res: ServerResponse, body: any): void {
    const modelId: string = body.modelId ?? body.parentModel?.split('/').pop();
    if (body.modelId && this.models.has(modelId)) return send(res, 409, { error: { status: 'ALREADY_EXISTS', message: `Model ${modelId} already exists` } });
    if (body.parentModel && !this.models.has(modelId)) return send(res, 404, { error: { status: 'NOT_FOUND', message: `parent ${body.parentModel} not found` } });
    this.operation(res, 'upload', () => {
      const versions = this.models.get(modelId) ?? [];
      const versionId = String(versions.length + 1);
      versions.push({ versionId, aliases: [...(body.model.versionAliases ?? [])], artifactUri: body.model.artifactUri, imageUri: body.model.containerSpec.imageUri });
      this.models.set(modelId, versions);
      return { model: this.canonical(`projects/p/locations/r/models/${modelId}`), modelVersionId: versionId };
    });
  }

  private mergeAliases(res: ServerResponse, modelId: string, versionId: string, body: any): void {
    const versions = this.models.get(modelId) ?? [];
    const version = versions.find((v) => v.versionId === versionId);
    if (!version) return send(res, 404, { error: { status: 'NOT_FOUND', message: `version ${versionId} not found` } });
    for (const alias of body.versionAliases as string[]) {
      if (alias.startsWith('-')) {
        version.aliases = version.aliases.filter((a) => a !== alias.slice(1));
      } else if (versions.some((v) => v !== version && v.aliases.includes(alias))) {
        return send(res, 400, { error: { status: 'INVALID_ARGUMENT', message: `alias ${alias} is used by another version` } });
      } else if (!version.aliases.includes(alias)) {
        version.aliases.push(alias);
      }
    }
    send(res, 200, { versionId, versionAliases: version.aliases });
  }

  private patchTraffic(res: ServerResponse, endpoint: { trafficSplit: Record<string, number> }, body: any): void {
    const total = Object.values(body.trafficSplit as Record<string, number>).reduce((a, b) => a + b, 0);
    if (total !== 100) return send(res, 400, { error: { status: 'INVALID_ARGUMENT', message: `traffic split sums to ${total}` } });
    endpoint.trafficSplit = body.trafficSplit;
    send(res, 200, { trafficSplit: endpoint.trafficSplit });
  }

  private deploy(res: ServerResponse, path: string, endpoint: { deployedModels: FakeDeployedModel[]; trafficSplit: Record<string, number> }, body: any): void {
    const split = body.trafficSplit as Record<string, number>;
    const total = Object.values(split).reduce((a, b) => a + b, 0);
    if (total !== 100) return send(res, 400, { error: { status: 'INVALID_ARGUMENT', message: `traffic split sums to ${total}` } });
    this.operation(res, path, () => {
      const id = String(this.nextId++);
      const [model, modelVersionId] = (body.deployedModel.model as string).split('@');
      const { machineSpec, minReplicaCount, maxReplicaCount } = body.deployedModel.dedicatedResources;
      endpoint.deployedModels.push({ id, model: this.canonical(model), modelVersionId, machineType: machineSpec.machineType, minReplicaCount, maxReplicaCount });
      endpoint.trafficSplit = Object.fromEntries(Object.entries(split).map(([k, v]) => [k === '0' ? id : k, v]));
      return { deployedModel: { id } };
    });
  }

  private undeploy(res: ServerResponse, path: string, endpoint: { deployedModels: FakeDeployedModel[]; trafficSplit: Record<string, number> }, body: any): void {
    const id = body.deployedModelId as string;
    if ((endpoint.trafficSplit[id] ?? 0) > 0) return send(res, 400, { error: { status: 'FAILED_PRECONDITION', message: `deployed model ${id} still has traffic` } });
    this.operation(res, path, () => {
      endpoint.deployedModels = endpoint.deployedModels.filter((d) => d.id !== id);
      delete endpoint.trafficSplit[id];
      return {};
    });
  }

  private getEndpoint(res: ServerResponse, path: string, id: string, endpoint: FakeEndpoint): void {
    const attachment = endpoint.psc && endpoint.deployedModels.length > 0 ? this.serviceAttachment(id) : undefined;
    send(res, 200, {
      name: this.canonical(path),
      deployedModels: endpoint.deployedModels.map((d) => (attachment ? { ...d, privateEndpoints: { serviceAttachment: attachment } } : d)),
      trafficSplit: endpoint.trafficSplit,
      ...(endpoint.psc ? { privateServiceConnectConfig: { enablePrivateServiceConnect: true, ...(attachment ? { serviceAttachment: attachment } : {}) } } : {}),
    });
  }

  /** Compute Engine: forwarding rules get/insert and region operations, with Compute's operation shape. */
  private compute(res: ServerResponse, method: string, path: string, body: any): void {
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^(projects\/[^/]+\/regions\/[^/]+)\/operations\/([^/]+)$/.exec(path))) {
      const op = this.operations.get(`compute/${m[2]}`);
      if (!op) return send(res, 404, { error: { code: 404, message: `operation ${m[2]} not found` } });
      if (op.pollsLeft > 0) {
        op.pollsLeft--;
        return send(res, 200, { name: m[2], status: 'RUNNING' });
      }
      const outcome = op.complete();
      op.complete = () => outcome;
      return send(res, 200, { name: m[2], status: 'DONE', ...outcome });
    }
    if (method === 'GET' && /\/forwardingRules\/[^/]+$/.test(path)) {
      const rule = this.forwardingRules.get(path);
      return rule ? send(res, 200, rule) : send(res, 404, { error: { code: 404, message: `The resource '${path}' was not found` } });
    }
    if (method === 'POST' && (m = /^(projects\/[^/]+\/regions\/[^/]+)\/forwardingRules$/.exec(path))) {
      const key = `${m[1]}/forwardingRules/${body.name}`;
      if (this.forwardingRules.has(key)) return send(res, 409, { error: { code: 409, message: `The resource '${key}' already exists` } });
      const name = `operation-${this.nextId++}`;
      const failing = this.failOperations?.test(path);
      this.operations.set(`compute/${name}`, {
        name,
        pollsLeft: this.operationPolls,
        complete: () => {
          if (failing) return { error: { errors: [{ code: 'QUOTA_EXCEEDED', message: 'injected operation failure' }] } };
          this.forwardingRules.set(key, {
            name: body.name,
            network: `https://www.googleapis.com/compute/v1/${body.network}`,
            IPAddress: '10.20.0.5',
            // Compute Engine answers with full URLs.
            target: `https://www.googleapis.com/compute/v1/${body.target}`,
            pscConnectionStatus: 'ACCEPTED',
          });
          return {};
        },
      });
      return send(res, 200, { name, status: 'RUNNING' });
    }
    send(res, 404, { error: { code: 404, message: `no route for ${method} compute/${path}` } });
  }

  /** `name` with the project number in place of the project id, as Vertex AI returns it. */
  canonical(name: string): string {
    return name.replace(/^projects\/[^/]+\//, `projects/${this.projectNumber}/`);
  }

  private operation(res: ServerResponse, call: string, complete: () => object): void {
    const name = `projects/p/locations/r/operations/${this.nextId++}`;
    const failing = this.failOperations?.test(call);
    if (this.operationPolls === 0) {
      return send(res, 200, { name, done: true, ...(failing ? { error: { code: 9, message: 'injected operation failure' } } : { response: complete() }) });
    }
    this.operations.set(name, {
      name,
      pollsLeft: this.operationPolls,
      complete: failing ? () => ({ error: { code: 9, message: 'injected operation failure' } }) : () => ({ response: complete() }),
    });
    send(res, 200, { name, done: false });
  }

  private poll(res: ServerResponse, name: string): void {
    const op = this.operations.get(name);
    if (!op) return send(res, 404, { error: { status: 'NOT_FOUND', message: `operation ${name} not found` } });
    if (op.pollsLeft > 0) {
      op.pollsLeft--;
      return send(res, 200, { name, done: false });
    }
    const outcome = op.complete();
    op.complete = () => outcome; // effects apply once
    send(res, 200, { name, done: true, ...outcome });
  }
}

function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
