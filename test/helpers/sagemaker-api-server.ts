import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server';

/** One model package as the fake registry holds it. */
export interface FakePackage {
  readonly group: string;
  readonly arn: string;
  readonly status: 'Approved' | 'Rejected' | 'PendingManualApproval';
  readonly created: number;
  readonly image: string;
  readonly modelDataUrl: string;
  /** Set by DeleteModelPackage: listings left before the package is gone (SageMaker deletes asynchronously). */
  deletingFor?: number;
}

/**
 * A loopback server speaking the SageMaker control plane's wire protocol (AWS JSON 1.1: `POST /` with
 * `X-Amz-Target: SageMaker.<Operation>`), for ListModelPackages, DescribeModelPackage, DeleteModelPackage and
 * DeleteModelPackageGroup (refused with ConflictException while the group lists packages). Point the SDK at it with
 * AWS_ENDPOINT_URL_SAGEMAKER. It also records PUTs to `/response/...`: a custom resource's answer to CloudFormation.
 */
export class FakeSageMakerApi extends LoopbackServer {
  readonly packages: FakePackage[] = [];
  readonly calls: Array<{ operation: string; input: Record<string, unknown> }> = [];
  /** Bodies and content types PUT to `/response/...`. */
  readonly responses: Array<{ body: string; contentType?: string }> = [];
  /** Packages per ListModelPackages page (the rest behind a NextToken). */
  pageSize = Number.POSITIVE_INFINITY;
  /** Listings a deleted package stays visible (as Deleting). */
  deletionLag = 0;
  /** Operations that fail with an internal error. */
  readonly failing = new Set<string>();
  /** Pipeline executions, newest last (ListPipelineExecutions, StartPipelineExecution). */
  readonly executions: Array<{ pipeline: string; arn: string; status: string; created: number; token?: string; parameters?: unknown }> = [];

  /** Adds `count` approved packages to `group`. */
  addPackages(group: string, count: number): void {
    for (let i = 0; i < count; i++) {
      const n = this.packages.length + 1;
      this.packages.push({ group, arn: `arn:aws:sagemaker:eu-west-1:111111111111:model-package/${group}/${n}`, status: 'Approved', created: n, image: 'image', modelDataUrl: `s3://bucket/${n}` });
    }
  }


  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'PUT' && req.url?.startsWith('/response/')) {
      this.responses.push({ body: text, contentType: req.headers['content-type'] });
      res.writeHead(200).end();
      return;
    }
    const input = JSON.parse(text || '{}') as Record<string, unknown>;
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^SageMaker\./, '');
    this.calls.push({ operation, input });
    const reply = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) });
      res.end(JSON.stringify(body));
    };
    if (this.failing.has(operation)) return reply(500, { __type: 'InternalFailure', message: `${operation} failed` }, 'InternalFailure');
    if (operation === 'ListModelPackages') {
      const matching = this.packages
        .filter((p) => p.group === input.ModelPackageGroupName && (!input.ModelApprovalStatus || p.status === input.ModelApprovalStatus))
        .sort((a, b) => (input.SortOrder === 'Descending' ? b.created - a.created : a.created - b.created));
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const end = start + Math.min(Number(input.MaxResults ?? 100), this.pageSize);
      reply(200, {
        ModelPackageSummaryList: matching.slice(start, end).map((p) => ({
          ModelPackageArn: p.arn,
          ModelPackageGroupName: p.group,
          ModelApprovalStatus: p.status,
          CreationTime: p.created,
          ModelPackageStatus: p.deletingFor === undefined ? 'Completed' : 'Deleting',
        })),
        ...(end < matching.length && { NextToken: String(end) }),
      });
      // Each listing ages the group's deleting packages: after `deletionLag` listings they are gone.
      for (const p of matching) if (p.deletingFor !== undefined) p.deletingFor--;
      this.removeDeleted();
      return;
    }
    if (operation === 'DeleteModelPackage') {
      const found = this.packages.find((p) => p.arn === input.ModelPackageName && p.deletingFor === undefined);
      if (!found) return reply(400, { __type: 'ValidationException', message: `Model package ${String(input.ModelPackageName)} does not exist.` }, 'ValidationException');
      found.deletingFor = this.deletionLag;
      this.removeDeleted();
      return reply(200, {});
    }
    if (operation === 'DeleteModelPackageGroup') {
      if (this.packages.some((p) => p.group === input.ModelPackageGroupName)) {
        return reply(400, { __type: 'ConflictException', message: 'The model package group still has model packages.' }, 'ConflictException');
      }
      return reply(200, {});
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
    if (operation === 'ListPipelineExecutions') {
      const matching = this.executions.filter((e) => e.pipeline === input.PipelineName).sort((a, b) => (input.SortOrder === 'Ascending' ? a.created - b.created : b.created - a.created));
      reply(200, { PipelineExecutionSummaries: matching.slice(0, Number(input.MaxResults ?? 50)).map((e) => ({ PipelineExecutionArn: e.arn, PipelineExecutionStatus: e.status, StartTime: e.created })) });
      return;
    }
    if (operation === 'StartPipelineExecution') {
      // ClientRequestToken makes the call idempotent: the same token returns the same execution.
      const same = this.executions.find((e) => e.pipeline === input.PipelineName && e.token === input.ClientRequestToken);
      if (same) return reply(200, { PipelineExecutionArn: same.arn });
      const arn = `arn:aws:sagemaker:eu-west-1:111111111111:pipeline/${String(input.PipelineName)}/execution/${this.executions.length + 1}`;
      this.executions.push({ pipeline: String(input.PipelineName), arn, status: 'Executing', created: this.executions.length + 1, token: String(input.ClientRequestToken), parameters: input.PipelineParameters });
      return reply(200, { PipelineExecutionArn: arn });
    }
    reply(400, { __type: 'UnknownOperationException', message: operation }, 'UnknownOperationException');
  }

  private removeDeleted(): void {
    for (let i = this.packages.length - 1; i >= 0; i--) {
      const left = this.packages[i].deletingFor;
      if (left !== undefined && left <= 0) this.packages.splice(i, 1);
    }
  }
}
