import { type App, Stack, type StackProps, Stage, type StageProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/schema';
import { addComplianceChecks } from '../../constructs/aws/compliance';
import { buildEnvironment, type EnvironmentStacks } from './app';
import { acknowledgeNistFindings, applyGovernanceTags } from './governance';
import { acknowledgeWildcardResource } from '../../constructs/aws/private/nag';

/** One environment's stacks, deployed together by the pipeline. */
export class EnvironmentStage extends Stage {
  readonly stacks: EnvironmentStacks;

  constructor(scope: Construct, id: string, props: StageProps & { config: PlatformConfig; environmentName: string }) {
    super(scope, id, props);
    this.stacks = buildEnvironment(this, props.config, props.environmentName);
  }
}

export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** The pipeline's stack name: `<platform>-pipeline`. */
export function pipelineStackName(config: PlatformConfig): string {
  return `${config.platform.name}-pipeline`;
}

/**
 * Node.js of every CodeBuild project of the pipeline. CodeBuild's `aws/codebuild/standard:7.0` (the CDK default)
 * defaults to Node.js 18, below this project's and aws-cdk-lib's `engines` (>= 20); the image's documented
 * `runtime-versions` include nodejs 20 (CodeBuild User Guide, "Available runtimes").
 */
export const PIPELINE_NODE_VERSION = '20';

/**
 * The synth step's build commands. The tests are not among them: they gate every merge in CI (and need a
 * browser, which CodeBuild's image does not have); the synth step only installs and synthesizes.
 */
export const SYNTH_COMMANDS: readonly string[] = [
  // Resolve the model versions to deploy here, before synthesizing (`npx modelstack resolve-versions`, issue #11).
  'npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts"',
];

/**
 * CDK Pipelines delivery of the platform: source from a CodeConnections connection, a synth step that installs
 * and synthesizes, then the environments in config order (dev, staging, prod), each behind a manual approval when
 * its config says `approvalRequired` and followed by a smoke check. Cross-account: artifacts are encrypted with a
 * rotating KMS key the target accounts may use (`crossAccountKeys`).
 */
export class PipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: Record<string, EnvironmentStage> = {};

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const delivery = props.config.aws.delivery;
    if (!delivery) throw new Error('aws.delivery: expected connectionArn and repository to build the pipeline');

    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, { connectionArn: delivery.connectionArn });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: pipelineStackName(props.config),
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: PIPELINE_NODE_VERSION } } } }),
      },
      synth: new pipelines.ShellStep('Synth', {
        input: source,
        installCommands: ['npm ci'],
        commands: [...SYNTH_COMMANDS],
        primaryOutputDirectory: 'cdk.out',
      }),
    });

    for (const [name, environment] of Object.entries(props.config.environments)) {
      const stage = new EnvironmentStage(this, name, {
        config: props.config,
        environmentName: name,
        env: { account: environment.aws.account, region: environment.aws.region },
      });
      this.stages[name] = stage;
      const firstModel = props.config.models[0].name;
      this.pipeline.addStage(stage, {
        pre: environment.approvalRequired ? [new pipelines.ManualApprovalStep(`Approve-${name}`, { comment: `Deploy ModelStack to ${name}?` })] : [],
        post: [
          new pipelines.ShellStep(`Smoke-${name}`, {
            envFromCfnOutputs: { API_URL: stage.stacks.operations.inferenceApiUrl },
            // The API is up and enforces IAM: an unsigned request to a served model is refused with 403.
            commands: [
              `code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "\${API_URL}models/${firstModel}/predict" -H 'content-type: application/json' -d '{"instances":[]}')`,
              'echo "unsigned predict answered $code"',
              'test "$code" = 403',
            ],
          }),
        ],
      });
    }
  }
}

/**
 * The pipeline app (`infra/aws/pipeline-main.ts`): the pipeline stack, with each environment as a stage inside it.
 * Kept apart from the main app so `npm run synth` and `cdk deploy -c env=<env>` don't synthesize every environment twice.
 */
export function buildPipelineApp(app: App, config: PlatformConfig): PipelineStack {
  addComplianceChecks(app);
  applyGovernanceTags(app, config.aws.tags);
  const delivery = config.aws.delivery;
  const first = Object.values(config.environments)[0];
  const stack = new PipelineStack(app, pipelineStackName(config), {
    config,
    env: { account: delivery?.account ?? first.aws.account, region: delivery?.region ?? first.aws.region },
    terminationProtection: true,
    description: 'ModelStack: CDK Pipelines delivery of every environment',
  });
  stack.pipeline.buildPipeline();
  if (delivery) grantConnectionUse(stack, delivery.connectionArn);
  acknowledgePipelineFindings(stack);
  return stack;
}

/**
 * CDK's source action grants `codestar-connections:UseConnection` whatever the connection's ARN. A policy's action
 * prefix must match the resource's ("When specifying a resource in the IAM policy, the service prefix needs to match
 * that of the resource", Developer Tools console User Guide, "Identity and access management"): a connection created
 * since July 2024 has a `codeconnections` ARN and needs `codeconnections:UseConnection`.
 */
function grantConnectionUse(stack: PipelineStack, connectionArn: string): void {
  const service = connectionArn.split(':')[2];
  if (service !== 'codeconnections') return;
  const sourceRoles = stack.pipeline.pipeline.node
    .findAll()
    .filter((c): c is iam.Role => c instanceof iam.Role && c.node.path.includes('/Source/'));
  for (const role of sourceRoles) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['codeconnections:UseConnection'], resources: [connectionArn] }));
  }
}

const GENERATED_WILDCARD_REASON =
  "Generated by CDK Pipelines and not configurable: artifact-bucket object access, the artifact key's GenerateDataKey*/ReEncrypt*, each CodeBuild project's own log streams and report groups, and assuming the target accounts' CDK bootstrap roles.";

/** Findings in CDK Pipelines' own generated resources, which it does not let us configure. */
function acknowledgePipelineFindings(stack: PipelineStack): void {
  const acknowledge = (id: string, reason: string) => Validations.of(stack.pipeline).acknowledge({ id, reason });
  // Each wildcard of the generated policies is acknowledged by its exact finding id, so one we add ourselves still fails.
  for (const policy of stack.pipeline.node.findAll().filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy)) {
    const document = (policy.policyDocument as iam.PolicyDocument).toJSON() as { Statement: { Action: string | string[]; Resource: string | string[] }[] };
    for (const statement of document.Statement) {
      for (const action of [statement.Action].flat().filter((a) => a.includes('*'))) {
        Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: GENERATED_WILDCARD_REASON });
      }
      for (const resource of [statement.Resource].flat()) {
        if (JSON.stringify(stack.resolve(resource)).includes('*')) acknowledgeWildcardResource(policy, resource, GENERATED_WILDCARD_REASON);
      }
    }
  }
  acknowledgeNistFindings(stack);
  acknowledge('AwsSolutions-S1', 'The pipeline artifact bucket holds short-lived build artifacts encrypted with the pipeline key; CloudTrail data events cover access to it.');
  acknowledge('NIST.800.53.R5-S3BucketLoggingEnabled', 'The pipeline artifact bucket holds short-lived build artifacts encrypted with the pipeline key; CloudTrail data events cover access to it.');
  acknowledge('NIST.800.53.R5-S3BucketReplicationEnabled', 'Pipeline artifacts are rebuilt from source on every run; replicating them would add nothing recoverable.');
  acknowledge('NIST.800.53.R5-S3BucketVersioningEnabled', 'Pipeline artifacts are written once per execution under unique keys and rebuilt from source on every run.');
}
