/**
 * The cloud-free core, pure TypeScript (Node built-ins and zod): the drift engine (streaming profiles, drift
 * methods, readers, the HTML report), inference request validation, model-quality metrics and the scheduled
 * drift job. The CLI and the AWS and GCP functions share it.
 *
 * @packageDocumentation
 * @module modelstack/core
 */
export * from './baseline';
export * from './bins';
export * from './capture';
export * from './categorical-profile';
export * from './evaluate';
export * from './integrity';
export * from './drift-defaults';
export * from './integrity-thresholds';
export * from './methods';
export * from './metrics';
export * from './moments';
export * from './numeric-profile';
export * from './parallel';
export * from './pipeline';
export * from './profile';
export * from './readers/capture';
export * from './readers/csv';
export { parseAsciiNumber, QuotedCsvRangeError, scanCsvIntoProfile, type CsvScanOptions } from './readers/csv-scan';
export * from './readers/infer';
export * from './readers/lines';
export * from './readers/read';
export { hasParquetMagic, MAX_STREAMED_PARQUET_BYTES, PARQUET_MAGIC } from './readers/parquet';
export * from './readers/source';
export * from './report-html';
export * from './sketch-cdf';
export * from './special';
export * from './tdigest';
export * from './values';
// The serving and scheduled-job cores (cloud-free, shared by the AWS and GCP function adapters).
export * from './drift-job';
export * from './inference';
export * from './layout';
export * from './quality';
