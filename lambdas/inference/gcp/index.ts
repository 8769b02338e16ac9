// Cloud Run functions entry point (bundled by esbuild; entry point `predict`): configuration and the Vertex AI
// client are built once per instance.
import { metadataIdTokenProvider, metadataTokenProvider } from '../../../cli/vertex-deploy/token';
import { googleHttp } from '../../shared/gcp/google-http';
import { errorFields, gcpLogger } from '../../shared/gcp/log';
import { apiCapture, INFERENCE_ENV, readInferenceConfig } from '../config';
import { gcsCaptureStore } from './gcs-capture-store';
import { cloudRunError, cloudRunPredictor } from './cloud-run';
import { createGcpInferenceHandler } from './handler';
import { vertexPredictor } from './vertex';

const config = readInferenceConfig(process.env);
const logger = gcpLogger({ model: config.model });
const accessToken = metadataTokenProvider();

// A model on Cloud Run: its service's URL, called with an identity token for it; else its Vertex AI endpoint.
const cloudRunUrl = process.env[INFERENCE_ENV.cloudRunUrl] || undefined;

export const predict = createGcpInferenceHandler({
  config,
  logger,
  classify: cloudRunUrl ? cloudRunError : undefined,
  predict: cloudRunUrl
    ? cloudRunPredictor({ url: cloudRunUrl, idToken: metadataIdTokenProvider(cloudRunUrl), timeoutMs: config.upstreamTimeoutMs, maxAttempts: config.upstreamMaxAttempts })
    : config.endpointName
    ? vertexPredictor({
        endpoint: config.endpointName,
        accessToken,
        timeoutMs: config.upstreamTimeoutMs,
        maxAttempts: config.upstreamMaxAttempts,
        baseUrl: process.env[INFERENCE_ENV.vertexBaseUrl] || undefined,
      })
    : undefined,
  // One buffer per instance (CAPTURE_BUCKET set: the endpoint cannot log); see docs/cloud-parity.md.
  capture: apiCapture(
    config.capture,
    (bucket) => gcsCaptureStore(googleHttp({ accessToken, timeoutMs: 2000, maxAttempts: 3 }), bucket),
    (err, records) => logger.error('capture batch not written', { records, ...errorFields(err) }),
  ),
});
