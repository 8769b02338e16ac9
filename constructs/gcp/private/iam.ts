import type { StorageBucketIamMemberCondition } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { registryLayout } from '../../../core/layout';

/** `models/`: where every model's versions live (`registryLayout.modelPrefix` of no model would be `models//`). */
export const MODELS_PREFIX = registryLayout.modelPrefix('').replace(/\/+$/, '/');

/**
 * An IAM condition that limits a bucket role to objects under `prefix`. Listing is checked on the bucket
 * itself, so the bucket stays visible (list shows names only; reads still need the prefix).
 */
export function objectPrefixCondition(bucketName: string, prefix: string): StorageBucketIamMemberCondition {
  return {
    title: `only ${prefix}`,
    expression:
      `resource.type == "storage.googleapis.com/Bucket" || ` +
      `resource.name.startsWith("projects/_/buckets/${bucketName}/objects/${prefix}")`,
  };
}
