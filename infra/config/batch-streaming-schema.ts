import { z } from 'zod';
import { SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT } from '../../constructs/private/validation';

/**
 * A model's batch and streaming inference settings, one definition for both clouds (`models[].batch`,
 * `models[].streaming`): what is the same everywhere is at the top, what only one cloud's service takes is under
 * `aws` or `gcp`.
 */

/** Cross-field rules run even when other fields already failed, so one error lists every problem. */
const ALWAYS = { when: () => true } as const;

const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/;

/** A BigQuery table as Vertex AI batch prediction names it (`bq://project.dataset.table`). */
const BIGQUERY_TABLE = /^bq:\/\/[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w{1,1024}\.[\w$-]{1,1024}$/;
/** A BigQuery project or dataset: Vertex AI writes a new dataset into a project, or new tables into a dataset. */
const BIGQUERY_DESTINATION = /^bq:\/\/[a-z][a-z0-9-]{4,28}[a-z0-9](\.\w{1,1024})?$/;

/** Where a Vertex AI batch prediction reads: the model's input folder in the artifacts bucket, or a BigQuery table. */
const gcpBatchInputSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('gcs') }),
  z.strictObject({
    kind: z.literal('bigquery'),
    /** The table whose rows are scored, `bq://<project>.<dataset>.<table>`, with the model's feature columns. */
    table: z.string().regex(BIGQUERY_TABLE, 'expected bq://<project>.<dataset>.<table>'),
  }),
]);

/** Where a Vertex AI batch prediction writes: the artifacts bucket, or BigQuery. */
const gcpBatchOutputSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('gcs') }),
  z.strictObject({
    kind: z.literal('bigquery'),
    /** `bq://<project>` (Vertex AI creates a dataset per job) or `bq://<project>.<dataset>` (a table per job in it). */
    destination: z.string().regex(BIGQUERY_DESTINATION, 'expected bq://<project> or bq://<project>.<dataset>'),
  }),
]);

const GCP_BATCH_DEFAULTS = { machineType: 'n1-standard-2', startingReplicaCount: 1, maxReplicaCount: 1, input: { kind: 'gcs' as const }, output: { kind: 'gcs' as const } };

/** Vertex AI batch prediction settings of a model. */
const gcpBatchSchema = z
  .strictObject({
    /** Compute Engine machine type of the batch prediction's replicas. */
    machineType: z.string().regex(/^[a-z][a-z0-9]*-[a-z0-9-]+$/, 'expected a Compute Engine machine type such as n1-standard-2').default(GCP_BATCH_DEFAULTS.machineType),
    /** Replicas the job starts with. */
    startingReplicaCount: z.number().int().min(1).max(1000).default(GCP_BATCH_DEFAULTS.startingReplicaCount),
    /** Most replicas the job scales to. */
    maxReplicaCount: z.number().int().min(1).max(1000).default(GCP_BATCH_DEFAULTS.maxReplicaCount),
    /** Input: `{ kind: gcs }` (`batch/<model>/input/` in the artifacts bucket) or `{ kind: bigquery, table }`. */
    input: gcpBatchInputSchema.default(GCP_BATCH_DEFAULTS.input),
    /** Output: `{ kind: gcs }` (`batch/<model>/output/` in the reports bucket) or `{ kind: bigquery, destination }`. */
    output: gcpBatchOutputSchema.default(GCP_BATCH_DEFAULTS.output),
  })
  .refine((g) => !(g?.startingReplicaCount > g?.maxReplicaCount), { path: ['startingReplicaCount'], message: 'expected at most maxReplicaCount', ...ALWAYS })
  .default(GCP_BATCH_DEFAULTS);

/** A model's scheduled batch inference, on every cloud its environments deploy to. */
export const batchSchema = z.strictObject({
  /** EventBridge schedule expression, such as `cron(0 2 * * ? *)` or `rate(1 day)`; converted for Cloud Scheduler. */
  schedule: z.string().regex(SCHEDULE, 'expected an EventBridge schedule such as cron(0 2 * * ? *) or rate(1 day)'),
  /** Content type of the input objects; CSV is split by line. */
  contentType: z.enum(['text/csv', 'application/jsonlines']).default('text/csv'),
  /** A job running longer is stopped and counts as failed. */
  maxRuntimeHours: z.number().int().min(1).max(48).default(4),
  /**
   * The SageMaker batch transform; required when an environment deploys to AWS.
   * @default - no batch transform on AWS
   */
  aws: z
    .strictObject({
      instanceType: z.string().regex(SAGEMAKER_INSTANCE_TYPE, SAGEMAKER_INSTANCE_TYPE_HINT),
      instanceCount: z.number().int().min(1).max(100).default(1),
    })
    .optional(),
  /** The Vertex AI batch prediction job. */
  gcp: gcpBatchSchema,
});

/** Shared by both clouds' streaming paths; one place for each default. */
export const STREAMING_DEFAULTS = { batchSize: 100, maxBatchingWindowSeconds: 5, retryAttempts: 3, retentionHours: 24, ordered: false } as const;

/** A model's streaming inference: a Kinesis stream on AWS, a Pub/Sub topic on Google Cloud. */
export const streamingSchema = z.strictObject({
  /** Records per function invocation (Kinesis; Pub/Sub push delivers one message per request). */
  batchSize: z.number().int().min(1).max(10_000).default(STREAMING_DEFAULTS.batchSize),
  /** How long the Kinesis event source gathers records before invoking (no Pub/Sub push counterpart). */
  maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(STREAMING_DEFAULTS.maxBatchingWindowSeconds),
  /**
   * Retries of a record whose scoring or delivery failed before it goes to the dead-letter queue (AWS) or topic
   * (Google Cloud: `maxDeliveryAttempts` = retries + 1, at least 5 as Pub/Sub requires).
   */
  retryAttempts: z.number().int().min(0).max(10).default(STREAMING_DEFAULTS.retryAttempts),
  /** How long unprocessed records are kept (Kinesis retention; Pub/Sub topic and subscription, at most 7 days there). */
  retentionHours: z.number().int().min(24).max(8760).default(STREAMING_DEFAULTS.retentionHours),
  /**
   * Messages with the same ordering key are delivered in publish order (Pub/Sub message ordering). Kinesis always
   * keeps a shard's order, so AWS ignores it.
   * @default false
   */
  ordered: z.boolean().default(STREAMING_DEFAULTS.ordered),
  /**
   * Kinesis settings.
   * @default - on-demand capacity
   */
  aws: z
    .strictObject({
      /**
       * Provisioned shards.
       * @default - on-demand capacity
       */
      shardCount: z.number().int().min(1).max(500).optional(),
    })
    .optional(),
});

/** Validated batch inference settings of one model. */
export type BatchConfig = z.output<typeof batchSchema>;
/** Validated streaming inference settings of one model. */
export type StreamingConfig = z.output<typeof streamingSchema>;
