import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CaptureStore } from '../core/capture';

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
   * @default - https://<bucket>.s3.<region>.amazonaws.com
   */
  readonly endpoint?: string;
  /** @default - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read at each write */
  readonly credentials?: () => AwsCredentials;
  /** Per-attempt timeout. @default 2000 */
  readonly timeoutMs?: number;
  /** Attempts per batch, first included; 5xx answers, SlowDown and network errors are retried. @default 3 */
  readonly maxAttempts?: number;
}

/**
 * Capture batches as S3 objects in the registry bucket: one SigV4-signed `PutObject` per batch, with Node's own
 * HTTP and crypto. The S3 SDK client would add about 130 KB to the inference bundle (over its 300 KB budget) for this
 * one call. No encryption header: the bucket's default encryption (SSE-KMS with the registry key) applies, for which
 * the role needs `kms:GenerateDataKey` on the key. A write frozen with the execution environment and cut off by its
 * timeout on thaw is retried with the same key, so it is written once.
 */
export function s3CaptureStore(options: S3CaptureStoreOptions): CaptureStore {
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxAttempts = options.maxAttempts ?? 3;
  const credentials = options.credentials ?? credentialsFromEnv;
  return {
    async put(key, body) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await putObject(options, credentials(), key, body, timeoutMs);
        } catch (err) {
          if (attempt >= maxAttempts || !(err as S3Error).retryable) throw err;
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
        }
      }
    },
  };
}

function credentialsFromEnv(): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = process.env;
  if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
  return { accessKeyId, secretAccessKey, sessionToken: sessionToken || undefined };
}

interface S3Error extends Error {
  retryable?: boolean;
  status?: number;
}

function s3Error(name: string, message: string, retryable: boolean, status?: number): S3Error {
  return Object.assign(new Error(message), { name, retryable, status });
}

/** RFC 3986 encoding of each key segment, as SigV4's canonical URI for S3 wants it (slashes kept). */
const encodeKey = (key: string) => key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** A signed S3 `PutObject` request: where it goes and its headers. */
export interface SignedPut {
  readonly url: URL;
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** Signs `PutObject` of `body` at `key` with Signature Version 4 (AWS IAM User Guide, "Create a signed AWS API request"). */
export function signS3Put(options: Pick<S3CaptureStoreOptions, 'bucket' | 'region' | 'endpoint'>, creds: AwsCredentials, key: string, body: string, date: Date): SignedPut {
  const url = options.endpoint ? new URL(options.endpoint) : new URL(`https://${options.bucket}.s3.${options.region}.amazonaws.com`);
  const path = `${options.endpoint ? `/${options.bucket}` : ''}/${encodeKey(key)}`;
  const amzDate = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = sha256(body);
  const signed: Record<string, string> = {
    host: url.host,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
    ...(creds.sessionToken ? { 'x-amz-security-token': creds.sessionToken } : {}),
  };
  const names = Object.keys(signed).sort();
  const canonical = ['PUT', path, '', ...names.map((n) => `${n}:${signed[n]}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${options.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), options.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
  return {
    url,
    path,
    headers: {
      ...signed,
      authorization: `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
      'content-type': 'application/jsonlines',
      'content-length': String(Buffer.byteLength(body)),
    },
  };
}

function putObject(options: S3CaptureStoreOptions, creds: AwsCredentials, key: string, body: string, timeoutMs: number): Promise<void> {
  const { url: base, path, headers } = signS3Put(options, creds, key, body, new Date());
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
