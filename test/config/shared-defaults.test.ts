// Every setting both clouds share has one definition: the config schema, the AWS constructs and the Google Cloud
// constructs, given no override, all produce the cloud-free module's value. A second definition that drifts fails here.
import 'cdktf/lib/testing/adapters/jest';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { ALARM_THRESHOLD_DEFAULTS } from '../../constructs/aws/alarm-thresholds';
import { DriftMonitor } from '../../constructs/aws/drift-monitor';
import { PlatformMonitoring as AwsPlatformMonitoring } from '../../constructs/aws/platform-monitoring';
import { ALERT_THRESHOLD_DEFAULTS } from '../../constructs/gcp/alert-thresholds';
import { PlatformMonitoring as GcpPlatformMonitoring } from '../../constructs/gcp/platform-monitoring';
import { SHARED_THRESHOLD_DEFAULTS } from '../../constructs/private/shared-thresholds';
import { ModelEndpoint as AwsModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry as AwsModelRegistry } from '../../constructs/aws/model-registry';
import { DriftFunction } from '../../constructs/gcp/drift-function';
import { EncryptedTopic } from '../../constructs/gcp/encrypted-topic';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { ModelEndpoint as GcpModelEndpoint } from '../../constructs/gcp/model-endpoint';
import { ModelRegistry as GcpModelRegistry } from '../../constructs/gcp/model-registry';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ECR_DIGEST_URI, ECR_IMAGE_URI, ecrRegistry, parseEcrImage } from '../../constructs/private/image-uri';
import { parseConfig } from '../../infra/config/load';
import { DRIFT_DEFAULTS } from '../../core/drift/defaults';
import { DEFAULT_DRIFT_SHARE } from '../../core/drift/evaluate';
import { testStack } from '../helpers/aws';
import { demo, problemsOf } from '../helpers/config';
import { all, synth } from '../gcp/helpers';

/** The drift function's environment as both clouds set it from DRIFT_DEFAULTS. */
const DRIFT_ENV_DEFAULTS = {
  WINDOW_HOURS: String(DRIFT_DEFAULTS.windowHours),
  MAX_OBJECTS_PER_INVOCATION: String(DRIFT_DEFAULTS.maxObjectsPerInvocation),
  DRIFT_SHARE_THRESHOLD: String(DRIFT_DEFAULTS.driftShareThreshold),
  QUALITY_DEGRADATION_THRESHOLD: String(DRIFT_DEFAULTS.qualityDegradationThreshold),
};

describe('drift defaults: one definition (core/drift/defaults.ts)', () => {
  test('the config schema fills a model without drift settings with DRIFT_DEFAULTS', () => {
    const raw = demo();
    for (const model of raw.models) delete model.drift;
    const config = parseConfig(raw, 'test');
    for (const model of config.models) expect(model.drift).toEqual(DRIFT_DEFAULTS);
  });

  test("the drift engine's default dataset share is the same value", () => {
    expect(DEFAULT_DRIFT_SHARE).toBe(DRIFT_DEFAULTS.driftShareThreshold);
  });

  test('AWS DriftMonitor without settings: its function, schedule and quality alarm use DRIFT_DEFAULTS', () => {
    const stack = testStack();
    const registry = new AwsModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const endpoint = AwsModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn');
    new DriftMonitor(stack, 'Drift', { registry, model: 'churn', modelVersion: '1', endpoint, environment: 'dev', task: 'classification' });
    const template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.MODEL_NAME === 'churn');
    expect(fn?.Properties.Environment.Variables).toMatchObject(DRIFT_ENV_DEFAULTS);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { Description: `Drift check of churn every ${DRIFT_DEFAULTS.windowHours} h` });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'QualityDegradation', Threshold: DRIFT_DEFAULTS.qualityDegradationThreshold });
  });

  test('Google Cloud DriftFunction without settings: its function uses DRIFT_DEFAULTS', () => {
    const project = 'ms-project';
    const region = 'europe-west1';
    const s = synth((scope: Construct) => {
      const registry = new GcpModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
      const platform = new FunctionPlatform(scope, 'Functions', { registry, namePrefix: 'ms-dev', project, region });
      const driftTopic = new EncryptedTopic(scope, 'Topic', { name: 'ms-dev-DriftDetected', project, registry });
      const endpoint = new GcpModelEndpoint(scope, 'Endpoint', { registry, namePrefix: 'ms-dev', model: 'churn', project, region, samplingPercentage: 20 });
      new DriftFunction(scope, 'Drift', { platform, endpoint, driftTopic, environment: 'dev', modelVersion: '1', task: 'classification' });
    });
    const fn = all(s, 'google_cloudfunctions2_function').find((f) => f.name === 'ms-dev-fn-drift-churn');
    expect(fn.service_config.environment_variables).toMatchObject(DRIFT_ENV_DEFAULTS);
    expect(all(s, 'google_cloud_scheduler_job')[0].schedule).toBe('15 0 * * *');
  });
});

