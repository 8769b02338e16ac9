import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { deployModelVersion, type DeployOptions, parseArtifact, sameModel, validateDeployOptions, versionAlias } from '../../cli/vertex-deploy/deploy';
import { registerVertexDeploy, VertexApiError, VertexClient } from '../../cli/vertex-deploy';
import { FakeVertex } from './fake-vertex';

const ENDPOINT = '4737048978';
const options = (version: string, overrides: Partial<DeployOptions> = {}): DeployOptions => ({
  project: 'my-ml-project',
  region: 'europe-west1',
  endpointId: ENDPOINT,
  modelId: 'ms-prod-churn',
  artifact: `gs://ms-prod-models-my-ml-project/models/churn/${version}/model.tar.gz`,
  image: 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
  machineType: 'n1-standard-4',
  minReplicas: 1,
  maxReplicas: 4,
  latestPercent: 100,
  alias: 'prod',
  operationTimeoutMs: 5000,
  ...overrides,
});

let fake: FakeVertex;
const sleeps: number[] = [];
const client = (overrides: Partial<ConstructorParameters<typeof VertexClient>[0]> = {}) =>
  new VertexClient({
    region: 'europe-west1',
    baseUrl: fake.baseUrl,
    accessToken: async () => 'test-token',
    pollIntervalMs: 1,
    initialBackoffMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });

beforeEach(async () => {
  fake = await new FakeVertex().start();
  fake.addEndpoint(ENDPOINT);
  sleeps.length = 0;
});
afterEach(() => fake.stop());

