import { Match, Template } from 'aws-cdk-lib/assertions';
import { DriftMonitor, type DriftMonitorProps } from '../../constructs/aws/drift-monitor';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { PlatformMonitoring } from '../../constructs/aws/platform-monitoring';
import { testStack } from '../helpers/aws';

function build(overrides: Partial<DriftMonitorProps> = {}) {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const endpoint = ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn');
  const props: DriftMonitorProps = { registry, model: 'churn', modelVersion: '1', endpoint, environment: 'dev', task: 'classification', windowHours: 6, maxObjectsPerInvocation: 20, ...overrides } as DriftMonitorProps;
  const monitor = new DriftMonitor(stack, 'Drift', props);
  return { stack, monitor, template: Template.fromStack(stack) };
}

const statementsOf = (template: Template, rolePattern: RegExp) =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles ?? []).some((r: { Ref: string }) => rolePattern.test(r.Ref)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);

describe('DriftMonitor', () => {
  const { template, monitor, stack } = build();

  test('a schedule at the window rate invokes the check with its scheduled time, retrying into the DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      Target: {
        Input: JSON.stringify({ mode: 'check', scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DriftDeadLetters'), 'Arn'] } },
      },
    });
  });

  test("the schedule's role may send dead letters into the KMS-encrypted queue: SendMessage plus the queue key's GenerateDataKey and Decrypt", () => {
    const statements = statementsOf(template, /DriftScheduleRole/);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [expect.stringMatching(/DriftDeadLetters/), 'Arn'] } }));
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: expect.arrayContaining(['kms:GenerateDataKey', 'kms:Decrypt']), Resource: { 'Fn::GetAtt': [expect.stringMatching(/DriftKey/), 'Arn'] } }),
    );
  });

  test('the function knows its model, window, fan-out threshold and state machine; failed async invocations are dead-lettered', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          MODEL_NAME: 'churn',
          MODEL_VERSION: '1',
          ENVIRONMENT_NAME: 'dev',
          ENDPOINT_NAME: 'ms-dev-churn',
          VARIANT_NAME: 'AllTraffic',
          WINDOW_HOURS: '6',
          MODEL_TASK: 'classification',
          QUALITY_DEGRADATION_THRESHOLD: '0.05',
          MAX_OBJECTS_PER_INVOCATION: '20',
          EVENT_BUS_NAME: 'default',
          STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:111111111111:stateMachine:ms-dev-churn-drift',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('DriftDeadLetters'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('DriftKey'), 'Arn'] } });
  });

  test('the check reads only its model prefixes and writes only its reports', () => {
    const statements = statementsOf(template, /DriftCheckRole/);
    const s3 = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    const render = (r: unknown) => JSON.stringify(r);
    expect(s3.find((s) => s.Action === 's3:ListBucket').Condition).toEqual({ StringLike: { 's3:prefix': ['data-capture/churn/*', 'ground-truth/churn/*', 'reports/churn/*'] } });
    const reads = s3.filter((s) => s.Action === 's3:GetObject').flatMap((s) => [s.Resource].flat()).map(render);
    expect(reads.map((r) => r.match(/\/([a-z-]+\/churn)\/\*/)?.[1]).sort()).toEqual(['data-capture/churn', 'ground-truth/churn', 'models/churn', 'reports/churn']);
    const writes = s3.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(render(writes[0].Resource)).toContain('/reports/churn/*');
    expect([...writes[0].Action].sort()).toEqual(['s3:DeleteObject', 's3:PutObject']);
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'events:PutEvents' }));
    expect(statements).toContainEqual({ Action: 'states:StartExecution', Effect: 'Allow', Resource: 'arn:aws:states:eu-west-1:111111111111:stateMachine:ms-dev-churn-drift' });
  });

  test('large windows fan out on a traced, logged Distributed Map reading the plan from the registry', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'ms-dev-churn-drift',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    const definition = JSON.stringify(stack.resolve(machine.Properties.DefinitionString));
    expect(definition).toContain('\\"Type\\":\\"Map\\"');
    expect(definition).toContain('\\"Mode\\":\\"DISTRIBUTED\\"');
    expect(definition).toContain(':states:::s3:getObject');
    expect(definition).toContain('\\"Key.$\\":\\"$.planKey\\"');
    expect(definition).toContain('profile-shard');
    expect(definition).toContain('merge');
  });

  test('failures and dead letters are alarmed; metric helpers', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DriftCheckFailed', Namespace: 'ModelStack', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'QualityDegradation', Threshold: 0.05, ComparisonOperator: 'GreaterThanThreshold' });
    expect(monitor.metricDriftShare().dimensions).toEqual({ service: 'drift', Model: 'churn' });
    expect(monitor.metricRows().metricName).toBe('Rows');
    expect(monitor.metricIntegrityFailures()).toMatchObject({ metricName: 'IntegrityFailures', statistic: 'Maximum', dimensions: { service: 'drift', Model: 'churn' } });
  });

  test('PlatformMonitoring alarms on failed integrity checks from 1, like the drift share: one window decides', () => {
    const stack = testStack();
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
    const endpoint = ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn');
    const m = new DriftMonitor(stack, 'Drift', { registry, model: 'churn', modelVersion: '1', endpoint, environment: 'dev', task: 'classification' });
    const monitoring = new PlatformMonitoring(stack, 'Monitoring', { dashboardName: 'ms-dev' });
    monitoring.monitorDrift('churn', {
      driftShare: m.metricDriftShare(),
      checkFailures: m.metricCheckFailures(),
      integrityFailures: m.metricIntegrityFailures(),
      ownAlarms: [m.failureAlarm],
    });
    expect(monitoring.alarms).toHaveLength(2);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IntegrityFailures',
      Namespace: 'ModelStack',
      Dimensions: [{ Name: 'Model', Value: 'churn' }, { Name: 'service', Value: 'drift' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.anyValue()],
      OKActions: [Match.anyValue()],
    });
  });

  test('integrity thresholds reach the function as JSON; left out, the function uses the defaults', () => {
    const { template: tuned } = build({ integrity: { minRows: 500, newCategoryIncrease: 0.1 } });
    tuned.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ INTEGRITY_THRESHOLDS: '{"minRows":500,"newCategoryIncrease":0.1}' }) } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ INTEGRITY_THRESHOLDS: Match.absent() }) } });
  });

  test('invalid props fail with every problem listed', () => {
    expect(() => build({ model: 'Churn', windowHours: 0, maxObjectsPerInvocation: 0, driftShareThreshold: 2, qualityDegradationThreshold: 0, integrity: { minRows: 0 } })).toThrow(
      'DriftMonitor: invalid props\n' +
        '  - model "Churn": expected lowercase letters, digits and single hyphens\n' +
        '  - windowHours 0: expected a whole number of hours from 1 to 168\n' +
        '  - maxObjectsPerInvocation 0: expected a whole number from 1 to 10000\n' +
        '  - driftShareThreshold 2: expected more than 0 and at most 1\n' +
        '  - qualityDegradationThreshold 0: expected more than 0 and at most 1\n' +
        '  - integrity thresholds: minRows 0: expected a positive integer',
    );
  });
});
