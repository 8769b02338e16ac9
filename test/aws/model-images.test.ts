import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildAwsPlatform } from '../../infra/aws/app';
import { KEPT_IMAGES } from '../../infra/aws/model-images';
import { buildPipelineApp, type PipelineStack } from '../../infra/aws/pipeline';
import { demoConfig } from '../../infra/config/demo';
import { contentTag } from '../../infra/config/images';
import { parseConfig } from '../../infra/config/load';
import { testApp } from '../helpers/aws';

const REPO = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server';
const DIGEST = `sha256:${'b'.repeat(64)}`;

/** A repository root whose containers/model-server holds a Dockerfile. */
function repositoryRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'modelstack-root-'));
  mkdirSync(join(root, 'containers/model-server'), { recursive: true });
  writeFileSync(join(root, 'containers/model-server/Dockerfile'), 'FROM python:3.11-slim\nCMD ["serve"]\n');
  return root;
}

/** The image of the SageMaker model in an environment's serving nested stack of `model`. */
function servedImage(stacks: ReturnType<typeof buildAwsPlatform>['environments'][string], model: string): string {
  const nested = stacks.serving.models[model];
  const models = Template.fromStack(nested).findResources('AWS::SageMaker::Model');
  return (Object.values(models)[0] as any).Properties.PrimaryContainer.Image;
}

