import { modelsForEnvironment } from '../../infra/aws/serving-variant';
import { parseConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';

/** The problems of the demo after `mutate`. */
function problemsAfter(mutate: (config: any) => void): string[] {
  const config = demo();
  mutate(config);
  return problemsOf(config);
}

describe('AWS config settings', () => {
  test('all new fields are optional: a config without them gets the defaults', () => {
    const config = demo();
    delete config.aws;
    for (const env of Object.values(config.environments) as any[]) env.aws = { account: env.aws.account, region: env.aws.region };
    for (const model of config.models) {
      delete model.aws;
      // A built image needs aws.delivery (the pipeline builds it): without the aws section, a prebuilt one.
      model.image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    }
    // (Dev's Cloud Run serving on Google Cloud runs the model server, which a prebuilt framework image is not.)
    delete config.environments.dev.gcp.servingOverride;
    const parsed = parseConfig(config);
    expect(parsed.aws).toEqual({ featureStore: { entities: [] } });
    expect(parsed.environments.dev.aws).toEqual({ account: '111111111111', region: 'eu-west-1', shareRegistryWith: [], alarms: expect.objectContaining({ endpointLatencyP99Ms: 1000, driftShare: 0.5 }), mlflow: { size: 'Small' } });
    expect(parsed.models[0].aws).toEqual({ promotion: { strategy: 'all-at-once', trafficPercent: 10, waitMinutes: 10, timeoutMinutes: 120 }, modelCard: { riskRating: 'unknown' } });
  });

  test('async serving is a serving kind with defaults', () => {
    const config = demo();
    config.models[1].serving = { kind: 'async', instanceType: 'ml.m5.xlarge' };
    expect(parseConfig(config).models[1].serving).toEqual({ kind: 'async', instanceType: 'ml.m5.xlarge', maxInstances: 2, maxConcurrentInvocationsPerInstance: 4, targetBacklogPerInstance: 5 });
  });

  test('every bad value is reported at once, by path', () => {
    const problems = problemsAfter((c) => {
      c.aws.delivery.connectionArn = 'arn:aws:s3:::nope';
      c.aws.tags.dataClassification = 'secret';
      c.aws.featureStore.entities[0].eventTime = 'missing';
      c.environments.dev.aws.servingOverride.memorySizeMb = 1000;
      c.models[0].batch.schedule = 'every day';
      c.models[0].batch.aws.instanceType = 'm5.large';
      c.models[0].aws.promotion.trafficPercent = 80;
    });
    expect(problems.join('\n')).toEqual(
      expect.stringContaining('aws.delivery.connectionArn: expected a CodeConnections connection ARN'),
    );
    for (const expected of [
      'aws.tags.dataClassification',
      'aws.featureStore.entities[0].eventTime: expected one of the features (customer_id, event_time, tenure_months, monthly_charges, support_calls)',
      'environments.dev.aws.servingOverride.memorySizeMb: expected 1024, 2048, 3072, 4096, 5120, 6144',
      'models[0].batch.schedule: expected an EventBridge schedule such as cron(0 2 * * ? *) or rate(1 day)',
      'models[0].batch.aws.instanceType',
      'models[0].aws.promotion.trafficPercent',
    ]) {
      expect(problems.some((p) => p.startsWith(expected))).toBe(true);
    }
  });

  test('promotion settings follow SageMaker\'s blue/green rules for the model\'s serving shape', () => {
    const problems = problemsAfter((c) => {
      c.models[0].serving.autoscaling.minInstances = 1; // a canary needs at least 2 instances
      c.models[0].aws.promotion = { strategy: 'canary', trafficPercent: 10, waitMinutes: 60, timeoutMinutes: 100 };
      c.models[1].aws.promotion = { strategy: 'linear', trafficPercent: 5 }; // serverless, and a step below 10 %
    });
    expect(problems).toEqual([
      'models[0].aws.promotion.strategy: canary traffic shifting needs at least 2 instances (the variant starts with 1): expected "all-at-once" or more instances',
      'models[0].aws.promotion.timeoutMinutes: 100: must exceed the 120 minutes the canary deployment bakes',
      'models[1].aws.promotion.strategy: linear traffic shifting needs an instance-backed endpoint (serverless endpoints update all at once): expected "all-at-once"',
      'models[1].aws.promotion.trafficPercent: 5: a linear step must be 10-50 % of the variant\'s instances',
      // 20 steps of the default 10 minutes
      'models[1].aws.promotion.timeoutMinutes: 120: must exceed the 200 minutes the linear deployment bakes',
    ]);
    expect(problemsAfter((c) => (c.models[0].aws.promotion.timeoutMinutes = 600))).toEqual(['models[0].aws.promotion.timeoutMinutes: 600: expected 10 to 480 minutes']);
  });

  test('streamingOverride takes only "off", which drops every model\'s streaming in that environment', () => {
    expect(problemsAfter((c) => (c.environments.dev.aws.streamingOverride = 'on'))).toEqual(['environments.dev.aws.streamingOverride: expected "off"']);
    const parsed = parseConfig(demo());
    expect(parsed.environments.dev.aws?.streamingOverride).toBe('off');
    expect(parsed.environments.prod.aws?.streamingOverride).toBeUndefined();
    expect(modelsForEnvironment(parsed.models, parsed.environments.dev).map((m) => m.streaming)).toEqual([undefined, undefined]);
    expect(modelsForEnvironment(parsed.models, parsed.environments.prod)[0].streaming).toEqual(parsed.models[0].streaming);
  });

  test('batch and streaming moved out of models[].aws: the old places say where to', () => {
    const problems = problemsAfter((c) => {
      c.models[1].aws.batch = { schedule: 'rate(1 day)', instanceType: 'ml.m5.large' };
      c.models[1].aws.streaming = { batchSize: 10, shardCount: 1 };
    });
    expect(problems).toEqual([
      'models[1].aws.batch: moved to models[1].batch (both clouds): keep schedule, contentType and maxRuntimeHours there and put instanceType and instanceCount under models[1].batch.aws',
      'models[1].aws.streaming: moved to models[1].streaming (both clouds): put shardCount under models[1].streaming.aws',
    ]);
  });

  test('batch and streaming are shared by both clouds; batch.aws is required once an environment deploys to AWS', () => {
    const parsed = parseConfig(demo());
    expect(parsed.models[0].batch).toEqual({
      schedule: 'cron(0 2 * * ? *)',
      contentType: 'text/csv',
      maxRuntimeHours: 4,
      aws: { instanceType: 'ml.m5.xlarge', instanceCount: 1 },
      gcp: { machineType: 'n1-standard-2', startingReplicaCount: 1, maxReplicaCount: 2, input: { kind: 'gcs' }, output: { kind: 'gcs' } },
    });
    expect(parsed.models[0].streaming).toEqual({ batchSize: 100, maxBatchingWindowSeconds: 5, retryAttempts: 3, retentionHours: 24, ordered: false });
    expect(problemsAfter((c) => delete c.models[0].batch.aws)).toEqual([
      'models[0].batch.aws: missing: expected { instanceType, instanceCount? } for the SageMaker batch transform (deployed to AWS: dev, staging, prod)',
    ]);
    expect(
      problemsAfter((c) => {
        c.models[0].batch.gcp = { startingReplicaCount: 3, maxReplicaCount: 2, input: { kind: 'bigquery', table: 'acme.t' }, output: { kind: 'bigquery', destination: 'bq://acme-ml-dev.preds' } };
      }),
    ).toEqual(['models[0].batch.gcp.input.table: expected bq://<project>.<dataset>.<table>', 'models[0].batch.gcp.startingReplicaCount: expected at most maxReplicaCount']);
  });
});