describe('vertex-deploy against a loopback Vertex AI', () => {
  test('first version: creates the model, deploys it with the configured resources, sets the alias', async () => {
    const lines: string[] = [];
    const result = await deployModelVersion(client(), options('1'), (l) => lines.push(l));

    expect(result).toEqual({
      modelVersion: 'projects/my-ml-project/locations/europe-west1/models/ms-prod-churn@1',
      uploaded: true,
      deployedModelId: expect.any(String),
      trafficSplit: { [result.deployedModelId]: 100 },
      undeployed: [],
    });
    const upload = fake.requests.find((r) => r.path.endsWith('/models:upload'))!;
    expect(upload.authorization).toBe('Bearer test-token');
    expect(upload.body).toEqual({
      modelId: 'ms-prod-churn',
      model: expect.objectContaining({
        displayName: 'ms-prod-churn',
        artifactUri: 'gs://ms-prod-models-my-ml-project/models/churn/1/',
        containerSpec: { imageUri: 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest' },
        versionAliases: ['v1'],
      }),
    });
    expect(fake.endpoints.get(ENDPOINT)!.deployedModels).toEqual([
      // Vertex AI names the deployed model with the project number.
      { id: result.deployedModelId, model: 'projects/123456789012/locations/europe-west1/models/ms-prod-churn', modelVersionId: '1', machineType: 'n1-standard-4', minReplicaCount: 1, maxReplicaCount: 4 },
    ]);
    expect(fake.models.get('ms-prod-churn')![0].aliases).toEqual(['v1', 'prod']);
    expect(lines.at(-1)).toBe('alias prod -> version 1');
  });

  test('a canary: the new version gets its share, the previous keeps the rest, older ones are undeployed', async () => {
    const first = await deployModelVersion(client(), options('1'));
    const second = await deployModelVersion(client(), options('2'));
    expect(second.undeployed).toEqual([first.deployedModelId]);

    const third = await deployModelVersion(client(), options('3', { latestPercent: 10 }));
    expect(third.trafficSplit).toEqual({ [third.deployedModelId]: 10, [second.deployedModelId]: 90 });
    expect(fake.endpoints.get(ENDPOINT)!.trafficSplit).toEqual(third.trafficSplit);
    expect(fake.requests.find((r) => r.path.endsWith(':deployModel') && r.body.deployedModel.model.endsWith('@3'))!.body.trafficSplit).toEqual({
      '0': 10,
      [second.deployedModelId]: 90,
    });
    expect(third.undeployed).toEqual([]);
    // Later versions are uploaded under the same model; the alias moved from version 2 to 3.
    expect(fake.requests.filter((r) => r.path.endsWith('/models:upload')).map((r) => r.body.parentModel ?? r.body.modelId)).toEqual([
      'ms-prod-churn',
      'projects/my-ml-project/locations/europe-west1/models/ms-prod-churn',
      'projects/my-ml-project/locations/europe-west1/models/ms-prod-churn',
    ]);
    expect(fake.models.get('ms-prod-churn')!.map((v) => v.aliases)).toEqual([['v1'], ['v2'], ['v3', 'prod']]);

    // Promoting: the canary and the old version both give way to version 4.
    const fourth = await deployModelVersion(client(), options('4'));
    expect(fourth.undeployed).toEqual([third.deployedModelId, second.deployedModelId]);
    expect(fake.endpoints.get(ENDPOINT)!.deployedModels.map((d) => d.modelVersionId)).toEqual(['4']);
  });

  test('a rerun for the live version changes nothing (Vertex AI names the deployed model by project number)', async () => {
    const first = await deployModelVersion(client(), options('1'));
    expect(fake.endpoints.get(ENDPOINT)!.deployedModels[0].model).toMatch(/^projects\/123456789012\//);
    const before = fake.requests.length;
    const lines: string[] = [];
    const again = await deployModelVersion(client(), options('1'), (l) => lines.push(l));
    expect(again).toEqual({ ...first, uploaded: false });
    expect(fake.calls().slice(before)).toEqual(['GET models/ms-prod-churn@v1', `GET endpoints/${ENDPOINT}`, 'GET models/ms-prod-churn@prod']);
    expect(lines).toContain(`version 1 is already deployed as ${first.deployedModelId} with traffic {"${first.deployedModelId}":100}`);
  });

  test('a rerun for the live canary with another split only moves traffic', async () => {
    const first = await deployModelVersion(client(), options('1'));
    const canary = await deployModelVersion(client(), options('2', { latestPercent: 10 }));
    const before = fake.requests.length;
    const rerun = await deployModelVersion(client(), options('2', { latestPercent: 50 }));
    expect(rerun.trafficSplit).toEqual({ [canary.deployedModelId]: 50, [first.deployedModelId]: 50 });
    expect(fake.calls().slice(before)).toEqual([
      'GET models/ms-prod-churn@v2',
      `GET endpoints/${ENDPOINT}`,
      `PATCH endpoints/${ENDPOINT}?updateMask=trafficSplit`,
      'GET models/ms-prod-churn@prod',
    ]);
    expect(fake.endpoints.get(ENDPOINT)!.deployedModels.map((d) => d.modelVersionId)).toEqual(['1', '2']);
  });

  test('a model resource name matches by project id or number, with the same location and model id', () => {
    const name = 'projects/my-ml-project/locations/europe-west1/models/ms-prod-churn';
    expect(sameModel(name, name)).toBe(true);
    expect(sameModel('projects/123456789012/locations/europe-west1/models/ms-prod-churn@3', name)).toBe(true);
    expect(sameModel('projects/other-project/locations/europe-west1/models/ms-prod-churn', name)).toBe(false);
    expect(sameModel('projects/123456789012/locations/us-central1/models/ms-prod-churn', name)).toBe(false);
    expect(sameModel('projects/123456789012/locations/europe-west1/models/ms-prod-churn-2', name)).toBe(false);
  });

  test('429 and 503 are retried with growing backoff, honouring Retry-After', async () => {
    fake.fault('POST', /models:upload$/, 503, { times: 2 });
    fake.fault('GET', /endpoints\/\d+$/, 429, { headers: { 'retry-after': '2' } });
    await deployModelVersion(client(), options('1'));
    expect(fake.calls().filter((c) => c === 'POST models:upload')).toHaveLength(3);
    // Upload: 10 ms then 20 ms; endpoints.get: Retry-After 2 s beats the 10 ms backoff. Polls sleep 1 ms.
    expect(sleeps.filter((ms) => ms > 1)).toEqual([10, 20, 2000]);
  });

  test('retries are bounded, and the error names the call', async () => {
    fake.fault('POST', /models:upload$/, 503, { times: 10 });
    const run = deployModelVersion(client({ maxAttempts: 3 }), options('1'));
    await expect(run).rejects.toThrow(
      'Vertex AI models.upload failed: POST projects/my-ml-project/locations/europe-west1/models:upload: HTTP 503 FAILED: injected 503 (after 3 attempts)',
    );
    expect(fake.calls().filter((c) => c === 'POST models:upload')).toHaveLength(3);
  });

  test('a client error is not retried and carries Google\'s status and message', async () => {
    fake.fault('POST', /:deployModel$/, 400, { body: JSON.stringify({ error: { status: 'INVALID_ARGUMENT', message: 'Machine type n1-standard-4 is not supported.' } }) });
    const error = await deployModelVersion(client(), options('1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VertexApiError);
    expect((error as VertexApiError).status).toBe(400);
    expect((error as Error).message).toBe(
      `Vertex AI endpoints.deployModel failed: POST projects/my-ml-project/locations/europe-west1/endpoints/${ENDPOINT}:deployModel: HTTP 400 INVALID_ARGUMENT: Machine type n1-standard-4 is not supported.`,
    );
    expect(fake.calls().filter((c) => c.endsWith(':deployModel'))).toHaveLength(1);
  });

  test('a non-JSON error body is quoted', async () => {
    fake.fault('GET', /endpoints\/\d+$/, 502, { body: '<html>Bad Gateway</html>' });
    await expect(deployModelVersion(client(), options('1'))).rejects.toThrow(/^Vertex AI endpoints\.get failed: GET .*: HTTP 502 <html>Bad Gateway<\/html>$/);
  });

  test('a missing endpoint is an error naming it', async () => {
    await expect(deployModelVersion(client(), options('1', { endpointId: '1234567890' }))).rejects.toThrow(
      'Vertex AI endpoints.get failed: GET projects/my-ml-project/locations/europe-west1/endpoints/1234567890: HTTP 404 NOT_FOUND: Endpoint 1234567890 not found',
    );
  });

  test('a long-running operation that fails, and one that never finishes', async () => {
    fake.failOperations = /:deployModel$/;
    await expect(deployModelVersion(client(), options('1'))).rejects.toThrow(
      /^Vertex AI endpoints\.deployModel failed: operation projects\/p\/locations\/r\/operations\/\d+ failed: injected operation failure \(code 9\)$/,
    );

    fake.failOperations = undefined;
    fake.operationPolls = Infinity;
    let clock = 0;
    const slow = client({ now: () => clock, sleep: async (ms) => void (clock += ms), pollIntervalMs: 1000 });
    await expect(deployModelVersion(slow, options('2', { operationTimeoutMs: 5000 }))).rejects.toThrow(
      /^Vertex AI models\.upload failed: operation projects\/p\/locations\/r\/operations\/\d+ still running after 5 s \(timed out\)$/,
    );
    expect(clock).toBe(5000);
  });

  test('a network failure names the call', async () => {
    await fake.stop();
    await expect(deployModelVersion(client(), options('1'))).rejects.toThrow(/^Vertex AI models\.get failed: GET projects\/my-ml-project\/locations\/europe-west1\/models\/ms-prod-churn@v1: fetch failed$/);
    fake = await new FakeVertex().start(); // afterEach stops it
  });

  test('bad options are all reported before any call', async () => {
    const bad = options('1', { project: 'X', endpointId: '0abc', minReplicas: 3, maxReplicas: 2, latestPercent: 0, alias: 'Prod', artifact: 's3://b/k' });
    await expect(deployModelVersion(client(), bad)).rejects.toThrow(
      'vertex-deploy: invalid options\n' +
        '  - --project "X": expected a GCP project id\n' +
        '  - --endpoint "0abc": expected a numeric endpoint id\n' +
        '  - --max-replicas 2: expected a whole number, at least --min-replicas\n' +
        '  - --latest-percent 0: expected 1 to 100 (the previous version gets the rest, so the split sums to 100)\n' +
        '  - --alias "Prod": expected a lowercase letter, then letters, digits and hyphens\n' +
        '  - --artifact "s3://b/k": expected gs://<bucket>/models/<model>/<version>/<file>',
    );
    expect(fake.requests).toEqual([]);
    expect(validateDeployOptions(options('1'))).toEqual([]);
  });

  test('artifact URIs and version aliases', () => {
    expect(parseArtifact('gs://bkt/models/churn/2024-06-01/model.tar.gz')).toEqual({
      bucket: 'bkt',
      model: 'churn',
      version: '2024-06-01',
      directory: 'gs://bkt/models/churn/2024-06-01/',
    });
    expect(versionAlias('1')).toBe('v1');
    expect(versionAlias('1.2_RC')).toBe('v1-2-rc');
  });
});

describe('modelstack vertex-deploy (commander)', () => {
  function program(stdout: string[]) {
    const p = new Command('modelstack').exitOverride().configureOutput({ writeErr: () => {} });
    registerVertexDeploy(p, { io: { stdout: (t) => stdout.push(t) } }, { baseUrl: fake.baseUrl, accessToken: async () => 'cli-token', pollIntervalMs: 1, initialBackoffMs: 1 });
    p.commands.forEach((c) => c.exitOverride());
    return p;
  }
  const argv = (extra: string[] = []) => [
    'vertex-deploy',
    '--project', 'my-ml-project',
    '--region', 'europe-west1',
    '--endpoint', ENDPOINT,
    '--model-id', 'ms-dev-churn',
    '--artifact', 'gs://bkt/models/churn/7/model.tar.gz',
    '--image', 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
    ...extra,
  ];

  test('parses its options, deploys, and prints progress and a JSON result', async () => {
    const out: string[] = [];
    await program(out).parseAsync(argv(['--machine-type', 'e2-standard-4', '--min-replicas', '2', '--max-replicas', '3', '--alias', 'dev']), { from: 'user' });
    expect(fake.endpoints.get(ENDPOINT)!.deployedModels).toEqual([expect.objectContaining({ machineType: 'e2-standard-4', minReplicaCount: 2, maxReplicaCount: 3, modelVersionId: '1' })]);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ uploaded: true, modelVersion: 'projects/my-ml-project/locations/europe-west1/models/ms-dev-churn@1' });
    expect(out.join('')).toContain('alias dev -> version 1\n');
    expect(fake.requests[0].authorization).toBe('Bearer cli-token');
  });

  test('a built image: --image-file holds the pushed digest; the custom container gets its port and routes', async () => {
    const image = `europe-west1-docker.pkg.dev/my-ml-project/ms-dev-models/model-server@sha256:${'e'.repeat(64)}`;
    const file = join(mkdtempSync(join(tmpdir(), 'modelstack-image-ref-')), 'model-image.ref');
    writeFileSync(file, `${image}\n`);
    const out: string[] = [];
    const args = argv(['--container-port', '8080', '--health-route', '/health', '--predict-route', '/predict']).filter((a, i, all) => a !== '--image' && all[i - 1] !== '--image');
    await program(out).parseAsync([...args, '--image-file', file], { from: 'user' });
    const upload = fake.requests.find((r) => r.path.endsWith('/models:upload'))!;
    expect(upload.body.model.containerSpec).toEqual({ imageUri: image, ports: [{ containerPort: 8080 }], healthRoute: '/health', predictRoute: '/predict' });
    // Vertex AI sets AIP_STORAGE_URI to (a copy of) the artifact URI: the version folder, which the model server loads.
    expect(upload.body.model.artifactUri).toBe('gs://bkt/models/churn/7/');
  });

  test('image and container options: exactly one image source, the three container options together, valid values', async () => {
    const out: string[] = [];
    await expect(program(out).parseAsync([...argv(), '--image-file', '/x'], { from: 'user' })).rejects.toThrow('expected exactly one of --image and --image-file');
    await expect(program(out).parseAsync(argv(['--container-port', '8080']), { from: 'user' })).rejects.toThrow('expected --container-port, --health-route and --predict-route together');
    const noImage = argv().filter((a, i, all) => a !== '--image' && all[i - 1] !== '--image');
    await expect(program(out).parseAsync([...noImage, '--image-file', '/nonexistent/ref'], { from: 'user' })).rejects.toThrow('--image-file /nonexistent/ref: ENOENT');
    expect(validateDeployOptions(options('1', { image: 'not an image', container: { port: 8150, healthRoute: 'health', predictRoute: '/predict' } }))).toEqual([
      '--image "not an image": expected a container image URI',
      '--container-port 8150: expected a port Vertex AI does not reserve (not 7080, 8100-8200, 8888 or 9000)',
      '--health-route "health": expected a path such as /health',
    ]);
    expect(fake.requests).toEqual([]);
  });

  test('rejects a non-numeric replica count and a missing required option', async () => {
    const out: string[] = [];
    await expect(program(out).parseAsync(argv(['--min-replicas', 'two']), { from: 'user' })).rejects.toThrow(
      "error: option '--min-replicas <n>' argument 'two' is invalid. expected a whole number, at least 1",
    );
    await expect(program(out).parseAsync(['vertex-deploy', '--project', 'p'], { from: 'user' })).rejects.toThrow("error: required option '--region <region>' not specified");
    expect(fake.requests).toEqual([]);
  });
});
