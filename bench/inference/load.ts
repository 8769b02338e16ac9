// Runs in a child process (its stdout, full of EMF lines, goes nowhere). Four phases at a fixed concurrency for
// a fixed time: the deployed bundle end to end, the bare SDK call, and the handler's own work per request (the
// time before and after its upstream call, so event-loop queueing under load is not counted) with capture at the
// API off, then on (every request sampled, batches written to a loopback S3). Each concurrent worker stands for one
// Lambda execution environment (one request at a time) with its own capture buffer.
// Writes the figures as JSON to argv[3].
import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CaptureWriter } from '../../core/capture';
import { API_CAPTURE_DEFAULTS, readInferenceConfig } from '../../lambdas/inference/config';
import { createInferenceHandler } from '../../lambdas/inference/aws/handler';
import { s3CaptureStore } from '../../lambdas/inference/aws/s3-capture-store';
import { sageMakerInvoker } from '../../lambdas/inference/aws/sagemaker';

const [bundlePath, resultPath] = process.argv.slice(2);
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);

const body = JSON.stringify({
  instances: [
    { tenure_months: 12, monthly_charges: 70.35, total_charges: 844.2, support_calls: 2, contract: 'month-to-month', payment_method: 'card', internet_service: 'fiber' },
    { tenure_months: 40, monthly_charges: 20.1, total_charges: 804, support_calls: 0, contract: 'two-year', payment_method: 'bank', internet_service: 'dsl' },
  ],
});
const event = { pathParameters: { model: 'churn' }, body, isBase64Encoded: false };
const context = { awsRequestId: 'bench', functionName: 'bench' };

async function drive(call: (worker: number) => Promise<number>): Promise<{ latencies: number[]; statuses: Record<string, number> }> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const until = performance.now() + seconds * 1000;
  const worker = async (_: unknown, index: number) => {
    while (performance.now() < until) {
      const started = performance.now();
      const status = await call(index);
      latencies.push(performance.now() - started);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, statuses };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarise(run: { latencies: number[]; statuses: Record<string, number> }) {
  const sorted = Float64Array.from(run.latencies).sort();
  return { requests: sorted.length, p50: percentile([...sorted], 50), p99: percentile([...sorted], 99), statuses: run.statuses };
}

async function main() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundlePath) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode: number }> };
  const viaHandler = await drive(async () => (await handler(event, context)).statusCode);

  const client = new SageMakerRuntimeClient({ maxAttempts: Number(process.env.UPSTREAM_MAX_ATTEMPTS) });
  const csv = '12,70.35,844.2,2,month-to-month,card,fiber\n40,20.1,804,0,two-year,bank,dsl';
  const bare = await drive(async () => {
    try {
      await client.send(new InvokeEndpointCommand({ EndpointName: 'bench', ContentType: 'text/csv', Body: csv }));
      return 200;
    } catch (err) {
      return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
    }
  });
  const overhead = await ownWork(false);
  const withCapture = await ownWork(true);
  writeFileSync(
    resultPath,
    JSON.stringify({ handler: summarise(viaHandler), upstream: summarise(bare), overhead: summarise(overhead), capture: { ...summarise(withCapture), ...withCapture.capture } }),
  );
}

/**
 * Per request: time from handler entry to the upstream call, plus from the upstream answer to the return (with
 * capture on, that includes starting a due batch and the bounded wait for it).
 */
async function ownWork(capture: boolean) {
  type Marks = { callStart?: number; callEnd?: number };
  const store = new AsyncLocalStorage<Marks>();
  const config = readInferenceConfig(process.env);
  const invoke = sageMakerInvoker({ endpointName: config.endpointName!, timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts });
  const s3 = s3CaptureStore({ bucket: 'bench-registry', region: 'eu-west-1', endpoint: process.env.BENCH_S3_ENDPOINT });
  const writers: CaptureWriter[] = [];
  const handlers = Array.from({ length: concurrency }, () => {
    const writer = capture ? new CaptureWriter({ prefix: 'data-capture/churn/bench/AllTraffic/', samplingPercentage: 100, store: s3 }) : undefined;
    if (writer) writers.push(writer);
    return createInferenceHandler({
      config,
      logger: new Logger({ serviceName: 'inference' }),
      metrics: new Metrics({ namespace: 'ModelStack', serviceName: 'inference', defaultDimensions: { Model: 'churn' } }),
      invoke: async (csv) => {
        const marks = store.getStore()!;
        marks.callStart = performance.now();
        try {
          return await invoke(csv);
        } finally {
          marks.callEnd = performance.now();
        }
      },
      capture: writer && { writer, flushWaitMs: API_CAPTURE_DEFAULTS.flushWaitMs },
    });
  });
  const latencies: number[] = [];
  const run = await drive(async (worker) => {
    const marks: Marks = {};
    const started = performance.now();
    const result = await store.run(marks, () => handlers[worker](event as never, context as never));
    const ended = performance.now();
    if (marks.callStart !== undefined) latencies.push(marks.callStart - started + (ended - marks.callEnd!));
    return result.statusCode ?? 200;
  });
  // What the environments would lose if Lambda shut all of them down now: their unflushed buffers.
  const leftInBuffers = writers.reduce((n, w) => n + w.pending, 0);
  await Promise.all(writers.map((w) => w.settle(10_000)));
  const totals = writers.map((w) => w.totals).reduce((a, b) => ({ sampled: a.sampled + b.sampled, written: a.written + b.written, failed: a.failed + b.failed, failedWrites: a.failedWrites + b.failedWrites }), { sampled: 0, written: 0, failed: 0, failedWrites: 0 });
  return { latencies, statuses: run.statuses, capture: { ...totals, leftInBuffers, environments: writers.length, maxRecords: API_CAPTURE_DEFAULTS.maxRecords } };
}

void main();
