import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerCloudRunDeploy, validateCloudRunDeployOptions, validateVertexModelOptions } from '../../cli/cloudrun-deploy';
import { CloudRunDeployerRole } from '../../constructs/gcp/cloud-run-deployer-role';
import { FakeVertex } from '../vertex-deploy/fake-vertex';
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
    expect(result()).toEqual({
      service: name,
      revision: expect.stringMatching(/-new$/),
      updated: true,
      image: IMAGE,
      storageUri: `gs://ms-dev-models-${PROJECT}/models/churn/3/`,
      container: { port: 8080, healthRoute: '/health', predictRoute: '/predict' },
    });
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

describe('modelstack cloudrun-deploy --vertex-model-id (registration for batch prediction, against loopback Cloud Run and Vertex AI APIs)', () => {
  let cloudRun: FakeCloudRun;
  let vertex: FakeVertex;
  let stdout: string[];
  beforeEach(async () => {
    cloudRun = await new FakeCloudRun(PROJECT, REGION).start();
    cloudRun.addService(SERVICE);
    vertex = await new FakeVertex().start();
    stdout = [];
  });
  afterEach(async () => {
    await cloudRun.stop();
    await vertex.stop();
  });

  const run = (args: string[]) => {
    const p = new Command('modelstack').exitOverride().configureOutput({ writeErr: () => {} });
    registerCloudRunDeploy(p, { io: { stdout: (t) => stdout.push(t) } }, { baseUrl: cloudRun.url, vertexBaseUrl: vertex.baseUrl, accessToken: async () => 'deploy-token', pollIntervalMs: 1, initialBackoffMs: 1 });
    p.commands.forEach((c) => c.exitOverride());
    return p.parseAsync(['cloudrun-deploy', '--project', PROJECT, '--region', REGION, '--service', SERVICE, '--image', IMAGE, ...args], { from: 'user' });
  };
  const register = ['--vertex-model-id', 'ms-dev-churn', '--alias', 'dev'];

  test('after the rollout, the version is uploaded with the service\'s image, port and routes (no endpoint, no deployment) and gets the environment alias', async () => {
    await run(['--artifact', artifact('3'), ...register]);
    expect(vertex.models.get('ms-dev-churn')).toEqual([{ versionId: expect.any(String), aliases: expect.arrayContaining(['v3', 'dev']), artifactUri: `gs://ms-dev-models-${PROJECT}/models/churn/3/`, imageUri: IMAGE }]);
    const upload = vertex.requests.find((r) => r.path.endsWith('/models:upload'))!;
    expect(upload.body.model.containerSpec).toEqual({ imageUri: IMAGE, ports: [{ containerPort: 8080 }], healthRoute: '/health', predictRoute: '/predict' });
    expect(upload.authorization).toBe('Bearer deploy-token');
    // Nothing but the Model Registry: no endpoint call, so no replica.
    expect(vertex.calls().filter((c) => /endpoints/.test(c))).toEqual([]);
    expect(JSON.parse(stdout[stdout.length - 1]).vertexModel).toEqual({ modelVersion: expect.stringMatching(/models\/ms-dev-churn@\w+$/), uploaded: true });
  });

  test('a rerun uploads nothing; the next version takes the alias from the previous one (batch scores what Cloud Run serves)', async () => {
    await run(['--artifact', artifact('3'), ...register]);
    await run(['--artifact', artifact('3'), ...register]);
    expect(vertex.requests.filter((r) => r.path.endsWith('/models:upload'))).toHaveLength(1);
    await run(['--artifact', artifact('4'), ...register]);
    const versions = vertex.models.get('ms-dev-churn')!;
    expect(versions.map((v) => [v.artifactUri.split('/').at(-2), v.aliases.filter((a) => a === 'dev')])).toEqual([
      ['3', []],
      ['4', ['dev']],
    ]);
  });

  test('a revision that does not become ready is not registered: the alias stays on the version that served', async () => {
    await run(['--artifact', artifact('3'), ...register]);
    cloudRun.failingImages.add(IMAGE);
    await expect(run(['--artifact', artifact('4'), ...register])).rejects.toThrow(/is not ready/);
    expect(vertex.models.get('ms-dev-churn')!.map((v) => v.artifactUri.split('/').at(-2))).toEqual(['3']);
  });

  test('bad registration options are listed before anything is rolled out', async () => {
    expect(validateVertexModelOptions('Bad Id', 'Dev!')).toEqual([
      '--vertex-model-id "Bad Id": expected lowercase letters, digits, - and _, starting with a letter',
      '--alias "Dev!": expected a lowercase letter, then letters, digits and hyphens',
    ]);
    await expect(run(['--artifact', artifact('3'), '--vertex-model-id', 'ms-dev-churn'])).rejects.toThrow('--vertex-model-id and --alias: expected both or neither');
    expect(cloudRun.requests).toEqual([]);
  });

  test('it calls only Vertex AI methods the model registry role allows (the Vertex AI REST reference\'s IAM permissions)', async () => {
    await run(['--artifact', artifact('3'), ...register]);
    await run(['--artifact', artifact('4'), ...register]);
    const documented: Record<string, string> = { GET: 'aiplatform.models.get', upload: 'aiplatform.models.upload', mergeVersionAliases: 'aiplatform.models.update' };
    const used = new Set(
      vertex.calls().map((c) => {
        const [method, path] = c.split(' ');
        if (method === 'GET') return documented.GET; // models.get, and the upload operation, which needs the model's get
        return documented[path.split(':').at(-1)!] ?? `unexpected ${c}`;
      }),
    );
    expect([...used].sort()).toEqual([...CloudRunDeployerRole.MODEL_REGISTRY_PERMISSIONS].sort());
  });
});
