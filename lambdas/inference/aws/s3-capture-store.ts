import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CaptureStore } from '../../../core/capture';

/** Credentials as Lambda gives them to the function (its role's, in the environment). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** @default - none (long-term keys) */
  readonly sessionToken?: string;
}

/** Options of {@link s3CaptureStore}. */
export interface S3CaptureStoreOptions {
  readonly bucket: string;
  readonly region: string;
  /**
   * An S3-compatible endpoint, addressed path-style (tests point it at a loopback S3).
   * @default - https://<bucket>.s3.<region>.amazonaws.com (`.amazonaws.com.cn` in the China regions)
   */
  readonly endpoint?: string;
  /** @default - the SDK's `fromEnv()`: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read at each write */
  readonly credentials?: () => AwsCredentials | Promise<AwsCredentials>;
  /** Per-attempt timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** Attempts per batch, first included; 5xx answers, SlowDown and network errors are retried. @default 3 */
  readonly maxAttempts?: number;
}

/**
 * Capture batches as S3 objects in the registry bucket: one SigV4-signed `PutObject` per batch, signed by the SDK's
 * signer and sent with Node's HTTP. The S3 SDK client would add about 130 KB to the inference bundle (over its 300 KB
 * budget) for this one call. No encryption header: the bucket's default encryption (SSE-KMS with the registry key) applies, for which
 * the role needs `kms:GenerateDataKey` on the key. A write frozen with the execution environment and cut off by its
 * timeout on thaw is retried with the same key, so it is written once.
 */
export function s3CaptureStore(options: S3CaptureStoreOptions): CaptureStore {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? 3;
  // Lambda gives the role's credentials in the environment: the SDK's own environment provider reads them.
  const credentials = options.credentials ?? fromEnv();
  return {
    async put(key, body) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await putObject(options, await credentials(), key, body, timeoutMs);
        } catch (err) {
          if (attempt >= maxAttempts || !(err as S3Error).retryable) throw err;
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        }
      }
    },
  };
}


interface S3Error extends Error {
  retryable?: boolean;
  status?: number;
}

function s3Error(name: string, message: string, retryable: boolean, status?: number): S3Error {
  return Object.assign(new Error(message), { name, retryable, status });
}

/** RFC 3986 encoding of each key segment (slashes kept), as S3's canonical URI wants it. */
const encodeKey = (key: string) => key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');

/** A signed S3 `PutObject` request: where it goes and its headers. */
export interface SignedPut {
  readonly url: URL;
  readonly path: string;
  readonly headers: Record<string, string>;
}

/**
 * Signs `PutObject` of `body` at `key` with Signature Version 4, using the AWS SDK's own signer (`@smithy/signature-v4`
 * and the SDK's SHA-256, already in the bundle through the SageMaker runtime client) with S3's rules: the payload's
 * SHA-256 in `x-amz-content-sha256`, the key escaped once.
 */
export async function signS3Put(options: Pick<S3CaptureStoreOptions, 'bucket' | 'region' | 'endpoint'>, creds: AwsCredentials, key: string, body: string, date: Date): Promise<SignedPut> {
  // The China regions' S3 endpoints end in .amazonaws.com.cn (Amazon S3 endpoints, AWS General Reference).
  const suffix = options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const url = options.endpoint ? new URL(options.endpoint) : new URL(`https://${options.bucket}.s3.${options.region}.${suffix}`);
  const path = `${options.endpoint ? `/${options.bucket}` : ''}/${encodeKey(key)}`;
  const signer = new SignatureV4({ service: 's3', region: options.region, credentials: creds, sha256: Sha256, uriEscapePath: false, applyChecksum: true });
  const request = {
    method: 'PUT',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path,
    query: {},
    body,
    headers: { host: url.host, 'content-type': 'application/jsonlines', 'content-length': String(Buffer.byteLength(body)) },
  };
  const signed = (await signer.sign(request, { signingDate: date })) as unknown as { headers: Record<string, string> };
  return { url, path, headers: signed.headers };
}

async function putObject(options: S3CaptureStoreOptions, creds: AwsCredentials, key: string, body: string, timeoutMs: number): Promise<void> {
  const { url: base, path, headers } = await signS3Put(options, creds, key, body, new Date());
  const send = base.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<void>((resolve, reject) => {
    const req = send({ method: 'PUT', hostname: base.hostname, port: base.port || undefined, path, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve();
        const text = Buffer.concat(chunks).toString('utf8');
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `Http${status}`;
        const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
        reject(s3Error(code, `PutObject ${key}: ${status} ${code}: ${message}`, status >= 500 || code === 'SlowDown' || code === 'RequestTimeout', status));
      });
      res.on('error', (err) => reject(s3Error('NetworkError', err.message, true)));
    });
    req.on('timeout', () => req.destroy(s3Error('TimeoutError', `PutObject ${key}: no answer within ${timeoutMs} ms`, true)));
    req.on('error', (err) => reject((err as S3Error).retryable !== undefined ? err : s3Error('NetworkError', err.message, true)));
    req.end(body);
  });
}
