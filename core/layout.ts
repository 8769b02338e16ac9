/**
 * Object-key layout of a model registry bucket, shared by both clouds' constructs, the functions and the CLI, so every
 * reader and writer agrees on where things live.
 */
export const registryLayout = {
  /** Everything that belongs to one model's artifacts. */
  modelPrefix: (model: string): string => `models/${model}/`,
  /** The packaged model SageMaker or Vertex AI loads. */
  modelArtifact: (model: string, version: string): string => `models/${model}/${version}/model.tar.gz`,
  /** The drift baseline profiled from the model's training data. */
  baseline: (model: string, version: string): string => `models/${model}/${version}/baseline.json`,
  /** The model's quality on its validation data (`{ "metrics": { "accuracy": 0.91, ... } }`), the reference for degradation. */
  qualityBaseline: (model: string, version: string): string => `models/${model}/${version}/quality.json`,
  /** Where the endpoint's captured requests and responses are written. */
  dataCapturePrefix: (model: string): string => `data-capture/${model}/`,
  /** Where drift reports are written. */
  reportsPrefix: (model: string): string => `reports/${model}/`,
  /** One window's report folder: `report.json`, `report.html`, and the fan-out's shard profiles. */
  windowReportPrefix: (model: string, windowId: string): string => `reports/${model}/${windowId}/`,
  /** Where labels for captured predictions arrive, in hourly folders. */
  groundTruthPrefix: (model: string): string => `ground-truth/${model}/`,
} as const;
