import type { AccessTokenProvider } from './client';

/**
 * The metadata server's token endpoint for the instance's default service account (the build's, on Cloud Build):
 * `instance/service-accounts/default/token`, plural, as Compute Engine documents it
 * (https://cloud.google.com/compute/docs/access/authenticate-workloads#applications) and Google's auth library asks.
 */
export const METADATA_TOKEN_URL = 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token';

/**
 * The token URL, on the host `GCE_METADATA_HOST` names when set: the variable Google's auth libraries honour to
 * reach another metadata server (an emulator, a test's loopback server).
 */
export function metadataTokenUrl(env: NodeJS.ProcessEnv): string {
  const host = env.GCE_METADATA_HOST?.trim();
  return host ? METADATA_TOKEN_URL.replace('metadata.google.internal', host) : METADATA_TOKEN_URL;
}

export interface MetadataTokenOptions {
  /** Default `METADATA_TOKEN_URL`, on `GCE_METADATA_HOST` when that is set. */
  readonly url?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * Access tokens from the metadata server, cached until a minute before they expire: the token source of the Cloud Run
 * functions, whose bundles carry no Google client library. `modelstack vertex-deploy` uses Application Default
 * Credentials instead (`adc.ts`), which include the metadata server.
 */
export function metadataTokenProvider(options: MetadataTokenOptions = {}): AccessTokenProvider {
  const url = options.url ?? metadataTokenUrl(process.env);
  return cachedMetadataToken('access token', url, options, (text, now, fail) => {
    let body: { access_token?: string; expires_in?: number } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      fail('the answer is not JSON');
    }
    if (!body.access_token) fail('no access_token in the response');
    return { token: body.access_token!, refreshAt: now + Math.max(0, (body.expires_in ?? 0) - 60) * 1000 };
  });
}

/**
 * The metadata server's identity-token endpoint for the instance's default service account: a Google-signed ID token
 * whose `aud` is `audience` (https://cloud.google.com/run/docs/authenticating/service-to-service: a Cloud Run service
 * accepts a token whose audience is its URL).
 */
export const METADATA_IDENTITY_URL = 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity';

/**
 * ID tokens for `audience` from the metadata server (on `GCE_METADATA_HOST` when set), cached until five minutes
 * before the `exp` they carry (Google's tokens live an hour). The token source of an inference function calling its
 * model's Cloud Run service.
 */
export function metadataIdTokenProvider(audience: string, options: MetadataTokenOptions = {}): AccessTokenProvider {
  const host = process.env.GCE_METADATA_HOST?.trim();
  const base = options.url ?? (host ? METADATA_IDENTITY_URL.replace('metadata.google.internal', host) : METADATA_IDENTITY_URL);
  return cachedMetadataToken('identity token', `${base}?audience=${encodeURIComponent(audience)}`, options, (text, now, fail) => {
    const exp = jwtExpiry(text);
    if (exp === undefined) fail('the answer is not a JWT with an exp claim');
    return { token: text, refreshAt: Math.min(exp! * 1000 - 5 * 60_000, now + 55 * 60_000) };
  });
}

/**
 * A token fetched from the metadata server at `url` and cached until the `refreshAt` that `read` derives from the
 * answer's text; every failure names the token kind and the URL.
 */
function cachedMetadataToken(
  kind: string,
  url: string,
  options: MetadataTokenOptions,
  read: (text: string, now: number, fail: (reason: string) => never) => { token: string; refreshAt: number },
): AccessTokenProvider {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const fail = (reason: string): never => {
    throw new Error(`${kind} from the metadata server (${url}) failed: ${reason}`);
  };
  let cached: { token: string; refreshAt: number } | undefined;
  return async () => {
    if (cached && now() < cached.refreshAt) return cached.token;
    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { 'Metadata-Flavor': 'Google' } });
    } catch (err) {
      return fail((err as Error).message);
    }
    const text = (await response.text()).trim();
    if (!response.ok) fail(`HTTP ${response.status} ${text.slice(0, 200)}`);
    cached = read(text, now(), fail);
    return cached.token;
  };
}

/** The `exp` claim (seconds) of a JWT, read without verifying it (the caller only needs to know when to refresh). */
function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : undefined;
  } catch {
    return undefined;
  }
}
