import { hourlyPrefixes, type DriftWindow, type ObjectStore } from '../../../core/drift-job';
import { ensureOk, type GoogleHttp } from '../../shared/gcp/google-http';

/**
 * Vertex AI logs sampled requests and responses to BigQuery, not to objects. Before a check, the window's rows are
 * exported into the capture layout the drift core reads, one JSON Lines object per result page:
 * `data-capture/<model>/<endpoint id>/AllTraffic/yyyy/mm/dd/hh/bq-<page>.jsonl`. Each line is a capture record
 * (`captureData.endpointInput/endpointOutput`, `eventMetadata.inferenceId` = Vertex's request_id, which ground-truth
 * labels join on), so the core profiles, shards and joins it exactly as it does SageMaker captures on AWS.
 *
 * Columns used (Vertex's request-response logging schema): `logging_time` TIMESTAMP, `request_id` NUMERIC,
 * `request_payload` and `response_payload` REPEATED STRING, each element the JSON of one instance or prediction.
 */
export interface RequestLogExport {
  /** `<project>.<dataset>.<table>`. */
  readonly table: string;
  /** The project the query jobs run (and are billed) in. */
  readonly project: string;
  /** BigQuery location of the dataset (the environment's region). */
  readonly location: string;
  /** Folder of the endpoint's hourly capture objects, as in `DriftCheckSpec.capturePrefix`. */
  readonly capturePrefix: string;
  /** Rows per result page, and so per exported object. */
  readonly pageRows: number;
  readonly baseUrl?: string;
  /** How long one `jobs.query`/`getQueryResults` call waits for the job before answering. Default 10 s. */
  readonly waitMs?: number;
  /** Most result polls of one unfinished job. Default 30. */
  readonly maxPolls?: number;
}

interface QueryResponse {
  jobComplete?: boolean;
  jobReference?: { jobId: string; location?: string };
  rows?: { f: { v: unknown }[] }[];
  pageToken?: string;
}

const TABLE = /^[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w{1,1024}\.[\w$-]{1,1024}$/;

/** Exports the window's logged requests, hour by hour; returns how many rows were written. */
export async function exportRequestLogs(http: GoogleHttp, store: ObjectStore, window: DriftWindow, options: RequestLogExport): Promise<number> {
  if (!TABLE.test(options.table)) throw new Error(`request log table "${options.table}": expected <project>.<dataset>.<table>`);
  let rows = 0;
  for (const prefix of hourlyPrefixes(options.capturePrefix, window)) {
    const start = hourOf(prefix);
    rows += await exportHour(http, store, prefix, start, new Date(start.getTime() + 3_600_000), options);
  }
  return rows;
}

async function exportHour(http: GoogleHttp, store: ObjectStore, prefix: string, start: Date, end: Date, options: RequestLogExport): Promise<number> {
  const base = `${(options.baseUrl ?? 'https://bigquery.googleapis.com').replace(/\/+$/, '')}/bigquery/v2/projects/${options.project}/queries`;
  const waitMs = options.waitMs ?? 10_000;
  const call = `BigQuery export of ${options.table} for ${start.toISOString()}`;
  // Backticks quote the table; times go in as parameters, never spliced into the SQL.
  const query = {
    query: `SELECT request_id, logging_time, request_payload, response_payload FROM \`${options.table}\` WHERE logging_time >= @start AND logging_time < @end ORDER BY logging_time, request_id`,
    useLegacySql: false,
    parameterMode: 'NAMED',
    queryParameters: [param('start', start), param('end', end)],
    location: options.location,
    maxResults: options.pageRows,
    timeoutMs: waitMs,
  };
  let response = await http(call, base, { method: 'POST', json: query });
  // Vertex creates the table on the first logged request: no table yet means nothing was logged.
  if (response.status === 404) {
    await response.body?.cancel();
    return 0;
  }
  let page = (await (await ensureOk(call, response)).json()) as QueryResponse;
  const job = page.jobReference;
  const results = (pageToken?: string) => {
    const params = new URLSearchParams({ maxResults: String(options.pageRows), timeoutMs: String(waitMs) });
    if (job?.location) params.set('location', job.location);
    if (pageToken) params.set('pageToken', pageToken);
    return `${base}/${encodeURIComponent(job?.jobId ?? '')}?${params}`;
  };
  for (let polls = 0; !page.jobComplete; polls++) {
    if (!job || polls >= (options.maxPolls ?? 30)) throw new Error(`${call} failed: the query job did not finish`);
    response = await ensureOk(call, await http(call, results()));
    page = (await response.json()) as QueryResponse;
  }

  const written: string[] = [];
  let rows = 0;
  for (let n = 0; ; n++) {
    const lines = (page.rows ?? []).map(captureLine);
    if (lines.length > 0) {
      const key = `${prefix}bq-${String(n).padStart(5, '0')}.jsonl`;
      await store.put(key, `${lines.join('\n')}\n`, 'application/x-ndjson');
      written.push(key);
      rows += lines.length;
    }
    if (!page.pageToken) break;
    response = await ensureOk(call, await http(call, results(page.pageToken)));
    page = (await response.json()) as QueryResponse;
  }
  // A re-export that found fewer pages (a retried check) must not leave stale pages behind to be counted twice.
  for (const key of await store.list(prefix)) if (/\/bq-\d+\.jsonl$/.test(key) && !written.includes(key)) await store.delete(key);
  return rows;
}

function param(name: string, time: Date) {
  return { name, parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: time.toISOString() } };
}

/** `…/2026/11/23/15/` → 2026-11-23T15:00Z. */
function hourOf(prefix: string): Date {
  const [, y, m, d, h] = /(\d{4})\/(\d\d)\/(\d\d)\/(\d\d)\/$/.exec(prefix)!;
  return new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), Number(h)));
}

/** One BigQuery row (`f[i].v`, repeated fields as `[{ v }]`) as a capture record line. */
function captureLine(row: { f: { v: unknown }[] }): string {
  const [id, time, requests, responses] = row.f.map((cell) => cell.v);
  const texts = (value: unknown) => (Array.isArray(value) ? value.map((e) => String((e as { v: unknown }).v)) : []);
  const inputs = texts(requests);
  const outputs = texts(responses);
  return JSON.stringify({
    captureData: {
      // One element may be a whole request envelope ({"instances": ...}); several are one instance each.
      endpointInput: { observedContentType: 'application/json', mode: 'INPUT', encoding: 'JSON', data: inputs.length === 1 ? inputs[0] : `[${inputs.join(',')}]` },
      endpointOutput: { observedContentType: 'application/json', mode: 'OUTPUT', encoding: 'JSON', data: `{"predictions":[${outputs.join(',')}]}` },
    },
    eventMetadata: { inferenceId: String(id), inferenceTime: new Date(Number(time) * 1000).toISOString() },
    eventVersion: '0',
  });
}
