import type { GoogleAuth } from 'google-auth-library';
import type { AccessTokenProvider } from './client';

/** The scope `vertex-deploy` asks for: Vertex AI and Compute Engine (PSC) calls. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

const WHERE_ADC_LOOKS =
  'set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or a workload identity federation config, ' +
  'run gcloud auth application-default login, or run on Google Cloud (Cloud Build, Compute Engine) as a service account';

/**
 * Access tokens from Application Default Credentials, through Google's auth library. ADC looks, in this order
 * (https://cloud.google.com/docs/authentication/application-default-credentials#search_order), at
 * `GOOGLE_APPLICATION_CREDENTIALS` (a service-account key, or a workload identity federation config for a CI runner
 * outside Google Cloud), the file `gcloud auth application-default login` writes, then the metadata server's attached
 * service account (Cloud Build's, where the deploy trigger runs; `GCE_METADATA_HOST` names another metadata server).
 * The library caches each token and refreshes it before it expires. `projectId` spares the library its project lookup
 * (environment, gcloud, metadata server, Resource Manager), which the deploy does not need; `auth` replaces the
 * default client (tests).
 */
export function applicationDefaultTokenProvider(options: { readonly projectId?: string; readonly auth?: Pick<GoogleAuth, 'getAccessToken'> } = {}): AccessTokenProvider {
  const { auth, projectId } = options;
  // Loaded on use: the library is only needed once a call is made.
  let client: Promise<Pick<GoogleAuth, 'getAccessToken'>> | undefined = auth && Promise.resolve(auth);
  return async () => {
    client ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], projectId }));
    let token: string | null | undefined;
    try {
      token = await (await client).getAccessToken();
    } catch (err) {
      throw new Error(`access token from Application Default Credentials failed: ${(err as Error).message.split('\n')[0]} (${WHERE_ADC_LOOKS})`);
    }
    if (!token) throw new Error(`access token from Application Default Credentials failed: no token (${WHERE_ADC_LOOKS})`);
    return token;
  };
}
