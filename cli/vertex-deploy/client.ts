/**
 * A small Vertex AI REST client on the shared Google HTTP path: retries only what Google did not process (429, 503;
 * uploads and deployments are not idempotent), polls long-running operations, names the failing call.
 */
import { type AccessTokenProvider, errorDetail, GoogleApiError, type GoogleHttp, googleHttp } from '../../lambdas/shared/gcp/google-http';

export type { AccessTokenProvider };

export interface VertexClientOptions {
  /** Region of the resources, such as `europe-west1`; picks the regional API host. */
  readonly region: string;
  /** Where the API lives; tests point this at a loopback server. Default `https://<region>-aiplatform.googleapis.com`. */
  readonly baseUrl?: string;
  /** The API's name in error messages. Default `Vertex AI` (the same client speaks to Compute Engine for PSC). */
  readonly service?: string;
  /** The path's version segment. Default `v1` (Cloud Run's Admin API is `v2`). */
  readonly apiVersion?: string;
  readonly accessToken: AccessTokenProvider;
  /** Attempts per call, counting the first (so 5 means up to 4 retries). Default 5. */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, doubled per retry up to `maxBackoffMs`. Default 1000. */
  readonly initialBackoffMs?: number;
  /** Default 30000. */
  readonly maxBackoffMs?: number;
  /** How often a long-running operation is polled. Default 10000. */
  readonly pollIntervalMs?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** A Vertex AI call failed; the message names the call and carries Google's status and message. */
export class VertexApiError extends Error {
  constructor(
    readonly call: string,
    readonly status: number | undefined,
    detail: string,
    service = 'Vertex AI',
  ) {
    super(`${service} ${call} failed: ${detail}`);
    this.name = 'VertexApiError';
  }
}

/** google.longrunning.Operation */
export interface Operation<T = unknown> {
  readonly name: string;
  readonly done?: boolean;
  readonly error?: { readonly code?: number; readonly message?: string };
  readonly response?: T;
}

/** The answers that mean Google did not act on the request, so sending it again cannot do anything twice. */
const notProcessed = (status: number) => status === 429 || status === 503;

export class VertexClient {
  readonly baseUrl: string;
  private readonly http: GoogleHttp;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: VertexClientOptions) {
    this.baseUrl = (options.baseUrl ?? `https://${options.region}-aiplatform.googleapis.com`).replace(/\/+$/, '');
    this.maxAttempts = options.maxAttempts ?? 5;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
    this.http = googleHttp({
      accessToken: options.accessToken,
      maxAttempts: this.maxAttempts,
      initialBackoffMs: options.initialBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      // Long-running work comes back as an operation at once; a minute covers a slow answer.
      timeoutMs: 60_000,
      retryStatus: notProcessed,
      retryNetworkFailures: false,
      fetch: options.fetch,
      sleep: this.sleep,
    });
  }

  /** Calls `method path` (path without the `/v1/` prefix, or `apiVersion`'s) and returns the JSON body. */
  async call<T>(call: string, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const found = await this.send<T>(call, method, path, body, false);
    return found as T;
  }

  /** Like `call` with GET, but a 404 is `undefined` rather than an error. */
  async find<T>(call: string, path: string): Promise<T | undefined> {
    return this.send<T>(call, 'GET', path, undefined, true);
  }

  /** Waits one poll interval (between polls of an operation this client does not know the shape of). */
  pause(): Promise<void> {
    return this.sleep(this.options.pollIntervalMs ?? 10000);
  }

  /** Polls `operation` until it is done, and returns its response; fails on an operation error or after `timeoutMs`. */
  async wait<T>(call: string, operation: Operation, timeoutMs: number): Promise<T> {
    const deadline = this.now() + timeoutMs;
    let current = operation as Operation<T>;
    for (;;) {
      if (current.done) {
        if (current.error) {
          throw new VertexApiError(call, undefined, `operation ${current.name} failed: ${current.error.message ?? 'no message'} (code ${current.error.code ?? 'unknown'})`, this.options.service);
        }
        return current.response as T;
      }
      if (this.now() >= deadline) {
        throw new VertexApiError(call, undefined, `operation ${current.name} still running after ${Math.round(timeoutMs / 1000)} s (timed out)`, this.options.service);
      }
      await this.sleep(Math.min(this.options.pollIntervalMs ?? 10000, Math.max(0, deadline - this.now())));
      current = await this.call<Operation<T>>(`${call} (polling ${current.name})`, 'GET', current.name);
    }
  }

  private async send<T>(call: string, method: 'GET' | 'POST' | 'PATCH', path: string, body: unknown, notFoundIsUndefined: boolean): Promise<T | undefined> {
    let response: Response;
    try {
      response = await this.http(call, `${this.baseUrl}/${this.options.apiVersion ?? 'v1'}/${path}`, { method, json: body });
    } catch (err) {
      if (err instanceof GoogleApiError) throw new VertexApiError(call, undefined, `${method} ${path}: ${err.detail}`, this.options.service);
      throw err;
    }
    if (response.ok) return (await response.json()) as T;
    if (response.status === 404 && notFoundIsUndefined) {
      await response.body?.cancel();
      return undefined;
    }
    // A retried status that is still the answer has used every attempt.
    const tries = notProcessed(response.status) && this.maxAttempts > 1 ? ` (after ${this.maxAttempts} attempts)` : '';
    throw new VertexApiError(call, response.status, `${method} ${path}: HTTP ${response.status} ${await errorDetail(response)}${tries}`, this.options.service);
  }
}
