// ModelStack's training image on Google Cloud: the build context Terraform uploads (exactly the Dockerfile's COPY
// sources, as a deterministic .tar.gz that `tar` reads), the build account and its grants, and the workflow steps that
// build the image with Cloud Build when its content-hash tag is missing.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Aspects, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { FunctionPlatform } from '../../constructs/gcp/function-platform';
import { ModelImageRepository } from '../../constructs/gcp/model-image-repository';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import { trainingWorkflowDefinition } from '../../constructs/gcp/private/training-workflow-source';
import { RequiredApis } from '../../constructs/gcp/required-apis';
import { TrainingBaselineFunction } from '../../constructs/gcp/training-baseline-function';
import { TrainingImage } from '../../constructs/gcp/training-image';
import { TrainingTensorboard, TrainingWorkflow } from '../../constructs/gcp/training-workflow';
import { tarGz } from '../../constructs/private/tar-gz';
import { TRAINING_DOCKERFILE, trainingImageContext, trainingImageContextHash } from '../../constructs/private/training-image-sources';
import { gcpEnvironment } from '../../infra/config/clouds';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import type { PlatformConfig } from '../../infra/config/schema';
import { GcpEnvironmentStack } from '../../infra/gcp/app';
import { all, synth } from './helpers';
import { TUNED } from './training-spec';
import { ROOT, dockerfileCopySources, filesUnder } from '../helpers/training-image-files';

const project = 'ms-project';
const region = 'europe-west1';
const { project: _p, region: _r, workflowName: _w, modelId: _m, alias: _a, environment: _e, imageBuild: _i, ...pipeline } = TUNED;

const copySources = dockerfileCopySources();

/** Unpacks a .tar.gz with the system's tar, as Cloud Build's source fetcher does. */
function untar(archive: Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'training-context-'));
  writeFileSync(join(dir, 'context.tar.gz'), archive);
  mkdirSync(join(dir, 'out'));
  execFileSync('tar', ['-xzf', join(dir, 'context.tar.gz'), '-C', join(dir, 'out')]);
  return join(dir, 'out');
}

function build(scope: Construct, withImage = true) {
  const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
  const tensorboard = new TrainingTensorboard(scope, 'Tensorboard', { registry });
  const baseline = new TrainingBaselineFunction(scope, 'TrainingBaseline', { platform: new FunctionPlatform(scope, 'Functions', { registry }) });
  const trainingImage = withImage ? new TrainingImage(scope, 'TrainingImage', { registry, repository: new ModelImageRepository(scope, 'Images', { registry }) }) : undefined;
  return new TrainingWorkflow(scope, 'Training-churn', { registry, tensorboard, baseline, environment: 'dev', pipeline, trainingImage });
}

describe('the training image\'s build context', () => {
  const files = trainingImageContext(ROOT);
  const archive = tarGz(files);

  test('holds exactly the Dockerfile and its COPY sources (no tests, no bytecode), byte for byte, `train` executable', () => {
    const out = untar(archive);
    const unpacked = filesUnder(out).map((f) => relative(out, f)).sort();
    const expected = [TRAINING_DOCKERFILE, ...copySources.flatMap((source) => (statSync(join(ROOT, source)).isDirectory() ? filesUnder(join(ROOT, source)).map((f) => relative(ROOT, f)) : [source]))]
      .filter((f) => !/(^|\/)(tests|__pycache__)\/|\.pyc$/.test(f));
    expect(unpacked).toEqual([...new Set(expected)].sort());
    // containers/training holds the Dockerfile, the entry point and its requirements: nothing else slips in.
    expect(unpacked.filter((f) => f.startsWith('containers/'))).toEqual(['containers/model-server/requirements.txt', 'containers/training/Dockerfile', 'containers/training/requirements.txt', 'containers/training/train']);
    for (const file of unpacked) expect(readFileSync(join(out, file)).equals(readFileSync(join(ROOT, file)))).toBe(true);
    expect(statSync(join(out, 'containers/training/train')).mode & 0o111).not.toBe(0);
    expect(statSync(join(out, 'training/train.py')).mode & 0o111).toBe(0);
    rmSync(dirname(out), { recursive: true, force: true });
  });

  test('the same sources give the same archive and hash; a change to the training code gives a new hash, a test file none', () => {
    expect(tarGz(trainingImageContext(ROOT)).equals(archive)).toBe(true);
    const root = mkdtempSync(join(tmpdir(), 'training-sources-'));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write(TRAINING_DOCKERFILE, 'FROM python:3.11-slim-bookworm\n');
    write('containers/training/train', '#!/bin/sh\n');
    chmodSync(join(root, 'containers/training/train'), 0o755);
    write('containers/model-server/requirements.txt', 'scikit-learn==1.2.1\n');
    write('containers/model-server/app.py', 'not in the context\n');
    write('training/train.py', 'print(1)\n');
    // Longer than ustar's 100-byte name field: split into the prefix field, which tar reads back.
    const deep = `training/${'nested-folder/'.repeat(8)}module.py`;
    write(deep, 'x = 1\n');
    const before = trainingImageContextHash(trainingImageContext(root));
    expect(filesUnder(untar(tarGz(trainingImageContext(root)))).map((f) => f.split('/out/')[1]).sort()).toEqual(
      ['containers/model-server/requirements.txt', TRAINING_DOCKERFILE, 'containers/training/train', deep, 'training/train.py'].sort(),
    );
    write('training/tests/test_train.py', 'def test(): pass\n');
    write('training/__pycache__/train.cpython-311.pyc', 'bytecode');
    write('README.md', 'elsewhere');
    expect(trainingImageContextHash(trainingImageContext(root))).toBe(before);
    write('training/train.py', 'print(2)\n');
    expect(trainingImageContextHash(trainingImageContext(root))).not.toBe(before);
    rmSync(root, { recursive: true, force: true });
  });
});

