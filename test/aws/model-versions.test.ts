import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildAwsPlatform } from '../../infra/aws/app';
import { parseConfig } from '../../infra/config/load';
import { loadVersionsFile, type ResolvedVersions } from '../../infra/config/versions';
import { formatWaiting } from '../../infra/synth';
import { cli } from '../cli/helpers';
import { demo } from '../helpers/config';
import { testApp } from '../helpers/aws';
import { FakeSageMakerApi } from '../helpers/sagemaker-api-server';

const PACKAGE_IMAGE = '222222222222.dkr.ecr.eu-west-1.amazonaws.com/churn-server@sha256:' + 'a'.repeat(64);
const devBucket = 's3://modelstack-dev-models-111111111111-eu-west-1';

/** The demo with churn unpinned: it serves whatever each environment approved last. */
function unpinned() {
  const raw = demo();
  delete raw.models[0].version;
  return raw;
}

describe('model versions: pinned, resolved from approved packages, or waiting', () => {
  const sagemaker = new FakeSageMakerApi();
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-versions-'));
  const configPath = join(dir, 'platform.json');
  const saved = { ...process.env };

  beforeAll(async () => {
    writeFileSync(configPath, JSON.stringify(unpinned()));
    const url = await sagemaker.start();
    Object.assign(process.env, { AWS_ENDPOINT_URL_SAGEMAKER: url, AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'eu-west-1' });
    const pkg = (n: number, status: 'Approved' | 'PendingManualApproval', created: number) => ({
      group: 'modelstack-dev-churn',
      arn: `arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/${n}`,
      status,
      created,
      image: PACKAGE_IMAGE,
      modelDataUrl: `${devBucket}/models/churn/${n}/model.tar.gz`,
    });
    sagemaker.packages.push(pkg(1, 'Approved', 1_700_000_000), pkg(2, 'Approved', 1_700_000_100), pkg(3, 'PendingManualApproval', 1_700_000_200));
  });
  afterAll(async () => {
    process.env = saved;
    await sagemaker.stop();
  });

  test('resolve-versions writes the latest approved package per environment; models without one wait', async () => {
    const out = join(dir, 'versions.json');
    const result = await cli(['resolve-versions', '--env', 'dev,staging', '--config', configPath, '--out', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('dev: churn: version 2 (arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/2)');
    expect(result.stdout).toContain('staging: churn: waiting for a first version (no approved package)');
    expect(loadVersionsFile(out)).toEqual({
      dev: { churn: { version: '2', image: PACKAGE_IMAGE, modelPackageArn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/modelstack-dev-churn/2' } },
      staging: {},
    });
    // Pinned models (sales-forecast) are not looked up at all.
    expect(sagemaker.calls.filter((c) => c.operation === 'ListModelPackages').map((c) => c.input.ModelPackageGroupName)).toEqual(['modelstack-dev-churn', 'modelstack-staging-churn']);
    expect(sagemaker.calls.find((c) => c.operation === 'ListModelPackages')!.input).toMatchObject({ ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending' });
  });

  test('an approved package whose artifact is outside the registry layout is refused, by name', async () => {
    sagemaker.packages.push({
      group: 'modelstack-prod-churn',
      arn: 'arn:aws:sagemaker:eu-west-1:333333333333:model-package/modelstack-prod-churn/1',
      status: 'Approved',
      created: 1_700_000_300,
      image: PACKAGE_IMAGE,
      modelDataUrl: 's3://somewhere-else/churn.tar.gz',
    });
    const result = await cli(['resolve-versions', '--env', 'prod', '--config', configPath, '--out', join(dir, 'prod.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'prod.churn: approved package arn:aws:sagemaker:eu-west-1:333333333333:model-package/modelstack-prod-churn/1 has ModelDataUrl s3://somewhere-else/churn.tar.gz: expected s3://modelstack-prod-models-333333333333-eu-west-1/models/churn/<version>/model.tar.gz',
    );
  });

  test('synth serves the resolved version and image; an environment without one gets no endpoint, never a failing deploy', () => {
    const config = parseConfig(unpinned());
    expect(config.models[0].version).toBeUndefined(); // no longer defaulted to "1"
    const versions: ResolvedVersions = { dev: { churn: { version: '2', image: PACKAGE_IMAGE } } };
    const platform = buildAwsPlatform(testApp(), config, ['dev', 'staging'], { versions });

    const devChurn = Template.fromStack(platform.environments.dev.serving.models.churn);
    devChurn.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: PACKAGE_IMAGE, ModelDataUrl: `${devBucket}/models/churn/2/model.tar.gz` },
    });
    // The execution role pulls the image this version really uses, not the config's.
    const statements = Object.values(devChurn.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements.find((s: { Sid?: string }) => s.Sid === 'PullInferenceImage').Resource).toEqual('arn:aws:ecr:eu-west-1:222222222222:repository/churn-server');

    const staging = platform.environments.staging;
    expect(staging.serving.waiting).toEqual(['churn']);
    expect(Object.keys(staging.serving.models)).toEqual(['sales-forecast']);
    // Registry (package group) and model card are there; nothing that needs an endpoint is.
    Template.fromStack(staging.registry).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'modelstack-staging-churn' });
    const stagingChurnOps = Template.fromStack(staging.operations.models.churn);
    stagingChurnOps.resourceCountIs('AWS::SageMaker::ModelCard', 1);
    stagingChurnOps.resourceCountIs('AWS::Kinesis::Stream', 0);
    stagingChurnOps.resourceCountIs('AWS::CloudWatch::Alarm', 0);

    expect(formatWaiting(config, versions)).toEqual([
      'staging: churn: waiting for a first version (pin models[].version, or approve a model package and run modelstack resolve-versions)',
      'prod: churn: waiting for a first version (pin models[].version, or approve a model package and run modelstack resolve-versions)',
    ]);
  });

  test('re-resolving the same version (a metadata edit of an approved package) synthesizes the same templates: the deploy is a no-op', () => {
    const config = parseConfig(unpinned());
    const versions: ResolvedVersions = { dev: { churn: { version: '2', image: PACKAGE_IMAGE } } };
    const once = Template.fromStack(buildAwsPlatform(testApp(), config, ['dev'], { versions }).environments.dev.serving.models.churn).toJSON();
    const again = Template.fromStack(buildAwsPlatform(testApp(), config, ['dev'], { versions: structuredClone(versions) }).environments.dev.serving.models.churn).toJSON();
    expect(again).toEqual(once);
  });

  test('a versions file that names unknown environments or models, or bad versions, fails with every problem', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ qa: { churn: { version: '1' } }, dev: { fraud: { version: '1' }, churn: { version: 'no spaces' } } }));
    expect(() => loadVersionsFile(bad)).toThrow(/dev\.churn\.version: expected a version label/);
    writeFileSync(bad, JSON.stringify({ qa: { churn: { version: '1' } }, dev: { fraud: { version: '1' } } }));
    const config = parseConfig(unpinned());
    expect(() => buildAwsPlatform(testApp(), config, ['dev'], { versions: loadVersionsFile(bad) })).toThrow(
      /qa: not an environment of the config \(expected one of dev, staging, prod\)\n.*dev\.fraud: not a model of the config/,
    );
    expect(readFileSync(bad, 'utf8')).toContain('fraud');
  });
});
