import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FakePackage {
  readonly arn: string;
  readonly group: string;
  /** Lists left before a deleted package disappears (SageMaker deletes asynchronously). */
  deletingFor?: number;
}

/**
 * A loopback server speaking the SageMaker control-plane protocol (awsJson1_1: `POST /` with
 * `X-Amz-Target: SageMaker.<Operation>`, errors as `{"__type": ...}` JSON) for the operations the registry cleanup
 * uses, plus DeleteModelPackageGroup, which is refused (ConflictException) while the group still lists packages.
 * It also records PUTs to `/response/...`: the custom resource's answer to CloudFormation.
 */
export class FakeSageMaker {
  readonly packages: FakePackage[] = [];
  readonly calls: { operation: string; input: Record<string, unknown> }[] = [];
  readonly responses: { body: string; contentType?: string }[] = [];
  /** Packages per ListModelPackages page. */
  pageSize = 2;
  /** Lists a deleted package stays visible as Deleting. */
  deletionLag = 0;
  /** Operations that fail with an internal error. */
  failing = new Set<string>();
  private server?: Server;

  addPackages(group: string, count: number): void {
    for (let i = 1; i <= count; i++) this.packages.push({ arn: `arn:aws:sagemaker:eu-west-1:111111111111:model-package/${group}/${this.packages.length + 1}`, group });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'PUT' && req.url?.startsWith('/response/')) {
        this.responses.push({ body, contentType: req.headers['content-type'] });
        res.writeHead(200).end();
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || !target.startsWith('SageMaker.')) return fail(res, 400, 'UnknownOperationException', target);
      const operation = target.slice('SageMaker.'.length);
      const input = JSON.parse(body || '{}') as Record<string, unknown>;
      this.calls.push({ operation, input });
      if (this.failing.has(operation)) return fail(res, 500, 'InternalFailure', `${operation} failed`);
      switch (operation) {
        case 'ListModelPackages':
          return ok(res, this.list(String(input.ModelPackageGroupName), Number(input.MaxResults ?? 100), input.NextToken as string | undefined));
        case 'DeleteModelPackage': {
          const found = this.packages.find((p) => p.arn === input.ModelPackageName && p.deletingFor === undefined);
          if (!found) return fail(res, 400, 'ValidationException', `model package ${String(input.ModelPackageName)} does not exist`);
          found.deletingFor = this.deletionLag;
          this.removeDeleted();
          return ok(res, {});
        }
        case 'DeleteModelPackageGroup': {
          if (this.packages.some((p) => p.group === input.ModelPackageGroupName)) return fail(res, 400, 'ConflictException', 'the model package group has model packages');
          return ok(res, {});
        }
        default:
          return fail(res, 400, 'UnknownOperationException', operation);
      }
    });
  }

  private list(group: string, max: number, token?: string): object {
    const inGroup = this.packages.filter((p) => p.group === group);
    const start = token ? Number(token) : 0;
    const size = Math.min(max, this.pageSize);
    const page = inGroup.slice(start, start + size);
    const summaries = page.map((p) => ({ ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelPackageStatus: p.deletingFor === undefined ? 'Completed' : 'Deleting', CreationTime: 0 }));
    // Each listing ages the deleting packages: after `deletionLag` listings they are gone.
    for (const p of inGroup) if (p.deletingFor !== undefined) p.deletingFor--;
    this.removeDeleted();
    return { ModelPackageSummaryList: summaries, ...(start + size < inGroup.length && { NextToken: String(start + size) }) };
  }

  private removeDeleted(): void {
    for (let i = this.packages.length - 1; i >= 0; i--) {
      const left = this.packages[i].deletingFor;
      if (left !== undefined && left <= 0) this.packages.splice(i, 1);
    }
  }
}

function ok(res: ServerResponse, body: object): void {
  res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'test' });
  res.end(JSON.stringify({ __type: type, message }));
}