describe('built model images on AWS', () => {
  const config = parseConfig(demoConfig);

  describe('the pipeline', () => {
    let stack: PipelineStack;
    let template: Template;
    beforeAll(() => {
      const app = testApp();
      stack = buildPipelineApp(app, config, undefined, { 'containers/model-server': `${REPO}@${DIGEST}` });
      app.synth();
      template = Template.fromStack(stack);
    });

    test('one ECR repository per build folder: customer-managed key, scan on push, immutable tags, lifecycle, retained', () => {
      template.resourceCountIs('AWS::ECR::Repository', 1);
      const [id, repository] = Object.entries(template.findResources('AWS::ECR::Repository'))[0];
      expect(repository.DeletionPolicy).toBe('Retain');
      expect(repository.Properties).toMatchObject({
        RepositoryName: 'modelstack/model-server',
        ImageScanningConfiguration: { ScanOnPush: true },
        ImageTagMutability: 'IMMUTABLE',
        EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^ModelImagesKey/), 'Arn'] } },
      });
      const rules = JSON.parse(repository.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
      expect(rules.map((r: any) => r.selection)).toEqual([
        { tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 1, countUnit: 'days' },
        { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: KEPT_IMAGES },
      ]);
      expect(id).toMatch(/^ModelImagesRepository/);
      template.hasResourceProperties('AWS::KMS::Key', { Description: 'modelstack: built model images (ECR)', EnableKeyRotation: true });
    });

    test('each other environment account may pull (repository policy) and decrypt through ECR only (key policy)', () => {
      const repository = Object.values(template.findResources('AWS::ECR::Repository'))[0];
      expect(repository.Properties.RepositoryPolicyText.Statement).toEqual([
        {
          Sid: 'EnvironmentsPull',
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam::222222222222:root', 'arn:aws:iam::333333333333:root'] },
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        },
      ]);
      template.hasResourceProperties('AWS::KMS::Key', {
        Description: 'modelstack: built model images (ECR)',
        KeyPolicy: {
          Statement: Match.arrayWith([
            {
              Sid: 'EnvironmentsPullThroughEcr',
              Effect: 'Allow',
              Principal: { AWS: ['arn:aws:iam::222222222222:root', 'arn:aws:iam::333333333333:root'] },
              Action: ['kms:Decrypt', 'kms:DescribeKey'],
              Resource: '*',
              Condition: { StringEquals: { 'kms:ViaService': 'ecr.eu-west-1.amazonaws.com' } },
            },
          ]),
        },
      });
    });

    test('a privileged CodeBuild step builds the images before Synth, which reads its images file', () => {
      const projects = Object.entries(template.findResources('AWS::CodeBuild::Project'));
      const [buildId, build] = projects.find(([, p]) => String(p.Properties.Source.BuildSpec).includes('build-images'))!;
      expect(build.Properties.Environment.PrivilegedMode).toBe(true);
      const spec = JSON.parse(build.Properties.Source.BuildSpec);
      expect(spec.phases.build.commands).toEqual([
        'aws ecr get-login-password --region eu-west-1 | docker login --username AWS --password-stdin 111111111111.dkr.ecr.eu-west-1.amazonaws.com',
        'node bin/modelstack.cjs build-images --out model-images/model-images.json',
      ]);
      expect(spec.artifacts['base-directory']).toBe('model-images');

      const pipeline = Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0];
      const stage = pipeline.Properties.Stages.find((s: any) => s.Name === 'Build');
      const actions = Object.fromEntries(stage.Actions.map((a: any) => [a.Name, a]));
      expect(actions.BuildImages.RunOrder).toBeLessThan(actions.Synth.RunOrder);
      expect(actions.BuildImages.Configuration.ProjectName).toEqual({ Ref: buildId });
      expect(actions.Synth.InputArtifacts).toContainEqual(actions.BuildImages.OutputArtifacts[0]);
      const synth = projects.find(([, p]) => String(p.Properties.Source.BuildSpec).includes('cdk synth'))![1];
      const synthSpec = JSON.parse(synth.Properties.Source.BuildSpec);
      expect(synthSpec.phases.install.commands[0]).toContain('ln -s -- "$CODEBUILD_SRC_DIR_BuildImages_Output" "built-images"');
      expect(synthSpec.phases.build.commands.at(-1)).toMatch(/ -c images=built-images\/model-images\.json$/);
    });

    test('the build step may push to its repositories only, and ask whether a tag exists', () => {
      const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
        .filter(([id]) => /BuildImages/.test(id))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      const push = statements.find((st: any) => [st.Action].flat().includes('ecr:PutImage'));
      expect(push.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ModelImagesRepository/), 'Arn'] });
      expect(push.Action).toContain('ecr:DescribeImages');
      expect(statements.find((st: any) => st.Action === 'ecr:GetAuthorizationToken').Resource).toBe('*');
    });

    test('the stages serve the pushed image by digest; each execution role pulls from the pipeline account\'s repository', () => {
      for (const env of ['dev', 'prod'] as const) {
        const nested = stack.stages[env].stacks.serving.models.churn;
        const t = Template.fromStack(nested);
        const model = Object.values(t.findResources('AWS::SageMaker::Model'))[0] as any;
        expect(model.Properties.PrimaryContainer.Image).toBe(`${REPO}@${DIGEST}`);
        t.hasResourceProperties('AWS::IAM::Policy', {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Sid: 'PullInferenceImage', Resource: 'arn:aws:ecr:eu-west-1:111111111111:repository/modelstack/model-server' }),
            ]),
          },
        });
      }
    });
  });

  test('without an images file, endpoints serve the content tag of the folder', () => {
    const root = repositoryRoot();
    const app = testApp();
    const platform = buildAwsPlatform(app, config, ['staging'], { imagesRoot: root });
    expect(servedImage(platform.environments.staging, 'churn')).toBe(`${REPO}:${contentTag(join(root, 'containers/model-server'))}`);
    expect(servedImage(platform.environments.staging, 'sales-forecast')).toBe(`${REPO}:${contentTag(join(root, 'containers/model-server'))}`);
  });

  test('an images file that misses a folder or names another repository is refused, listing each problem', () => {
    expect(() => buildAwsPlatform(testApp(), config, ['dev'], { images: {} })).toThrow('containers/model-server: missing (run modelstack build-images for every build folder)');
    expect(() => buildPipelineApp(testApp(), config, undefined, { 'containers/model-server': `222222222222.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server@${DIGEST}` })).toThrow(
      `containers/model-server: expected an image of ${REPO}`,
    );
  });

  test('a config without built images gets no repository and no build step', () => {
    const raw = structuredClone(demoConfig) as any;
    for (const model of raw.models) model.image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
    // (Dev's Cloud Run serving on Google Cloud runs the model server, which a prebuilt framework image is not.)
    delete raw.environments.dev.gcp.servingOverride;
    const app = testApp();
    const stack = buildPipelineApp(app, parseConfig(raw));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::Repository', 0);
    expect(stack.images).toBeUndefined();
    const synth = Object.values(template.findResources('AWS::CodeBuild::Project')).find((p) => String(p.Properties.Source.BuildSpec).includes('cdk synth'))!;
    expect(JSON.parse(synth.Properties.Source.BuildSpec).phases.build.commands).toEqual(['npx cdk synth --app "npx tsx infra/aws/pipeline-main.ts"']);
  });
});
