import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { emfMetrics, eventBridgeEvents, stepFunctionsLauncher } from '../../lambdas/drift/aws/aws-ports';
import { readDriftConfig } from '../../lambdas/drift/config';
import { s3Store } from '../../lambdas/drift/aws/s3-store';
import { FaultyProxy } from '../helpers/faulty-proxy';
import { startS3 } from '../helpers/s3rver';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' };

/** A loopback server for the AWS JSON protocol (X-Amz-Target): replies from `answer`, records requests. */
async function jsonProtocolServer(answer: (target: string, body: any) => { status: number; body: object; type?: string }) {
  const seen: { target: string; body: any }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
      seen.push({ target, body });
      const reply = answer(target, body);
      res.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1', ...(reply.type ? { 'x-amzn-errortype': reply.type } : {}) });
      res.end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('AWS adapters of the drift check', () => {
  test('EventBridge: DriftDetected and DataIntegrityFailed go to the bus; a rejected entry is an error', async () => {
    let fail = false;
    const server = await jsonProtocolServer(() =>
      fail ? { status: 200, body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDenied', ErrorMessage: 'no' }] } } : { status: 200, body: { FailedEntryCount: 0, Entries: [{ EventId: '1' }] } },
    );
    const events = eventBridgeEvents(new EventBridgeClient({ endpoint: server.url, region: 'eu-west-1', credentials }), 'platform-bus');
    const detail = { model: 'churn', environment: 'dev', windowStart: 'a', windowEnd: 'b', driftShare: 0.6, driftedFeatures: ['x'], reportKey: 'k', integrityStatus: 'ok' as const, integrityFailures: [] };
    await events.publishDriftDetected(detail);
    expect(server.seen[0]).toEqual({
      target: 'AWSEvents.PutEvents',
      body: { Entries: [{ EventBusName: 'platform-bus', Source: 'modelstack.drift', DetailType: 'DriftDetected', Detail: JSON.stringify(detail) }] },
    });
    const integrity = { model: 'churn', environment: 'dev', windowStart: 'a', windowEnd: 'b', failed: ['missingColumns'], reasons: ['missingColumns: not in any row (renamed or dropped?): x'], reportKey: 'k' };
    await events.publishIntegrityFailed!(integrity);
    expect(server.seen[1].body.Entries[0]).toEqual({ EventBusName: 'platform-bus', Source: 'modelstack.drift', DetailType: 'DataIntegrityFailed', Detail: JSON.stringify(integrity) });
    fail = true;
    await expect(events.publishDriftDetected(detail)).rejects.toThrow('EventBridge rejected DriftDetected: AccessDenied no');
    await expect(events.publishIntegrityFailed!(integrity)).rejects.toThrow('EventBridge rejected DataIntegrityFailed: AccessDenied no');
    await server.stop();
  });

  test('Step Functions: one execution per window, a repeated start is a no-op', async () => {
    const names = new Set<string>();
    const server = await jsonProtocolServer((_target, body) => {
      if (names.has(body.name)) return { status: 400, type: 'ExecutionAlreadyExists', body: { __type: 'ExecutionAlreadyExists', message: 'exists' } };
      names.add(body.name);
      return { status: 200, body: { executionArn: `arn:aws:states:eu-west-1:1:execution:m:${body.name}`, startDate: 0 } };
    });
    const launcher = stepFunctionsLauncher(new SFNClient({ endpoint: server.url, region: 'eu-west-1', credentials, maxAttempts: 1 }), 'arn:aws:states:eu-west-1:1:stateMachine:m', 'churn');
    const plan = { windowEnd: '2026-11-23T15:00:00.000Z', planKey: 'reports/churn/x/shards/plan.json', shardCount: 3 };
    expect(await launcher.start(plan)).toBe('arn:aws:states:eu-west-1:1:execution:m:churn-20261123T150000000Z');
    expect(await launcher.start(plan)).toBe('churn-20261123T150000000Z');
    expect(server.seen[0].body).toEqual({ stateMachineArn: 'arn:aws:states:eu-west-1:1:stateMachine:m', name: 'churn-20261123T150000000Z', input: JSON.stringify(plan) });
    await server.stop();
  });

  test('metrics become EMF documents; per-feature metrics carry their Feature dimension', () => {
    process.env.POWERTOOLS_DEV = 'true';
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const lines: string[] = [];
    const spy = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      const sink = emfMetrics(new Metrics({ namespace: 'ModelStack', serviceName: 'drift', defaultDimensions: { Model: 'churn' } }));
      sink.metric('Rows', 1000);
      sink.metric('FeatureScore', 0.3, { Feature: 'tenure' });
      sink.flush();
    } finally {
      spy.mockRestore();
    }
    const docs = lines.map((l) => JSON.parse(l));
    expect(docs).toContainEqual(expect.objectContaining({ Feature: 'tenure', FeatureScore: 0.3, Model: 'churn' }));
    expect(docs).toContainEqual(expect.objectContaining({ Rows: 1000, Model: 'churn' }));
  });

  test('configuration is read from the environment, with clear errors', () => {
    const env = {
      REGISTRY_BUCKET: 'b',
      EVENT_BUS_NAME: 'default',
      MODEL_NAME: 'churn',
      MODEL_VERSION: '3',
      ENVIRONMENT_NAME: 'dev',
      ENDPOINT_NAME: 'ms-dev-churn',
      VARIANT_NAME: 'AllTraffic',
      WINDOW_HOURS: '24',
      MAX_OBJECTS_PER_INVOCATION: '50',
      DRIFT_SHARE_THRESHOLD: '0.5',
      MODEL_TASK: 'regression',
      QUALITY_DEGRADATION_THRESHOLD: '0.1',
    };
    expect(readDriftConfig(env)).toEqual({
      bucket: 'b',
      eventBus: 'default',
      stateMachineArn: undefined,
      spec: {
        model: 'churn',
        modelVersion: '3',
        environment: 'dev',
        capturePrefix: 'data-capture/churn/ms-dev-churn/AllTraffic/',
        windowHours: 24,
        maxObjectsPerInvocation: 50,
        driftShareThreshold: 0.5,
        task: 'regression',
        qualityDegradationThreshold: 0.1,
      },
    });
    expect(() => readDriftConfig({ ...env, MODEL_TASK: 'ranking' })).toThrow('MODEL_TASK=ranking: expected classification or regression');
    expect(() => readDriftConfig({ ...env, MODEL_NAME: '' })).toThrow('MODEL_NAME must be set');
    expect(() => readDriftConfig({ ...env, WINDOW_HOURS: 'x' })).toThrow('WINDOW_HOURS=x: expected a positive number');
    expect(readDriftConfig({ ...env, INTEGRITY_THRESHOLDS: '{"minRows":500,"missingRateIncrease":0.1}' }).spec.integrity).toEqual({ minRows: 500, missingRateIncrease: 0.1 });
    expect(() => readDriftConfig({ ...env, INTEGRITY_THRESHOLDS: '{"minRows":0}' })).toThrow('INTEGRITY_THRESHOLDS={"minRows":0}: integrity thresholds: minRows 0: expected a positive integer');
  });
});

describe('S3 faults (s3rver behind a fault-injecting loopback proxy)', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let proxy: FaultyProxy;
  let url: string;
  beforeAll(async () => {
    s3 = await startS3('faults');
    proxy = new FaultyProxy(s3.endpoint);
    url = await proxy.start();
    await s3Store(s3.client(), 'faults').put('a.txt', 'hello', 'text/plain');
  });
  afterAll(async () => {
    await proxy.stop();
    await s3.stop();
  });
  const store = () => s3Store(s3.client({ endpoint: url, maxAttempts: 4, requestHandler: { requestTimeout: 300, throwOnRequestTimeout: true } }), 'faults');

  test('503 SlowDown and a timeout are retried', async () => {
    proxy.requests = 0;
    proxy.plan = (n) => (n === 0 ? 'slowdown' : n === 1 ? 'hang' : 'pass');
    expect(await store().readText('a.txt')).toBe('hello');
    expect(proxy.requests).toBe(3);
  });

  test('retries are bounded: persistent SlowDown fails after 4 attempts', async () => {
    proxy.requests = 0;
    proxy.plan = () => 'slowdown';
    await expect(store().readText('a.txt')).rejects.toMatchObject({ name: 'SlowDown' });
    expect(proxy.requests).toBe(4);
  });

  test('a missing object reads as undefined and putIfAbsent does not overwrite', async () => {
    proxy.plan = () => 'pass';
    const s = store();
    expect(await s.readText('nope.txt')).toBeUndefined();
    expect(await s.putIfAbsent('a.txt', 'other', 'text/plain')).toBe(false);
    expect(await s.putIfAbsent('b.txt', 'new', 'text/plain')).toBe(true);
    expect(await s.readText('a.txt')).toBe('hello');
    await s.delete('b.txt');
    expect(await s.exists('b.txt')).toBe(false);
  });
});
