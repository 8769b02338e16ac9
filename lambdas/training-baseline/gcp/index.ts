// Cloud Run functions entry point (bundled by esbuild; entry point `baseline`) of the training workflows' baseline
// step. Access tokens come from the metadata server, as the function's own service account.
import { metadataTokenProvider } from '../../../cli/vertex-deploy/token';
import { googleHttp } from '../../shared/gcp/google-http';
import { gcpLogger } from '../../shared/gcp/log';
import { readGcpBaselineConfig } from './config';
import { createGcpBaselineHandler } from './handler';

const config = readGcpBaselineConfig(process.env);

export const baseline = createGcpBaselineHandler({
  // Bounded retries with backoff on 429, 5xx, network failures and timeouts.
  http: googleHttp({ accessToken: metadataTokenProvider(), maxAttempts: 4, timeoutMs: 60_000 }),
  registryBucket: config.registryBucket,
  logger: gcpLogger({ function: 'training-baseline' }),
});
