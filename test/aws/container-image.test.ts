import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
// A consumer app: everything from the package's `modelstack/aws` entry point.
import { ContainerImage, ModelEndpoint, ModelRegistry } from '../../constructs/aws';
import { cdkJsonContext } from '../../infra/aws/context';

/** A consumer's own app and stack, with the registry and an endpoint serving `image`. */
function consumerApp(image: (stack: Stack) => ContainerImage) {
  const app = new App({ context: cdkJsonContext() });
  const stack = new Stack(app, 'ConsumerModels', { env: { account: '111111111111', region: 'eu-west-1' } });
  const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'acme-dev', models: ['churn'] });
  const endpoint = new ModelEndpoint(stack, 'Churn', {
    registry,
    model: 'churn',
    modelVersion: '1',
    endpointName: 'acme-dev-churn',
    image: image(stack),
    variant: { kind: 'serverless', memorySizeMb: 2048 },
  });
  return { app, stack, endpoint };
}

const statementsOf = (template: Template) =>
  Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);

describe('ContainerImage: the endpoint image as an object whose binding grants the pull', () => {
  test('a consumer app passes its own ECR repository and a token tag; it synthesizes and the execution role may pull exactly that repository', () => {
    const { app, stack, endpoint } = consumerApp((s) => {
      const repository = new ecr.Repository(s, 'ServerImages', { imageScanOnPush: true });
      // The tag is only known at deploy time: a token, which a regex check would have refused.
      const tag = new CfnParameter(s, 'ImageTag', { type: 'String', default: 'v1' }).valueAsString;
      return ContainerImage.fromEcrRepository(repository, tag);
    });
    const assembly = app.synth();
    expect(assembly.getStackByName(stack.stackName).template.Resources).toBeDefined();
    const template = Template.fromStack(stack);
    const repo = Object.keys(template.findResources('AWS::ECR::Repository'))[0];
    // The image is the repository's URI with the parameter's tag.
    const model = Object.values(template.findResources('AWS::SageMaker::Model'))[0];
    const image = JSON.stringify(model.Properties.PrimaryContainer.Image);
    expect(image).toContain(`"Fn::GetAtt":["${repo}","Arn"]`);
    expect(image).toContain('{"Ref":"ImageTag"}');
    // The pull is granted to the endpoint's execution role, on this repository only; the login on * (no resource ARN).
    const roleStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(stack.getLogicalId(endpoint.role.node.defaultChild as never)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    expect(roleStatements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: { 'Fn::GetAtt': [repo, 'Arn'] } }),
        expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
      ]),
    );
    // SageMaker checks the role's access to the image when it creates the model: the policy exists first.
    template.hasResource('AWS::SageMaker::Model', { DependsOn: Match.arrayWith([Match.stringLikeRegexp('ChurnExecutionRoleDefaultPolicy')]) });
  });

  test('an imported repository with a literal tag, and a digest', () => {
    const { stack } = consumerApp((s) => ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(s, 'Imported', 'acme/churn-server'), 'v1'));
    const template = Template.fromStack(stack);
    const model = Object.values(template.findResources('AWS::SageMaker::Model'))[0];
    expect(JSON.stringify(model.Properties.PrimaryContainer.Image)).toContain('.dkr.ecr.eu-west-1.');
    expect(JSON.stringify(model.Properties.PrimaryContainer.Image)).toContain('/acme/churn-server:v1');
    expect(statementsOf(template)).toEqual(
      expect.arrayContaining([expect.objectContaining({ Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], Resource: 'arn:aws:ecr:eu-west-1:111111111111:repository/acme/churn-server' })]),
    );
    const digest = `sha256:${'a'.repeat(64)}`;
    const pinned = consumerApp((s) => ContainerImage.fromEcrRepository(ecr.Repository.fromRepositoryName(s, 'Imported', 'acme/churn-server'), digest)).stack;
    const pinnedModel = Object.values(Template.fromStack(pinned).findResources('AWS::SageMaker::Model'))[0];
    expect(JSON.stringify(pinnedModel.Properties.PrimaryContainer.Image)).toContain(`/acme/churn-server@${digest}`);
  });

  test('an image URI (a SageMaker prebuilt image in its own account) is granted by a role policy on that repository', () => {
    const uri = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1';
    const template = Template.fromStack(consumerApp(() => ContainerImage.fromImageUri(uri)).stack);
    template.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: Match.objectLike({ Image: uri }) });
    expect(statementsOf(template)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'PullInferenceImage',
          Resource: 'arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-xgboost',
        }),
      ]),
    );
  });

  test('an image built from a folder: staged as a Docker asset at synth, pulled from the bootstrap asset repository', () => {
    const folder = mkdtempSync(join(tmpdir(), 'modelstack-image-'));
    writeFileSync(join(folder, 'Dockerfile'), 'FROM public.ecr.aws/docker/library/python:3.11-slim\n');
    const { app, stack } = consumerApp(() => ContainerImage.fromAsset(folder));
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf8'));
    expect(Object.values(manifest.dockerImages)).toEqual([expect.objectContaining({ source: expect.objectContaining({ directory: expect.stringMatching(/^asset\./) }) })]);
    const template = Template.fromStack(stack);
    expect(JSON.stringify(statementsOf(template))).toMatch(/repository\/cdk-hnb659fds-container-assets-111111111111-eu-west-1/);
  });

  test('literal values are checked; tokens are left for deploy time; a token URI cannot be scoped and is refused clearly', () => {
    const stack = new Stack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'acme/server');
    expect(() => ContainerImage.fromEcrRepository(repository, 'bad tag!')).toThrow('tag "bad tag!": expected a Docker tag (at most 128 letters, digits, _ . -) or sha256:<64 hex digits>');
    expect(() => ContainerImage.fromImageUri('docker.io/library/python:3')).toThrow(
      'imageUri "docker.io/library/python:3": expected an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>',
    );
    expect(() => ContainerImage.fromImageUri(repository.repositoryUriForTag('v1'))).toThrow('use ContainerImage.fromEcrRepository(repository, tag)');
  });
});
