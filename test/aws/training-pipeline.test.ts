// The training pipelines in an environment's registry stack: the generated definition deployed as
// AWS::SageMaker::Pipeline, a least-privilege role, the Baseline step's function, and the starter with each model's
// schedule and DriftDetected rule.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ModelRegistry } from '../../constructs/aws/model-registry';
import { TrainingPipeline } from '../../constructs/aws/training-pipeline';
import { buildAwsPlatform } from '../../infra/aws/app';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { trainingPipelineDefinition } from '../../infra/pipeline/training-pipeline';
import { testApp } from '../helpers/aws';

const config = parseConfig(demoConfig);

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };
function statementsOf(template: Template, roleLogicalIdPrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleLogicalIdPrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('training pipelines on AWS', () => {
  const { environments } = buildAwsPlatform(testApp(), config, ['dev']);
  const stack = environments.dev.registry;
  const template = Template.fromStack(stack);
  /** Each model's pipeline is in its own nested stack of the registry stack. */
  const nestedOf = (model: string) => Stack.of(environments.dev.training!.pipelines[model]);
  const churnTemplate = Template.fromStack(nestedOf('churn'));

  test('each trained model gets its pipeline with the generated definition, the registry key on every job', () => {
    expect(Object.keys(environments.dev.training!.pipelines).sort()).toEqual(['churn', 'sales-forecast']);
    expect(template.findResources('AWS::SageMaker::Pipeline')).toEqual({});
    const byName = Object.fromEntries(
      ['churn', 'sales-forecast'].flatMap((m) => Object.values(Template.fromStack(nestedOf(m)).findResources('AWS::SageMaker::Pipeline')).map((p) => [p.Properties.PipelineName, p.Properties])),
    );
    expect(Object.keys(byName).sort()).toEqual(['modelstack-dev-churn-training', 'modelstack-dev-sales-forecast-training']);
    const churn = byName['modelstack-dev-churn-training'];
    const body = churn.PipelineDefinition.PipelineDefinitionBody;
    // The body is the definition JSON with the key ARN as a reference into the same stack.
    const joined = JSON.stringify(body);
    expect(joined).toContain('"Type\\":\\"Tuning\\"');
    expect(joined).toContain('arn:aws:lambda:eu-west-1:111111111111:function:modelstack-dev-training-baseline');
    expect(joined).toContain('arn:aws:iam::111111111111:role/modelstack-dev-churn-training');
    expect(joined).not.toContain('alias/');
    // The registry key's ARN, passed into the nested stack as a parameter.
    expect(joined).toMatch(/VolumeKmsKeyId\\":\\"",\{"Ref":"referencetomodelstackdevregistryRegistryKey/);
    expect(churn.RoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineRole/), 'Arn'] });
  });

  test('the pipeline role: no wildcard actions, data access only under the model prefixes, PassRole only to itself', () => {
    churnTemplate.hasResourceProperties('AWS::IAM::Role', { RoleName: 'modelstack-dev-churn-training', AssumeRolePolicyDocument: Match.objectLike({ Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] }) });
    const statements = statementsOf(churnTemplate, 'PipelineRole');
    expect(statements.length).toBeGreaterThan(5);
    for (const s of statements) for (const action of [s.Action].flat()) expect(action).not.toMatch(/\*/);
    const resources = (sid: string) => JSON.stringify(statements.find((s) => s.Sid === sid)?.Resource);
    const s3Resources = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:') && a !== 's3:ListBucket')).map((s) => JSON.stringify(s.Resource));
    for (const r of s3Resources) expect(r).toMatch(/\/(training-data|pipelines|models)\/churn\/\*/);
    expect(resources('PublishVersions')).toContain('/models/churn/*');
    const passRole = statements.find((s) => s.Sid === 'PassOnlyItself')!;
    expect(passRole.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^PipelineRole/), 'Arn'] });
    expect(passRole.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    expect(resources('RegisterVersion')).toContain('model-package-group/modelstack-dev-churn');
    expect(resources('InvokeBaseline')).toContain('referencetomodelstackdevregistryTrainingBaseline');
    // Literal bucket ARNs: the nested stack names the registry by its fixed name.
    expect(resources('PublishVersions')).toBe('"arn:aws:s3:::modelstack-dev-models-111111111111-eu-west-1/models/churn/*"');
    const star = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(star.sort()).toEqual(['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken']);
  });

  test("the Track step may read the tuning job's trials: list them on the tuning job, describe each training job", () => {
    const statements = statementsOf(churnTemplate, 'PipelineRole');
    const resourcesFor = (action: string) => statements.filter((s) => [s.Action].flat().includes(action)).map((s) => JSON.stringify(s.Resource)).join(' ');
    expect(resourcesFor('sagemaker:ListTrainingJobsForHyperParameterTuningJob')).toContain(':hyper-parameter-tuning-job/*');
    expect(resourcesFor('sagemaker:DescribeTrainingJob')).toContain(':training-job/*');
    // Read-only on jobs: nothing that touches other resources (no Search, no List* across the account).
    const sagemakerActions = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('sagemaker:List') || a === 'sagemaker:Search');
    expect([...new Set(sagemakerActions)]).toEqual(['sagemaker:ListTrainingJobsForHyperParameterTuningJob']);
  });

  test('the baseline function has the name the definitions call, and reads and writes only the work folders', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'modelstack-dev-training-baseline', Runtime: 'nodejs24.x', Timeout: 600 });
    const statements = statementsOf(template, 'TrainingBaselineRole');
    const s3 = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('s3:Get') || a.startsWith('s3:Put')));
    expect(s3.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringContaining('/pipelines/*')]);
  });

  test('the starter runs one at a time and may start only the trained models\' pipelines', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: Match.objectLike({ TRAINING_NAME_PREFIX: 'modelstack-dev', TRAINING_MODELS: 'churn,sales-forecast' }) },
    });
    const statements = statementsOf(template, 'TrainingStarterRole');
    const start = statements.find((s) => [s.Action].flat().includes('sagemaker:StartPipelineExecution'))!;
    expect(JSON.stringify(start.Resource)).toContain('pipeline/modelstack-dev-churn-training');
  });

  test('churn retrains on its schedule (EventBridge cron, KMS dead-letter queue) and both models on DriftDetected', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s) => s.Properties);
    const training = schedules.filter((s) => String(s.Target.Input ?? '').includes('"trigger":"schedule"'));
    expect(training).toHaveLength(1);
    expect(training[0].ScheduleExpression).toBe('cron(0 3 ? * MON *)');
    expect(JSON.parse(training[0].Target.Input)).toEqual({ model: 'churn', trigger: 'schedule' });
    expect(training[0].Target.DeadLetterConfig.Arn).toBeDefined();
    expect(training[0].Target.RetryPolicy.MaximumRetryAttempts).toBe(2);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    for (const model of ['churn', 'sales-forecast']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['modelstack.drift'], 'detail-type': ['DriftDetected'], detail: { model: [model], environment: ['dev'] } },
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 } })],
      });
    }
  });

  test('training.aws.image runs the jobs (and the role may pull it); the version registers the serving image', () => {
    const raw = structuredClone(demoConfig) as typeof demoConfig & { models: { training?: { aws?: object } }[] };
    const trainer = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/trainer:7';
    raw.models[1].training!.aws = { image: trainer };
    const { environments } = buildAwsPlatform(testApp(), parseConfig(raw), ['dev']);
    const pipeline = environments.dev.training!.pipelines['sales-forecast'];
    const t = Template.fromStack(Stack.of(pipeline));
    const body = JSON.stringify(Stack.of(pipeline).resolve(pipeline.pipeline.pipelineDefinition));
    expect(body).toContain(`\\"TrainingImage\\":\\"${trainer}\\"`);
    expect(body).toContain(`\\"ImageUri\\":\\"${trainer}\\"`);
    expect(body).toMatch(/\\"Containers\\":\[\{\\"Image\\":\\"111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/modelstack\/model-server/);
    const pull = statementsOf(t, 'PipelineRole').find((s) => s.Sid === 'PullImages')!;
    expect(JSON.stringify(pull.Resource)).toContain('repository/modelstack/trainer');
    expect(JSON.stringify(pull.Resource)).toContain('repository/modelstack/model-server');
  });

  test('50 trained models: each pipeline in its own nested stack keeps the registry stack far below 1 MB and 500 resources', () => {
    const models = Array.from({ length: 50 }, (_, i) => ({ ...demoConfig.models[i % 2], name: `model-${i}` }));
    const { environments } = buildAwsPlatform(testApp(), parseConfig({ ...demoConfig, models }), ['prod']);
    const registry = environments.prod.registry;
    const bytes = JSON.stringify(Template.fromStack(registry).toJSON()).length;
    const resources = registry.node.findAll().filter((c) => (c as { cfnResourceType?: string }).cfnResourceType && Stack.of(c) === registry).length;
    expect(bytes).toBeLessThan(400_000); // 1.1 MB with the pipelines in the registry stack itself
    expect(resources).toBeLessThan(300);
  });

  test('a definition with problems fails synth, listing them', () => {
    const stack = new Stack(new App(), 'T', { env: { account: '111111111111', region: 'eu-west-1' } });
    const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'modelstack-dev', models: ['churn'] });
    const fn = lambda.Function.fromFunctionName(stack, 'Fn', 'modelstack-dev-training-baseline');
    const definition = trainingPipelineDefinition(config, 'dev', 'churn', { trainingImage: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/m:1', servingImage: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/m:1' });
    const broken = { ...definition, Steps: [...definition.Steps, { ...definition.Steps[0] }] };
    expect(
      () =>
        new TrainingPipeline(stack, 'P', {
          registry,
          model: 'churn',
          pipelineName: 'modelstack-dev-churn-training',
          roleName: 'modelstack-dev-churn-training',
          definition: broken,
          images: ['docker.io/library/python:3.11'],
          baselineFunction: fn,
        }),
    ).toThrow(/TrainingPipeline: invalid props[\s\S]*images: "docker.io\/library\/python:3.11" is not an ECR image URI[\s\S]*definition: .*PrepareData/);
  });
});
