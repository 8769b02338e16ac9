import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildFolders,
  checkImagesAgainstConfig,
  contentTag,
  ecrRepositoryUri,
  imageRepositoryName,
  loadImagesFile,
  readImagesOption,
  resolveBuiltImage,
} from '../../infra/config/images';
import { ConfigError, parseConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A folder with a Dockerfile and the given extra files. */
function buildFolder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-image-'));
  writeFileSync(join(dir, 'Dockerfile'), 'FROM python:3.11-slim\nCOPY . /app\n');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function builtDemo(): any {
  const raw = demo();
  for (const model of raw.models) model.image = { build: 'containers/model-server' };
  return raw;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('model images in the config', () => {
  test('a model image is an ECR URI or a build folder', () => {
    const config = parseConfig(builtDemo());
    expect(config.models[0].image).toEqual({ build: 'containers/model-server' });
    expect(buildFolders(config)).toEqual(['containers/model-server']);
    expect(imageRepositoryName('modelstack', 'containers/model-server')).toBe('modelstack/model-server');
    expect(ecrRepositoryUri(config, 'containers/model-server')).toBe('111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server');
  });

  test('every bad build folder is listed with its path and the rule it breaks', () => {
    const bad = builtDemo();
    bad.models[0].image = { build: '../outside' };
    bad.models[1].image = { build: '/abs/model-server' };
    bad.models.push({ ...structuredClone(bad.models[1]), name: 'third', image: { build: 'containers/Model_Server' } });
    bad.models.push({ ...structuredClone(bad.models[1]), name: 'fourth', image: { build: 'containers/./x' } });
    bad.models.push({ ...structuredClone(bad.models[1]), name: 'fifth', image: { bild: 'x' } });
    bad.models.push({ ...structuredClone(bad.models[1]), name: 'sixth', image: 'docker.io/library/python:3.11' });
    expect(problemsOf(bad)).toEqual([
      'models[0].image.build: expected a folder inside the repository: ".." is not allowed',
      'models[1].image.build: expected a folder relative to the repository root, not an absolute path',
      'models[2].image.build: expected the folder\'s name "Model_Server" to be lowercase letters and digits separated by single ".", "_" or "-": it names the image repository',
      'models[3].image.build: expected a relative folder such as containers/model-server (letters, digits, ".", "_", "-", separated by "/")',
      'models[4].image: expected an ECR image URI or { build: "<folder with a Dockerfile>" }',
      'models[5].image: expected an ECR image URI such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag',
      // The demo's dev serves on Cloud Run, which runs the model server: a prebuilt image needs a gcp.containerImage there.
      'models[5].gcp.containerImage: sixth is served on Cloud Run in dev (gcp.servingOverride), which runs the model-server container: expected image: { build: <folder> } or gcp.containerImage (an image implementing the AIP_* contract)',
    ]);
  });

  test('two build folders with the same last segment would share one repository: refused', () => {
    const clash = builtDemo();
    clash.models[1].image = { build: 'teams/forecast/model-server' };
    expect(problemsOf(clash)).toEqual([
      'models[1].image.build: teams/forecast/model-server and containers/model-server would share the image repository "model-server" (named after the folder\'s last segment): rename one folder',
    ]);
  });

  test('a built image on AWS needs the delivery pipeline, which builds and pushes it; a Google Cloud-only platform does not', () => {
    const noPipeline = builtDemo();
    delete noPipeline.aws.delivery;
    expect(problemsOf(noPipeline)).toEqual([
      'models[0].image.build: containers/model-server is built and pushed to ECR by the delivery pipeline, and aws.delivery is not configured: add aws.delivery, or give a prebuilt ECR image URI',
      'models[1].image.build: containers/model-server is built and pushed to ECR by the delivery pipeline, and aws.delivery is not configured: add aws.delivery, or give a prebuilt ECR image URI',
    ]);
    for (const env of Object.values(noPipeline.environments) as { aws?: unknown }[]) delete env.aws;
    expect(parseConfig(noPipeline).models.map((m) => m.image)).toEqual([{ build: 'containers/model-server' }, { build: 'containers/model-server' }]);
  });

  test('a built image in an environment outside the pipeline region is refused: SageMaker pulls from its own region only', () => {
    const bad = builtDemo();
    bad.environments.prod.aws.region = 'us-east-1';
    bad.environments.staging.aws.account = 'x';
    expect(problemsOf(bad)).toEqual([
      'environments.staging.aws.account: expected 12 digits',
      "models[0].image.build: containers/model-server is built into ECR in the pipeline's region eu-west-1, but environment prod is in us-east-1: SageMaker serves only images from its own region (expected every environment in eu-west-1, or a prebuilt image URI)",
      "models[1].image.build: containers/model-server is built into ECR in the pipeline's region eu-west-1, but environment prod is in us-east-1: SageMaker serves only images from its own region (expected every environment in eu-west-1, or a prebuilt image URI)",
    ]);
    // With the pipeline in that region too, only the other environments are named.
    bad.environments.staging.aws.account = '222222222222';
    bad.aws.delivery.region = 'us-east-1';
    expect(problemsOf(bad)).toHaveLength(4);
    // Prebuilt images are not affected.
    const prebuilt = demo();
    prebuilt.environments.prod.aws.region = 'us-east-1';
    prebuilt.models.forEach((m: any) => (m.image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'));
    // (Cloud Run serving in dev runs the model server, which a prebuilt framework image is not.)
    delete prebuilt.environments.dev.gcp.servingOverride;
    expect(() => parseConfig(prebuilt)).not.toThrow();
  });
});

describe('content tag', () => {
  test('is deterministic, follows every byte and path, and ignores what .dockerignore excludes', () => {
    const a = buildFolder({ 'app/server.py': 'print(1)\n', 'requirements.txt': 'fastapi==0.92\n' });
    const b = buildFolder({ 'requirements.txt': 'fastapi==0.92\n', 'app/server.py': 'print(1)\n' });
    const tag = contentTag(a);
    expect(tag).toMatch(/^src-[0-9a-f]{40}$/);
    expect(contentTag(b)).toBe(tag);

    writeFileSync(join(b, 'app/server.py'), 'print(2)\n');
    expect(contentTag(b)).not.toBe(tag);
    const renamed = buildFolder({ 'app/serve.py': 'print(1)\n', 'requirements.txt': 'fastapi==0.92\n' });
    expect(contentTag(renamed)).not.toBe(tag);

    const ignoring = buildFolder({ 'app/server.py': 'print(1)\n', 'requirements.txt': 'fastapi==0.92\n', '.dockerignore': '**/__pycache__\n*.log\ntests\n!tests/keep.txt\n' });
    const before = contentTag(ignoring);
    writeFileSync(join(ignoring, 'debug.log'), 'noise');
    mkdirSync(join(ignoring, 'app/__pycache__'));
    writeFileSync(join(ignoring, 'app/__pycache__/server.cpython-311.pyc'), 'bytes');
    mkdirSync(join(ignoring, 'tests'));
    writeFileSync(join(ignoring, 'tests/test_x.py'), 'x');
    expect(contentTag(ignoring)).toBe(before);
    writeFileSync(join(ignoring, 'tests/keep.txt'), 'kept by the exception');
    expect(contentTag(ignoring)).not.toBe(before);
  });

  test('a folder without a Dockerfile, or none at all, is named in the error', () => {
    const empty = mkdtempSync(join(tmpdir(), 'modelstack-empty-'));
    expect(() => contentTag(empty)).toThrow(`${empty}: expected a Dockerfile in the build folder`);
    expect(() => contentTag(join(empty, 'nope'))).toThrow(`${join(empty, 'nope')}: build folder not found`);
    const config = parseConfig(builtDemo());
    expect(errorOf(() => resolveBuiltImage(config, 'containers/model-server', undefined, empty)).problems).toEqual(['containers/model-server: build folder not found']);
  });

  test('a built image resolves to its digest from an images file, else to its content tag', () => {
    const root = mkdtempSync(join(tmpdir(), 'modelstack-root-'));
    mkdirSync(join(root, 'containers'));
    const folder = buildFolder();
    renameSync(folder, join(root, 'containers/model-server'));
    const config = parseConfig(builtDemo());
    const repo = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server';
    expect(resolveBuiltImage(config, 'containers/model-server', undefined, root)).toEqual({ uri: `${repo}:${contentTag(join(root, 'containers/model-server'))}`, pinnedBy: 'content-tag' });
    expect(resolveBuiltImage(config, 'containers/model-server', { 'containers/model-server': `${repo}@${DIGEST}` }, root)).toEqual({ uri: `${repo}@${DIGEST}`, pinnedBy: 'digest' });
  });
});

describe('images file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-images-'));
  const repo = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server';

  test('is read and checked against the config', () => {
    const path = join(dir, 'good.json');
    writeFileSync(path, JSON.stringify({ 'containers/model-server': `${repo}@${DIGEST}` }));
    const images = loadImagesFile(path);
    expect(images).toEqual({ 'containers/model-server': `${repo}@${DIGEST}` });
    expect(() => checkImagesAgainstConfig(images, parseConfig(builtDemo()))).not.toThrow();
    expect(readImagesOption(undefined)).toBeUndefined();
  });

  test('lists every problem: bad folder keys, images not by digest, unknown, missing and foreign entries', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ '../x': `${repo}@${DIGEST}`, 'containers/model-server': `${repo}:latest` }));
    expect(errorOf(() => loadImagesFile(path)).problems).toEqual([
      '../x: invalid folder: expected a folder inside the repository: ".." is not allowed',
      'containers/model-server: expected an ECR image by digest: <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex digits>',
    ]);
    writeFileSync(path, '{"a": ');
    expect(errorOf(() => loadImagesFile(path)).problems[0]).toMatch(/^cannot read the images file: /);
    expect(errorOf(() => readImagesOption(join(dir, 'none.json'))).problems).toEqual(['images file not found: run modelstack build-images first']);

    const config = parseConfig(builtDemo());
    const foreign = { 'containers/other': `${repo}@${DIGEST}`, 'containers/model-server': `999999999999.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server@${DIGEST}` };
    expect(errorOf(() => checkImagesAgainstConfig(foreign, config)).problems).toEqual([
      'containers/other: not a build folder of the config (expected one of containers/model-server)',
      `containers/model-server: expected an image of ${repo}, got 999999999999.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server@${DIGEST}`,
    ]);
    expect(errorOf(() => checkImagesAgainstConfig({}, config)).problems).toEqual(['containers/model-server: missing (run modelstack build-images for every build folder)']);
  });
});
