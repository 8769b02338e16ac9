// The Google Cloud training workflow's baseline step: a Cloud Run function the workflow calls (http.post with an OIDC
// token) once the gate passes. It does what the AWS TrainingBaseline Lambda does, over the same core (../core.ts):
// profiles exactly the training features (the prepare job's `train-features.csv`, label excluded) with the drift
// engine's profiler, the same code as `modelstack baseline`, and writes baseline.json where `output` says. So the
// training image needs no Node.js and stays the same on both clouds.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { gcsInsert } from '../../shared/gcp/gcs-insert';
import { gcsList } from '../../shared/gcp/gcs-list';
import { ensureOk, type GoogleHttp } from '../../shared/gcp/google-http';
import { errorFields, type GcpLogger } from '../../shared/gcp/log';
import { type FunctionRequest, requestBody } from '../../shared/gcp/request-body';
import { type BaselineArguments, BaselineArgumentError, baselineJson, baselineLocations, firstCsv } from '../core';

/** The call's answer: where baseline.json was written. */
export interface GcpBaselineResult {
  /** `gs://<registry>/pipelines/<model>/<execution>/baseline/baseline.json`. */
  readonly baseline: string;
}

export interface GcpBaselineDeps {
  readonly http: GoogleHttp;
  /** The registry's artifacts bucket: the only bucket read or written, under `pipelines/` only. */
  readonly registryBucket: string;
  readonly logger: GcpLogger;
  /** Default `https://storage.googleapis.com`. */
  readonly storageUrl?: string;
}

/** The request body is three short strings. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * The function: POST `{"features": "gs://...", "categorical": "a,b", "output": "gs://.../baseline.json"}` answers 200
 * `{"baseline": "gs://..."}`; a bad request answers 400 with the reason (the workflow's http.post raises it, naming the
 * argument); a failure answers 500 with its message, never a stack trace, and logs it.
 */
export function createGcpBaselineHandler(deps: GcpBaselineDeps): (req: FunctionRequest, res: ServerResponse) => Promise<void> {
  const base = (deps.storageUrl ?? 'https://storage.googleapis.com').replace(/\/+$/, '');
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  async function download(bucket: string, key: string, file: string): Promise<void> {
    const call = `GCS get gs://${bucket}/${key}`;
    const response = await ensureOk(call, await deps.http(call, `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}?alt=media`));
    await pipeline(response.body ? Readable.fromWeb(response.body as WebReadableStream) : Readable.from([]), createWriteStream(file));
  }

  async function run(args: BaselineArguments): Promise<GcpBaselineResult> {
    const { features, output, prefix } = baselineLocations('gs', deps.registryBucket, args);
    const csv = firstCsv(await gcsList(deps.http, base, features.bucket, prefix), args.features);
    const dir = await mkdtemp(join(tmpdir(), 'baseline-'));
    try {
      const file = join(dir, 'features.csv');
      await download(features.bucket, csv, file);
      // A retried call rewrites the same object; the bucket's default key (the registry's CMEK) encrypts it.
      await gcsInsert(deps.http, base, { bucket: output.bucket, key: output.key, body: await baselineJson(file, args.categorical), contentType: 'application/json' }, false);
      return { baseline: `gs://${output.bucket}/${output.key}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return async (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, { error: `method ${req.method}: expected POST with a JSON body` });
    let args: BaselineArguments;
    try {
      const text = await requestBody(req, MAX_BODY_BYTES);
      const parsed: unknown = JSON.parse(text ?? '');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      args = parsed as BaselineArguments;
      for (const name of ['features', 'categorical', 'output'] as const) {
        if (args[name] !== undefined && typeof args[name] !== 'string') return answer(res, 400, { error: `Baseline step: argument "${name}" must be a string, got ${JSON.stringify(args[name])}` });
      }
    } catch {
      return answer(res, 400, { error: 'expected a JSON object {"features": "gs://...", "categorical": "...", "output": "gs://.../baseline.json"}' });
    }
    try {
      const result = await run(args);
      deps.logger.info('baseline written', { baseline: result.baseline, features: args.features });
      answer(res, 200, result);
    } catch (err) {
      if (err instanceof BaselineArgumentError) return answer(res, 400, { error: err.message });
      deps.logger.error('baseline failed', { features: args.features, ...errorFields(err) });
      answer(res, 500, { error: `Baseline step failed: ${(err as Error).message}` });
    }
  };
}