describe('TrainingImage (built by the training workflow with Cloud Build)', () => {
  let hash = '';
  const s = synth((scope) => {
    build(scope);
    hash = (scope.node.findChild('TrainingImage') as TrainingImage).contextHash;
  });

  test('the context is uploaded to the registry bucket under training-image/, named by its content hash', () => {
    expect(hash).toBe(trainingImageContextHash(trainingImageContext(ROOT)));
    const objects = all(s, 'google_storage_bucket_object').filter((o) => o.name.startsWith('training-image/'));
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatchObject({ name: `training-image/context-${hash}.tar.gz`, bucket: expect.stringMatching(/google_storage_bucket\.Registry_\w+\.name/), content_type: 'application/gzip' });
    expect(objects[0].source).toMatch(/assets\/.*context-[0-9a-f]{64}\.tar\.gz$/);
    const [workflow] = all(s, 'google_workflows_workflow');
    expect(workflow.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/google_storage_bucket_object\.TrainingImage_Context_\w+/)]));
    expect(workflow.user_env_vars.TRAINING_BUILD_ACCOUNT).toMatch(/google_service_account\.TrainingImage_Build_\w+\.email/);
  });

  test('the build account may write logs, read that one object and push to that one repository; nothing else', () => {
    const member = /TrainingImage_Build_\w+\.member/;
    expect(all(s, 'google_project_iam_member').filter((g) => member.test(g.member)).map((g) => g.role)).toEqual(['roles/logging.logWriter']);
    const reads = all(s, 'google_storage_bucket_iam_member').filter((g) => member.test(g.member));
    expect(reads.map((g) => [g.role, g.condition.title])).toEqual([['roles/storage.objectViewer', `only training-image/context-${hash}.tar.gz`]]);
    const pushes = all(s, 'google_artifact_registry_repository_iam_member').filter((g) => member.test(g.member));
    expect(pushes).toEqual([expect.objectContaining({ role: 'roles/artifactregistry.writer', repository: expect.stringMatching(/google_artifact_registry_repository\.Images_Repository_\w+\.name/) })]);
    const repository = all(s, 'google_artifact_registry_repository').find((r) => r.repository_id === 'ms-dev-models');
    expect(repository).toMatchObject({ repository_id: 'ms-dev-models', kms_key_name: expect.stringMatching(/google_kms_crypto_key/), docker_config: { immutable_tags: true } });
  });

  test('the workflow account may read the repository\'s tags, start and read builds, and act as the build account only', () => {
    const runner = /Training-churn_TrainRun_\w+\.member/;
    const roles = Object.fromEntries(all(s, 'google_project_iam_custom_role').map((r) => [r.role_id.replace(/_\$\{.*$/, ''), r.permissions]));
    expect(roles).toMatchObject({
      ms_dev_training_image_reader: ['artifactregistry.tags.get'],
      ms_dev_training_image_builder: ['cloudbuild.builds.create', 'cloudbuild.builds.get', 'cloudbuild.operations.get'],
      ms_dev_training_image_build_account_user: ['iam.serviceAccounts.actAs'],
    });
    const onRepository = all(s, 'google_artifact_registry_repository_iam_member').filter((g) => runner.test(g.member));
    expect(onRepository).toEqual([expect.objectContaining({ role: expect.stringMatching(/training_image_reader|TrainingImageReaderRole/) })]);
    const actAs = all(s, 'google_service_account_iam_member').filter((g) => runner.test(g.member)).map((g) => g.service_account_id);
    expect(actAs).toEqual(expect.arrayContaining([expect.stringMatching(/TrainingImage_Build_\w+\.name/)]));
    expect(all(s, 'google_project_iam_member').filter((g) => runner.test(g.member)).map((g) => g.role).join()).toMatch(/TrainingImageBuilderRole/);
  });

  test('the workflow looks the tag up and, when missing, builds the image from the context with Cloud Build before the first job', () => {
    const definition = trainingWorkflowDefinition(TUNED) as any;
    const steps = definition.main.steps[0].run.try.steps.map((st: any) => Object.keys(st)[0]);
    expect(steps.indexOf('buildImage')).toBeLessThan(steps.indexOf('prepareJob'));
    const find = (steps: any[], name: string): any => {
      for (const st of steps) for (const [key, value] of Object.entries<any>(st)) {
        if (key === name) return value;
        const nested = [...(value.steps ?? []), ...(value.try?.steps ?? []), ...(value.except?.steps ?? []), ...(value.switch ?? []).flatMap((c: any) => c.steps ?? [])];
        const found = nested.length > 0 ? find(nested, name) : undefined;
        if (found) return found;
      }
      return undefined;
    };
    const main = definition.main.steps;
    expect(find(main, 'getImageTag')).toEqual({ call: 'http.get', args: { url: `https://artifactregistry.googleapis.com/v1/${TUNED.imageBuild!.tagName}`, auth: { type: 'OAuth2' } }, result: 'imageTag' });
    expect(find(main, 'imageLookupFailed').switch[0].condition).toBe('${map.get(tagError, "code") != 404}');
    const call = find(main, 'imageBuildCall');
    expect(call.call).toBe('googleapis.cloudbuild.v1.projects.locations.builds.create');
    expect(call.args).toMatchObject({ parent: 'projects/ms-project/locations/europe-west1', projectId: 'ms-project' });
    expect(call.args.body).toEqual({
      source: { storageSource: { bucket: '${bucket}', object: TUNED.imageBuild!.contextObject } },
      steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build', '--file', 'containers/training/Dockerfile', '--tag', TUNED.imageBuild!.image, '.'] }],
      images: [TUNED.imageBuild!.image],
      serviceAccount: '${"projects/ms-project/serviceAccounts/" + sys.get_env("TRAINING_BUILD_ACCOUNT")}',
      options: { logging: 'CLOUD_LOGGING_ONLY' },
      timeout: '3600s',
      tags: ['modelstack-training-image', 'churn'],
    });
    expect(find(main, 'imageBuilt').switch[0].condition).toBe('${imageBuildResult.status != "SUCCESS"}');
    // Another run that pushed the same tag first is no failure.
    expect(find(main, 'recheckImageTag').args.url).toBe(find(main, 'getImageTag').args.url);
    expect(find(main, 'buildFailed')).toEqual({ raise: '${buildError}' });
    expect(find(main, 'images').assign).toContainEqual({ trainingImage: TUNED.imageBuild!.image });
  });

  test('a week-long job still gets a build Cloud Build accepts: the build timeout stops at 24 hours', () => {
    const find = (steps: any[]): any => {
      for (const st of steps) for (const [key, value] of Object.entries<any>(st)) {
        if (key === 'imageBuildCall') return value;
        const nested = [...(value.steps ?? []), ...(value.try?.steps ?? []), ...(value.except?.steps ?? []), ...(value.switch ?? []).flatMap((c: any) => c.steps ?? [])];
        const found = nested.length > 0 ? find(nested) : undefined;
        if (found) return found;
      }
      return undefined;
    };
    const week = find((trainingWorkflowDefinition({ ...TUNED, maxRuntimeMinutes: 7 * 24 * 60 }) as any).main.steps);
    expect(week.args.body.timeout).toBe('86400s');
    expect(week.args.connector_params.timeout).toBe(86400 + 600);
    const short = find((trainingWorkflowDefinition({ ...TUNED, maxRuntimeMinutes: 5 }) as any).main.steps);
    expect(short.args.body.timeout).toBe('1800s');
  });

  test('the workflow needs the Cloud Build API: RequiredApis enables it before the workflow', () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 'test');
    Aspects.of(stack).add(new RequiredApis(stack, project));
    build(stack);
    const json = JSON.parse(Testing.synth(stack));
    const [workflow] = Object.values<any>(json.resource.google_workflows_workflow);
    expect(workflow.depends_on).toEqual(expect.arrayContaining(['google_project_service.Api-cloudbuild', 'google_project_service.Api-artifactregistry', 'google_project_service.Api-workflows']));
    expect(json.resource.google_project_service['Api-cloudbuild']).toMatchObject({ service: 'cloudbuild.googleapis.com', disable_on_destroy: false });
  });

  test('with an image of the user\'s own, no build steps and no build grants; with neither, a clear error', () => {
    const own = synth((scope) => {
      const registry = new ModelRegistry(scope, 'Registry', { namePrefix: 'ms-dev', project, region, retainOnDelete: false });
      const tensorboard = new TrainingTensorboard(scope, 'Tensorboard', { registry });
      const baseline = new TrainingBaselineFunction(scope, 'TrainingBaseline', { platform: new FunctionPlatform(scope, 'Functions', { registry }) });
      const trainingImage = new TrainingImage(scope, 'TrainingImage', { registry, repository: new ModelImageRepository(scope, 'Images', { registry }) });
      new TrainingWorkflow(scope, 'Training-churn', { registry, tensorboard, baseline, environment: 'dev', pipeline: { ...pipeline, trainingImage: 'europe-west1-docker.pkg.dev/p/r/trainer:1' }, trainingImage });
    });
    const [workflow] = all(own, 'google_workflows_workflow');
    expect(workflow.user_env_vars.TRAINING_BUILD_ACCOUNT).toBeUndefined();
    expect(workflow.source_contents).not.toContain('cloudbuild');
    expect(workflow.source_contents).toContain('europe-west1-docker.pkg.dev/p/r/trainer:1');
    expect(all(own, 'google_service_account_iam_member').filter((g) => /TrainRun/.test(g.member)).map((g) => g.service_account_id)).toEqual([expect.stringMatching(/Training-churn_Train_\w+\.name/)]);
    expect(() => synth((scope) => build(scope, false))).toThrow(/trainingImage: expected ModelStack's training image \(a TrainingImage\) or pipeline\.trainingImage/);
  });
});

