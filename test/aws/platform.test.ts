import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildAwsPlatform } from '../../infra/aws/app';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { testApp } from '../helpers/aws';

const config = parseConfig(demoConfig);
/** The whole demo, built and synthesized once for the tests that only read it (none adds to it). */
let demo: ReturnType<typeof buildAwsPlatform> | undefined;
const demoPlatform = () => (demo ??= buildAwsPlatform(testApp(), config));

describe('AWS platform app', () => {
  test('three stacks per environment, named after it, in its account and region', () => {
    const { app, environments } = demoPlatform();
    const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
    expect(stacks.map((s) => s.stackName).sort()).toEqual([
      'modelstack-dev-operations',
      'modelstack-dev-registry',
      'modelstack-dev-serving',
      'modelstack-prod-operations',
      'modelstack-prod-registry',
      'modelstack-prod-serving',
      'modelstack-staging-operations',
      'modelstack-staging-registry',
      'modelstack-staging-serving',
    ]);
    expect(environments.prod.registry.account).toBe('333333333333');
    expect(environments.prod.serving.region).toBe('eu-west-1');
    const assembly = app.synth();
    expect(assembly.getStackByName('modelstack-prod-serving').dependencies.map((d) => d.id)).toContain('modelstack-prod-registry');
  });

  test('prod retains data and is termination protected; dev is disposable', () => {
    const { environments } = demoPlatform();
    expect(environments.prod.registry.terminationProtection).toBe(true);
    expect(environments.dev.registry.terminationProtection).toBe(false);
    Template.fromStack(environments.prod.registry).allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    Template.fromStack(environments.dev.registry).allResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    Template.fromStack(environments.prod.registry).hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'modelstack-prod-models-333333333333-eu-west-1',
      LifecycleConfiguration: { Rules: [Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 365 } })] },
    });
  });

  test('serving follows the config: real-time churn with capture, serverless sales-forecast', () => {
    const { environments } = demoPlatform();
    // Staging: dev serves everything serverless (aws.servingOverride), see test/aws/operations.test.ts.
    const { serving } = environments.staging;
    Template.fromStack(serving).resourceCountIs('AWS::CloudFormation::Stack', 2);
    const churn = Template.fromStack(serving.models.churn);
    churn.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'modelstack-staging-churn' });
    churn.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: Match.objectLike({ InitialSamplingPercentage: 20 }),
    });
    churn.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /models/churn/predict' });
    Template.fromStack(serving.models['sales-forecast']).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 10 } })],
    });
  });

  test('every serving mode is monitored: a serverless model (and all of dev, served serverless) captures at the inference API', () => {
    const { environments } = buildAwsPlatform(testApp(), config, ['staging', 'dev']);
    const sales = environments.staging.serving.models['sales-forecast'];
    expect(sales.driftMonitor).toBeDefined();
    const template = Template.fromStack(sales);
    // SageMaker serverless endpoints cannot capture: the endpoint config has none, the function writes the records.
    const endpointConfig = Object.values(template.findResources('AWS::SageMaker::EndpointConfig'))[0];
    expect(endpointConfig.Properties.DataCaptureConfig).toBeUndefined();
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
    expect(fns.find((v) => v.MODEL_NAME === 'sales-forecast')).toMatchObject({
      CAPTURE_BUCKET: 'modelstack-staging-models-222222222222-eu-west-1',
      CAPTURE_PREFIX: 'data-capture/sales-forecast/modelstack-staging-sales-forecast/AllTraffic/',
      CAPTURE_SAMPLING_PERCENTAGE: '20',
    });
    // The drift check reads that folder (lambdas/drift/config.ts: data-capture/<model>/<endpoint>/<variant>/).
    const drift = fns.find((v) => 'REGISTRY_BUCKET' in v);
    expect(`data-capture/${drift.MODEL_NAME}/${drift.ENDPOINT_NAME}/${drift.VARIANT_NAME}/`).toBe('data-capture/sales-forecast/modelstack-staging-sales-forecast/AllTraffic/');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'CaptureFailures', AlarmActions: Match.anyValue() });
    // The real-time churn endpoint captures itself: its function does not.
    const churnFns = Object.values(Template.fromStack(environments.staging.serving.models.churn).findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
    expect(churnFns.some((v) => 'CAPTURE_BUCKET' in v)).toBe(false);

    for (const model of ['churn', 'sales-forecast']) {
      const dev = environments.dev.serving.models[model];
      expect(dev.driftMonitor).toBeDefined();
      const devFns = Object.values(Template.fromStack(dev).findResources('AWS::Lambda::Function')).map((f) => f.Properties.Environment.Variables);
      expect(devFns.find((v) => v.MODEL_NAME === model)).toMatchObject({ CAPTURE_PREFIX: `data-capture/${model}/modelstack-dev-${model}/AllTraffic/`, CAPTURE_SAMPLING_PERCENTAGE: '20' });
    }
  });

  test('an async model gets its endpoint but no API route (SageMaker refuses InvokeEndpoint on async endpoints)', () => {
    const input = structuredClone(demoConfig) as any;
    input.models[1].serving = { kind: 'async', instanceType: 'ml.m5.large' };
    const { environments } = buildAwsPlatform(testApp(), parseConfig(input), ['staging']);
    const { serving } = environments.staging;
    expect(serving.models['sales-forecast'].inferenceFunction).toBeUndefined();
    expect(Object.keys(serving.inferenceApi.functions)).toEqual(['churn']);
    Template.fromStack(serving.models['sales-forecast']).resourceCountIs('AWS::ApiGatewayV2::Route', 0);
    Template.fromStack(serving.models['sales-forecast']).resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  test('every resource is tagged with the platform and environment', () => {
    const { environments } = demoPlatform();
    const buckets = Template.fromStack(environments.staging.registry).findResources('AWS::S3::Bucket');
    for (const bucket of Object.values(buckets)) {
      expect(bucket.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'modelstack:environment', Value: 'staging' },
          { Key: 'modelstack:platform', Value: 'modelstack' },
        ]),
      );
    }
  });

  test('-c env=<name> selects environments; an unknown one is an error naming the known ones', () => {
    const { environments } = buildAwsPlatform(testApp(), config, ['dev']);
    expect(Object.keys(environments)).toEqual(['dev']);
    expect(() => buildAwsPlatform(testApp(), config, ['qa'])).toThrow('qa: not an environment of the config: expected one of dev, staging, prod');
  });

  test('cdk-nag AwsSolutions passes on the demo with every acknowledgement justified', () => {
    const { app } = demoPlatform();
    expect(() => app.synth()).not.toThrow();
    const reasons: string[] = [];
    for (const construct of app.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY) reasons.push(...Object.values(entry.data as Record<string, string>));
      }
    }
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
  });

  test('cdk-nag fails synth on an unacknowledged finding', () => {
    const { app, environments } = buildAwsPlatform(testApp(), config, ['dev']);
    new s3.Bucket(environments.dev.registry, 'Careless'); // no TLS enforcement, no access logs
    expect(() => app.synth()).toThrow(/AwsSolutions-S1'[\s\S]*AwsSolutions-S10'/);
  });
});
