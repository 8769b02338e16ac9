/** A small Vertex AI REST client: retries on 429/503 with backoff, polls long-running operations, names the failing call. */
import { errorDetail } from '../../lambdas/shared/gcp/google-http';

/** Returns an OAuth2 access token for the `Authorization: Bearer` header. */
export type AccessTokenProvider = () => Promise<string>;

export interface VertexClientOptions {
  /** Region of the resources, such as `europe-west1`; picks the regional API host. */
  readonly region: string;
  /** Where the API lives; tests point this at a loopback server. Default `https://<region>-aiplatform.googleapis.com`. */
  readonly baseUrl?: string;
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
  ) {
    super(`Vertex AI ${call} failed: ${detail}`);
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

const RETRYABLE = new Set([429, 503]);

export class VertexClient {
  readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  constructor(private readonly options: VertexClientOptions) {
    this.baseUrl = (options.baseUrl ?? `https://${options.region}-aiplatform.googleapis.com`).replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.now = options.now ?? Date.now;
  }

  /** Calls `method path` (path without the `/v1/` prefix) and returns the JSON body. */
  async call<T>(call: string, method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const found = await this.send<T>(call, method, path, body, false);
    return found as T;
  }

  /** Like `call` with GET, but a 404 is `undefined` rather than an error. */
  async find<T>(call: string, path: string): Promise<T | undefined> {
    return this.send<T>(call, 'GET', path, undefined, true);
  }

  /** Polls `operation` until it is done, and returns its response; fails on an operation error or after `timeoutMs`. */
  async wait<T>(call: string, operation: Operation, timeoutMs: number): Promise<T> {
    const deadline = this.now() + timeoutMs;
    let current = operation as Operation<T>;
    for (;;) {
      if (current.done) {
        if (current.error) {
          throw new VertexApiError(call, undefined, `operation ${current.name} failed: ${current.error.message ?? 'no message'} (code ${current.error.code ?? 'unknown'})`);
        }
        return current.response as T;
      }
      if (this.now() >= deadline) {
        throw new VertexApiError(call, undefined, `operation ${current.name} still running after ${Math.round(timeoutMs / 1000)} s (timed out)`);
      }
      await this.sleep(Math.min(this.options.pollIntervalMs ?? 10000, Math.max(0, deadline - this.now())));
      current = await this.call<Operation<T>>(`${call} (polling ${current.name})`, 'GET', current.name);
    }
  }

  private async send<T>(call: string, method: string, path: string, body: unknown, notFoundIsUndefined: boolean): Promise<T | undefined> {
    const maxAttempts = this.options.maxAttempts ?? 5;
    let backoff = this.options.initialBackoffMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(`${this.baseUrl}/v1/${path}`, {
          method,
          headers: { authorization: `Bearer ${await this.options.accessToken()}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new VertexApiError(call, undefined, `${method} ${path}: ${(err as Error).message}`);
      }
      if (response.ok) return (await response.json()) as T;
      if (response.status === 404 && notFoundIsUndefined) {
        await response.body?.cancel();
        return undefined;
      }
      const detail = await errorDetail(response);
      if (!RETRYABLE.has(response.status) || attempt >= maxAttempts) {
        const tries = attempt > 1 ? ` (after ${attempt} attempts)` : '';
        throw new VertexApiError(call, response.status, `${method} ${path}: HTTP ${response.status} ${detail}${tries}`);
      }
      // Honour Retry-After when the server sends one, within the same cap.
      const retryAfterMs = Number(response.headers.get('retry-after')) * 1000 || 0;
      const maxBackoff = this.options.maxBackoffMs ?? 30000;
      await this.sleep(Math.min(Math.max(backoff, retryAfterMs), maxBackoff));
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }
}