describe('the platform stack (buildGcpPlatform\'s environment stack)', () => {
  /** The demo's dev stack, with `change` applied to the validated config first. */
  function devStack(change: (config: PlatformConfig) => PlatformConfig = (c) => c): { json: any; stack: GcpEnvironmentStack } {
    const config = change(parseConfig(demoConfig));
    const app = Testing.app();
    const stack = new GcpEnvironmentStack(app, 'modelstack-dev-platform', { platform: config.platform.name, environmentName: 'dev', environment: gcpEnvironment(config, 'dev'), models: config.models, inference: config.inference });
    return { json: JSON.parse(Testing.synth(stack)), stack };
  }
  const workflows = (json: any) => Object.values<any>(json.resource.google_workflows_workflow).filter((w) => w.name.endsWith('-training'));

  test('the demo (no training.gcp.image): one training image for the environment, which every training workflow builds and runs', () => {
    const { json, stack } = devStack();
    const image = stack.trainingImage!;
    expect(image.imageUri).toBe(`europe-west1-docker.pkg.dev/${gcpEnvironment(parseConfig(demoConfig), 'dev').gcp.project}/modelstack-dev-models/training:${image.contextHash}`);
    const trained = workflows(json);
    expect(trained.map((w) => w.name).sort()).toEqual(['modelstack-dev-churn-training', 'modelstack-dev-sales-forecast-training']);
    for (const workflow of trained) {
      expect(workflow.user_env_vars.TRAINING_BUILD_ACCOUNT).toMatch(/TrainingImage_Build_\w+\.email/);
      expect(workflow.source_contents).toContain(`"trainingImage": "${image.imageUri}"`);
      expect(workflow.depends_on).toEqual(expect.arrayContaining(['google_project_service.Api-cloudbuild']));
    }
    expect(Object.values<any>(json.resource.google_storage_bucket_object).filter((o) => o.name.startsWith('training-image/'))).toHaveLength(1);
  });

  test('every trained model with training.gcp.image: no training image, no build, the configured images', () => {
    const own = 'europe-west1-docker.pkg.dev/modelstack-demo-dev/trainers/trainer:7';
    const { json, stack } = devStack((c) => ({ ...c, models: c.models.map((m) => (m.training ? { ...m, training: { ...m.training, gcp: { ...m.training.gcp, image: own } } } : m)) }));
    expect(stack.trainingImage).toBeUndefined();
    for (const workflow of workflows(json)) {
      expect(workflow.user_env_vars.TRAINING_BUILD_ACCOUNT).toBeUndefined();
      expect(workflow.source_contents).toContain(`"trainingImage": "${own}"`);
      expect(workflow.source_contents).not.toContain('cloudbuild');
    }
    expect(Object.values<any>(json.resource.google_storage_bucket_object).filter((o) => o.name.startsWith('training-image/'))).toHaveLength(0);
    // The baseline function is there all the same: the baseline step never runs in the jobs' image.
    expect(stack.trainingBaseline).toBeDefined();
  });
});
