import { readInferenceConfig } from '../../lambdas/inference/config';

describe('inference function configuration', () => {
  test('reads the model, schema and limits, with defaults', () => {
    const config = readInferenceConfig({
      MODEL_NAME: 'churn',
      ENDPOINT_NAME: 'ms-dev-churn',
      MODEL_FEATURES: '[{"name":"tenure","type":"numeric"}]',
      KNOWN_MODELS: 'churn,sales',
      MAX_INSTANCES: '7',
    });
    expect(config).toEqual({
      model: 'churn',
      endpointName: 'ms-dev-churn',
      features: [{ name: 'tenure', type: 'numeric' }],
      knownModels: ['churn', 'sales'],
      maxBodyBytes: 1048576,
      maxInstances: 7,
      upstreamTimeoutMs: 10000,
      upstreamMaxAttempts: 2,
    });
  });

  test('the catch-all for unknown models needs no model', () => {
    expect(readInferenceConfig({ KNOWN_MODELS: 'churn' })).toMatchObject({ model: undefined, endpointName: undefined, features: [] });
  });

  test('bad settings fail at cold start, naming the variable', () => {
    expect(() => readInferenceConfig({ MODEL_NAME: 'churn' })).toThrow('ENDPOINT_NAME must be set when MODEL_NAME is');
    expect(() => readInferenceConfig({ MAX_BODY_BYTES: '1.5' })).toThrow('MAX_BODY_BYTES=1.5: expected a positive integer');
    expect(() => readInferenceConfig({ UPSTREAM_TIMEOUT_MS: '0' })).toThrow('UPSTREAM_TIMEOUT_MS=0: expected a positive integer');
  });
});
