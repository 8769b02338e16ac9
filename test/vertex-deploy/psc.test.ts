import { Command } from 'commander';
import { connectPrivateEndpoint, registerVertexDeploy, VertexClient } from '../../cli/vertex-deploy';
import { FakeVertex } from './fake-vertex';

const ENDPOINT = '4737048978';
const ADDRESS = 'projects/my-ml-project/regions/europe-west1/addresses/ms-prod-churn-psc';
const NETWORK = 'projects/my-ml-project/global/networks/ml-vpc';
const RULE = 'projects/my-ml-project/regions/europe-west1/forwardingRules/ms-prod-churn-psc';

let fake: FakeVertex;
beforeEach(async () => {
  fake = await new FakeVertex().start();
  fake.addEndpoint(ENDPOINT, { psc: true });
});
afterEach(() => fake.stop());

function program(stdout: string[]) {
  const p = new Command('modelstack').exitOverride().configureOutput({ writeErr: () => {} });
  registerVertexDeploy(p, { io: { stdout: (t) => stdout.push(t) } }, { baseUrl: fake.baseUrl, computeBaseUrl: `${fake.baseUrl}/compute`, accessToken: async () => 'cli-token', pollIntervalMs: 1, initialBackoffMs: 1 });
  p.commands.forEach((c) => c.exitOverride());
  return p;
}
const argv = (version: string, extra: string[] = ['--psc-address', ADDRESS, '--psc-network', NETWORK]) => [
  'vertex-deploy',
  '--project', 'my-ml-project',
  '--region', 'europe-west1',
  '--endpoint', ENDPOINT,
  '--model-id', 'ms-prod-churn',
  '--artifact', `gs://bkt/models/churn/${version}/model.tar.gz`,
  '--image', 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
  ...extra,
];
const client = (service?: string, base = fake.baseUrl) => new VertexClient({ region: 'europe-west1', baseUrl: base, service, accessToken: async () => 't', pollIntervalMs: 1, initialBackoffMs: 1 });
const options = { project: 'my-ml-project', region: 'europe-west1', endpointId: ENDPOINT, address: ADDRESS, network: NETWORK, operationTimeoutMs: 5000 };

describe('vertex-deploy on a Private Service Connect endpoint', () => {
  test('after the first deployment, a forwarding rule on the reserved address targets the service attachment', async () => {
    const out: string[] = [];
    await program(out).parseAsync(argv('1'), { from: 'user' });
    const insert = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/forwardingRules'))!;
    expect(insert.path).toBe('compute/projects/my-ml-project/regions/europe-west1/forwardingRules');
    expect(insert.authorization).toBe('Bearer cli-token');
    expect(insert.body).toEqual({
      name: 'ms-prod-churn-psc',
      network: NETWORK,
      IPAddress: ADDRESS,
      target: fake.serviceAttachment(ENDPOINT),
      loadBalancingScheme: '',
      description: `Private Service Connect endpoint of Vertex AI endpoint ${ENDPOINT} (ModelStack)`,
    });
    // The rule comes after the deployment: the attachment exists only then.
    const calls = fake.calls();
    expect(calls.findIndex((c) => c.endsWith(':deployModel'))).toBeLessThan(calls.findIndex((c) => c.includes('forwardingRules')));
    expect(fake.forwardingRules.get(RULE)).toMatchObject({ pscConnectionStatus: 'ACCEPTED' });
    expect(JSON.parse(out.at(-1)!).privateServiceConnect).toEqual({ forwardingRule: RULE, serviceAttachment: fake.serviceAttachment(ENDPOINT), created: true });
  });

  test('later deployments find the rule and leave it', async () => {
    await program([]).parseAsync(argv('1'), { from: 'user' });
    const out: string[] = [];
    await program(out).parseAsync(argv('2'), { from: 'user' });
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/forwardingRules'))).toHaveLength(1);
    expect(JSON.parse(out.at(-1)!).privateServiceConnect.created).toBe(false);
    expect(out.join('')).toContain(`forwarding rule ms-prod-churn-psc already connects ${fake.serviceAttachment(ENDPOINT)} (ACCEPTED)`);
  });

  test('a rule of that name targeting something else is an error naming both', async () => {
    await program([]).parseAsync(argv('1'), { from: 'user' });
    fake.forwardingRules.get(RULE)!.target = 'https://www.googleapis.com/compute/v1/projects/x/regions/europe-west1/serviceAttachments/other';
    await expect(connectPrivateEndpoint(client(), client('Compute Engine', `${fake.baseUrl}/compute`), options)).rejects.toThrow(
      `vertex-deploy: forwarding rule ${RULE} targets https://www.googleapis.com/compute/v1/projects/x/regions/europe-west1/serviceAttachments/other, not the endpoint's service attachment ${fake.serviceAttachment(ENDPOINT)}: delete it and run again`,
    );
  });

  test('an endpoint without a service attachment, and a failed operation, are errors', async () => {
    await expect(connectPrivateEndpoint(client(), client('Compute Engine', `${fake.baseUrl}/compute`), options)).rejects.toThrow(
      `vertex-deploy: endpoint projects/my-ml-project/locations/europe-west1/endpoints/${ENDPOINT} has no Private Service Connect service attachment: expected an endpoint created with privateServiceConnectConfig and a deployed model`,
    );
    await program([]).parseAsync(argv('1', []), { from: 'user' });
    fake.failOperations = /forwardingRules$/;
    await expect(connectPrivateEndpoint(client(), client('Compute Engine', `${fake.baseUrl}/compute`), options)).rejects.toThrow(
      /^Compute Engine forwardingRules\.insert failed: operation operation-\d+: QUOTA_EXCEEDED: injected operation failure$/,
    );
    fake.fault('GET', /forwardingRules\//, 403, { body: JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: "Required 'compute.forwardingRules.get' permission" } }) });
    await expect(connectPrivateEndpoint(client(), client('Compute Engine', `${fake.baseUrl}/compute`), options)).rejects.toThrow(
      `Compute Engine forwardingRules.get failed: GET ${RULE}: HTTP 403 PERMISSION_DENIED: Required 'compute.forwardingRules.get' permission`,
    );
  });

  test('bad PSC options are reported before anything is deployed', async () => {
    await expect(program([]).parseAsync(argv('1', ['--psc-address', 'projects/my-ml-project/regions/us-east1/addresses/a']), { from: 'user' })).rejects.toThrow(
      'vertex-deploy: invalid options\n' +
        '  - --psc-address "projects/my-ml-project/regions/us-east1/addresses/a": expected an address in --region europe-west1 (the endpoint\'s)\n' +
        '  - --psc-network "": expected projects/<project>/global/networks/<name>',
    );
    expect(fake.requests).toEqual([]);
  });
});
