import type { Readable } from 'node:stream';
import type { CheckStatus } from '../drift/integrity';

/** The object store a drift check reads and writes (S3 on AWS, GCS on Google Cloud). */
export interface ObjectStore {
  /** Every key under `prefix`, in key order. */
  list(prefix: string): Promise<string[]>;
  /** The object's bytes, decompressed if the object is gzip-encoded; undefined when it does not exist. */
  read(key: string): Promise<Readable | undefined>;
  readText(key: string): Promise<string | undefined>;
  exists(key: string): Promise<boolean>;
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Creates the object only if it does not exist yet; false when it already did. */
  putIfAbsent(key: string, body: string, contentType: string): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** What a `DriftDetected` event carries. */
export interface DriftDetectedDetail {
  readonly model: string;
  readonly environment: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly driftShare: number;
  readonly driftedFeatures: readonly string[];
  readonly reportKey: string;
  /** The window's data-integrity verdict: drift measured on failing data deserves a look before it drives retraining. */
  readonly integrityStatus: CheckStatus;
  /** The integrity checks that failed or lacked data, as `check` or `check:feature`. */
  readonly integrityFailures: readonly string[];
}

/** What a `DataIntegrityFailed` event carries: one per window whose integrity status is "fail". */
export interface DataIntegrityFailedDetail {
  readonly model: string;
  readonly environment: string;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** The integrity checks that failed or lacked data, as `check` or `check:feature`. */
  readonly failed: readonly string[];
  /** The reason of each window-level check that failed, and of the first failed feature check. */
  readonly reasons: readonly string[];
  readonly reportKey: string;
}

/** Where `DriftDetected` goes (EventBridge on AWS, Pub/Sub on Google Cloud). */
export interface DriftEvents {
  publishDriftDetected(detail: DriftDetectedDetail): Promise<void>;
  /**
   * Publishes `DataIntegrityFailed` (AWS: EventBridge). Left out on Google Cloud, whose drift topic's messages each
   * start a retraining build: there the integrity metric and its alert policy report failures.
   * @default - no integrity event
   */
  publishIntegrityFailed?(detail: DataIntegrityFailedDetail): Promise<void>;
}

/** Numbers a check reports (CloudWatch EMF on AWS, Cloud Monitoring on Google Cloud). */
export interface DriftMetricsSink {
  /** `dimensions` come on top of the model's. */
  metric(name: string, value: number, dimensions?: Record<string, string>): void;
  flush(): Promise<void> | void;
}

/** Starts the fan-out (a Step Functions execution on AWS, a Workflows execution on Google Cloud). */
export interface ShardLauncher {
  start(plan: ShardPlan): Promise<string>;
}

/**
 * The input of a fan-out. The shards themselves (`[{ index, keys }]`) are in the object at `planKey`: a window
 * may hold more capture keys than a state-machine input can carry.
 */
export interface ShardPlan {
  readonly windowEnd: string;
  readonly planKey: string;
  readonly shardCount: number;
}

/** One shard of a fan-out: capture objects profiled by one invocation. */
export interface Shard {
  readonly index: number;
  readonly keys: readonly string[];
}
