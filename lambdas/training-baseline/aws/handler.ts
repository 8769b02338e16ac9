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
import { type BaselineArguments, baselineJson, baselineLocations, firstCsv } from '../core';

/** The step's Arguments (all strings: the definition's `Std:Join` values). */
export type BaselineEvent = BaselineArguments;

/** The step's output parameters. */
export interface BaselineResult {
  /** The S3 URI of the baseline.json written. */
  readonly baseline: string;
}

export function createBaselineHandler(deps: { s3: S3Client; registryBucket: string }) {
  return async (event: BaselineEvent): Promise<BaselineResult> => {
    // Only the registry's per-execution work folders (`pipelines/`) are read or written.
    const { features, output, prefix } = baselineLocations('s3', deps.registryBucket, event);
    const listed = await deps.s3.send(new ListObjectsV2Command({ Bucket: features.bucket, Prefix: prefix }));
    const csv = firstCsv((listed.Contents ?? []).map((o) => o.Key ?? ''), event.features);

    const dir = await mkdtemp(join(tmpdir(), 'baseline-'));
    try {
      const file = join(dir, 'features.csv');
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: features.bucket, Key: csv }));
      await pipeline(object.Body as Readable, createWriteStream(file));
      const body = await baselineJson(file, event.categorical);
      // The bucket's default encryption (the registry key) applies.
      await deps.s3.send(new PutObjectCommand({ Bucket: output.bucket, Key: output.key, Body: body, ContentType: 'application/json' }));
      return { baseline: `s3://${output.bucket}/${output.key}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
