// The training pipeline's Baseline step (a SageMaker Pipelines Lambda step): profiles exactly the training features
// (the PrepareData step's `features` output, label excluded) into baseline.json with the same profiler as
// `modelstack baseline`, writes it where the step's `output` argument says, and returns it as the step's one output
// parameter, `baseline`. A Lambda step passes its Arguments as the event and reads each OutputParameters name from the
// object the function returns ("Lambda Step", Pipelines steps, SageMaker Developer Guide).
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildBaseline } from '../../../core/drift/pipeline';

/** The step's Arguments (all strings: the definition's `Std:Join` values). */
export interface BaselineEvent {
  /** `s3://<registry>/pipelines/<model>/<execution>/prepared/features`: a folder holding one CSV file. */
  readonly features?: string;
  /** Comma-separated categorical columns (the others are numeric). */
  readonly categorical?: string;
  /** Where baseline.json goes, `s3://<registry>/pipelines/<model>/<execution>/baseline/baseline.json`. */
  readonly output?: string;
}

/** The step's output parameters. */
export interface BaselineResult {
  /** The S3 URI of the baseline.json written. */
  readonly baseline: string;
}

const S3_URI = /^s3:\/\/([^/]+)\/(.+)$/;

export function createBaselineHandler(deps: { s3: S3Client; registryBucket: string }) {
  /** Only the registry's per-execution work folders (`pipelines/`) are read or written. */
  function location(name: string, value: string | undefined): { bucket: string; key: string } {
    const match = S3_URI.exec(value ?? '');
    if (!match) throw new Error(`Baseline step: argument "${name}" must be an s3:// URI, got ${JSON.stringify(value)}`);
    const [, bucket, key] = match;
    if (bucket !== deps.registryBucket || !key.startsWith('pipelines/')) {
      throw new Error(`Baseline step: argument "${name}" must be under s3://${deps.registryBucket}/pipelines/, got ${value}`);
    }
    return { bucket, key };
  }

  return async (event: BaselineEvent): Promise<BaselineResult> => {
    const features = location('features', event.features);
    const output = location('output', event.output);
    if (!output.key.endsWith('.json')) throw new Error(`Baseline step: argument "output" must name a .json object, got ${event.output}`);
    const prefix = features.key.endsWith('.csv') ? features.key : `${features.key.replace(/\/?$/, '/')}`;
    const listed = await deps.s3.send(new ListObjectsV2Command({ Bucket: features.bucket, Prefix: prefix }));
    const csv = (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.csv')).sort()[0];
    if (!csv) throw new Error(`Baseline step: no CSV file under ${event.features}`);

    const dir = await mkdtemp(join(tmpdir(), 'baseline-'));
    try {
      const file = join(dir, 'features.csv');
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: features.bucket, Key: csv }));
      await pipeline(object.Body as Readable, createWriteStream(file));
      const categorical = (event.categorical ?? '').split(',').map((c) => c.trim()).filter(Boolean);
      const { baseline } = await buildBaseline(file, { categorical, format: 'csv' });
      const body = `${JSON.stringify(baseline)}\n`;
      // The bucket's default encryption (the registry key) applies.
      await deps.s3.send(new PutObjectCommand({ Bucket: output.bucket, Key: output.key, Body: body, ContentType: 'application/json' }));
      return { baseline: `s3://${output.bucket}/${output.key}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
