import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { BatchInference } from '../../constructs/aws/batch-inference';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { testStack } from '../helpers/aws';

interface State {
  Type: string;
  Next?: string;
  Default?: string;
  Arguments?: Record<string, unknown>;
  Resource?: string;
  Choices?: { Condition: string; Next: string }[];
}

/** The workflow's states, with CloudFormation references replaced by a placeholder so the definition parses. */
function definitionOf(template: Template): { StartAt: string; States: Record<string, State> } {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
}

describe('BatchInference', () => {
  const stack = testStack();
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'ms-dev', models: ['churn'] });
  const batch = new BatchInference(stack, 'Batch', {
    model: 'churn',
    endpoint: ModelEndpoint.fromEndpointName(stack, 'Endpoint', 'ms-dev-churn'),
    executionRole: new iam.Role(stack, 'ExecutionRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }),
    registry,
    schedule: events.Schedule.expression('cron(0 2 * * ? *)'),
    instanceType: 'ml.m5.xlarge',
    logEncryptionKey: new kms.Key(stack, 'LogKey', { enableKeyRotation: true }),
  });
  const template = Template.fromStack(stack);
  const { StartAt, States } = definitionOf(template);

  test('an empty input prefix ends the run successfully without a transform job (a job over no objects fails, and alarms)', () => {
    const list = States[StartAt];
    expect(list.Resource).toBe('arn:REF:states:::aws-sdk:s3:listObjectsV2');
    // StartAfter skips a console-made "folder" object named like the prefix itself.
    expect(list.Arguments).toEqual({ Bucket: 'REF', Prefix: 'batch/churn/input/', StartAfter: 'batch/churn/input/', MaxKeys: 1 });
    const choice = States[list.Next!];
    expect(choice.Type).toBe('Choice');
    expect((list as { Assign?: unknown }).Assign).toEqual({ inputObjects: '{% $states.result.KeyCount %}' });
    expect(choice.Choices).toEqual([{ Condition: '{% $inputObjects = 0 %}', Next: expect.any(String) }]);
    expect(States[choice.Choices![0].Next].Type).toBe('Succeed');
    expect(States[choice.Default!].Resource).toBe('arn:REF:states:::aws-sdk:sagemaker:describeEndpoint');
    expect(batch.stateMachine).toBeDefined();
  });

  test("the workflow may list only the model's own batch input prefix", () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => /BatchStateMachineRole/.test(r.Ref)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Effect: string; Action: string | string[]; Condition?: unknown }[]);
    const listing = statements.filter((s) => [s.Action].flat().includes('s3:ListBucket'));
    expect(listing).toContainEqual(expect.objectContaining({ Effect: 'Allow', Action: 's3:ListBucket' }));
    expect(listing).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:ListBucket', Condition: { StringNotLike: { 's3:prefix': 'batch/churn/input/*' } } }),
    );
  });

  test('the transform job scores with the model the endpoint serves now, encrypted with the registry key, named after the endpoint', () => {
    const create = Object.values(States).find((st) => st.Resource === 'arn:REF:states:::aws-sdk:sagemaker:createTransformJob');
    expect(create?.Arguments).toMatchObject({
      TransformJobName: '{% $job %}',
      ModelName: '{% $servingModel %}',
      TransformInput: { ContentType: 'text/csv', SplitType: 'Line' },
      TransformOutput: { KmsKeyId: 'REF', AssembleWith: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeKmsKeyId: 'REF' },
    });
    const describe = Object.values(States).find((st) => st.Resource === 'arn:REF:states:::aws-sdk:sagemaker:describeEndpoint');
    expect(JSON.stringify((describe as { Assign?: unknown }).Assign)).toContain("'ms-dev-churn-' & $string($floor($millis() / 1000))");
  });

  test('an overdue job is stopped and the run fails (so a failed-executions alarm fires); a failed job fails the run', () => {
    const outcome = Object.values(States).find((st) => st.Type === 'Choice' && st.Choices?.some((c) => c.Condition.includes("'Completed'")));
    expect(outcome?.Choices?.map((c) => c.Condition)).toEqual([
      "{% $jobStatus = 'Completed' %}",
      "{% $jobStatus = 'InProgress' and ($toMillis($now()) - $toMillis($states.context.Execution.StartTime)) > 14400000 %}",
      "{% $jobStatus in ['InProgress', 'Stopping'] %}",
    ]);
    expect(States[outcome!.Choices![1].Next].Resource).toBe('arn:REF:states:::aws-sdk:sagemaker:stopTransformJob');
    expect(States[outcome!.Default!].Type).toBe('Fail');
    // The workflow gives up 30 minutes after the job's own 4-hour limit.
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { TracingConfiguration: { Enabled: true } });
    expect((definitionOf(template) as { TimeoutSeconds?: number }).TimeoutSeconds).toBe(16_200);
  });

  test("the serving model's execution role reads only the batch input and writes only the batch output of this model", () => {
    const access = Object.values(template.findResources('AWS::IAM::Policy')).find((p) => /TransformAccess/.test(JSON.stringify(p.Properties.PolicyName)));
    expect(access?.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^ExecutionRole/) }]);
    const bySid = Object.fromEntries((access!.Properties.PolicyDocument.Statement as Array<{ Sid: string; Action: unknown; Resource: unknown }>).map((st) => [st.Sid, st]));
    expect(JSON.stringify(bySid.ReadBatchInput.Resource)).toContain('/batch/churn/input/*');
    expect(bySid.ReadBatchInput.Action).toBe('s3:GetObject');
    expect(JSON.stringify(bySid.WriteBatchOutput.Resource)).toContain('/batch/churn/output/*');
    expect(bySid.WriteBatchOutput.Action).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
  });

  test('the schedule starts the workflow; its log is encrypted with the given key', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('BatchStateMachine') } })],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LogKey'), 'Arn'] } });
    expect(batch.schedule).toBeDefined();
  });
});
