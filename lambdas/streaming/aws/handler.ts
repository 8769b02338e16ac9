import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { compileRequestParser, parsePredictions, rowsToCsv } from '../../../core/inference';
import { type Invoke, upstreamError } from '../../inference/aws/sagemaker';
import type { StreamingConfig } from '../config';

/** Writes result lines (one JSON document each) to the delivery stream; resolves to the indexes that failed. */
export type Deliver = (lines: readonly string[]) => Promise<number[]>;

export interface StreamingDeps {
  readonly config: StreamingConfig;
  readonly invoke: Invoke;
  readonly deliver: Deliver;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** One result line written to S3 through Firehose. */
export interface StreamingResult {
  readonly model: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly predictions?: unknown[];
  /** Why the record was not scored; such records are not retried (the same record would fail the same way). */
  readonly error?: { readonly code: string; readonly message: string; readonly field?: string };
}

/**
 * Scores a Kinesis batch: each record's data is a request body as the API takes it (`{ "instances": [...] }`),
 * validated by the same parser. Valid records are sent to the endpoint one by one; results and validation errors
 * are written to Firehose. Records whose endpoint call or delivery failed are reported as batch item failures, so
 * the event source retries (and bisects) only from the first of them.
 */
export function createStreamingHandler(deps: StreamingDeps): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  const { config, logger, metrics } = deps;
  const parse = compileRequestParser(config.features, config);

  return async (event) => {
    const failures: string[] = [];
    const results: { sequenceNumber: string; line: string }[] = [];
    let invalid = 0;
    for (const record of event.Records) {
      const { sequenceNumber, partitionKey } = record.kinesis;
      const base = { model: config.model, sequenceNumber, partitionKey };
      const parsed = parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
      if (!parsed.ok) {
        invalid++;
        const { code, message, field } = parsed.error;
        results.push({ sequenceNumber, line: JSON.stringify({ ...base, error: { code, message, field } } satisfies StreamingResult) });
        continue;
      }
      try {
        const upstream = await deps.invoke(rowsToCsv(parsed.rows));
        const predictions = parsePredictions(upstream.body, upstream.contentType, parsed.rows.length);
        if (!predictions || predictions.length !== parsed.rows.length) throw Object.assign(new Error('unreadable model response'), { name: 'ModelError' });
        results.push({ sequenceNumber, line: JSON.stringify({ ...base, predictions } satisfies StreamingResult) });
      } catch (err) {
        const error = upstreamError(err);
        logger.warn('scoring failed; the record will be retried', { sequenceNumber, code: error.code });
        failures.push(sequenceNumber);
      }
    }

    if (results.length > 0) {
      let undelivered: number[];
      try {
        undelivered = await deps.deliver(results.map((r) => r.line));
      } catch (err) {
        logger.error('delivery failed', err as Error);
        undelivered = results.map((_, i) => i);
      }
      for (const i of undelivered) failures.push(results[i].sequenceNumber);
    }

    metrics.addMetric('StreamRecords', MetricUnit.Count, event.Records.length);
    metrics.addMetric('StreamInvalidRecords', MetricUnit.Count, invalid);
    metrics.addMetric('StreamFailedRecords', MetricUnit.Count, failures.length);
    metrics.publishStoredMetrics();
    // Lambda resumes from the lowest failed sequence number; order them so that is the first reported.
    const ordered = [...new Set(failures)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
    return { batchItemFailures: ordered.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
