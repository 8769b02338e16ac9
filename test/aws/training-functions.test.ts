// TrainingBaseline and TrainingStarter on their own (test/aws/training-pipeline.test.ts checks them as the platform
// wires them): the baseline function's name and data access, the starter's one-at-a-time function, its schedules,
// DriftDetected rules, dead letters and the props it refuses.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { TrainingBaseline, TrainingStarter } from '../../constructs/aws/training-functions';
import { TrainingPipeline } from '../../constructs/aws/training-pipeline';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { trainingPipelineDefinition } from '../../infra/pipeline/training-pipeline';
import { cdkJsonContext } from '../../infra/aws/context';

const config = parseConfig(demoConfig);
const IMAGE = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/m:1';

function setup() {
  // Construct tests that do not check bundles skip bundling.
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Training', { env: { account: '111111111111', region: 'eu-west-1' } });
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'modelstack-dev', models: ['churn', 'sales-forecast'] });
  const baselineFunction = lambda.Function.fromFunctionName(stack, 'BaselineFn', 'modelstack-dev-training-baseline');
  const pipeline = (model: string) =>
    new TrainingPipeline(stack, `Pipeline-${model}`, {
      registry,
      model,
      pipelineName: `modelstack-dev-${model}-training`,
      roleName: `modelstack-dev-${model}-training`,
      definition: trainingPipelineDefinition(config, 'dev', model, { trainingImage: IMAGE, servingImage: IMAGE }),
      images: [IMAGE],
      baselineFunction,
    });
  return { stack, registry, pipeline };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };
const statements = (template: Template, rolePrefix: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
const actions = (list: Statement[]) => list.flatMap((s) => [s.Action].flat());

describe('TrainingBaseline', () => {
  test('a fixed-name function that reads and writes only the pipelines/ work folders, with the registry key', () => {
    const { stack, registry } = setup();
    new TrainingBaseline(stack, 'Baseline', { registry, functionName: 'modelstack-dev-training-baseline' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'modelstack-dev-training-baseline',
      MemorySize: 2048,
      Timeout: 600,
      Environment: { Variables: Match.objectLike({ REGISTRY_BUCKET: Match.anyValue() }) },
    });
    const policy = statements(template, '"BaselineRole');
    const list = policy.find((s) => actions([s]).includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['pipelines/*'] } });
    const objects = policy.filter((s) => actions([s]).some((a) => a === 's3:GetObject' || a === 's3:PutObject'));
    expect(objects).toHaveLength(1);
    expect(JSON.stringify(objects[0].Resource)).toContain('/pipelines/*');
    expect(actions(policy)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey']));
    for (const action of actions(policy)) expect(action).not.toMatch(/^s3:\*|^kms:\*/);
  });

  test('a function name Lambda would refuse fails synth naming it', () => {
    const { stack, registry } = setup();
    expect(() => new TrainingBaseline(stack, 'Baseline', { registry, functionName: 'training baseline!' })).toThrow(
      /TrainingBaseline[\s\S]*functionName "training baseline!": expected at most 64 letters, digits, hyphens or underscores/,
    );
  });
});

describe('TrainingStarter', () => {
  test('one invocation at a time; a schedule and a DriftDetected rule per target that asks, both dead-lettering into the encrypted queue', () => {
    const { stack, pipeline } = setup();
    const starter = new TrainingStarter(stack, 'Starter', {
      namePrefix: 'modelstack-dev',
      environment: 'dev',
      targets: [
        { model: 'churn', pipeline: pipeline('churn'), packageGroupName: 'modelstack-dev-churn', schedule: 'cron(0 3 ? * MON *)', retrainOnDrift: true },
        { model: 'sales-forecast', pipeline: pipeline('sales-forecast'), packageGroupName: 'modelstack-dev-sales-forecast', retrainOnDrift: true },
      ],
    });
    expect(Object.keys(starter.schedules)).toEqual(['churn']);
    expect(Object.keys(starter.driftRules).sort()).toEqual(['churn', 'sales-forecast']);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { TRAINING_NAME_PREFIX: 'modelstack-dev', TRAINING_MODELS: 'churn,sales-forecast' } },
    });
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 ? * MON *)',
      Target: Match.objectLike({ Input: JSON.stringify({ model: 'churn', trigger: 'schedule' }), RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }), DeadLetterConfig: { Arn: Match.anyValue() } }),
    });
    for (const model of ['churn', 'sales-forecast']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['modelstack.drift'], 'detail-type': ['DriftDetected'], detail: { model: [model], environment: ['dev'] } },
        Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 }, DeadLetterConfig: { Arn: Match.anyValue() } })],
      });
    }
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  test('may start only its targets\' pipelines and read only their package groups (ListModelPackages has no resource-level permission)', () => {
    const { stack, pipeline } = setup();
    new TrainingStarter(stack, 'Starter', {
      namePrefix: 'modelstack-dev',
      environment: 'dev',
      targets: [{ model: 'churn', pipeline: pipeline('churn'), packageGroupName: 'modelstack-dev-churn', retrainOnDrift: true }],
    });
    const policy = statements(Template.fromStack(stack), '"StarterRole');
    const start = policy.find((s) => actions([s]).includes('sagemaker:StartPipelineExecution'))!;
    expect(JSON.stringify(start.Resource)).toContain('modelstack-dev-churn-training');
    expect(JSON.stringify(start.Resource)).not.toContain('sales-forecast');
    const describe = policy.find((s) => actions([s]).includes('sagemaker:DescribeModelPackage'))!;
    expect(JSON.stringify(describe.Resource)).toContain('model-package/modelstack-dev-churn/*');
    const star = policy.filter((s) => s.Resource === '*').flatMap((s) => actions([s]));
    expect(star).toEqual(['sagemaker:ListModelPackages']);
  });

  test('invalid props fail with every problem listed', () => {
    const { stack, pipeline } = setup();
    const churn = pipeline('churn');
    expect(
      () =>
        new TrainingStarter(stack, 'Starter', {
          namePrefix: 'modelstack-dev',
          environment: 'dev',
          targets: [
            { model: 'churn', pipeline: churn, packageGroupName: 'modelstack-dev-churn', schedule: '0 3 * * 1' },
            { model: 'churn', pipeline: churn, packageGroupName: 'churn-group' },
            { model: 'sales-forecast', pipeline: churn, packageGroupName: 'modelstack-dev-sales-forecast' },
          ],
        }),
    ).toThrow(
      new RegExp(
        [
          'targets: each model at most once, got churn, churn, sales-forecast',
          'targets churn: schedule "0 3 \\* \\* 1": expected cron\\(...\\), rate\\(...\\) or at\\(...\\)',
          'targets churn: packageGroupName "churn-group": expected "modelstack-dev-churn"',
          'targets sales-forecast: pipeline "modelstack-dev-churn-training": expected "modelstack-dev-sales-forecast-training"',
        ].join('[\\s\\S]*'),
      ),
    );
  });
});
