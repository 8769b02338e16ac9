import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import { App as TfApp, TerraformStack } from 'cdktf';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';
import { Command } from 'commander';
import { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { parseConfig } from '../../infra/config/load';
import { awsPreflight, BOOTSTRAP_VERSION_PARAMETER, REQUIRED_BOOTSTRAP_VERSION } from '../../cli/preflight/aws';
import { BASE_APIS, gcpPreflight } from '../../cli/preflight/gcp';
import { gcpStackFacts, projectServices } from '../../cli/preflight/gcp-stack';
import { type PreflightDeps, registerPreflight } from '../../cli/preflight';
import type { CliContext } from '../../cli/io';
import { cli } from '../cli/helpers';
import { demo } from '../helpers/config';
import { startS3 } from '../helpers/s3rver';
import { FakeGooglePreflight, FakeSsm } from './fakes';

const REGISTRY = 'modelstack-staging-models-222222222222-eu-west-1';
const ARTIFACTS = 'modelstack-staging-models-modelstack-demo-staging';
const TOKEN = 'preflight-test-token';

/** ADC stand-in: an OAuth2 client holding an access token, handed to GoogleAuth as its `authClient`. */
function tokenAuth(token?: string): GoogleAuth {
  const client = new OAuth2Client();
  if (token) client.setCredentials({ access_token: token });
  return new GoogleAuth({ authClient: client });
}

let ssm: FakeSsm;
let google: FakeGooglePreflight;
let ssmUrl: string;
let googleUrl: string;
let registryS3: Awaited<ReturnType<typeof startS3>>;
let emptyS3: Awaited<ReturnType<typeof startS3>>;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // The default credential chain finds these first (s3rver accepts only its own keys); nothing leaves 127.0.0.1.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  ssm = new FakeSsm();
  ssmUrl = await ssm.start();
  google = new FakeGooglePreflight(TOKEN);
  googleUrl = await google.start();
  registryS3 = await startS3(REGISTRY);
  emptyS3 = await startS3('some-other-bucket');
});

afterAll(async () => {
  process.env = savedEnv;
  await Promise.all([ssm.stop(), google.stop(), registryS3.stop(), emptyS3.stop()]);
});

beforeEach(() => {
  ssm.parameters.clear();
  google.enabled.clear();
  google.buckets.clear();
  google.objects.clear();
  google.serviceUsageDisabled = false;
  google.requests.length = 0;
  ssm.requests.length = 0;
});

const deps = (s3Endpoint = registryS3.endpoint, auth = tokenAuth(TOKEN)): PreflightDeps => ({
  aws: { ssm: { endpoint: ssmUrl }, s3: { endpoint: s3Endpoint, forcePathStyle: true } },
  googleAuth: auth,
  google: { serviceUsageUrl: googleUrl, storageUrl: googleUrl },
});

async function preflight(args: string[], d: PreflightDeps = deps()) {
  let stdout = '';
  const ctx: CliContext = { io: { stdout: (s) => void (stdout += s), stderr: () => {}, stderrIsTTY: false }, exitCode: 0 };
  const program = new Command('modelstack').exitOverride().configureOutput({ writeErr: () => {} });
  registerPreflight(program, ctx, d);
  program.commands.forEach((c) => c.exitOverride());
  await program.parseAsync(['preflight', ...args], { from: 'user' });
  return { code: ctx.exitCode, stdout };
}

async function upload(key: string) {
  await registryS3.client().send(new PutObjectCommand({ Bucket: REGISTRY, Key: key, Body: 'x' }));
}

