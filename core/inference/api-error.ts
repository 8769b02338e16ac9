/**
 * The error body every inference front end (API Gateway on AWS, Cloud Functions on GCP) returns:
 * `{ "error": { "code", "message", "field"? } }`. Messages are written for the caller; no stack traces.
 */
export interface ApiError {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
  /**
   * Path of the offending field, such as `instances[3].tenure`.
   * @default - absent when no single field is at fault
   */
  readonly field?: string;
}

export type ApiErrorCode =
  | 'BadRequest'
  | 'MalformedJson'
  | 'PayloadTooLarge'
  | 'SchemaMismatch'
  | 'UnknownModel'
  | 'Throttled'
  | 'ModelError'
  | 'ModelNotReady'
  | 'UpstreamError'
  | 'UpstreamTimeout'
  | 'InternalError';

/** An {@link ApiError}; `field` is left out of the object when undefined. */
export function apiError(status: number, code: ApiErrorCode, message: string, field?: string): ApiError {
  return field === undefined ? { status, code, message } : { status, code, message, field };
}

/** The JSON response body of `error`: `{ "error": { "code", "message", "field"? } }` (the status is not in it). */
export function errorBody(error: ApiError): string {
  const { code, message, field } = error;
  return JSON.stringify({ error: field === undefined ? { code, message } : { code, message, field } });
}
