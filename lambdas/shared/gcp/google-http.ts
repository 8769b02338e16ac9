/**
 * The one HTTP path to a Google REST API (GCS, BigQuery, Pub/Sub, Monitoring, Workflows, Vertex AI) for the GCP
 * function adapters and the `vertex-deploy` CLI: a bearer token, a per-attempt timeout and bounded retries with
 * backoff (by default on 429, 5xx and network failures). Node 20's fetch keeps the bundles free of Google client
 * libraries.
 */

/** Returns an OAuth2 access token for the `Authorization: Bearer` header. */
export type AccessTokenProvider = () => Promise<string>;

export interface GoogleHttpOptions {
  readonly accessToken: AccessTokenProvider;
  /** Attempts per call, the first included. Default 4. */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, doubled per retry up to `maxBackoffMs`. Default 200. */
  readonly initialBackoffMs?: number;
  /** Default 5000. */
  readonly maxBackoffMs?: number;
  /** Per-attempt timeout. Default 30000. */
  readonly timeoutMs?: number;
  /** Whether a timed-out attempt is retried (not for calls whose caller waits, such as a prediction). Default true. */
  readonly retryTimeouts?: boolean;
  /** Whether a network failure (no answer at all) is retried. Default true. */
  readonly retryNetworkFailures?: boolean;
  /**
   * Which answers are retried. Default 429 and 5xx; a caller whose requests are not idempotent narrows this to
   * the statuses that mean "not processed", such as 429 and 503.
   */
  readonly retryStatus?: (status: number) => boolean;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface GoogleRequest {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A JSON value (sent as application/json) or a string with `contentType`. */
  readonly json?: unknown;
  readonly body?: string;
  readonly contentType?: string;
}

/** A call failed for good: after its retries, on a timeout, or with a status that is not retried. */
export class GoogleApiError extends Error {
  constructor(
    readonly call: string,
    /** The HTTP status of the last answer; undefined when none came (network failure or timeout). */
    readonly status: number | undefined,
    /** What went wrong, without the call's name. */
    readonly detail: string,
    readonly timedOut = false,
  ) {
    super(`${call} failed: ${detail}`);
    this.name = 'GoogleApiError';
  }
}

export type GoogleHttp = (call: string, url: string, request?: GoogleRequest) => Promise<Response>;

const retryable = (status: number) => status === 429 || status >= 500;

/**
 * Returns `send(call, url, request)`, which resolves to the final response (the caller decides what a 404 or a
 * 412 means) once it is not retryable or the attempts are spent, and throws `GoogleApiError` when no answer came.
 */
export function googleHttp(options: GoogleHttpOptions): GoogleHttp {
  const maxAttempts = options.maxAttempts ?? 4;
  const maxBackoff = options.maxBackoffMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryStatus = options.retryStatus ?? retryable;

  return async (call, url, request = {}) => {
    let backoff = options.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= maxAttempts;
      const headers: Record<string, string> = { authorization: `Bearer ${await options.accessToken()}` };
      let body: string | undefined = request.body;
      if (request.json !== undefined) body = JSON.stringify(request.json);
      if (body !== undefined) headers['content-type'] = request.json !== undefined ? 'application/json' : (request.contentType ?? 'application/octet-stream');
      let response: Response;
      try {
        response = await fetchImpl(url, { method: request.method ?? 'GET', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      } catch (err) {
        const timedOut = (err as Error)?.name === 'TimeoutError' || (err as Error)?.name === 'AbortError';
        if (last || (timedOut ? options.retryTimeouts === false : options.retryNetworkFailures === false)) {
          const what = timedOut ? `no answer within ${timeoutMs} ms (timed out)` : (err as Error).message;
          throw new GoogleApiError(call, undefined, `${what}${attempt > 1 ? ` after ${attempt} attempts` : ''}`, timedOut);
        }
        await sleep(backoff);
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      if (!retryStatus(response.status) || last) return response;
      await response.body?.cancel();
      // Honour Retry-After when the server sends one, within the same cap.
      const retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || 0;
      await sleep(Math.min(Math.max(backoff, retryAfterMs), maxBackoff));
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  };
}

/** Throws a `GoogleApiError` carrying Google's `{ error: { status, message } }` unless `response` is OK. */
export async function ensureOk(call: string, response: Response): Promise<Response> {
  if (response.ok) return response;
  throw new GoogleApiError(call, response.status, `HTTP ${response.status} ${await errorDetail(response)}`);
}

/** Google's JSON error (`{ error: { status, message } }`), or the start of whatever else came back. */
export async function errorDetail(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error?: { status?: string; message?: string } };
    if (error) return [error.status, error.message].filter(Boolean).join(': ');
  } catch {
    // Not JSON: a proxy or load balancer page.
  }
  return text.slice(0, 200).trim() || response.statusText;
}
