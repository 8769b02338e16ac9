/**
 * The cloud-free core, pure TypeScript (Node built-ins and zod): the drift engine (streaming profiles, drift
 * methods, readers, the HTML report), inference request validation, model-quality metrics and the scheduled
 * drift job. The CLI and the AWS and GCP functions share it.
 *
 * @packageDocumentation
 * @module modelstack/core
 */
export * from './profile/baseline';
export * from './profile/private/bins';
export * from './capture';
export * from './profile/categorical-profile';
export * from './drift/evaluate';
export * from './drift/integrity';
export * from './drift/defaults';
export * from './drift/integrity-thresholds';
export * from './drift/methods';
export * from './drift/private/metrics';
export * from './profile/private/moments';
export * from './profile/numeric-profile';
export * from './drift/private/parallel';
export * from './drift/pipeline';
export * from './profile/profile';
export * from './readers/capture';
export * from './readers/csv';
export { parseAsciiNumber, QuotedCsvRangeError, scanCsvIntoProfile, type CsvScanOptions } from './readers/csv-scan';
export * from './readers/infer';
export * from './readers/lines';
export * from './readers/read';
export { hasParquetMagic, MAX_STREAMED_PARQUET_BYTES, PARQUET_MAGIC } from './readers/parquet';
export * from './readers/source';
export * from './drift/report-html';
export * from './profile/private/sketch-cdf';
export * from './drift/private/special';
export * from './profile/private/tdigest';
export * from './profile/values';
// The serving and scheduled-job cores (cloud-free, shared by the AWS and GCP function adapters).
export * from './drift-job';
export * from './inference';
export * from './layout';
export * from './quality';
