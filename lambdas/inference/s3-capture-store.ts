import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { CaptureStore } from '../core/capture';

/**
 * Capture batches as S3 objects in the registry bucket. No encryption header: the bucket's default encryption
 * (SSE-KMS with the registry key) applies, for which the writer needs `kms:GenerateDataKey` on the key ("Using
 * server-side encryption with AWS KMS keys", Amazon S3 User Guide: uploading an object requires it).
 * A short per-attempt timeout bounds a write; a write frozen with the execution environment and cut off by that
 * timeout on thaw is retried with the same key, so it is written once.
 */
export function s3CaptureStore(options: { bucket: string; client?: S3Client; timeoutMs?: number; maxAttempts?: number }): CaptureStore {
  const timeoutMs = options.timeoutMs ?? 2000;
  const client =
    options.client ??
    new S3Client({
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true, connectionTimeout: Math.min(timeoutMs, 1000) },
    });
  return {
    async put(key, body) {
      await client.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, ContentType: 'application/jsonlines' }));
    },
  };
}
