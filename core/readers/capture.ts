import { parseCsvRecord } from './csv';

/**
 * SageMaker data capture: each JSON line is
 * `{"captureData": {"endpointInput": {"observedContentType", "mode", "data", "encoding"}, ...}, ...}`
 * with encoding CSV (data is CSV text), JSON (data is JSON text) or BASE64 (decoded, then read as
 * CSV or JSON by its content type). CSV and JSON arrays are positional in the baseline's feature
 * order; JSON objects are keyed by feature name.
 */

export interface RowEmitter {
  /** A positional (array) row or a keyed (object) row. */
  row(values: readonly unknown[] | Record<string, unknown>): void;
  invalid(reason: string): void;
}

function emitCsv(text: string, width: number, fields: string[], emit: RowEmitter): void {
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const n = parseCsvRecord(line, fields);
    if (n !== width) emit.invalid(n < 0 ? 'capture CSV payload has an unterminated quote' : `capture CSV payload has ${n} fields, expected ${width}`);
    else emit.row(fields);
  }
}

function emitJsonValue(value: unknown, width: number, emit: RowEmitter, depth = 0): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => Array.isArray(v) || (typeof v === 'object' && v !== null))) {
      for (const v of value) emitJsonValue(v, width, emit, depth + 1);
    } else if (value.length !== width) emit.invalid(`capture JSON row has ${value.length} values, expected ${width}`);
    else emit.row(value);
    return;
  }
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    // Common inference envelopes: {"instances": [...]}, {"inputs": [...]}, {"features": [...]}.
    for (const key of ['instances', 'inputs', 'features']) {
      if (depth === 0 && Array.isArray(obj[key])) {
        emitJsonValue(obj[key], width, emit, depth + 1);
        return;
      }
    }
    emit.row(obj);
    return;
  }
  emit.invalid('capture JSON payload is not an object or array');
}

function emitJson(text: string, width: number, emit: RowEmitter): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    emit.invalid('capture JSON payload is not valid JSON');
    return;
  }
  emitJsonValue(value, width, emit);
}

/** Emits the rows of one parsed capture record. */
export function emitCaptureRecord(record: Record<string, unknown>, width: number, fields: string[], emit: RowEmitter): void {
  const capture = record.captureData as Record<string, unknown> | null;
  const input = (typeof capture === 'object' && capture !== null ? capture.endpointInput : undefined) as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || typeof input.data !== 'string') {
    emit.invalid('capture record has no captureData.endpointInput.data');
    return;
  }
  const encoding = String(input.encoding ?? '').toUpperCase();
  const contentType = String(input.observedContentType ?? '').toLowerCase();
  if (encoding === 'CSV') emitCsv(input.data, width, fields, emit);
  else if (encoding === 'JSON') emitJson(input.data, width, emit);
  else if (encoding === 'BASE64') {
    const text = Buffer.from(input.data, 'base64').toString('utf8');
    if (contentType.includes('csv')) emitCsv(text, width, fields, emit);
    else if (contentType.includes('json')) emitJson(text, width, emit);
    else emit.invalid(`capture BASE64 payload has unsupported content type "${contentType}"`);
  } else emit.invalid(`capture encoding "${encoding}" is not CSV, JSON or BASE64`);
}
