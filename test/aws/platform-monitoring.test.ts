import { Duration, NestedStack, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { ContainerImage } from '../../constructs/aws/container-image';
import { ALARM_DEFAULTS, alarmDefaultsWith } from '../../constructs/aws/alarm-thresholds';
import { DriftMonitor } from '../../constructs/aws/drift-monitor';
import { InferenceApi } from '../../constructs/aws/inference-api';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { PlatformMonitoring } from '../../constructs/aws/platform-monitoring';
import { testStack } from '../helpers/aws';

const IMAGE = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';

function resources(stack: Stack) {
  const fn = new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => 1;') });
  const queue = new sqs.Queue(stack, 'Dlq', { enforceSSL: true });
  const machine = new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')) });
  return { fn, queue, machine };
}

/** Every alarm of a template as [logical id, properties]. */
function alarmsOf(template: Template): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => [id, r.Properties as Record<string, unknown>]);
}

describe('PlatformMonitoring: a facade over one segment per monitored resource', () => {
  test('monitor* calls chain, each adds one segment whose id comes from what it monitors, and every alarm notifies the topic', () => {
    const stack = testStack();
    const { fn, queue, machine } = resources(stack);
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Imported', 'ms-dev-churn');
    const monitoring = new PlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev', alarmEmails: ['oncall@example.com'] });
    const returned = monitoring
      .monitorEndpoint(endpoint)
      .monitorFunction(fn, { label: 'churn inference' })
      .monitorFunction(fn, { label: 'churn streaming' })
      .monitorStateMachine(machine, { label: 'churn batch' })
      .monitorDeadLetterQueue(queue, { label: 'churn streaming' });
    expect(returned).toBe(monitoring);
    expect(monitoring.segments.map((s) => s.node.id)).toEqual(['EndpointMsDevChurn', 'FunctionChurnInference', 'FunctionChurnStreaming', 'WorkflowChurnBatch', 'DeadLettersChurnStreaming']);
    // Imported endpoint: errors, latency and no-invocations here; 3 per function; 2 per workflow; 1 per queue.
    expect(monitoring.segments.map((s) => s.alarms.length)).toEqual([3, 3, 3, 2, 1]);
    expect(monitoring.alarms).toHaveLength(12);

    const template = Template.fromStack(stack);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    const alarms = alarmsOf(template);
    expect(alarms).toHaveLength(12);
    for (const [, props] of alarms) {
      expect(props.AlarmActions).toEqual([{ Ref: topic }]);
      expect(props.OKActions).toEqual([{ Ref: topic }]);
    }
    // An imported endpoint's alarms carry the names deployment rollbacks and operators look for.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ms-dev-churn-5xx-errors', MetricName: 'Invocation5XXErrors', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'ms-dev-churn-model-latency-p99', Threshold: 1_000_000, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocations', ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', Period: 3600, EvaluationPeriods: 3 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsTimedOut', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Statistic: 'Maximum', Threshold: 1 });
    // The dashboard shows every segment: one body, with the endpoint's header row.
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of ['### ms-dev-churn', 'churn inference: errors, throttles', 'churn streaming: duration p99 (ms)', 'churn batch: failed, timed out', 'churn streaming: dead letters']) {
      expect(body).toContain(title);
    }
  });

  test('alarm defaults live in ALARM_DEFAULTS; the config thresholds and per-kind overrides replace them', () => {
    const stack = testStack();
    const { fn } = resources(stack);
    new PlatformMonitoring(stack, 'Monitoring', {
      dashboardName: 'ms-dev',
      thresholds: { functionErrorsPer5Min: 9 },
      alarmDefaults: { functionThrottles: { threshold: 4, evaluationPeriods: 5 }, functionDurationP99Ms: { datapointsToAlarm: 3 } },
    }).monitorFunction(fn, { label: 'churn inference' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Threshold: 9, EvaluationPeriods: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 4, EvaluationPeriods: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Threshold: ALARM_DEFAULTS.functionDurationP99Ms.threshold,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ExtendedStatistic: 'p99',
    });
    expect(alarmDefaultsWith({ driftShare: 0.3 }, { driftShare: { evaluationPeriods: 2 } }).driftShare).toEqual({ threshold: 0.3, evaluationPeriods: 2 });
    // An override left undefined keeps the default (props pass optional values straight through).
    expect(alarmDefaultsWith({}, { endpointErrors: { threshold: undefined } }).endpointErrors.threshold).toBe(5);
  });

  test('segments go in the scope given (such as a nested stack per model); two labels that give one id are refused', () => {
    const stack = testStack();
    const { fn } = resources(stack);
    const nested = new NestedStack(stack, 'Model-churn');
    const monitoring = new PlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev' });
    monitoring.monitorFunction(fn, { scope: nested, label: 'churn inference' }).monitorFunction(fn, { label: 'churn inference' });
    expect(alarmsOf(Template.fromStack(nested)).map(([id]) => id)).toEqual([
      expect.stringMatching(/^FunctionChurnInferenceErrors/),
      expect.stringMatching(/^FunctionChurnInferenceThrottles/),
      expect.stringMatching(/^FunctionChurnInferenceDuration/),
    ]);
    expect(() => monitoring.monitorFunction(fn, { scope: nested, label: 'churn-inference' })).toThrow(
      'PlatformMonitoring: Function segments "churn inference" and "churn-inference" in Test/Model-churn would share the id FunctionChurnInference: give one another label',
    );
  });

  test('a ModelEndpoint and a DriftMonitor own their alarms: their segments show them and do not alarm twice', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const monitoring = new PlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev' });
    const endpoint = new ModelEndpoint(stack, 'Churn', {
      registry,
      model: 'churn',
      modelVersion: '1',
      image: ContainerImage.fromImageUri(IMAGE),
      endpointName: 'ms-dev-churn',
      variant: { kind: 'realtime', instanceType: 'ml.m5.large' },
      dataCaptureSamplingPercentage: 10,
      alarms: { action: monitoring.alarmAction },
    });
    const drift = new DriftMonitor(stack, 'Drift', { registry, model: 'churn', modelVersion: '1', endpoint, environment: 'dev', task: 'classification', alarmAction: monitoring.alarmAction });
    monitoring.monitorEndpoint(endpoint, { expectTraffic: false }).monitorDrift('churn', {
      driftShare: drift.metricDriftShare(),
      checkFailures: drift.metricCheckFailures({ period: Duration.hours(1) }),
      integrityFailures: drift.metricIntegrityFailures(),
      ownAlarms: [drift.failureAlarm, drift.qualityAlarm, drift.deadLetterAlarm],
    });
    expect(monitoring.segments.map((s) => s.alarms.length)).toEqual([0, 2]);
    const alarms = alarmsOf(Template.fromStack(stack)).map(([, p]) => p);
    // The endpoint's two, the drift check's three, and the segment's drift share and integrity failures: once each.
    expect(alarms).toHaveLength(7);
    expect(alarms.filter((a) => a.MetricName === 'Invocation5XXErrors')).toHaveLength(1);
    expect(alarms.filter((a) => a.MetricName === 'DriftCheckFailed')).toHaveLength(1);
    for (const a of alarms) expect(a.AlarmActions).toEqual([expect.anything()]);
  });

  test('the API segment alarms on 5xx and latency p99 with the configured thresholds', () => {
    const stack = testStack();
    const api = new InferenceApi(stack, 'Api');
    new PlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev', thresholds: { api5xxPer5Min: 7, apiLatencyP99Ms: 2500 } }).monitorApi(api);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Threshold: 7, EvaluationPeriods: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Latency', Threshold: 2500, ExtendedStatistic: 'p99', AlarmDescription: 'Inference API latency p99 above 2500 ms' });
  });
});
