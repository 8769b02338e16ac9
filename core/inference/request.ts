import { type ApiError, apiError } from './api-error';

/** A model input feature, as in the platform config's `inputSchema.features`. */
export interface InputFeature {
  /** Feature name: the key of the feature in each request instance. */
  readonly name: string;
  /** `numeric` takes finite numbers; `categorical` takes non-empty strings or numbers (passed on as text). */
  readonly type: 'numeric' | 'categorical';
}

export interface RequestLimits {
  /** Largest accepted body, in bytes. */
  readonly maxBodyBytes: number;
  /** Most instances in one request. */
  readonly maxInstances: number;
}

/** One validated instance: values in the schema's feature order (numbers for numeric, strings for categorical). */
export type Row = (number | string)[];

export type ParsedRequest =
  | {
      readonly ok: true;
      readonly rows: Row[];
      /**
       * The caller's id for this request, passed to SageMaker as `InferenceId`: captured with the request, it is the
       * key ground-truth labels are joined on.
       * @default - absent when the request has none
       */
      readonly inferenceId?: string;
    }
  | { readonly ok: false; readonly error: ApiError };

/**
 * SageMaker's `InferenceId` rule (InvokeEndpoint API reference): 1-64 characters, printable, not starting with
 * whitespace (`\A\S[\p{Print}]*\z`).
 */
const INFERENCE_ID = /^\S[^\p{C}]{0,63}$/u;

/**
 * Compiles, once per cold start, a parser for `{ "instances": [ { feature: value, ... }, ... ], "inferenceId"? }` bodies.
 * Every rejection names the offending field (`instances[3].tenure: expected number, got string`).
 */
export function compileRequestParser(features: readonly InputFeature[], limits: RequestLimits): (body: string | undefined) => ParsedRequest {
  const index = new Map(features.map((f, i) => [f.name, i] as const));
  const expectedNames = features.map((f) => f.name).join(', ');

  const fail = (status: number, code: ApiError['code'], message: string, field?: string): ParsedRequest => ({
    ok: false,
    error: apiError(status, code, field ? `${field}: ${message}` : message, field),
  });

  return (body) => {
    if (body === undefined || body.length === 0) return fail(400, 'BadRequest', 'body: expected a JSON object with "instances"');
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > limits.maxBodyBytes) return fail(413, 'PayloadTooLarge', `body: ${bytes} bytes, expected at most ${limits.maxBodyBytes}`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      return fail(400, 'MalformedJson', `body: malformed JSON (${(err as Error).message})`);
    }
    if (!isPlainObject(json)) return fail(422, 'SchemaMismatch', `expected an object with "instances", got ${kindOf(json)}`, 'body');
    const inferenceId = json.inferenceId;
    if (inferenceId !== undefined && (typeof inferenceId !== 'string' || !INFERENCE_ID.test(inferenceId))) {
      return fail(422, 'SchemaMismatch', `expected 1-64 printable characters, not starting with a space, got ${kindOf(inferenceId)}`, 'inferenceId');
    }
    const instances = json.instances;
    if (!Array.isArray(instances)) return fail(422, 'SchemaMismatch', `expected an array, got ${kindOf(instances)}`, 'instances');
    if (instances.length === 0) return fail(422, 'SchemaMismatch', 'expected at least 1 instance', 'instances');
    if (instances.length > limits.maxInstances) {
      return fail(422, 'SchemaMismatch', `${instances.length} instances, expected at most ${limits.maxInstances}`, 'instances');
    }

    const rows: Row[] = new Array(instances.length);
    for (let i = 0; i < instances.length; i++) {
      const instance: unknown = instances[i];
      if (!isPlainObject(instance)) return fail(422, 'SchemaMismatch', `expected an object, got ${kindOf(instance)}`, `instances[${i}]`);
      const row: Row = new Array(features.length);
      for (const key in instance) {
        if (!index.has(key)) return fail(422, 'SchemaMismatch', `unknown feature, expected one of ${expectedNames}`, `instances[${i}].${key}`);
      }
      for (let j = 0; j < features.length; j++) {
        const feature = features[j];
        const value = instance[feature.name];
        if (feature.type === 'numeric') {
          if (typeof value !== 'number' || !Number.isFinite(value)) {
            return fail(422, 'SchemaMismatch', `expected number, got ${kindOf(value)}`, `instances[${i}].${feature.name}`);
          }
          row[j] = value;
        } else {
          // Categories may be codes (store 17) as well as labels; both travel as text.
          if (typeof value === 'string' && value.length > 0) row[j] = value;
          else if (typeof value === 'number' && Number.isFinite(value)) row[j] = String(value);
          else return fail(422, 'SchemaMismatch', `expected a category (non-empty string or number), got ${kindOf(value)}`, `instances[${i}].${feature.name}`);
        }
      }
      rows[i] = row;
    }
    return inferenceId === undefined ? { ok: true, rows } : { ok: true, rows, inferenceId };
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a JSON value reads in an error message. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length === 0) return 'empty string';
  return typeof value;
}
