// Cloud Run functions entry point (bundled by esbuild; entry point `predict`): configuration and the Vertex AI
// client are built once per instance.
import { metadataTokenProvider } from '../../../cli/vertex-deploy/token';
import { gcpLogger } from '../../shared/gcp/log';
import { INFERENCE_ENV, readInferenceConfig } from '../config';
import { createGcpInferenceHandler } from './handler';
import { vertexPredictor } from './vertex';

const config = readInferenceConfig(process.env);

export const predict = createGcpInferenceHandler({
  config,
  logger: gcpLogger({ model: config.model }),
  predict: config.endpointName
    ? vertexPredictor({
        endpoint: config.endpointName,
        accessToken: metadataTokenProvider(),
        timeoutMs: config.upstreamTimeoutMs,
        maxAttempts: config.upstreamMaxAttempts,
        baseUrl: process.env[INFERENCE_ENV.vertexBaseUrl] || undefined,
      })
    : undefined,
});
