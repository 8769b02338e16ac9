import { parseConfig } from '../../infra/config/load';
import { SERVERLESS_MAX_PAYLOAD_BYTES } from '../../infra/config/schema';
import { demo, problemsOf } from '../helpers/config';

describe('inference limits follow what SageMaker serves', () => {
  test('a body larger than a serverless endpoint accepts (4 MB) is refused when a model is served serverless anywhere', () => {
    expect(SERVERLESS_MAX_PAYLOAD_BYTES).toBe(4_000_000);
    const bad = demo();
    bad.inference = { maxBodyBytes: 5 * 1024 * 1024 };
    expect(problemsOf(bad)).toEqual([
      'inference.maxBodyBytes: expected at most 4000000 bytes: serverless endpoints accept at most 4 MB per request (served serverless: churn in dev, sales-forecast)',
    ]);
  });

  test('only real-time models: up to the API limit of 6 MiB', () => {
    const realtime = demo();
    delete realtime.environments.dev.aws.servingOverride;
    realtime.models[1].serving = { kind: 'realtime', instanceType: 'ml.m5.large' };
    realtime.inference = { maxBodyBytes: 5 * 1024 * 1024 };
    expect(parseConfig(realtime).inference.maxBodyBytes).toBe(5 * 1024 * 1024);
  });

  test('the default upstream timeout lets two attempts fit the HTTP API 30 s integration limit, so a serverless cold start can still answer', () => {
    const { inference } = parseConfig(demo());
    expect(inference.upstreamTimeoutMs).toBe(14_000);
    expect(2 * inference.upstreamTimeoutMs).toBeLessThan(30_000);
  });
});
