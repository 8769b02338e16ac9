import { hourPrefix } from '../drift-job/window';
/**
 * SageMaker's data-capture record, written by the inference API for endpoints that cannot capture themselves
 * (SageMaker serverless endpoints: "Serverless Inference ... does not support ... data capture", SageMaker
 * Developer Guide, "Feature exclusions"). The same JSON as SageMaker writes ("Capture data from real-time
 * endpoint", captured data format), so the drift job reads both alike (`emitCaptureRecord`).
 */

/** One request and its answer, as the inference API saw them. */
export interface CapturedExchange {
  /** The request body sent to the model, such as the CSV rows. */
  readonly input: string;
  /** Its content type, such as `text/csv`. */
  readonly inputType: string;
  /** The model's answer body. */
  readonly output: string;
  /**
   * The answer's content type.
   * @default 'application/json'
   */
  readonly outputType?: string;
  /**
   * The inference id the API returned; ground-truth labels join on it (`eventMetadata.inferenceId`).
   * @default - no inference id in the record
   */
  readonly inferenceId?: string;
}

/** How SageMaker encodes a payload of `contentType` in a capture record: CSV and JSON as text, others as BASE64. */
export function captureEncoding(contentType: string): 'CSV' | 'JSON' | 'BASE64' {
  const base = contentType.split(';')[0].trim().toLowerCase();
  if (base === 'text/csv') return 'CSV';
  if (base === 'application/json' || base === 'application/jsonlines') return 'JSON';
  return 'BASE64';
}

function captureData(data: string, contentType: string, mode: 'INPUT' | 'OUTPUT') {
  const encoding = captureEncoding(contentType);
  return { observedContentType: contentType, mode, data: encoding === 'BASE64' ? Buffer.from(data, 'utf8').toString('base64') : data, encoding };
}

/** The capture record of `exchange` at `time`, as one JSON line (with its trailing newline). */
export function captureRecordLine(exchange: CapturedExchange, time: Date, eventId: string): string {
  const record = {
    captureData: {
      endpointInput: captureData(exchange.input, exchange.inputType, 'INPUT'),
      endpointOutput: captureData(exchange.output, exchange.outputType ?? 'application/json', 'OUTPUT'),
    },
    eventMetadata: { eventId, inferenceTime: time.toISOString(), ...(exchange.inferenceId ? { inferenceId: exchange.inferenceId } : {}) },
    eventVersion: '0',
  };
  return `${JSON.stringify(record)}\n`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The hourly folder of `time` under `prefix` (`<prefix>yyyy/mm/dd/hh/`): the drift job's own layout ({@link hourPrefix}). */
export function captureHourPrefix(prefix: string, time: Date): string {
  return hourPrefix(prefix, time);
}

/** The key of one batch object: `<prefix>yyyy/mm/dd/hh/mm-ss-<id>.jsonl`, named by the time of its first record. */
export function captureObjectKey(prefix: string, time: Date, id: string): string {
  return `${captureHourPrefix(prefix, time)}${pad(time.getUTCMinutes())}-${pad(time.getUTCSeconds())}-${id}.jsonl`;
}
