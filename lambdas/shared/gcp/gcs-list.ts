import { ensureOk, type GoogleHttp } from './google-http';

/**
 * The names of the objects under `prefix` in `bucket`, sorted, every page of the Cloud Storage JSON API's
 * `objects.list` (`nextPageToken` until there is none), asking only for the names.
 */
export async function gcsList(http: GoogleHttp, baseUrl: string, bucket: string, prefix: string): Promise<string[]> {
  const base = baseUrl.replace(/\/+$/, '');
  const keys: string[] = [];
  let pageToken: string | undefined;
  do {
    const query = new URLSearchParams({ prefix, fields: 'items(name),nextPageToken' });
    if (pageToken) query.set('pageToken', pageToken);
    const call = `GCS list gs://${bucket}/${prefix}`;
    const response = await ensureOk(call, await http(call, `${base}/storage/v1/b/${encodeURIComponent(bucket)}/o?${query}`));
    const page = (await response.json()) as { items?: { name: string }[]; nextPageToken?: string };
    for (const item of page.items ?? []) keys.push(item.name);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return keys.sort();
}
