import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGunzip } from 'node:zlib';
import type { ObjectStore } from '../../../core/drift-job';
import { gcsInsert } from '../../shared/gcp/gcs-insert';
import { gcsList } from '../../shared/gcp/gcs-list';
import { ensureOk, type GoogleHttp } from '../../shared/gcp/google-http';
import { readAllText } from '../../shared/streams';

/** The registry's three buckets (see `ModelRegistry` in constructs/gcp). */
export interface RegistryBuckets {
  /** Capture exports, ground truth and the check's working state (event claims, shard profiles). */
  readonly artifacts: string;
  /** `models/<model>/<version>/baseline.json` and `quality.json`. */
  readonly baselines: string;
  /** `report.json` and `report.html`, under a retention policy. */
  readonly reports: string;
}

export interface StoredAt {
  readonly bucket: string;
  /** The reports bucket's retention policy forbids replacing an object: writes there only create. */
  readonly writeOnce: boolean;
}

const REPORT_FILE = /^reports\/[^/]+\/[^/]+\/report\.(json|html)$/;

/**
 * Which bucket a key of the shared layout (`core/layout.ts`) lives in on Google Cloud. The drift core
 * sees one store; the reports bucket only holds the finished, immutable reports, because the check's working
 * files (the event claim it may release, shard profiles a retry rewrites) must stay deletable.
 */
export function bucketOf(buckets: RegistryBuckets, key: string): StoredAt {
  if (key.startsWith('models/')) return { bucket: buckets.baselines, writeOnce: false };
  if (REPORT_FILE.test(key)) return { bucket: buckets.reports, writeOnce: true };
  return { bucket: buckets.artifacts, writeOnce: false };
}

/** Default `https://storage.googleapis.com`. */
export const GCS_BASE_URL = 'https://storage.googleapis.com';

/**
 * The drift check's object store over the Cloud Storage JSON API. Retries (429, 5xx) and timeouts are the
 * `GoogleHttp`'s; a 404 reads as missing.
 */
export function gcsStore(http: GoogleHttp, buckets: RegistryBuckets, baseUrl = GCS_BASE_URL): ObjectStore {
  const base = baseUrl.replace(/\/+$/, '');
  const objectUrl = (bucket: string, key: string) => `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(key)}`;

  async function read(key: string): Promise<Readable | undefined> {
    const { bucket } = bucketOf(buckets, key);
    const response = await http(`GCS get gs://${bucket}/${key}`, `${objectUrl(bucket, key)}?alt=media`);
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    await ensureOk(`GCS get gs://${bucket}/${key}`, response);
    // fetch already undoes Content-Encoding: gzip; a .gz object stored as-is is unpacked here.
    const body = response.body ? Readable.fromWeb(response.body as WebReadableStream) : Readable.from([]);
    return key.endsWith('.gz') ? body.pipe(createGunzip()) : body;
  }

  /** Inserts with `ifGenerationMatch=0` when `onlyIfAbsent`; false when the object already existed. */
  const insert = (key: string, body: string, contentType: string, onlyIfAbsent: boolean) =>
    gcsInsert(http, base, { bucket: bucketOf(buckets, key).bucket, key, body, contentType }, onlyIfAbsent);

  return {
    list(prefix) {
      return gcsList(http, base, bucketOf(buckets, prefix).bucket, prefix);
    },
    read,
    async readText(key) {
      const stream = await read(key);
      return stream ? readAllText(stream) : undefined;
    },
    async exists(key) {
      const { bucket } = bucketOf(buckets, key);
      const call = `GCS get metadata gs://${bucket}/${key}`;
      const response = await http(call, `${objectUrl(bucket, key)}?fields=name`);
      if (response.status === 404) {
        await response.body?.cancel();
        return false;
      }
      await ensureOk(call, response);
      await response.body?.cancel();
      return true;
    },
    async put(key, body, contentType) {
      // A retried window rewrites report.html; under the retention policy the first one stays.
      await insert(key, body, contentType, bucketOf(buckets, key).writeOnce);
    },
    putIfAbsent: (key, body, contentType) => insert(key, body, contentType, true),
    async delete(key) {
      const { bucket } = bucketOf(buckets, key);
      const call = `GCS delete gs://${bucket}/${key}`;
      const response = await http(call, objectUrl(bucket, key), { method: 'DELETE' });
      if (response.status !== 404) await ensureOk(call, response);
      await response.body?.cancel();
    },
  };
}
