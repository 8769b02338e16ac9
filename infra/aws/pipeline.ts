import { type App, Stack, type StackProps, Stage, type StageProps, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import type { Construct } from 'constructs';
import { awsEnvironments, environmentNamesOn } from '../config/clouds';
import type { PlatformConfig } from '../config/schema';
import { type BuiltImages, buildFolders, checkImagesAgainstConfig } from '../config/images';
import type { ResolvedVersions } from '../config/versions';
import { imagesContext, IMAGES_INPUT_DIR, ModelImageRepositories } from './model-images';
import { addComplianceChecks } from '../../constructs/aws/compliance';
import { buildEnvironment, type EnvironmentStacks } from './app';
import { approvedPackagesPattern, modelPackageGroupOf, pipelineEnvironment } from './names';
import { acknowledgeNistFindings, applyGovernanceTags } from './governance';
import { acknowledgeWildcardResource } from '../../constructs/aws/private/nag';

/** One environment's stacks, deployed together by the pipeline. */
export class EnvironmentStage extends Stage {
  readonly stacks: EnvironmentStacks;

  constructor(scope: Construct, id: string, props: StageProps & { config: PlatformConfig; environmentName: string; versions?: ResolvedVersions; images?: BuiltImages }) {
    super(scope, id, props);
    this.stacks = buildEnvironment(this, props.config, props.environmentName, props.versions?.[props.environmentName], { images: props.images });
  }
}

export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The versions the synth step resolved (`-c versions=model-versions.json`). */
  readonly versions?: ResolvedVersions;
  /**
   * The images the build step pushed (`-c images=model-images.json`), which the stages serve by digest.
   * @default - built images are served by their content tag
   */
  readonly images?: BuiltImages;
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
 * The role `resolve-versions` assumes in each environment's account: the CDK bootstrap's lookup role, which has the
 * `ReadOnlyAccess` managed policy (so `sagemaker:ListModelPackages` and `DescribeModelPackage`) and trusts the
 * accounts given to `cdk bootstrap --trust-for-lookup` or `--trust` (aws-cdk's bootstrap-template.yaml, `LookupRole`).
 */
export const LOOKUP_ROLE_ARN = 'arn:aws:iam::{account}:role/cdk-hnb659fds-lookup-role-{account}-{region}';

/**
 * The synth step's build commands: resolve each environment's latest approved model versions (through the lookup
 * role the CDK bootstrap creates in every account, which trusts the pipeline's account when bootstrapped with
 * `--trust`), then synthesize the pipeline app with them. The tests are not among them: they gate every merge in CI
 * (and need a browser, which CodeBuild's image does not have); the synth step only installs and synthesizes.
 */
export function synthCommands(config: PlatformConfig): string[] {
  const unpinned = config.models.some((m) => m.version === undefined);
  // Built images: the build step's images file arrives as an additional input (IMAGES_INPUT_DIR).
  const images = imagesContext(config);
  if (!unpinned) return [`npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts"${images}`];
  return [
    `npx modelstack resolve-versions --env ${environmentNamesOn(config, 'aws').join(',')} --role-arn '${LOOKUP_ROLE_ARN}' --out model-versions.json`,
    `npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts" -c versions=model-versions.json${images}`,
  ];
}

/**
 * CDK Pipelines delivery of the platform: source from a CodeConnections connection, a synth step that installs
 * and synthesizes, then the environments in config order (dev, staging, prod), each behind a manual approval when
 * its config says `approvalRequired` and followed by a smoke check. Cross-account: artifacts are encrypted with a
 * rotating KMS key the target accounts may use (`crossAccountKeys`).
 */
export class PipelineStack extends Stack {
  readonly pipeline: pipelines.CodePipeline;
  readonly stages: Record<string, EnvironmentStage> = {};
  /** The ECR repositories of the config's built images and the step that builds them; only when a model builds its image. */
  readonly images?: { readonly repositories: ModelImageRepositories; readonly step: pipelines.CodeBuildStep };

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const delivery = props.config.aws.delivery;
    if (!delivery) throw new Error('aws.delivery: expected connectionArn and repository to build the pipeline');

    const source = pipelines.CodePipelineSource.connection(delivery.repository, delivery.branch, { connectionArn: delivery.connectionArn });
    if (props.images) checkImagesAgainstConfig(props.images, props.config);
    if (buildFolders(props.config).length > 0) {
      const repositories = new ModelImageRepositories(this, 'ModelImages', props.config);
      this.images = { repositories, step: repositories.buildStep(source) };
    }
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: pipelineStackName(props.config),
      crossAccountKeys: true,
      enableKeyRotation: true,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        partialBuildSpec: codebuild.BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: PIPELINE_NODE_VERSION } } } }),
      },
      synth: new pipelines.CodeBuildStep('Synth', {
        input: source,
        // The images file the build step wrote; taking its output also orders that step before this one.
        additionalInputs: this.images ? { [IMAGES_INPUT_DIR]: this.images.step } : undefined,
        installCommands: ['npm ci'],
        commands: synthCommands(props.config),
        primaryOutputDirectory: 'cdk.out',
        // resolve-versions reads each environment's model package groups through its lookup role.
        rolePolicyStatements: [
          new iam.PolicyStatement({
            actions: ['sts:AssumeRole'],
            resources: awsEnvironments(props.config).map(([, e]) => LOOKUP_ROLE_ARN.replaceAll('{account}', e.aws.account).replaceAll('{region}', e.aws.region)),
          }),
        ],
      }),
    });

    for (const [name, environment] of awsEnvironments(props.config)) {
      const stage = new EnvironmentStage(this, name, {
        config: props.config,
        environmentName: name,
        versions: props.versions,
        images: props.images,
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
export function buildPipelineApp(app: App, config: PlatformConfig, versions?: ResolvedVersions, images?: BuiltImages): PipelineStack {
  addComplianceChecks(app);
  applyGovernanceTags(app, config.aws.tags);
  const delivery = config.aws.delivery;
  const stack = new PipelineStack(app, pipelineStackName(config), {
    config,
    versions,
    images,
    env: pipelineEnvironment(config),
    terminationProtection: true,
    description: 'ModelStack: CDK Pipelines delivery of every environment',
  });
  stack.pipeline.buildPipeline();
  if (delivery) grantConnectionUse(stack, delivery.connectionArn);
  startOnApproval(stack, config);
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

/**
 * An approved model package starts the pipeline, which resolves the versions again and deploys them. Approvals in the
 * pipeline's own account and region arrive on its default bus; other environments forward theirs
 * (`forwardApprovalsToPipeline`), which this bus accepts from their accounts only. A metadata edit of an approved
 * package also starts a run; it resolves the same versions, so its deploy changes nothing.
 */
function startOnApproval(stack: PipelineStack, config: PlatformConfig): void {
  const rule = new events.Rule(stack, 'StartOnApproval', {
    description: 'An approved model package of any environment starts the delivery pipeline',
    eventPattern: approvedPackagesPattern(environmentNamesOn(config, 'aws').flatMap((env) => config.models.map((m) => modelPackageGroupOf(config, env, m.name)))),
  });
  rule.addTarget(new targets.CodePipeline(stack.pipeline.pipeline));
  const others = [...new Set(awsEnvironments(config).map(([, e]) => e.aws.account))].filter((a) => a !== stack.account);
  for (const account of others) {
    new events.CfnEventBusPolicy(stack, `AcceptApprovalsFrom${account}`, {
      eventBusName: 'default',
      statementId: `modelstack-approvals-${account}`,
      statement: { Effect: 'Allow', Principal: { AWS: `arn:${stack.partition}:iam::${account}:root` }, Action: 'events:PutEvents', Resource: `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default` },
    });
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