describe('modelstack preflight: AWS', () => {
  test('the bootstrap version it requires is what aws-cdk-lib synthesizes into every stack', () => {
    const app = new App();
    new sns.Topic(new Stack(app, 'Probe', { env: { account: '111111111111', region: 'eu-west-1' } }), 'Topic');
    const artifact = app.synth().getStackByName('Probe');
    expect(artifact.requiresBootstrapStackVersion).toBe(REQUIRED_BOOTSTRAP_VERSION);
    expect(artifact.bootstrapStackVersionSsmParameter).toBe(BOOTSTRAP_VERSION_PARAMETER);
  });

  test('a fresh account (not bootstrapped, no registry bucket): blockers with their fixes, exit code 1', async () => {
    const { code, stdout } = await preflight(['--env', 'staging', '--cloud', 'aws'], deps(emptyS3.endpoint));
    expect(code).toBe(1);
    expect(stdout).toBe(
      'modelstack preflight staging (AWS 222222222222/eu-west-1; embedded demo)\n' +
        `  BLOCKER  aws  CDK bootstrap of 222222222222/eu-west-1: not bootstrapped (${BOOTSTRAP_VERSION_PARAMETER} not found)\n` +
        // The demo's pipeline runs in dev's account (111111111111) and deploys to staging's through its bootstrap roles.
        '                fix: npx cdk bootstrap aws://222222222222/eu-west-1 --trust 111111111111 --cloudformation-execution-policies <policy ARN> (with this repository\'s CDK CLI, from credentials for that account)\n' +
        `  BLOCKER  aws  registry bucket s3://${REGISTRY} does not exist yet, so the artifacts of churn 1, sales-forecast 1 cannot be in it\n` +
        '                fix: deploy without those versions first (leave version out: the models wait for their first version), upload the artifacts, then deploy again\n' +
        '2 blockers, 0 warnings: the deploy would fail; fix the blockers first.\n',
    );
    // Read as the CDK CLI reads it, signed with the default chain's credentials.
    expect(ssm.requests).toEqual([
      { target: 'AmazonSSM.GetParameter', body: { Name: BOOTSTRAP_VERSION_PARAMETER, WithDecryption: true }, authorization: expect.stringContaining('Credential=S3RVER/') },
    ]);
  });

  test('a fresh, bootstrapped account with no version to serve yet: nothing blocks the first deploy', async () => {
    const raw = demo();
    for (const model of raw.models) delete model.version;
    const file = join(mkdtempSync(join(tmpdir(), 'preflight-')), 'platform.json');
    writeFileSync(file, JSON.stringify(raw));
    ssm.parameters.set(BOOTSTRAP_VERSION_PARAMETER, '21');
    try {
      const { code, stdout } = await preflight(['--env', 'staging', '--cloud', 'aws', '--config', file], deps(emptyS3.endpoint));
      expect(stdout).toContain(`  info     aws  registry bucket s3://${REGISTRY} does not exist yet: the first deploy creates it\n`);
      expect(stdout).toContain('no blockers');
      expect(code).toBe(0);
    } finally {
      ssm.parameters.delete(BOOTSTRAP_VERSION_PARAMETER);
    }
  });

  test("a ready account: bootstrapped, artifacts and the capturing models' baselines in place, exit code 0", async () => {
    ssm.parameters.set(BOOTSTRAP_VERSION_PARAMETER, '21');
    for (const key of ['models/churn/1/model.tar.gz', 'models/churn/1/baseline.json', 'models/sales-forecast/1/model.tar.gz', 'models/sales-forecast/1/baseline.json']) await upload(key);
    const { code, stdout } = await preflight(['--env', 'staging', '--cloud', 'aws']);
    expect(stdout).toBe(
      'modelstack preflight staging (AWS 222222222222/eu-west-1; embedded demo)\n' +
        `  ok       aws  CDK bootstrap of 222222222222/eu-west-1: version 21 (at least ${REQUIRED_BOOTSTRAP_VERSION} needed)\n` +
        `  ok       aws  registry bucket s3://${REGISTRY} exists\n` +
        `  ok       aws  model churn 1: s3://${REGISTRY}/models/churn/1/model.tar.gz\n` +
        `  ok       aws  model churn 1: drift baseline s3://${REGISTRY}/models/churn/1/baseline.json\n` +
        `  ok       aws  model sales-forecast 1: s3://${REGISTRY}/models/sales-forecast/1/model.tar.gz\n` +
        // sales-forecast's serverless endpoint cannot capture: its inference function does, so it has a drift check too.
        `  ok       aws  model sales-forecast 1: drift baseline s3://${REGISTRY}/models/sales-forecast/1/baseline.json\n` +
        'no blockers, 0 warnings: ready to deploy.\n',
    );
    expect(code).toBe(0);
  });

  test('a missing artifact names the model and the exact S3 key; a missing baseline is a warning; an old bootstrap blocks', async () => {
    ssm.parameters.set(BOOTSTRAP_VERSION_PARAMETER, '5');
    const config = demo();
    config.models[0].version = '3';
    config.models[1].version = '2024-06-01';
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-preflight-'));
    writeFileSync(join(dir, 'platform.json'), JSON.stringify(config));
    await upload('models/churn/3/model.tar.gz');
    const { code, stdout } = await preflight(['--env', 'staging', '--cloud', 'aws', '--config', join(dir, 'platform.json')]);
    expect(code).toBe(1);
    expect(stdout).toContain(
      `  BLOCKER  aws  CDK bootstrap of 222222222222/eu-west-1: version 5, at least ${REQUIRED_BOOTSTRAP_VERSION} needed\n` +
        '                fix: bootstrap again with a current CDK CLI: npx cdk bootstrap aws://222222222222/eu-west-1 --trust 111111111111',
    );
    expect(stdout).toContain(
      `  warning  aws  model churn 3: drift baseline s3://${REGISTRY}/models/churn/3/baseline.json is missing; every drift check fails until it exists\n` +
        `                fix: npx modelstack baseline --data train.csv --out baseline.json && aws s3 cp baseline.json s3://${REGISTRY}/models/churn/3/baseline.json\n`,
    );
    expect(stdout).toContain(
      `  BLOCKER  aws  model sales-forecast 2024-06-01: s3://${REGISTRY}/models/sales-forecast/2024-06-01/model.tar.gz is missing; SageMaker refuses to create a model without its artifact\n` +
        `                fix: aws s3 cp model.tar.gz s3://${REGISTRY}/models/sales-forecast/2024-06-01/model.tar.gz\n`,
    );
    // The second warning: sales-forecast's baseline (its inference function captures, so it has a drift check).
    expect(stdout).toContain(`  warning  aws  model sales-forecast 2024-06-01: drift baseline s3://${REGISTRY}/models/sales-forecast/2024-06-01/baseline.json is missing`);
    expect(stdout).toMatch(/\n2 blockers, 2 warnings: the deploy would fail; fix the blockers first\.\n$/);
  });

  test('a model without a version is waiting for its first one: reported, not looked up', async () => {
    ssm.parameters.set(BOOTSTRAP_VERSION_PARAMETER, '21');
    const config = parseConfig(demo());
    delete (config.models[1] as { version?: string }).version;
    await upload('models/churn/1/model.tar.gz');
    const results = await awsPreflight(config, 'staging', deps().aws);
    expect(results.find((r) => r.detail.startsWith('model sales-forecast'))).toEqual({
      cloud: 'aws',
      status: 'info',
      detail: 'model sales-forecast: waiting for a first version (no endpoint until models/sales-forecast/<version>/model.tar.gz is uploaded and the config names it)',
    });
    expect(results.filter((r) => r.detail.includes('sales-forecast'))).toHaveLength(1);
    expect(results.find((r) => r.detail.startsWith('model churn 1: s3://'))).toMatchObject({ status: 'ok' });
  });

  test('modelstack registers it: a bad --env is exit code 2 with one line naming the environments', async () => {
    expect(await cli(['preflight', '--env', 'qa'])).toEqual({ code: 2, stdout: '', stderr: 'modelstack: error: --env qa: expected one of dev, staging, prod\n' });
  });

  test('an unknown environment or cloud is a usage error naming what is expected', async () => {
    await expect(preflight(['--env', 'qa'])).rejects.toThrow('--env qa: expected one of dev, staging, prod');
    await expect(preflight(['--env', 'dev', '--cloud', 'azure'])).rejects.toThrow('--cloud azure: expected aws or gcp');
  });
});

