import { randomUUID } from 'node:crypto';
import { type CapturedExchange, captureHourPrefix, captureObjectKey, captureRecordLine } from './record';

/** Where capture objects go: an S3 or Cloud Storage bucket behind one `put`. */
export interface CaptureStore {
  /** Writes one JSON Lines object; rejects when it could not. */
  put(key: string, body: string): Promise<void>;
}

/** Options of a {@link CaptureWriter}. */
export interface CaptureWriterOptions {
  /** The endpoint's capture folder, such as `data-capture/churn/modelstack-dev-churn/AllTraffic/`. */
  readonly prefix: string;
  /** Share of requests captured, 0 to 100 (as SageMaker's `InitialSamplingPercentage`). */
  readonly samplingPercentage: number;
  readonly store: CaptureStore;
  /**
   * A batch is due once it holds this many records.
   * @default 100
   */
  readonly maxRecords?: number;
  /**
   * A batch is due once its records take this many bytes.
   * @default 1048576 (1 MiB)
   */
  readonly maxBytes?: number;
  /**
   * A batch is due once its oldest record is this old.
   * @default 30000
   */
  readonly maxAgeMs?: number;
  /**
   * Uniform random numbers in [0, 1) for sampling (tests inject their own).
   * @default Math.random
   */
  readonly random?: () => number;
  /**
   * The clock, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Makes the unique part of object keys and event ids.
   * @default crypto.randomUUID
   */
  readonly newId?: () => string;
  /**
   * Called when a batch could not be written (its records are dropped: capture never fails a prediction).
   * @default - nothing
   */
  readonly onError?: (err: unknown, records: number) => void;
}

/** What a writer did since the last {@link CaptureWriter.takeStats}. */
export interface CaptureStats {
  /** Records accepted into the buffer. */
  readonly sampled: number;
  /** Records written to the store. */
  readonly written: number;
  /** Records dropped because their batch's write failed. */
  readonly failed: number;
  /** Batch writes that failed. */
  readonly failedWrites: number;
}

interface Buffered {
  readonly time: Date;
  readonly line: string;
}

/**
 * Buffers sampled request/response records in SageMaker's data-capture format and writes them in batches, one
 * JSON Lines object per hour folder. It is built for a function instance that serves one request at a time and may be
 * frozen between requests (AWS Lambda, Cloud Run functions): nothing runs on a timer. The caller starts a due flush
 * at the beginning of a request ({@link flushIfDue}), so the write overlaps the model call, and may wait for it,
 * bounded, at the end ({@link settle}). A flush never rejects: a failed write is reported to `onError` and counted.
 *
 * @example
 * ```ts
 * import { CaptureWriter } from 'modelstack/core';
 *
 * const writer = new CaptureWriter({
 *   prefix: 'data-capture/churn/modelstack-dev-churn/AllTraffic/',
 *   samplingPercentage: 20,
 *   store: { put: async (key, body) => console.log(key, body.length) },
 * });
 * writer.flushIfDue();
 * if (writer.sample()) writer.add({ input: '1,2,a', inputType: 'text/csv', output: '{"predictions":[0.3]}', inferenceId: 'abc' });
 * await writer.settle(50);
 * ```
 */
export class CaptureWriter {
  private buffer: Buffered[] = [];
  private bytes = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private stats = { sampled: 0, written: 0, failed: 0, failedWrites: 0 };
  private lifetime = { sampled: 0, written: 0, failed: 0, failedWrites: 0 };
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly options: CaptureWriterOptions) {
    const { samplingPercentage } = options;
    if (!(samplingPercentage >= 0 && samplingPercentage <= 100)) throw new Error(`CaptureWriter samplingPercentage ${samplingPercentage}: expected 0 to 100`);
    this.maxRecords = options.maxRecords ?? 100;
    this.maxBytes = options.maxBytes ?? 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? randomUUID;
  }

  /** Whether this request is captured: true for `samplingPercentage` % of calls. */
  sample(): boolean {
    return this.random() * 100 < this.options.samplingPercentage;
  }

  /** Buffers one exchange, timed now; it is written with the next flush. */
  add(exchange: CapturedExchange): void {
    const time = new Date(this.now());
    const line = captureRecordLine(exchange, time, this.newId());
    this.buffer.push({ time, line });
    this.bytes += Buffer.byteLength(line);
    this.count('sampled', 1);
  }

  /** Records waiting for a flush. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Whether the buffer is full (records or bytes) or its oldest record is older than `maxAgeMs`. */
  isDue(): boolean {
    if (this.buffer.length === 0) return false;
    return this.buffer.length >= this.maxRecords || this.bytes >= this.maxBytes || this.now() - this.buffer[0].time.getTime() >= this.maxAgeMs;
  }

  /** Starts a flush when one is due; returns it (it never rejects), or undefined. */
  flushIfDue(): Promise<void> | undefined {
    return this.isDue() ? this.flush() : undefined;
  }

  /** Writes every buffered record now: one object per hour folder. The promise never rejects. */
  flush(): Promise<void> {
    if (this.buffer.length === 0) return Promise.resolve();
    const batch = this.buffer;
    this.buffer = [];
    this.bytes = 0;
    const byHour = new Map<string, Buffered[]>();
    for (const record of batch) {
      const hour = captureHourPrefix(this.options.prefix, record.time);
      const group = byHour.get(hour);
      if (group) group.push(record);
      else byHour.set(hour, [record]);
    }
    const writes = [...byHour.values()].map((records) => this.write(records));
    const done = Promise.all(writes).then(() => undefined);
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
  }

  /** Waits for the flushes in flight, at most `timeoutMs`; true when none is left. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([Promise.all([...this.inFlight]).then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The counts since the last call, then resets them (for per-invocation metrics). */
  takeStats(): CaptureStats {
    const stats = this.stats;
    this.stats = { sampled: 0, written: 0, failed: 0, failedWrites: 0 };
    return stats;
  }

  /** The counts since this writer was made (the execution environment's lifetime). */
  get totals(): CaptureStats {
    return { ...this.lifetime };
  }

  private count(what: keyof CaptureStats, n: number): void {
    this.stats[what] += n;
    this.lifetime[what] += n;
  }

  private async write(records: readonly Buffered[]): Promise<void> {
    const key = captureObjectKey(this.options.prefix, records[0].time, this.newId());
    try {
      await this.options.store.put(key, records.map((r) => r.line).join(''));
      this.count('written', records.length);
    } catch (err) {
      this.count('failed', records.length);
      this.count('failedWrites', 1);
      try {
        this.options.onError?.(err, records.length);
      } catch {
        // A failing error reporter must not turn a lost batch into a failed prediction either.
      }
    }
  }
}
