import { ensureOk, type GoogleHttp } from './google-http';

/**
 * Uploads one object with the Cloud Storage JSON API's media upload ("Uploading objects"). With `onlyIfAbsent` it sends
 * `ifGenerationMatch=0`, so the write only creates: it returns false (412 Precondition Failed) when the object already
 * exists. That is also what makes a retried create safe for a caller who may only create objects
 * (`roles/storage.objectCreator` has no `storage.objects.delete`, which replacing an object needs).
 */
export async function gcsInsert(
  http: GoogleHttp,
  baseUrl: string,
  object: { readonly bucket: string; readonly key: string; readonly body: string; readonly contentType: string },
  onlyIfAbsent: boolean,
): Promise<boolean> {
  const { bucket, key, body, contentType } = object;
  const query = new URLSearchParams({ uploadType: 'media', name: key });
  if (onlyIfAbsent) query.set('ifGenerationMatch', '0');
  const call = `GCS insert gs://${bucket}/${key}`;
  const response = await http(call, `${baseUrl.replace(/\/+$/, '')}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`, { method: 'POST', body, contentType });
  if (onlyIfAbsent && response.status === 412) {
    await response.body?.cancel();
    return false;
  }
  await ensureOk(call, response);
  await response.body?.cancel();
  return true;
}
