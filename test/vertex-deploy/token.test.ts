import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METADATA_TOKEN_URL, metadataTokenProvider, metadataTokenUrl } from '../../cli/vertex-deploy/token';

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