describe('alarm defaults both clouds share: one definition (constructs/private/shared-thresholds.ts)', () => {
  test('the drift-share alarm fires by default from the share the drift check calls drifted, on both clouds', () => {
    expect(SHARED_THRESHOLD_DEFAULTS.driftShare).toBe(DRIFT_DEFAULTS.driftShareThreshold);
    expect(ALARM_THRESHOLD_DEFAULTS.driftShare).toBe(SHARED_THRESHOLD_DEFAULTS.driftShare);
    expect(ALERT_THRESHOLD_DEFAULTS.driftShare).toBe(SHARED_THRESHOLD_DEFAULTS.driftShare);
    expect(ALARM_THRESHOLD_DEFAULTS.endpointLatencyP99Ms).toBe(SHARED_THRESHOLD_DEFAULTS.endpointLatencyP99Ms);
    expect(ALERT_THRESHOLD_DEFAULTS.endpointLatencyP99Ms).toBe(SHARED_THRESHOLD_DEFAULTS.endpointLatencyP99Ms);
  });

  test("the config schema's defaults are the modules' on both clouds", () => {
    const raw = demo();
    for (const env of Object.values<any>(raw.environments)) {
      if (env.aws) delete env.aws.alarms;
      if (env.gcp) delete env.gcp.alertThresholds;
    }
    const config = parseConfig(raw, 'test');
    const envs = Object.values(config.environments);
    expect(envs.some((e) => e.aws) && envs.some((e) => e.gcp)).toBe(true);
    for (const env of envs) {
      if (env.aws) expect(env.aws.alarms).toEqual(ALARM_THRESHOLD_DEFAULTS);
      if (env.gcp) expect(env.gcp.alertThresholds).toEqual(ALERT_THRESHOLD_DEFAULTS);
    }
  });

  test('AWS PlatformMonitoring without thresholds: its drift-share alarm uses the shared default', () => {
    const stack = testStack();
    const metric = (metricName: string) => new cloudwatch.Metric({ namespace: 'ModelStack', metricName });
    new AwsPlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev' }).monitorDrift('churn', {
      driftShare: metric('DriftShare'),
      checkFailures: metric('DriftCheckFailed'),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftShare',
      Threshold: SHARED_THRESHOLD_DEFAULTS.driftShare,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('Google Cloud PlatformMonitoring without thresholds: its latency and drift-share alerts use the shared defaults', () => {
    const project = 'ms-project';
    const s = synth((scope: Construct) => {
      const registry = new GcpModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region: 'europe-west1' });
      const endpoint = new GcpModelEndpoint(scope, 'Endpoint', { registry, namePrefix: 'ms-dev', model: 'churn', project, region: 'europe-west1' });
      new GcpPlatformMonitoring(scope, 'Monitoring', { namePrefix: 'ms-dev', environment: 'dev', project, endpoints: [endpoint] });
    });
    const policies = all(s, 'google_monitoring_alert_policy');
    const threshold = (name: RegExp) => policies.find((p) => name.test(p.display_name)).conditions[0].condition_threshold.threshold_value;
    expect(threshold(/model drift above/)).toBe(SHARED_THRESHOLD_DEFAULTS.driftShare);
    expect(threshold(/p99 latency above/)).toBe(SHARED_THRESHOLD_DEFAULTS.endpointLatencyP99Ms);
    expect(threshold(/error rate above/)).toBe(ALERT_THRESHOLD_DEFAULTS.errorRatePercent / 100);
  });
});

