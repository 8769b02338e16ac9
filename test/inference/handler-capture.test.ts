import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { CaptureWriter } from '../../core/capture';
import { readInferenceConfig } from '../../lambdas/inference/config';
import { createHash } from 'node:crypto';
import { s3CaptureStore, signS3Put } from '../../lambdas/inference/aws/s3-capture-store';
import { FaultyProxy } from '../helpers/faulty-proxy';
import { startS3 } from '../helpers/s3rver';
import { FakeSageMakerRuntime, sdkTestEnv } from '../helpers/sagemaker-runtime-server';
import { buildHandler, captureConsole, CONTEXT, event } from './harness';

const PREFIX = 'data-capture/churn/ms-dev-churn/AllTraffic/';
const S3RVER = () => ({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });
const server = new FakeSageMakerRuntime();
const saved = { ...process.env };
let s3: Awaited<ReturnType<typeof startS3>>;

beforeAll(async () => {
  Object.assign(process.env, sdkTestEnv(await server.start()));
  s3 = await startS3('registry');
});
afterAll(async () => {
  await server.stop();
  await s3.stop();
  process.env = saved;
});

const body = (id: string) => JSON.stringify({ instances: [{ tenure: 3, charges: 70.5, contract: 'monthly' }], inferenceId: id });

async function objects(prefix: string): Promise<Record<string, string>> {
  const client = s3.client();
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'registry', Prefix: prefix }));
  const out: Record<string, string> = {};
  for (const { Key } of listed.Contents ?? []) {
    out[Key!] = await (await client.send(new GetObjectCommand({ Bucket: 'registry', Key: Key! }))).Body!.transformToString();
  }
  return out;
}

function captured(extra: Partial<ConstructorParameters<typeof CaptureWriter>[0]> = {}, store = s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: s3.endpoint, credentials: S3RVER })) {
  return new CaptureWriter({ prefix: PREFIX, samplingPercentage: 100, store, maxRecords: 2, ...extra });
}

