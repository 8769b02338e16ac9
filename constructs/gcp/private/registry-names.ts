// Kept free of cdktf and the provider: the config schema checks these names without loading them (an AWS-only
// install has neither, and the CLI runs on production dependencies).
import { boundedName } from '../../private/names';

/** What the registry's buckets are called in their names. */
export const REGISTRY_BUCKET_KINDS = ['models', 'baselines', 'reports'] as const;
/** One of the registry's buckets. */
export type RegistryBucketKind = (typeof REGISTRY_BUCKET_KINDS)[number];

/** The name of one of the registry's buckets. Bucket names are global; the project id makes these unique. */
export function registryBucketName(namePrefix: string, kind: RegistryBucketKind, project: string): string {
  return boundedName([namePrefix, kind, project], 63);
}
