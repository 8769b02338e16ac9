import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One model package as the fake registry holds it. */
export interface FakePackage {
  readonly group: string;
  readonly arn: string;
  readonly status: 'Approved' | 'Rejected' | 'PendingManualApproval';
  readonly created: number;
  readonly image: string;
  readonly modelDataUrl: string;
}

/**
 * A loopback server speaking the SageMaker control plane's wire protocol (AWS JSON 1.1: `POST /` with
 * `X-Amz-Target: SageMaker.<Operation>`), for ListModelPackages and DescribeModelPackage. Point the SDK at it with
 * AWS_ENDPOINT_URL_SAGEMAKER.
 */
export class FakeSageMakerApi {
  readonly packages: FakePackage[] = [];
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^SageMaker\./, '');
    this.calls.push({ operation, input });
    const reply = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
      res.end(JSON.stringify(body));
    };
    if (operation === 'ListModelPackages') {
      const matching = this.packages
        .filter((p) => p.group === input.ModelPackageGroupName && (!input.ModelApprovalStatus || p.status === input.ModelApprovalStatus))
        .sort((a, b) => (input.SortOrder === 'Descending' ? b.created - a.created : a.created - b.created))
        .slice(0, Number(input.MaxResults ?? 100));
      reply(200, {
        ModelPackageSummaryList: matching.map((p) => ({ ModelPackageArn: p.arn, ModelPackageGroupName: p.group, ModelApprovalStatus: p.status, CreationTime: p.created, ModelPackageStatus: 'Completed' })),
      });
      return;
    }
    if (operation === 'DescribeModelPackage') {
      const found = this.packages.find((p) => p.arn === input.ModelPackageName);
      if (!found) return reply(400, { __type: 'ValidationException', message: `Model package ${String(input.ModelPackageName)} does not exist.` }, 'ValidationException');
      reply(200, {
        ModelPackageArn: found.arn,
        ModelPackageName: found.group,
        ModelApprovalStatus: found.status,
        CreationTime: found.created,
        InferenceSpecification: { Containers: [{ Image: found.image, ModelDataUrl: found.modelDataUrl }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      });
      return;
    }
    reply(400, { __type: 'UnknownOperationException', message: operation }, 'UnknownOperationException');
  }
}
