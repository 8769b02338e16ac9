import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildPipelineApp, type PipelineStack } from '../../infra/aws/pipeline';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { testApp } from '../helpers/aws';

describe('CDK Pipelines delivery', () => {
  let stack: PipelineStack;
  let template: Template;
  beforeAll(() => {
    const app = testApp();
    stack = buildPipelineApp(app, parseConfig(demoConfig));
    // Synth runs both cdk-nag packs over the pipeline and every stage: it throws on any unacknowledged finding.
    app.synth();
    template = Template.fromStack(stack);
  });

  test('source from the configured connection; the synth step runs the tests', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Source',
          Actions: [Match.objectLike({ Configuration: Match.objectLike({ ConnectionArn: demoConfig.aws!.delivery!.connectionArn, FullRepositoryId: 'example-org/modelstack', BranchName: 'main' }) })],
        }),
      ]),
    });
    const projects = JSON.stringify(template.findResources('AWS::CodeBuild::Project'));
    expect(projects).toContain('npm test');
  });

  test('environments in order, a manual approval before those that require one, a smoke step after each', () => {
    const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
    const stages = pipeline.Properties.Stages as { Name: string; Actions: { Name: string; ActionTypeId: { Category: string } }[] }[];
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'dev', 'staging', 'prod']);
    const approvals = (name: string) => stages.find((s) => s.Name === name)!.Actions.filter((a) => a.ActionTypeId.Category === 'Approval').map((a) => a.Name);
    expect(approvals('dev')).toEqual([]);
    expect(approvals('staging')).toEqual([]);
    expect(approvals('prod')).toEqual(['Approve-prod']);
    for (const env of ['dev', 'staging', 'prod']) expect(stages.find((s) => s.Name === env)!.Actions.map((a) => a.Name)).toContain(`Smoke-${env}`);
  });

  test('cross-account: artifacts encrypted with a rotating key; stages deploy the same stack names as cdk deploy', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(stack.stages.prod.stacks.operations.stackName).toBe('modelstack-prod-operations');
    expect(stack.stages.prod.stacks.registry.account).toBe('333333333333');
    expect(stack.terminationProtection).toBe(true);
  });

  test('no delivery config, no pipeline: the error names the field', () => {
    const { aws, ...rest } = demoConfig;
    expect(() => buildPipelineApp(testApp(), parseConfig({ ...rest, aws: { ...aws, delivery: undefined } }))).toThrow('aws.delivery: expected connectionArn and repository');
  });
});
