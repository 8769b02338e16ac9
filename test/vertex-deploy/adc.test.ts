import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { applicationDefaultTokenProvider, CLOUD_PLATFORM_SCOPE } from '../../cli/vertex-deploy/adc';
import { FakeVertex } from './fake-vertex';

const ENDPOINT = '1234567890';
const argv = [
  'vertex-deploy', '--project', 'my-ml-project', '--region', 'europe-west1', '--endpoint', ENDPOINT, '--model-id', 'ms-dev-churn',
  '--artifact', 'gs://bkt/models/churn/7/model.tar.gz', '--image', 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
];

let fake: FakeVertex;
beforeEach(async () => {
  fake = await new FakeVertex().start();
  fake.addEndpoint(ENDPOINT);
  // These tests are about the token source; the CLI as a user runs it polls operations every 10 s, so the fake
  // answers with finished operations (polling is tested in deploy.test.ts).
  fake.operationPolls = 0;
});
afterEach(() => fake.stop());

/**
 * `modelstack vertex-deploy` as a user runs it (the repository's bin, a separate process: Google's auth library loads
 * its HTTP client with import(), which jest's VM does not run), with its default token source, Application Default
 * Credentials, and `env` on top of a clean environment: an empty home (no gcloud login file), no key file.
 */
async function deployWithDefaultCredentials(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GOOGLE_APPLICATION_CREDENTIALS|CLOUDSDK_CONFIG|GCE_METADATA_HOST|GCE_METADATA_IP)$/.test(key)));
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bin', 'modelstack.cjs'), ...argv], {
    env: { ...clean, HOME: mkdtempSync(join(tmpdir(), 'modelstack-adc-home-')), VERTEX_API_BASE_URL: fake.baseUrl, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('vertex-deploy gets its token from Application Default Credentials', () => {
  test('outside Google Cloud: a workload identity federation config (a CI runner) exchanges its token at STS', async () => {
    // A loopback Security Token Service; the config's token_url points at it (https://sts.googleapis.com/v1/token in real life).
    const exchanges: URLSearchParams[] = [];
    const sts = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        exchanges.push(new URLSearchParams(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'federated-token', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    await new Promise<void>((resolve) => sts.listen(0, '127.0.0.1', resolve));
    try {
      const dir = mkdtempSync(join(tmpdir(), 'modelstack-adc-'));
      writeFileSync(join(dir, 'oidc-token'), 'ci-oidc-jwt');
      writeFileSync(
        join(dir, 'wif.json'),
        JSON.stringify({
          type: 'external_account',
          audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/github',
          subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
          token_url: `http://127.0.0.1:${(sts.address() as AddressInfo).port}/v1/token`,
          credential_source: { file: join(dir, 'oidc-token') },
        }),
      );
      const result = await deployWithDefaultCredentials({ GOOGLE_APPLICATION_CREDENTIALS: join(dir, 'wif.json') });
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toMatchObject({ uploaded: true });
      expect(new Set(fake.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer federated-token']));
      // One exchange for the whole deploy: the library caches the token.
      expect(exchanges).toHaveLength(1);
      expect(Object.fromEntries(exchanges[0])).toMatchObject({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: 'ci-oidc-jwt',
        scope: CLOUD_PLATFORM_SCOPE,
      });
      expect(fake.metadataRequests).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => sts.close(() => resolve()));
    }
  });

  test('on Cloud Build: the metadata server, found through GCE_METADATA_HOST', async () => {
    const result = await deployWithDefaultCredentials({ GCE_METADATA_HOST: new URL(fake.baseUrl).host });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(new Set(fake.requests.map((r) => r.authorization))).toEqual(new Set(['Bearer metadata-token']));
    expect(fake.metadataRequests.some((url) => url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token'))).toBe(true);
  });

  test('no credentials: the error says where ADC looks', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = join(tmpdir(), 'modelstack-no-such-key.json');
    const failed = applicationDefaultTokenProvider()();
    if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    await expect(failed).rejects.toThrow(
      /^access token from Application Default Credentials failed: .* \(set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or a workload identity federation config, run gcloud auth application-default login, or run on Google Cloud/,
    );
    await expect(applicationDefaultTokenProvider({ auth: { getAccessToken: async () => null } })()).rejects.toThrow('access token from Application Default Credentials failed: no token');
  });
});
