import { FakeSageMakerRuntime, sdkTestEnv } from '../helpers/sagemaker-runtime-server';
import { buildHandler, captureConsole, CONTEXT, event } from './harness';

const server = new FakeSageMakerRuntime();
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, sdkTestEnv(await server.start()));
});
afterAll(async () => {
  await server.stop();
  process.env = saved;
});
beforeEach(() => {
  server.invocations.length = 0;
  server.behave = () => ({ kind: 'ok' });
});

const instances = [
  { tenure: 3, charges: 70.5, contract: 'monthly' },
  { tenure: 24, charges: 20, contract: 'two-year' },
];
const body = JSON.stringify({ instances });
const parse = (result: { body?: string }) => JSON.parse(result.body ?? '');

describe('inference handler against a loopback SageMaker runtime', () => {
  test('a valid request is sent as CSV to the model endpoint and answered with its predictions', async () => {
    const handler = buildHandler();
    const { result, emf } = await captureConsole(() => handler(event(body), CONTEXT));
    expect(result.statusCode).toBe(200);
    const answer = parse(result);
    expect(answer).toEqual({ model: 'churn', predictions: [73.5, 44], inferenceId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The generated id travels as InvokeEndpoint's InferenceId, so the captured record carries it for ground truth.
    expect(server.invocations).toEqual([{ endpoint: 'ms-dev-churn', contentType: 'text/csv', body: '3,70.5,monthly\n24,20,two-year', inferenceId: answer.inferenceId }]);
    const metrics = emf.flatMap((doc) => doc._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name));
    expect(metrics).toEqual(expect.arrayContaining(['Latency', 'InstancesPerRequest']));
    expect(emf[0]).toMatchObject({ Model: 'churn', InstancesPerRequest: 2, _aws: { CloudWatchMetrics: [{ Namespace: 'ModelStack' }] } });
  });

  test('base64 bodies and JSON model responses work too', async () => {
    server.behave = () => ({ kind: 'ok', contentType: 'application/json', body: () => '{"predictions":[0.2,0.8]}' });
    const handler = buildHandler();
    const { result } = await captureConsole(() => handler(event(Buffer.from(body).toString('base64'), 'churn', true), CONTEXT));
    expect(parse(result)).toEqual({ model: 'churn', predictions: [0.2, 0.8], inferenceId: expect.any(String) });
  });

  test("the caller's inferenceId is sent to SageMaker and echoed; an invalid one is a 422 naming the field", async () => {
    const handler = buildHandler();
    const { result } = await captureConsole(() => handler(event(JSON.stringify({ instances, inferenceId: 'order-42' })), CONTEXT));
    expect(parse(result).inferenceId).toBe('order-42');
    expect(server.invocations[0].inferenceId).toBe('order-42');
    for (const bad of ['', ' leading-space', 'x'.repeat(65), 42, 'tab\tinside']) {
      const { result: rejected } = await captureConsole(() => handler(event(JSON.stringify({ instances, inferenceId: bad })), CONTEXT));
      expect(rejected.statusCode).toBe(422);
      expect(parse(rejected).error).toMatchObject({ code: 'SchemaMismatch', field: 'inferenceId' });
    }
    expect(server.invocations).toHaveLength(1);
  });

  test.each([
    [{ kind: 'throttle' } as const, 429, 'Throttled'],
    [{ kind: 'modelError', originalStatus: 500 } as const, 502, 'ModelError'],
    [{ kind: 'notReady' } as const, 503, 'ModelNotReady'],
    [{ kind: 'hang' } as const, 504, 'UpstreamTimeout'],
  ])('upstream %j → %i %s, with a JSON reason, an error metric by code and a log line with the request id', async (behaviour, status, code) => {
    server.behave = () => behaviour;
    const handler = buildHandler();
    const { result, emf, logs } = await captureConsole(() => handler(event(body), CONTEXT));
    expect(result.statusCode).toBe(status);
    const error = parse(result).error;
    expect(error.code).toBe(code);
    expect(error.message).not.toMatch(/at .*\.(js|ts):\d+/); // no stack traces
    const errorMetric = emf.find((doc) => doc.ErrorCode === code);
    expect(errorMetric).toMatchObject({ StatusCode: String(status), [status >= 500 ? 'Errors5xx' : 'Errors4xx']: 1 });
    expect(logs).toContainEqual(expect.objectContaining({ message: 'upstream call failed', code, function_request_id: 'req-123' }));
  });

  test('throttles are retried within the configured attempts', async () => {
    const first = server.count;
    server.behave = (n) => (n === first ? { kind: 'throttle' } : { kind: 'ok' });
    const handler = buildHandler({ upstreamMaxAttempts: 2 });
    const { result } = await captureConsole(() => handler(event(body), CONTEXT));
    expect(result.statusCode).toBe(200);
    expect(server.invocations).toHaveLength(2);
  });

  test('a model answer that does not match the instances is a 502, not a crash', async () => {
    server.behave = () => ({ kind: 'ok', body: () => '0.5' });
    const handler = buildHandler();
    const { result } = await captureConsole(() => handler(event(body), CONTEXT));
    expect(result.statusCode).toBe(502);
    expect(parse(result).error).toEqual({ code: 'ModelError', message: 'the model returned 1 predictions for 2 instances' });
  });

  test('a request for another model is a 404 naming the known models, and never reaches SageMaker', async () => {
    const handler = buildHandler();
    const { result } = await captureConsole(() => handler(event(body, 'fraud'), CONTEXT));
    expect(result.statusCode).toBe(404);
    expect(parse(result).error).toEqual({ code: 'UnknownModel', field: 'model', message: 'unknown model "fraud": expected one of churn, sales-forecast' });
    const catchAll = buildHandler({ model: undefined, endpointName: undefined, features: [] });
    const other = await captureConsole(() => catchAll(event(body, 'churn'), CONTEXT));
    expect(other.result.statusCode).toBe(404);
    expect(server.invocations).toHaveLength(0);
  });

  test('a schema mismatch is a 422 naming the field, and never reaches SageMaker', async () => {
    const handler = buildHandler();
    const bad = JSON.stringify({ instances: [instances[0], { ...instances[1], tenure: 'long' }] });
    const { result, emf } = await captureConsole(() => handler(event(bad), CONTEXT));
    expect(result.statusCode).toBe(422);
    expect(parse(result).error).toEqual({ code: 'SchemaMismatch', field: 'instances[1].tenure', message: 'instances[1].tenure: expected number, got string' });
    expect(emf.find((doc) => doc.ErrorCode === 'SchemaMismatch')).toMatchObject({ Errors4xx: 1, StatusCode: '422' });
    expect(server.invocations).toHaveLength(0);
  });

  test('an unexpected failure is a 500 with a generic message', async () => {
    const handler = buildHandler({}, async () => {
      throw new TypeError('secret internals at handler.ts:12');
    });
    const { result } = await captureConsole(() => handler(event(body), CONTEXT));
    expect(result.statusCode).toBe(500);
    expect(parse(result).error).toEqual({ code: 'InternalError', message: 'internal error' });
  });
});
