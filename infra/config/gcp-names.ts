import type { z } from 'zod';
import { REGISTRY_BUCKET_KINDS, registryBucketName } from '../../constructs/gcp/private/registry-names';
import { bucketNameProblems } from '../../constructs/gcp/private/naming-rules';
import { SAFE_RESOURCE_NAME } from '../../constructs/private/validation';

/** What the rule reads of a (possibly partly invalid) platform config. */
interface NamedConfig {
  platform?: { name?: unknown };
  environments?: Record<string, { gcp?: { project?: unknown } } | undefined>;
}

/**
 * Cloud Storage rejects bucket names that contain "google" or start with "goog"
 * (https://cloud.google.com/storage/docs/buckets#naming), and every registry bucket name starts with the platform
 * and environment names. So this rule builds the bucket names each environment's Google Cloud stack would create
 * (with the stack's own naming function) and checks them against Google's rules. A problem the platform name
 * causes by itself is reported once, at `platform.name`; any other at the environment. Names other rules already
 * reject are left to those rules.
 */
export function addGcpBucketNameIssues(config: NamedConfig, ctx: z.RefinementCtx): void {
  const platform = config?.platform?.name;
  if (typeof platform !== 'string' || !SAFE_RESOURCE_NAME.test(platform)) return;
  const fromPlatform = new Set(bucketNameProblems(platform).filter(isReservedWordProblem));
  const reported = new Set<string>();
  for (const [environment, env] of Object.entries(config.environments ?? {})) {
    const project = env?.gcp?.project;
    if (typeof project !== 'string' || !SAFE_RESOURCE_NAME.test(environment) || !SAFE_RESOURCE_NAME.test(project)) continue;
    for (const kind of REGISTRY_BUCKET_KINDS) {
      const bucket = registryBucketName(`${platform}-${environment}`, kind, project);
      for (const problem of bucketNameProblems(bucket)) {
        const path = fromPlatform.has(problem) ? ['platform', 'name'] : ['environments', environment];
        const key = `${path.join('.')}: ${problem}`;
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.addIssue({ code: 'custom', path, message: `gives the Cloud Storage bucket "${bucket}", whose name ${problem}` });
      }
    }
  }
}

/** The rules a part of a name can break on its own (the rest depend on the whole name). */
function isReservedWordProblem(problem: string): boolean {
  return /"goog"|"google"|"g00gle"/.test(problem);
}
