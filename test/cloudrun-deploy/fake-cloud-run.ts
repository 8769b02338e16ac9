import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Cloud Run Admin API v2 for one project and region: `services.get` and `services.patch`
 * (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services), with the rollout Cloud Run does
 * after a patch: `reconciling` and a bumped `generation` for a few polls, then a new revision that becomes ready (all
 * traffic to it with the LATEST target) or, for an image named in `failingImages`, fails with a terminal condition while
 * the previous revision keeps serving. A patch answers with a long-running operation that the client need not poll.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: any;
}

export class FakeCloudRun {
  readonly requests: RecordedRequest[] = [];
  readonly services = new Map<string, any>();
  readonly failingImages = new Set<string>();
  /** Polls a rollout stays `reconciling`. */
  reconcilePolls = 2;
  private server?: Server;
  private pending = new Map<string, number>();
  private revisions = 0;
  private faults: { method: string; status: number; body: string; times: number }[] = [];

  constructor(readonly project: string, readonly region: string) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** A service as Terraform creates it: the placeholder image, the AIP_* routes (or `env`), one ready revision. */
  addService(name: string, image = 'us-docker.pkg.dev/cloudrun/container/hello', env?: { name: string; value: string }[]): string {
    const full = `projects/${this.project}/locations/${this.region}/services/${name}`;
    const revision = `${full.replace('/services/', '/revisions/')}-00001-tf`;
    this.services.set(full, {
      name: full,
      uid: 'uid-1',
      generation: '1',
      observedGeneration: '1',
      reconciling: false,
      etag: '"1"',
      ingress: 'INGRESS_TRAFFIC_ALL',
      template: {
        serviceAccount: `${name}@${this.project}.iam.gserviceaccount.com`,
        encryptionKey: `projects/${this.project}/locations/${this.region}/keyRings/k/cryptoKeys/k`,
        scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
        containers: [{ image, ports: [{ containerPort: 8080 }], env: env ?? [{ name: 'AIP_HTTP_PORT', value: '8080' }, { name: 'AIP_HEALTH_ROUTE', value: '/health' }, { name: 'AIP_PREDICT_ROUTE', value: '/predict' }] }],
      },
      traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }],
      latestCreatedRevision: revision,
      latestReadyRevision: revision,
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      uri: `https://${name}-123456789.${this.region}.run.app`,
    });
    return full;
  }

  /** Answers the next `times` requests of `method` with `status`. */
  fault(method: string, status: number, body: unknown, times = 1): void {
    this.faults.push({ method, status, body: JSON.stringify(body), times });
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0];
    this.requests.push({ method: req.method!, path, authorization: req.headers.authorization, body: text ? JSON.parse(text) : undefined });
    const fault = this.faults.find((f) => f.method === req.method && f.times > 0);
    if (fault) {
      fault.times--;
      return send(res, fault.status, JSON.parse(fault.body));
    }
    const match = /^\/v2\/(projects\/[^/]+\/locations\/[^/]+\/services\/[^/]+)$/.exec(path);
    const service = match && this.services.get(match[1]);
    if (!match || !service) return send(res, 404, { error: { code: 404, status: 'NOT_FOUND', message: `Resource '${path}' was not found` } });
    if (req.method === 'GET') return send(res, 200, this.advance(service));
    if (req.method === 'PATCH') {
      const body = JSON.parse(text);
      if (body.etag && body.etag !== service.etag) return send(res, 409, { error: { code: 409, status: 'ABORTED', message: 'etag mismatch' } });
      const generation = String(Number(service.generation) + 1);
      Object.assign(service, { template: body.template, traffic: body.traffic, generation, reconciling: true, etag: `"${generation}"` });
      this.pending.set(service.name, this.reconcilePolls);
      return send(res, 200, { name: `projects/${this.project}/locations/${this.region}/operations/op-${generation}`, done: false });
    }
    return send(res, 405, { error: { code: 405, message: 'method not allowed' } });
  }

  /** One poll of a rollout in progress; the new revision settles when its polls are spent. */
  private advance(service: any): any {
    const left = this.pending.get(service.name);
    if (left === undefined) return service;
    if (left > 0) {
      this.pending.set(service.name, left - 1);
      return service;
    }
    this.pending.delete(service.name);
    const revision = `${service.name.replace('/services/', '/revisions/')}-${String(++this.revisions + 1).padStart(5, '0')}-new`;
    const image = service.template.containers[0].image;
    service.latestCreatedRevision = revision;
    service.reconciling = false;
    service.observedGeneration = service.generation;
    if (this.failingImages.has(image)) {
      service.terminalCondition = { type: 'Ready', state: 'CONDITION_FAILED', reason: 'HealthCheckContainerError', message: 'The user-provided container failed the configured startup probe checks.' };
    } else {
      service.latestReadyRevision = revision;
      service.terminalCondition = { type: 'Ready', state: 'CONDITION_SUCCEEDED' };
    }
    return service;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