describe('renamed settings fail with what to write instead', () => {
  test('gcp.alertThresholds.latencyP99Ms is now endpointLatencyP99Ms, the name aws.alarms uses', () => {
    const raw = demo();
    raw.environments.prod.gcp.alertThresholds = { latencyP99Ms: 800 };
    expect(problemsOf(raw)).toEqual([
      'environments.prod.gcp.alertThresholds.latencyP99Ms: renamed: write endpointLatencyP99Ms instead (environments.prod.gcp.alertThresholds.endpointLatencyP99Ms, the name aws.alarms uses)',
    ]);
  });
});

describe('alarm recipients: one environment-level alarmEmails for both clouds', () => {
  test('the old alarmEmail and aws.alarmEmails fail, each saying what to write instead', () => {
    const raw = demo();
    delete raw.environments.prod.alarmEmails;
    raw.environments.prod.alarmEmail = 'oncall@example.com';
    raw.environments.staging.aws.alarmEmails = ['more@example.com'];
    expect(problemsOf(raw)).toEqual([
      'environments.staging.aws.alarmEmails: moved: write these addresses in environments.staging.alarmEmails instead (one list for both clouds)',
      'environments.prod.alarmEmail: renamed: write alarmEmails: [<address>] instead (environments.prod.alarmEmails, a list used by both clouds)',
    ]);
  });

  test('an address listed twice is named', () => {
    const raw = demo();
    raw.environments.prod.alarmEmails = ['a@example.com', 'b@example.com', 'a@example.com'];
    expect(problemsOf(raw)).toEqual(['environments.prod.alarmEmails[2]: duplicate address "a@example.com"']);
  });
});

describe('the ECR image pattern: one definition (constructs/private/image-uri.ts)', () => {
  const root = join(__dirname, '..', '..');
  const sources = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|cjs|mjs|js)$/.test(e.name) ? [join(dir, e.name)] : []));

  test('no other source file spells the ECR host as a pattern or builds it', () => {
    const found = ['constructs', 'infra', 'cli', 'core', 'lambdas', 'scripts']
      .flatMap(sources)
      .filter((file) => /dkr\\\.ecr|\.dkr\.ecr\.\$\{/.test(readFileSync(join(root, file), 'utf8')))
      .map((file) => relative(root, join(root, file)).split('\\').join('/'));
    expect(found).toEqual(['constructs/private/image-uri.ts']);
  });

  test('the host ecrRegistry builds is the one the patterns accept, China regions included', () => {
    const digest = `@sha256:${'a'.repeat(64)}`;
    for (const region of ['eu-west-1', 'cn-north-1']) {
      const host = ecrRegistry('111111111111', region);
      expect(parseEcrImage(`${host}/team/model-server:1`)).toEqual({ account: '111111111111', region, repository: 'team/model-server' });
      expect(ECR_IMAGE_URI.test(`${host}/repo${digest}`)).toBe(true);
      expect(ECR_DIGEST_URI.test(`${host}/repo${digest}`)).toBe(true);
      expect(ECR_DIGEST_URI.test(`${host}/repo:1`)).toBe(false);
    }
    expect(parseEcrImage('europe-docker.pkg.dev/p/r/img:1')).toBeUndefined();
  });
});
