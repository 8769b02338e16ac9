import type { CaptureStore } from '../../core/capture';
import { ensureOk, type GoogleHttp } from '../../shared/gcp/google-http';

/**
 * Capture batches as Cloud Storage objects (JSON API media upload, "Uploading objects", Cloud Storage docs), for
 * models whose Vertex AI endpoint cannot log requests and responses itself. Retries (429, 5xx) and the per-attempt
 * timeout are the `GoogleHttp`'s. The key is the same on a retry, so a batch is written once.
 */
export function gcsCaptureStore(http: GoogleHttp, bucket: string, baseUrl = 'https://storage.googleapis.com'): CaptureStore {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async put(key, body) {
      const call = `GCS insert gs://${bucket}/${key}`;
      const query = new URLSearchParams({ uploadType: 'media', name: key });
      const response = await http(call, `${base}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`, { method: 'POST', body, contentType: 'application/jsonlines' });
      await ensureOk(call, response);
      await response.body?.cancel();
    },
  };
}
