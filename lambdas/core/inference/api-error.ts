/**
 * The error body every inference front end (API Gateway on AWS, Cloud Functions on GCP) returns:
 * `{ "error": { "code", "message", "field"? } }`. Messages are written for the caller; no stack traces.
 */
export interface ApiError {
  readonly status: number;
  readonly code: ApiErrorCode;
  readonly message: string;
  /** Path of the offending field, such as `instances[3].tenure`. */
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

export function apiError(status: number, code: ApiErrorCode, message: string, field?: string): ApiError {
  return field === undefined ? { status, code, message } : { status, code, message, field };
}

export function errorBody(error: ApiError): string {
  const { code, message, field } = error;
  return JSON.stringify({ error: field === undefined ? { code, message } : { code, message, field } });
}
