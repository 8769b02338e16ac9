import { ensureOk, GoogleApiError, type GoogleHttp } from '../../shared/gcp/google-http';

/** One result row in the streaming results table (schema: `STREAMING_RESULT_COLUMNS` in the construct). */
export interface StreamingResultRow {
  readonly model: string;
  readonly message_id: string;
  readonly ordering_key: string | null;
  readonly publish_time: string | null;
  readonly scored_at: string;
  /** The predictions as JSON text; null when the message was not scored. */
  readonly predictions: string | null;
  readonly error_code: string | null;
  readonly error_message: string | null;
  readonly error_field: string | null;
}

/** Writes one row; rejects when BigQuery did not take it (the message is then redelivered). */
export type WriteResult = (row: StreamingResultRow) => Promise<void>;

/**
 * Streams a row into `<project>.<dataset>.<table>` with `tabledata.insertAll`
 * (https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll). The Pub/Sub message id is the
 * row's `insertId`, so BigQuery drops a redelivered message's second row on a best-effort basis. A 200 answer can
 * still carry `insertErrors` for the row: that is a failure too.
 */
export function bigQueryResults(http: GoogleHttp, table: string, baseUrl = 'https://bigquery.googleapis.com'): WriteResult {
  const [project, dataset, tableId] = table.split('.');
  const url = `${baseUrl.replace(/\/+$/, '')}/bigquery/v2/projects/${project}/datasets/${dataset}/tables/${tableId}/insertAll`;
  const call = `BigQuery insertAll into ${table}`;
  return async (row) => {
    const response = await ensureOk(call, await http(call, url, { method: 'POST', json: { rows: [{ insertId: row.message_id, json: row }] } }));
    const out = (await response.json()) as { insertErrors?: { errors?: { reason?: string; message?: string }[] }[] };
    if (out.insertErrors?.length) {
      const first = out.insertErrors[0].errors?.[0];
      throw new GoogleApiError(call, 200, `row rejected: ${first?.reason ?? 'unknown'} ${first?.message ?? ''}`.trim());
    }
  };
}