describe('modelstack preflight: Google Cloud', () => {
  let facts: Awaited<ReturnType<typeof gcpStackFacts>>;
  beforeAll(async () => {
    facts = await gcpStackFacts(parseConfig(demo()), 'staging');
  }, 60_000);

  test('the stack facts come from the synthesized stack: its artifacts bucket and its google_project_service APIs', () => {
    expect(facts.artifactsBucket).toBe(ARTIFACTS);
    const app = new TfApp({ outdir: mkdtempSync(join(tmpdir(), 'modelstack-tf-')), skipValidation: true });
    const stack = new TerraformStack(app, 'probe');
    for (const service of ['run.googleapis.com', 'aiplatform.googleapis.com', 'run.googleapis.com']) {
      new ProjectService(stack, `api-${Math.random()}`, { project: 'p', service });
    }
    expect(projectServices(stack.toTerraform())).toEqual(['aiplatform.googleapis.com', 'run.googleapis.com']);
    expect(projectServices({})).toEqual([]);
  });

  test('a fresh project (Service Usage off): a blocker naming the command that enables the base APIs, exit code 1', async () => {
    google.serviceUsageDisabled = true;
    const { code, stdout } = await preflight(['--env', 'staging', '--cloud', 'gcp']);
    expect(code).toBe(1);
    expect(stdout).toContain(
      '  BLOCKER  gcp  APIs of project modelstack-demo-staging: Service Usage answered HTTP 403 PERMISSION_DENIED: Service Usage API has not been used in project modelstack-demo-staging before or it is disabled.\n' +
        '                fix: gcloud services enable serviceusage.googleapis.com cloudresourcemanager.googleapis.com --project modelstack-demo-staging\n',
    );
  });

  test('base APIs off block; APIs the stack enables itself are info; a missing state bucket blocks; the artifacts bucket is created by the deploy', async () => {
    google.enabled.set('modelstack-demo-staging', new Set(['serviceusage.googleapis.com', 'storage.googleapis.com']));
    const config = parseConfig(demo());
    (config.environments.staging.gcp as any).state = { bucket: 'acme-tf-state', prefix: 'modelstack/staging' };
    const stackFacts = { services: ['aiplatform.googleapis.com', 'storage.googleapis.com'], artifactsBucket: ARTIFACTS };
    const results = await gcpPreflight(config, 'staging', tokenAuth(TOKEN), stackFacts, deps().google);
    expect(results).toEqual([
      {
        cloud: 'gcp',
        status: 'blocker',
        detail: 'project modelstack-demo-staging: cloudresourcemanager.googleapis.com not enabled; Terraform needs it before it can enable any other API',
        fix: 'gcloud services enable cloudresourcemanager.googleapis.com --project modelstack-demo-staging',
      },
      { cloud: 'gcp', status: 'info', detail: 'project modelstack-demo-staging: the deploy will enable aiplatform.googleapis.com' },
      {
        cloud: 'gcp',
        status: 'blocker',
        detail: 'Terraform state bucket gs://acme-tf-state/modelstack/staging: the bucket does not exist; Terraform cannot initialize its backend',
        fix: 'gcloud storage buckets create gs://acme-tf-state --project modelstack-demo-staging --location europe-west1 --uniform-bucket-level-access --public-access-prevention && gcloud storage buckets update gs://acme-tf-state --versioning',
      },
      {
        cloud: 'gcp',
        status: 'info',
        detail: `artifacts bucket gs://${ARTIFACTS} does not exist yet: the deploy creates it; upload each model version to it afterwards (an upload starts the model's deploy trigger)`,
      },
    ]);
    // One batchGet for the base APIs and the stack's APIs together.
    expect(google.requests.filter((r) => r.includes('services:batchGet'))).toHaveLength(1);
  });

  test('a ready environment on both clouds exits 0; a missing GCS artifact is a warning naming the object', async () => {
    ssm.parameters.set(BOOTSTRAP_VERSION_PARAMETER, '21');
    for (const key of ['models/churn/1/model.tar.gz', 'models/churn/1/baseline.json', 'models/sales-forecast/1/model.tar.gz', 'models/sales-forecast/1/baseline.json']) await upload(key);
    google.enabled.set('modelstack-demo-staging', new Set([...BASE_APIS, ...facts.services]));
    google.buckets.add(ARTIFACTS);
    // The demo keeps each environment's Terraform state in this bucket (gcp.state), which must exist first.
    google.buckets.add('modelstack-demo-tfstate');
    google.objects.add(`${ARTIFACTS}/models/churn/1/model.tar.gz`);
    const { code, stdout } = await preflight(['--env', 'staging']);
    expect(stdout).toMatch(/^modelstack preflight staging \(AWS 222222222222\/eu-west-1, Google Cloud modelstack-demo-staging\/europe-west1; embedded demo\)\n/);
    expect(stdout).toContain('  ok       gcp  project modelstack-demo-staging: serviceusage.googleapis.com and cloudresourcemanager.googleapis.com enabled\n');
    expect(stdout).toContain(`  ok       gcp  model churn 1: gs://${ARTIFACTS}/models/churn/1/model.tar.gz\n`);
    expect(stdout).toContain(
      `  warning  gcp  model sales-forecast 1: gs://${ARTIFACTS}/models/sales-forecast/1/model.tar.gz is missing; its Vertex AI endpoint serves nothing until it is uploaded\n` +
        `                fix: gcloud storage cp model.tar.gz gs://${ARTIFACTS}/models/sales-forecast/1/model.tar.gz\n`,
    );
    expect(stdout).toMatch(/\nno blockers, 1 warning: ready to deploy\.\n$/);
    expect(code).toBe(0);
  });

  test('Service Usage is asked at most 30 APIs at a time', async () => {
    const many = Array.from({ length: 35 }, (_, i) => `api${i}.googleapis.com`);
    google.enabled.set('modelstack-demo-staging', new Set([...BASE_APIS, ...many.slice(0, 34)]));
    const results = await gcpPreflight(parseConfig(demo()), 'staging', tokenAuth(TOKEN), { services: many }, deps().google);
    expect(google.requests.filter((r) => r.includes('services:batchGet')).map((r) => new URL(r.split(' ')[1], 'http://x').searchParams.getAll('names').length)).toEqual([30, 7]);
    expect(results[1]).toEqual({ cloud: 'gcp', status: 'info', detail: 'project modelstack-demo-staging: the deploy will enable api34.googleapis.com' });
  });

  test('no Google credentials is a blocker saying how to get them', async () => {
    const results = await gcpPreflight(parseConfig(demo()), 'staging', tokenAuth(undefined), facts, deps().google);
    expect(results).toEqual([
      {
        cloud: 'gcp',
        status: 'blocker',
        detail: expect.stringMatching(/^no Google Cloud credentials: .+/),
        fix: 'gcloud auth application-default login (or GOOGLE_APPLICATION_CREDENTIALS)',
      },
    ]);
  });
});