describe('inference handler with capture at the API (s3rver)', () => {
  test('sampled predictions are written in batches, with the inference ids the API returned; errors are not captured', async () => {
    const prefix = `${PREFIX}batches/`;
    const writer = captured({ prefix });
    const handler = buildHandler({}, undefined, { writer, flushWaitMs: 2000 });
    const answers: string[] = [];
    const { emf } = await captureConsole(async () => {
      // A rejected request and a failed endpoint call are not captured.
      expect((await handler(event('{"instances": 1}'), CONTEXT)).statusCode).toBe(422);
      server.behave = () => ({ kind: 'modelError' });
      expect((await handler(event(body('a-err')), CONTEXT)).statusCode).toBe(502);
      server.behave = () => ({ kind: 'ok' });
      for (const id of ['a-1', 'a-2']) answers.push(JSON.parse((await handler(event(body(id)), CONTEXT)).body!).inferenceId);
      expect(Object.keys(await objects(prefix))).toEqual([]); // buffered: two records, not written yet
      // The next request starts the due batch (overlapping its endpoint call) and waits for it before answering.
      await handler(event(body('a-3')), CONTEXT);
    });
    expect(answers).toEqual(['a-1', 'a-2']);
    const written = await objects(prefix);
    expect(Object.keys(written)).toHaveLength(1);
    const [key] = Object.keys(written);
    expect(key).toMatch(/^data-capture\/churn\/ms-dev-churn\/AllTraffic\/batches\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/\d{2}-\d{2}-[0-9a-f-]{36}\.jsonl$/);
    const records = written[key].trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => r.eventMetadata.inferenceId)).toEqual(['a-1', 'a-2']);
    expect(records[0].captureData.endpointInput).toEqual({ observedContentType: 'text/csv', mode: 'INPUT', data: '3,70.5,monthly', encoding: 'CSV' });
    expect(records[0].captureData.endpointOutput).toMatchObject({ mode: 'OUTPUT', data: '73.5', encoding: 'CSV' });
    expect(writer.pending).toBe(1); // a-3 waits for the next batch

    const counts = (name: string) => emf.filter((doc) => name in doc).map((doc) => doc[name]);
    expect(counts('CaptureSampled')).toEqual([0, 0, 1, 1, 1]);
    expect(counts('CaptureWritten')).toEqual([0, 0, 0, 0, 2]);
    expect(counts('CaptureFailures')).toEqual([0, 0, 0, 0, 0]);
  });

  test('sampling follows the injected random source', async () => {
    const prefix = `${PREFIX}sampled/`;
    const values = [0.05, 0.5, 0.1, 0.9];
    const writer = captured({ prefix, samplingPercentage: 20, random: () => values.shift()!, maxRecords: 10 });
    const handler = buildHandler({}, undefined, { writer, flushWaitMs: 2000 });
    await captureConsole(async () => {
      for (const id of ['s-1', 's-2', 's-3', 's-4']) await handler(event(body(id)), CONTEXT);
    });
    await writer.flush();
    const records = Object.values(await objects(prefix)).flatMap((text) => text.trimEnd().split('\n').map((l) => JSON.parse(l)));
    expect(records.map((r) => r.eventMetadata.inferenceId)).toEqual(['s-1', 's-3']);
  });

  test('an S3 that refuses or hangs neither fails nor delays a prediction beyond the wait bound, and is counted', async () => {
    const proxy = new FaultyProxy(s3.endpoint);
    proxy.plan = (n) => (n === 0 ? 'slowdown' : 'hang');
    const url = await proxy.start();
    try {
      const errors: string[] = [];
      const onError = (err: unknown) => void errors.push((err as Error).name);
      const writer = captured({ prefix: `${PREFIX}faults/`, maxRecords: 1, onError }, s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: url, credentials: S3RVER, maxAttempts: 1, timeoutMs: 5000 }));
      const handler = buildHandler({}, undefined, { writer, flushWaitMs: 100 });
      const { emf } = await captureConsole(async () => {
        await handler(event(body('f-1')), CONTEXT); // buffered
        expect((await handler(event(body('f-2')), CONTEXT)).statusCode).toBe(200); // flushes f-1: 503 SlowDown
        const started = performance.now();
        const answer = await handler(event(body('f-3')), CONTEXT); // flushes f-2 into a hanging S3
        const took = performance.now() - started;
        expect(answer.statusCode).toBe(200);
        expect(JSON.parse(answer.body!).predictions).toEqual([73.5]);
        expect(took).toBeLessThan(100 + 400); // the wait bound, plus the endpoint call on a shared machine
      });
      expect(emf.map((doc) => doc.CaptureFailures)).toEqual([0, 1, 0]);
      expect(emf.map((doc) => doc.CaptureDropped)).toEqual([0, 1, 0]);
      expect(errors).toEqual(['SlowDown']);
      // The hanging write is still in flight (it would resume with the next request); its timeout drops it.
      expect(await writer.settle(10_000)).toBe(true);
      expect(errors).toEqual(['SlowDown', 'TimeoutError']);
    } finally {
      await proxy.stop();
    }
  });

  test('the store signs its PutObject, retries S3 throttling, and names what S3 answered', async () => {
    const good = s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: s3.endpoint, credentials: S3RVER });
    await good.put(`${PREFIX}signed/2026/11/24/13/a (1)*.jsonl`, '{"x":1}\n');
    expect(Object.values(await objects(`${PREFIX}signed/`))).toEqual(['{"x":1}\n']);
    const unknownKey = s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: s3.endpoint, credentials: () => ({ accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }) });
    await expect(unknownKey.put(`${PREFIX}signed/forged.jsonl`, 'x')).rejects.toMatchObject({ name: 'InvalidAccessKeyId', retryable: false });
    await expect(s3CaptureStore({ bucket: 'missing', region: 'eu-west-1', endpoint: s3.endpoint, credentials: S3RVER }).put('k', 'x')).rejects.toMatchObject({ name: 'NoSuchBucket' });

    const proxy = new FaultyProxy(s3.endpoint);
    proxy.plan = (n) => (n < 2 ? 'slowdown' : 'pass');
    const url = await proxy.start();
    try {
      await s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: url, credentials: S3RVER }).put(`${PREFIX}signed/retried.jsonl`, 'y');
      expect(proxy.requests).toBe(3);
    } finally {
      await proxy.stop();
    }
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    try {
      await expect(s3CaptureStore({ bucket: 'registry', region: 'eu-west-1', endpoint: s3.endpoint }).put('k', 'x')).rejects.toThrow('Unable to find environment variable credentials');
    } finally {
      process.env = saved;
    }
  });

  test('PutObject is signed for S3 (s3rver does not check SigV4): virtual-hosted URL, key escaped once, payload hash, session token', async () => {
    const date = new Date('2026-11-24T13:05:07.123Z');
    const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token=' };
    const key = `${PREFIX}2026/11/24/13/05-07-a b+c(1).jsonl`;
    const body = '{"x":1}\n';
    const signed = await signS3Put({ bucket: 'ms-dev-models', region: 'eu-west-1' }, creds, key, body, date);
    expect(signed.url.host).toBe('ms-dev-models.s3.eu-west-1.amazonaws.com');
    expect(signed.path).toBe('/data-capture/churn/ms-dev-churn/AllTraffic/2026/11/24/13/05-07-a%20b%2Bc%281%29.jsonl');
    expect(signed.headers).toMatchObject({
      'x-amz-date': '20261124T130507Z',
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      'x-amz-security-token': 'session/token=',
      'content-type': 'application/jsonlines',
    });
    expect(signed.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261124\/eu-west-1\/s3\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    // A known-answer vector for these inputs: a change to the canonical request (key escaping, headers) changes it.
    expect(signed.headers.authorization.split('Signature=')[1]).toBe('74b92e317a4c71467c761022549e9b129d539c4711bd441d9b1f5e94658144bc');
    const china = await signS3Put({ bucket: 'ms-dev-models', region: 'cn-north-1' }, creds, 'k.jsonl', body, date);
    expect(china.url.host).toBe('ms-dev-models.s3.cn-north-1.amazonaws.com.cn');
    // A custom endpoint (tests, S3-compatible stores) is addressed path-style.
    const pathStyle = await signS3Put({ bucket: 'ms-dev-models', region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000' }, creds, 'k.jsonl', body, date);
    expect([pathStyle.url.host, pathStyle.path]).toEqual(['127.0.0.1:9000', '/ms-dev-models/k.jsonl']);
  });

  test('the function reads its capture settings from the environment the construct sets', () => {
    const env = { MODEL_NAME: 'churn', ENDPOINT_NAME: 'e', CAPTURE_BUCKET: 'registry', CAPTURE_PREFIX: PREFIX, CAPTURE_SAMPLING_PERCENTAGE: '20' };
    expect(readInferenceConfig(env).capture).toEqual({ bucket: 'registry', prefix: PREFIX, samplingPercentage: 20, maxRecords: 100, maxAgeMs: 30_000, flushWaitMs: 50 });
    expect(readInferenceConfig({ MODEL_NAME: 'churn', ENDPOINT_NAME: 'e' }).capture).toBeUndefined();
    expect(() => readInferenceConfig({ ...env, CAPTURE_PREFIX: 'models/churn/' })).toThrow('CAPTURE_PREFIX="models/churn/": expected data-capture/<model>/<endpoint>/<variant>/');
    expect(() => readInferenceConfig({ ...env, CAPTURE_SAMPLING_PERCENTAGE: '' })).toThrow('CAPTURE_SAMPLING_PERCENTAGE=: expected an integer from 1 to 100');
    expect(() => readInferenceConfig({ ...env, CAPTURE_SAMPLING_PERCENTAGE: '101' })).toThrow('CAPTURE_SAMPLING_PERCENTAGE=101: expected an integer from 1 to 100');
  });
});
