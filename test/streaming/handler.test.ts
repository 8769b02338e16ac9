import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { KinesisStreamEvent } from 'aws-lambda';
import { readStreamingConfig, STREAMING_ENV } from '../../lambdas/streaming/config';
import { firehoseDeliverer } from '../../lambdas/streaming/aws/firehose';
import { createStreamingHandler, type Deliver } from '../../lambdas/streaming/aws/handler';
import type { Invoke } from '../../lambdas/inference/aws/sagemaker';

const config = readStreamingConfig({
  [STREAMING_ENV.model]: 'churn',
  [STREAMING_ENV.endpointName]: 'ms-dev-churn',
  [STREAMING_ENV.deliveryStreamName]: 'results',
  [STREAMING_ENV.features]: JSON.stringify([{ name: 'tenure', type: 'numeric' }, { name: 'plan', type: 'categorical' }]),
  [STREAMING_ENV.maxInstances]: '10',
});

function event(...bodies: string[]): KinesisStreamEvent {
  return {
    Records: bodies.map((body, i) => ({
      kinesis: { data: Buffer.from(body).toString('base64'), sequenceNumber: String(100 + i), partitionKey: `k${i}` },
    })) as unknown as KinesisStreamEvent['Records'],
  };
}

function handler(invoke: Invoke, deliver: Deliver) {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'streaming' });
  jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
  return createStreamingHandler({ config, invoke, deliver, logger: new Logger({ logLevel: 'SILENT' }), metrics });
}

const valid = JSON.stringify({ instances: [{ tenure: 3, plan: 'gold' }, { tenure: 12, plan: 'basic' }] });

describe('streaming inference handler', () => {
  test('scores valid records with the API\'s validation and writes each result line to Firehose', async () => {
    const sent: string[] = [];
    const delivered: string[] = [];
    const run = handler(
      async (csv) => {
        sent.push(csv);
        return { body: '0.1\n0.9', contentType: 'text/csv' };
      },
      async (lines) => {
        delivered.push(...lines);
        return [];
      },
    );
    const out = await run(event(valid, JSON.stringify({ instances: [{ tenure: 'x', plan: 'gold' }] })));
    expect(out).toEqual({ batchItemFailures: [] });
    expect(sent).toEqual(['3,gold\n12,basic']);
    expect(delivered.map((l) => JSON.parse(l))).toEqual([
      { model: 'churn', sequenceNumber: '100', partitionKey: 'k0', predictions: [0.1, 0.9] },
      // An invalid record is recorded with the same error the API gives, and not retried.
      { model: 'churn', sequenceNumber: '101', partitionKey: 'k1', error: { code: 'SchemaMismatch', message: 'instances[0].tenure: expected number, got string', field: 'instances[0].tenure' } },
    ]);
  });

  test('endpoint and delivery failures become batch item failures, lowest sequence number first', async () => {
    let calls = 0;
    const run = handler(
      async () => {
        calls++;
        if (calls === 2) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return { body: '[1, 0]', contentType: 'application/json' };
      },
      async (lines) => (lines.length > 1 ? [1] : []),
    );
    const out = await run(event(valid, valid, valid));
    // Record 101 failed at the endpoint; of the delivered 100 and 102, the second (102) was refused by Firehose.
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: '101' }, { itemIdentifier: '102' }]);
  });

  test('an unreadable model answer, or a delivery that throws, is retried', async () => {
    const unreadable = handler(async () => ({ body: 'only-one', contentType: 'text/csv' }), async () => []);
    expect((await unreadable(event(valid))).batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
    const broken = handler(async () => ({ body: '1\n0', contentType: 'text/csv' }), async () => {
      throw new Error('firehose down');
    });
    expect((await broken(event(valid, valid))).batchItemFailures).toEqual([{ itemIdentifier: '100' }, { itemIdentifier: '101' }]);
  });

  test('config names a missing variable', () => {
    expect(() => readStreamingConfig({})).toThrow('MODEL_NAME must be set');
    expect(() => readStreamingConfig({ ...process.env, MODEL_NAME: 'a', ENDPOINT_NAME: 'b', DELIVERY_STREAM_NAME: 'c', MODEL_FEATURES: '[]', MAX_INSTANCES: '0' })).toThrow(
      'MAX_INSTANCES=0: expected a positive integer',
    );
  });
});

describe('firehoseDeliverer', () => {
  test('sends at most 500 records per call, newline-terminated, and returns the refused indexes', async () => {
    const calls: { DeliveryStreamName: string; Records: { Data: Uint8Array }[] }[] = [];
    const client = {
      send: async (command: { input: (typeof calls)[number] }) => {
        calls.push(command.input);
        const refuseFirst = calls.length === 2;
        return { FailedPutCount: refuseFirst ? 1 : 0, RequestResponses: command.input.Records.map((_, i) => (refuseFirst && i === 0 ? { ErrorCode: 'ServiceUnavailable' } : { RecordId: 'r' })) };
      },
    };
    const deliver = firehoseDeliverer('results', client as never);
    const failed = await deliver(Array.from({ length: 501 }, (_, i) => `{"i":${i}}`));
    expect(calls.map((c) => c.Records.length)).toEqual([500, 1]);
    expect(calls[0].DeliveryStreamName).toBe('results');
    expect(Buffer.from(calls[0].Records[0].Data).toString()).toBe('{"i":0}\n');
    expect(failed).toEqual([500]);
  });
});
