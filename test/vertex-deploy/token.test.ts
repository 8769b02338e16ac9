import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METADATA_IDENTITY_URL, METADATA_TOKEN_URL, metadataIdTokenProvider, metadataTokenProvider, metadataTokenUrl } from '../../cli/vertex-deploy/token';

/** A loopback stand-in for the metadata server (the real one is never called in tests). */
async function metadataServer(responses: Array<{ status: number; body: string }>) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const next = responses.shift() ?? { status: 500, body: 'unexpected' };
    res.writeHead(next.status, { 'content-type': 'application/json' });
    res.end(next.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return { url, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('metadata server access tokens', () => {
  test('the default is the metadata server of the build', () => {
    expect(METADATA_TOKEN_URL).toBe('http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token');
  });

  test('asks with Metadata-Flavor, caches until a minute before expiry, then refreshes', async () => {
    const server = await metadataServer([
      { status: 200, body: JSON.stringify({ access_token: 'one', expires_in: 3600, token_type: 'Bearer' }) },
      { status: 200, body: JSON.stringify({ access_token: 'two', expires_in: 3600, token_type: 'Bearer' }) },
    ]);
    let clock = 0;
    const token = metadataTokenProvider({ url: server.url, now: () => clock });
    try {
      expect(await token()).toBe('one');
      clock = 3539_000;
      expect(await token()).toBe('one');
      clock = 3540_000;
      expect(await token()).toBe('two');
      expect(server.seen).toHaveLength(2);
      expect(server.seen[0]['metadata-flavor']).toBe('Google');
    } finally {
      await server.close();
    }
  });

  test('errors name the metadata server', async () => {
    const server = await metadataServer([
      { status: 404, body: 'service account not found' },
      { status: 200, body: '{}' },
    ]);
    try {
      const token = metadataTokenProvider({ url: server.url });
      await expect(token()).rejects.toThrow(`access token from the metadata server (${server.url}) failed: HTTP 404 service account not found`);
      await expect(token()).rejects.toThrow(`access token from the metadata server (${server.url}) failed: no access_token in the response`);
    } finally {
      await server.close();
    }
    await expect(metadataTokenProvider({ url: server.url })()).rejects.toThrow(`access token from the metadata server (${server.url}) failed: fetch failed`);
  });
});

test('GCE_METADATA_HOST moves the token URL to another metadata server, as in Google\'s auth libraries', () => {
  expect(metadataTokenUrl({})).toBe(METADATA_TOKEN_URL);
  expect(metadataTokenUrl({ GCE_METADATA_HOST: '127.0.0.1:8181' })).toBe('http://127.0.0.1:8181/computeMetadata/v1/instance/service-accounts/default/token');
});

describe('metadata server identity tokens (an inference function calling its Cloud Run service)', () => {
  const jwt = (exp: number) => `h.${Buffer.from(JSON.stringify({ aud: 'https://svc.run.app', exp })).toString('base64url')}.s`;

  test('asks for the audience with Metadata-Flavor, caches until five minutes before exp, then refreshes', async () => {
    const server = await metadataServer([
      { status: 200, body: jwt(3600) },
      { status: 200, body: jwt(7200) },
    ]);
    let clock = 0;
    const requested: string[] = [];
    const fetchAndRecord: typeof fetch = (input, init) => {
      requested.push(String(input));
      return fetch(input, init);
    };
    try {
      const token = metadataIdTokenProvider('https://svc.run.app', { url: server.url.replace(/\/token$/, '/identity'), now: () => clock, fetch: fetchAndRecord });
      expect(await token()).toBe(jwt(3600));
      clock = (3600 - 301) * 1000;
      expect(await token()).toBe(jwt(3600));
      clock = (3600 - 299) * 1000;
      expect(await token()).toBe(jwt(7200));
      expect(requested[0]).toBe(`${server.url.replace(/\/token$/, '/identity')}?audience=${encodeURIComponent('https://svc.run.app')}`);
      expect(server.seen.map((h) => h['metadata-flavor'])).toEqual(['Google', 'Google']);
    } finally {
      await server.close();
    }
  });

  test('the default is the identity endpoint of the instance\'s account; an answer that is not a JWT is an error', async () => {
    expect(METADATA_IDENTITY_URL).toBe('http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity');
    const server = await metadataServer([
      { status: 403, body: 'Forbidden' },
      { status: 200, body: 'not-a-jwt' },
    ]);
    try {
      const url = server.url.replace(/\/token$/, '/identity');
      const token = metadataIdTokenProvider('https://svc.run.app', { url });
      const at = `${url}?audience=${encodeURIComponent('https://svc.run.app')}`;
      await expect(token()).rejects.toThrow(`identity token from the metadata server (${at}) failed: HTTP 403 Forbidden`);
      await expect(token()).rejects.toThrow(`identity token from the metadata server (${at}) failed: the answer is not a JWT with an exp claim`);
    } finally {
      await server.close();
    }
  });
});
