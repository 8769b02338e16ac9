// Cloud Run functions entry point (bundled by esbuild; entry point `score`): configuration and clients are built once
// per instance. Pub/Sub pushes each message to it (see createGcpStreamingHandler).
import { metadataIdTokenProvider, metadataTokenProvider } from '../../../cli/vertex-deploy/token';
import { cloudRunError, cloudRunPredictor } from '../../inference/gcp/cloud-run';
import { vertexPredictor } from '../../inference/gcp/vertex';
import { googleHttp } from '../../shared/gcp/google-http';
import { gcpLogger } from '../../shared/gcp/log';
import { bigQueryResults } from './bigquery-results';
import { GCP_STREAMING_ENV, readGcpStreamingConfig } from './config';
import { createGcpStreamingHandler } from './handler';

const config = readGcpStreamingConfig(process.env);
const accessToken = metadataTokenProvider();

export const score = createGcpStreamingHandler({
  config,
  logger: gcpLogger({ model: config.model, path: 'streaming' }),
  // A model on Cloud Run: its service, with an identity token for its URL; else its Vertex AI endpoint. Pub/Sub
  // redelivers what fails, so one retry here is enough.
  classify: config.cloudRunUrl ? cloudRunError : undefined,
  predict: config.cloudRunUrl
    ? cloudRunPredictor({ url: config.cloudRunUrl, idToken: metadataIdTokenProvider(config.cloudRunUrl), timeoutMs: config.upstreamTimeoutMs, maxAttempts: 2 })
    : vertexPredictor({ endpoint: config.endpointName, accessToken, timeoutMs: config.upstreamTimeoutMs, maxAttempts: 2, baseUrl: process.env[GCP_STREAMING_ENV.vertexBaseUrl] || undefined }),
  write: bigQueryResults(googleHttp({ accessToken, timeoutMs: 10_000, maxAttempts: 3 }), config.resultsTable),
});
