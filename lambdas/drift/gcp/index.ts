// Cloud Run functions entry point (bundled by esbuild; entry point `drift`): configuration and clients are built
// once per instance. Access tokens come from the metadata server, as the function's own service account.
import { metadataTokenProvider } from '../../../cli/vertex-deploy/token';
import { exportRequestLogs } from './bigquery-export';
import { readGcpDriftConfig } from './config';
import { GOOGLE_ENDPOINTS, monitoringMetrics, pubsubEvents, workflowsLauncher } from './gcp-ports';
import { gcsStore } from './gcs-store';
import { googleHttp } from '../../shared/gcp/google-http';
import { createGcpDriftHandler } from './handler';
import { gcpLogger } from '../../shared/gcp/log';

const config = readGcpDriftConfig(process.env);
// Bounded retries with backoff: 429 and 5xx answers, network failures and timeouts are retried at most 3 more times.
const http = googleHttp({ accessToken: metadataTokenProvider(), maxAttempts: 4, timeoutMs: 30_000 });
const store = gcsStore(http, config.buckets, GOOGLE_ENDPOINTS.storage);

export const drift = createGcpDriftHandler(config.spec, {
  store,
  events: pubsubEvents(http, config.topic),
  metrics: monitoringMetrics(http, { project: config.project, model: config.spec.model, environment: config.spec.environment }),
  launcher: config.workflow ? workflowsLauncher(http, config.workflow) : undefined,
  exportWindow: config.requestLogTable
    ? (window) =>
        exportRequestLogs(http, store, window, {
          table: config.requestLogTable!,
          project: config.project,
          location: config.region,
          capturePrefix: config.spec.capturePrefix,
          pageRows: config.exportPageRows,
        })
    : undefined,
  logger: gcpLogger({ model: config.spec.model }),
});
