/**
 * The cloud-free core, pure TypeScript (Node built-ins and zod): streaming profiles and baselines, drift comparison
 * and its HTML report, data integrity, readers for CSV, JSON Lines and Parquet, model-quality metrics, inference
 * request validation, request/response capture and the registry's key layout. The CLI and the AWS and GCP
 * functions share it.
 *
 * Only what a user builds on is exported here, by name. The folders hold the rest: `profile/`, `readers/`, `drift/`
 * (each with a `private/` for internals: sketches, special functions, worker threads), `quality/`, `inference/`,
 * `capture/`, and `drift-job/` (the scheduled check behind the drift functions, with its storage ports).
 *
 * @packageDocumentation
 * @module modelstack/core
 */

// Profiles and the baseline file.
export { DatasetProfile, type DatasetState, type FeatureKind, type FeatureProfile, type FeatureSpec, type InvalidRow, type ProfileOptions } from './profile/profile';
export { NumericProfile, type NumericProfileJSON, type NumericState } from './profile/numeric-profile';
export { CategoricalProfile, DEFAULT_CATEGORY_CAP, type CategoricalState } from './profile/categorical-profile';
export {
  baselineSchema,
  categoricalSchema,
  numericSchema,
  parseBaseline,
  type BaselineFile,
  type CategoricalBaseline,
  type FeatureBaseline,
  type NumericBaseline,
} from './profile/baseline';
export { newWindowProfile } from './drift-job/job';
// Types the profiles' public members carry (a numeric profile's sketch and moments); their code stays internal.
export { DEFAULT_COMPRESSION, type TDigest, type TDigestJSON } from './profile/private/tdigest';
export type { Moments } from './profile/private/moments';

// Drift: comparison, methods, defaults, integrity, the report, and the file-level pipeline.
export {
  DEFAULT_DRIFT_SHARE,
  evaluateDrift,
  type DriftReport,
  type DriftStatus,
  type EvaluateOptions,
  type FeatureMetrics,
  type FeatureReport,
  type MethodOverride,
} from './drift/evaluate';
export { defaultMethod, isDrifted, isMethod, methodApplies, METHODS, type DriftMethod } from './drift/methods';
export { DRIFT_DEFAULTS, DRIFT_LIMITS, driftSettings, driftSettingsProblems, type DriftSettings } from './drift/defaults';
export { INTEGRITY_DEFAULTS, integrityThresholds, type IntegrityThresholds } from './drift/integrity-thresholds';
export { worstStatus, type CheckStatus, type IntegrityCheck, type IntegrityCheckName, type IntegrityReport } from './drift/integrity';
export { renderReportHtml } from './drift/report-html';
export { buildBaseline, checkDrift, type BaselineOptions, type DriftOptions } from './drift/pipeline';

// Readers.
export { detectFormat, formatOf, readColumns, readRows, readStreamRows, type DataFormat, type ReadOptions, type RowSink } from './readers/read';
export type { ParquetColumnShare } from './readers/parquet';
export { inferKinds } from './readers/infer';
export { hasParquetMagic } from './readers/parquet';
export type { ByteRange, ProgressCallback } from './readers/source';

// Model quality.
export {
  classificationMetrics,
  regressionMetrics,
  rocAuc,
  type ClassificationMetrics,
  type ModelTask,
  type QualityBaseline,
  type QualityReport,
  type RegressionMetrics,
} from './quality';

// Inference request validation and request/response capture.
export { compileRequestParser, type InputFeature, type ParsedRequest, type RequestLimits, type Row } from './inference/request';
export { apiError, errorBody, type ApiError, type ApiErrorCode } from './inference/api-error';
export { CaptureWriter, type CapturedExchange, type CaptureStats, type CaptureStore, type CaptureWriterOptions } from './capture';

// Where things live in a model registry bucket.
export { registryLayout } from './layout';
