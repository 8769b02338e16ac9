import { DeleteModelPackageCommand, ListModelPackagesCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';

/** The CloudFormation custom resource request this function answers (the fields it reads). */
export interface CleanupRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly ModelPackageGroupNames?: readonly string[] };
  /** Update requests only: the properties before the update. */
  readonly OldResourceProperties?: { readonly ModelPackageGroupNames?: readonly string[] };
}

/** What the handler needs from the outside world; tests pass loopback-backed ones. */
export interface CleanupDeps {
  readonly sagemaker: SageMakerClient;
  /** PUTs the response document to the request's pre-signed ResponseURL. */
  readonly respond: (url: string, body: string) => Promise<void>;
  readonly sleep: (ms: number) => Promise<void>;
  /** Polls after deleting, until the groups list no package. @default 60 */
  readonly maxPolls?: number;
  /** @default 5000 */
  readonly pollIntervalMs?: number;
}

/**
 * Custom resource handler that empties the registry's model package groups when the stack is deleted:
 * DeleteModelPackageGroup is refused while a group still holds packages, so CloudFormation could not delete them.
 * An update empties the groups it no longer lists (a model removed from the config, whose group CloudFormation
 * deletes next); Create does nothing. It answers CloudFormation itself (the custom resource response protocol).
 */
export function createCleanupHandler(deps: CleanupDeps): (request: CleanupRequest) => Promise<void> {
  return async (request) => {
    const physicalId = request.PhysicalResourceId ?? `${request.LogicalResourceId}-package-cleanup`;
    let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
    let reason = 'ok';
    try {
      const groups = groupsToEmpty(request);
      if (groups.length > 0) {
        const deleted = await emptyGroups(deps, groups);
        reason = `deleted ${deleted} model package(s) of ${groups.join(', ')}`;
      }
    } catch (err) {
      status = 'FAILED';
      reason = `emptying the model package groups failed: ${(err as Error).name}: ${(err as Error).message}`;
    }
    const body = JSON.stringify({
      Status: status,
      Reason: reason,
      PhysicalResourceId: physicalId,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    });
    await deps.respond(request.ResponseURL, body);
  };
}

function groupsToEmpty(request: CleanupRequest): readonly string[] {
  const current = request.ResourceProperties.ModelPackageGroupNames ?? [];
  if (request.RequestType === 'Delete') return current;
  if (request.RequestType === 'Update') return (request.OldResourceProperties?.ModelPackageGroupNames ?? []).filter((g) => !current.includes(g));
  return [];
}

/** Deletes every package of `groups`, then waits until none is listed; returns how many it deleted. */
async function emptyGroups(deps: CleanupDeps, groups: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const group of groups) {
    // A package already being deleted (a retried request) cannot be deleted again; the wait below covers it.
    for (const arn of await packagesOf(deps.sagemaker, group, { skipDeleting: true })) {
      await deps.sagemaker.send(new DeleteModelPackageCommand({ ModelPackageName: arn }));
      deleted++;
    }
  }
  // Deletion is not instant: a group is still refused while a package is listed (as Deleting).
  for (let poll = 0; ; poll++) {
    const left = (await Promise.all(groups.map((g) => packagesOf(deps.sagemaker, g)))).flat();
    if (left.length === 0) return deleted;
    if (poll >= (deps.maxPolls ?? 60)) throw new Error(`${left.length} model package(s) still listed: ${left.slice(0, 3).join(', ')}`);
    await deps.sleep(deps.pollIntervalMs ?? 5000);
  }
}

async function packagesOf(sagemaker: SageMakerClient, group: string, options: { skipDeleting?: boolean } = {}): Promise<string[]> {
  const arns: string[] = [];
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, NextToken: token, MaxResults: 100 }));
    const summaries = (page.ModelPackageSummaryList ?? []).filter((p) => !(options.skipDeleting && p.ModelPackageStatus === 'Deleting'));
    arns.push(...summaries.map((p) => p.ModelPackageArn ?? '').filter(Boolean));
    token = page.NextToken;
  } while (token);
  return arns;
}

/** The response protocol: a PUT of the JSON document to the pre-signed S3 URL, with an empty content type. */
export async function putResponse(url: string, body: string): Promise<void> {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) } });
  if (!res.ok) throw new Error(`CloudFormation response upload answered ${res.status}`);
}
