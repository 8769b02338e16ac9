import type { CaptureStore } from '../../../core/capture';
import { gcsInsert } from '../../shared/gcp/gcs-insert';
import type { GoogleHttp } from '../../shared/gcp/google-http';

/**
 * Capture batches as Cloud Storage objects (JSON API media upload, "Uploading objects", Cloud Storage docs), for
 * models whose Vertex AI endpoint cannot log requests and responses itself. Retries (429, 5xx) and the per-attempt
 * timeout are the `GoogleHttp`'s. Each batch has its own key and is only created (`ifGenerationMatch=0`): a retry
 * whose first attempt did write finds the object there (412), which is success, so a batch is written once, and
 * the function needs no permission to replace objects.
 */
export function gcsCaptureStore(http: GoogleHttp, bucket: string, baseUrl = 'https://storage.googleapis.com'): CaptureStore {
  return {
    async put(key, body) {
      await gcsInsert(http, baseUrl, { bucket, key, body, contentType: 'application/jsonlines' }, true);
    },
  };
}
