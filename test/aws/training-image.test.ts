// The training pipelines' default image: containers/training/Dockerfile, built from the repository root as a CDK
// Docker image asset whose context holds exactly what the Dockerfile copies. (No Docker here: the entry point itself
// runs in training/tests/test_training_image.py under a simulated /opt/ml.)
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildAwsPlatform } from '../../infra/aws/app';
import { TRAINING_DOCKERFILE, TRAINING_IMAGE_SOURCES, trainingImageAssetProps, trainingImageRoot } from '../../infra/aws/training-image';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { trainingImageContext } from '../../constructs/private/training-image-sources';
import { testApp } from '../helpers/aws';
import { ROOT, dockerfileCopySources, filesUnder, trainingDockerfile } from '../helpers/training-image-files';

const dockerfile = trainingDockerfile();
const copySources = dockerfileCopySources(dockerfile);

describe('the training image', () => {
  test('the Dockerfile copies the training code, its entry point and the model server\'s pins, all present; it runs as root with `train` on the PATH', () => {
    expect(copySources).toEqual(['containers/model-server/requirements.txt', 'containers/training/requirements.txt', 'training', 'containers/training/train']);
    for (const source of copySources) expect(existsSync(join(ROOT, source))).toBe(true);
    // Every COPY source is inside the asset's context.
    for (const source of copySources) expect(TRAINING_IMAGE_SOURCES.some((kept) => source === kept || source.startsWith(`${kept}/`))).toBe(true);
    expect(dockerfile).not.toMatch(/^USER\s/m);
    expect(dockerfile).toMatch(/^COPY containers\/training\/train \/usr\/local\/bin\/train$/m);
    expect(statSync(join(ROOT, 'containers/training/train')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(ROOT, 'containers/training/requirements.txt'), 'utf8')).toMatch(/^mlflow==\d+\.\d+\.\d+$[\s\S]*^sagemaker-mlflow==\d+\.\d+\.\d+$/m);
    expect(trainingImageRoot()).toBe(ROOT);
  });

  test('by default the jobs run it: an asset per nested stack (one image by its hash), pulled by the pipeline role only', () => {
    const app = testApp();
    const { environments } = buildAwsPlatform(app, parseConfig(demoConfig), ['dev']);
    const pipeline = environments.dev.training!.pipelines.churn;
    const body = JSON.stringify(Stack.of(pipeline).resolve(pipeline.pipeline.pipelineDefinition));
    const assetUri = /\{"Fn::Sub":"111111111111\.dkr\.ecr\.eu-west-1\.\$\{AWS::URLSuffix\}\/cdk-hnb659fds-container-assets-111111111111-eu-west-1:[0-9a-f]{64}"\}/.source;
    expect(body).toMatch(new RegExp(`\\\\"TrainingImage\\\\":\\\\"",${assetUri}`));
    // PrepareData, Evaluate and Publish (the demo's dev has no MLflow tracking server, so no Track step).
    expect(body.match(new RegExp(`\\\\"ImageUri\\\\":\\\\"",${assetUri}`, 'g'))).toHaveLength(3);
    // The serving image is still what the version registers.
    expect(body).toMatch(/\\"Containers\\":\[\{\\"Image\\":\\"111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/modelstack\/model-server/);
    const policies = Template.fromStack(Stack.of(pipeline)).findResources('AWS::IAM::Policy');
    const pulls = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement).filter((s: { Action: string[] }) => [s.Action].flat().includes('ecr:BatchGetImage'));
    expect(JSON.stringify(pulls)).toContain('repository/cdk-hnb659fds-container-assets-111111111111-eu-west-1');

    // The staged build context: the Dockerfile's sources, no tests, no node_modules.
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, `${environments.dev.registry.artifactId}.assets.json`), 'utf8'));
    const images = Object.values(manifest.dockerImages) as { source: { directory: string; dockerFile?: string; platform?: string } }[];
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: TRAINING_DOCKERFILE, platform: 'linux/amd64' });
    const context = join(assembly.directory, images[0].source.directory);
    const files = filesUnder(context).map((f) => relative(context, f)).sort();
    expect(files).toEqual(expect.arrayContaining(['containers/training/Dockerfile', 'containers/training/train', 'containers/training/requirements.txt', 'containers/model-server/requirements.txt', 'training/train.py', 'training/evaluate.py']));
    expect(files.filter((f) => !f.startsWith('training/') && !f.startsWith('containers/training/'))).toEqual(['containers/model-server/requirements.txt']);
    expect(files.filter((f) => /(^|\/)(tests|__pycache__)\//.test(f))).toEqual([]);
    // Google Cloud uploads the same context (constructs/gcp/training-image.ts).
    expect(files).toEqual(trainingImageContext(ROOT).map((f) => f.path));
  });

  test('its asset options keep the context to the sources', () => {
    expect(trainingImageAssetProps(ROOT).exclude?.[0]).toBe('*');
    expect(() => trainingImageRoot('/')).toThrow(/training image's sources .* were not found above \/: set models\[\]\.training\.aws\.image/);
  });
});
