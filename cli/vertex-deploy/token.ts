import type { AccessTokenProvider } from './client';

/** The metadata server's token endpoint for the instance's default service account (the build's, on Cloud Build). */
export const METADATA_TOKEN_URL = 'http://metadata.google.internal/computeMetadata/v1/instance/service-account/default/token';

export interface MetadataTokenOptions {
  /** Default `METADATA_TOKEN_URL`. */
  readonly url?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * Access tokens from the metadata server, cached until a minute before they expire. The default token source of
 * `modelstack vertex-deploy`, which runs on Cloud Build as the trigger's service account.
 */
export function metadataTokenProvider(options: MetadataTokenOptions = {}): AccessTokenProvider {
  const url = options.url ?? METADATA_TOKEN_URL;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  return async () => {
    if (cached && now() < cached.refreshAt) return cached.token;
    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { 'Metadata-Flavor': 'Google' } });
    } catch (err) {
      throw new Error(`access token from the metadata server (${url}) failed: ${(err as Error).message}`);
    }
    if (!response.ok) {
      throw new Error(`access token from the metadata server (${url}) failed: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
    }
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!body.access_token) throw new Error(`access token from the metadata server (${url}) failed: no access_token in the response`);
    cached = { token: body.access_token, refreshAt: now() + Math.max(0, (body.expires_in ?? 0) - 60) * 1000 };
    return cached.token;
  };
}
