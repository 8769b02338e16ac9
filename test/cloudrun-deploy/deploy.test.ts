import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCloudRunDeploy, validateCloudRunDeployOptions } from '../../cli/cloudrun-deploy';
import { CloudRunDeployerRole } from '../../constructs/gcp/cloud-run-deployer-role';
import { FakeCloudRun } from './fake-cloud-run';

const PROJECT = 'my-ml-project';
const REGION = 'europe-west1';
const SERVICE = 'ms-dev-serve-churn';
const IMAGE = `europe-west1-docker.pkg.dev/${PROJECT}/ms-dev-models/model-server@sha256:${'a'.repeat(64)}`;
const artifact = (version: string) => `gs://ms-dev-models-${PROJECT}/models/churn/${version}/model.tar.gz`;

describe('modelstack cloudrun-deploy (against a loopback Cloud Run Admin API)', () => {
  let fake: FakeCloudRun;
  let name: string;
  let stdout: string[];
  beforeEach(async () => {
    fake = await new FakeCloudRun(PROJECT, REGION).start();
    name = fake.addService(SERVICE);
    stdout = [];
  });
  afterEach(() => fake.stop());

  const run = (args: string[]) => {
    const p = new Command('modelstack').exitOverride().configureOutput({ writeErr: () => {} });
    registerCloudRunDeploy(p, { io: { stdout: (t) => stdout.push(t) } }, { baseUrl: fake.url, accessToken: async () => 'deploy-token', pollIntervalMs: 1, initialBackoffMs: 1 });
    p.commands.forEach((c) => c.exitOverride());
    return p.parseAsync(['cloudrun-deploy', '--project', PROJECT, '--region', REGION, '--service', SERVICE, ...args], { from: 'user' });
  };
  const result = () => JSON.parse(stdout[stdout.length - 1]);

  test('rolls out the image and the version directory as AIP_STORAGE_URI, keeping Terraform\'s settings; all traffic to the new revision', async () => {
    await run(['--artifact', artifact('3'), '--image', IMAGE]);
    const service = fake.services.get(name);
    expect(service.template.containers[0].image).toBe(IMAGE);
    expect(service.template.containers[0].env).toEqual([
      { name: 'AIP_HTTP_PORT', value: '8080' },
      { name: 'AIP_HEALTH_ROUTE', value: '/health' },
      { name: 'AIP_PREDICT_ROUTE', value: '/predict' },
      { name: 'AIP_STORAGE_URI', value: `gs://ms-dev-models-${PROJECT}/models/churn/3/` },
    ]);
    expect(service.template.scaling).toEqual({ minInstanceCount: 0, maxInstanceCount: 3 });
    expect(service.template.encryptionKey).toMatch(/cryptoKeys/);
    expect(service.traffic).toEqual([{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }]);
    expect(result()).toEqual({ service: name, revision: expect.stringMatching(/-new$/), updated: true, image: IMAGE, storageUri: `gs://ms-dev-models-${PROJECT}/models/churn/3/` });
    // The optimistic-concurrency etag of the read goes back with the update; every call carries the ADC token.
    const patch = fake.requests.find((r) => r.method === 'PATCH')!;
    expect(patch.body.etag).toBe('"1"');
    expect(new Set(fake.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer deploy-token']));
  });

  test('a rerun for the version it already serves changes nothing; a new version replaces the directory', async () => {
    await run(['--artifact', artifact('3'), '--image', IMAGE]);
    const patches = () => fake.requests.filter((r) => r.method === 'PATCH').length;
    expect(patches()).toBe(1);
    await run(['--artifact', artifact('3'), '--image', IMAGE]);
    expect(patches()).toBe(1);
    expect(result().updated).toBe(false);
    await run(['--artifact', artifact('4'), '--image', IMAGE]);
    expect(patches()).toBe(2);
    expect(fake.services.get(name).template.containers[0].env.filter((e: any) => e.name === 'AIP_STORAGE_URI')).toEqual([{ name: 'AIP_STORAGE_URI', value: `gs://ms-dev-models-${PROJECT}/models/churn/4/` }]);
  });

  test('the image comes from the file the build steps write', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cr-')), 'model-image.ref');
    writeFileSync(file, `${IMAGE}\n`);
    await run(['--artifact', artifact('3'), '--image-file', file]);
    expect(fake.services.get(name).template.containers[0].image).toBe(IMAGE);
    await expect(run(['--artifact', artifact('3'), '--image', IMAGE, '--image-file', file])).rejects.toThrow('expected exactly one of --image and --image-file');
  });

  test('a revision that does not become ready fails the build with Cloud Run\'s reason; the previous revision keeps serving', async () => {
    const before = fake.services.get(name).latestReadyRevision;
    fake.failingImages.add(IMAGE);
    await expect(run(['--artifact', artifact('3'), '--image', IMAGE])).rejects.toThrow(
      `cloudrun-deploy: revision ${name.replace('/services/', '/revisions/')}-00002-new of ${SERVICE} is not ready: HealthCheckContainerError: The user-provided container failed the configured startup probe checks. (traffic stays on ${before})`,
    );
  });

  test('Cloud Run refusing the call names it with its status (a deployer without the role)', async () => {
    fake.fault('PATCH', 403, { error: { code: 403, status: 'PERMISSION_DENIED', message: "Permission 'run.services.update' denied on resource" } });
    await expect(run(['--artifact', artifact('3'), '--image', IMAGE])).rejects.toThrow(
      `Cloud Run services.patch failed: PATCH ${name}: HTTP 403 PERMISSION_DENIED: Permission 'run.services.update' denied on resource`,
    );
  });

  test('every bad option is listed', () => {
    expect(validateCloudRunDeployOptions({ project: 'P', region: 'mars', service: 'Bad_Name', artifact: 'gs://b/other/x', image: 'not an image', timeoutMs: 1 })).toEqual([
      '--project "P": expected a GCP project id',
      '--region "mars": expected a GCP region such as europe-west1',
      '--service "Bad_Name": expected a Cloud Run service name (lowercase letters, digits and hyphens, at most 49)',
      '--image "not an image": expected a container image URI',
      '--artifact "gs://b/other/x": expected gs://<bucket>/models/<model>/<version>/<file>',
    ]);
  });

  test('it calls only methods the deployer role allows on the service, and never polls an operation (a project-level permission)', async () => {
    await run(['--artifact', artifact('3'), '--image', IMAGE]);
    // The permission the Cloud Run Admin API v2 reference lists for each method
    // (https://cloud.google.com/run/docs/reference/rest/v2/projects.locations.services/get and .../patch).
    const documented: Record<string, string> = { 'services.get': 'run.services.get', 'services.patch': 'run.services.update' };
    const source = readdirSync(join(__dirname, '../../cli/cloudrun-deploy')).map((f) => readFileSync(join(__dirname, '../../cli/cloudrun-deploy', f), 'utf8')).join('\n');
    const methods = [...new Set([...source.matchAll(/client\.(?:call|find)(?:<[^>]*>)?\(\s*'([\w.]+)'/g)].map((m) => m[1]))].sort();
    expect(methods).toEqual(['services.get', 'services.patch']);
    expect([...CloudRunDeployerRole.SERVICE_PERMISSIONS].sort()).toEqual(methods.map((m) => documented[m]).sort());
    expect(fake.requests.map((r) => r.path).filter((p) => p.includes('/operations/'))).toEqual([]);
    expect(new Set(fake.requests.map((r) => r.path))).toEqual(new Set([`/v2/${name}`]));
  });
});
