import { Match, Template } from 'aws-cdk-lib/assertions';
import packageJson from '../../package.json';
import { buildPipelineApp, LOOKUP_ROLE_ARN, PIPELINE_NODE_VERSION, type PipelineStack, synthCommands } from '../../infra/aws/pipeline';
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

  test('source from the configured connection; the synth step installs and synthesizes, without the tests', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Source',
          Actions: [Match.objectLike({ Configuration: Match.objectLike({ ConnectionArn: demoConfig.aws!.delivery!.connectionArn, FullRepositoryId: 'example-org/modelstack', BranchName: 'main' }) })],
        }),
      ]),
    });
    const synth = Object.values(template.findResources('AWS::CodeBuild::Project')).find((p) => String(p.Properties.Source.BuildSpec).includes('cdk synth'));
    const spec = JSON.parse(synth!.Properties.Source.BuildSpec);
    // The first install command links the image build's output (CDK Pipelines' additional input), then npm ci.
    expect(spec.phases.install.commands.slice(1)).toEqual(['npm ci']);
    // The tests need a browser CodeBuild's image lacks; they gate merges in CI instead.
    expect(spec.phases.build.commands).toEqual(synthCommands(parseConfig(demoConfig)));
    expect(JSON.stringify(spec)).not.toContain('npm test');
  });

  test('every CodeBuild project runs a Node.js the project supports (>= 20) on a documented image runtime', () => {
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
    expect(projects.length).toBeGreaterThanOrEqual(5);
    for (const project of projects) {
      expect(project.Properties.Environment.Image).toBe('aws/codebuild/standard:7.0');
      const spec = JSON.parse(project.Properties.Source.BuildSpec);
      expect(spec.phases.install['runtime-versions']).toEqual({ nodejs: PIPELINE_NODE_VERSION });
    }
    expect(Number(PIPELINE_NODE_VERSION)).toBeGreaterThanOrEqual(Number(packageJson.engines.node.replace('>=', '')));
  });

  test("the source action may use the connection under its ARN's own service prefix (codeconnections or codestar-connections)", () => {
    // The actions the source action's role may take on `arn`.
    const actionsOn = (t: Template, arn: string) =>
      Object.entries(t.findResources('AWS::IAM::Policy'))
        .filter(([id]) => /PipelineSource.*CodePipelineActionRole/.test(id))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
        .filter((st) => st.Resource === arn)
        .flatMap((st) => [st.Action].flat());
    const arn = demoConfig.aws!.delivery!.connectionArn;
    expect(arn).toMatch(/:codeconnections:/);
    expect(actionsOn(template, arn)).toContain('codeconnections:UseConnection');

    const legacyArn = arn.replace(':codeconnections:', ':codestar-connections:');
    const legacy = buildPipelineApp(testApp(), parseConfig({ ...demoConfig, aws: { ...demoConfig.aws, delivery: { ...demoConfig.aws!.delivery!, connectionArn: legacyArn } } }));
    expect(actionsOn(Template.fromStack(legacy), legacyArn)).toEqual(['codestar-connections:UseConnection']);
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

  test('the synth step resolves the approved versions of unpinned models through each account\'s lookup role, then synthesizes with them', () => {
    const raw = structuredClone(demoConfig) as any;
    delete raw.models[0].version;
    expect(synthCommands(parseConfig(raw))).toEqual([
      `npx modelstack resolve-versions --env dev,staging,prod --role-arn '${LOOKUP_ROLE_ARN}' --out model-versions.json`,
      'npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts" -c versions=model-versions.json -c images=built-images/model-images.json',
    ]);
    // Everything pinned: nothing to resolve.
    expect(synthCommands(parseConfig(demoConfig))).toEqual(['npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts" -c images=built-images/model-images.json']);
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const assume = statements.find((st: any) => st.Action === 'sts:AssumeRole' && JSON.stringify(st.Resource).includes('lookup-role'));
    expect(assume.Resource).toEqual([
      'arn:aws:iam::111111111111:role/cdk-hnb659fds-lookup-role-111111111111-eu-west-1',
      'arn:aws:iam::222222222222:role/cdk-hnb659fds-lookup-role-222222222222-eu-west-1',
      'arn:aws:iam::333333333333:role/cdk-hnb659fds-lookup-role-333333333333-eu-west-1',
    ]);
  });

  test('an approved package in any environment starts the pipeline; other accounts forward approvals to its bus', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        detail: { ModelPackageGroupName: Match.arrayWith(['modelstack-dev-churn', 'modelstack-prod-sales-forecast']), ModelApprovalStatus: ['Approved'] },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue(), RoleArn: Match.anyValue() })],
    });
    for (const account of ['222222222222', '333333333333']) {
      template.hasResourceProperties('AWS::Events::EventBusPolicy', { EventBusName: 'default', Statement: Match.objectLike({ Action: 'events:PutEvents', Principal: { AWS: `arn:aws:iam::${account}:root` } }) });
    }
    // dev runs in the pipeline's account: its approvals are already on the pipeline's bus.
    Template.fromStack(stack.stages.dev.stacks.registry).resourcePropertiesCountIs('AWS::Events::Rule', { Description: Match.stringLikeRegexp('start the delivery pipeline') }, 0);
    Template.fromStack(stack.stages.prod.stacks.registry).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['modelstack-prod-churn', 'modelstack-prod-sales-forecast'], ModelApprovalStatus: ['Approved'] } }),
      Targets: [Match.objectLike({ Arn: 'arn:aws:events:eu-west-1:111111111111:event-bus/default' })],
    });
  });

  test('no delivery config, no pipeline: the error names the field', () => {
    const { aws, models, ...rest } = demoConfig;
    // Prebuilt images: a built one needs the pipeline, which the config refuses without aws.delivery.
    const prebuilt = models.map((m) => ({ ...m, image: '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1' }));
    // (Dev's Cloud Run serving on Google Cloud runs the model server, which a prebuilt framework image is not.)
    const environments = structuredClone(rest.environments) as any;
    delete environments.dev.gcp.servingOverride;
    expect(() => buildPipelineApp(testApp(), parseConfig({ ...rest, environments, models: prebuilt, aws: { ...aws, delivery: undefined } }))).toThrow('aws.delivery: expected connectionArn and repository');
  });
});
