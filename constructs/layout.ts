/**
 * Object-key layout of a model registry bucket, shared by both clouds, the functions and the CLI, so every
 * reader and writer agrees on where things live.
 */
export const registryLayout = {
  /** Everything that belongs to one model's artifacts. */
  modelPrefix: (model: string): string => `models/${model}/`,
  /** The packaged model SageMaker or Vertex AI loads. */
  modelArtifact: (model: string, version: string): string => `models/${model}/${version}/model.tar.gz`,
  /** The drift baseline profiled from the model's training data. */
  baseline: (model: string, version: string): string => `models/${model}/${version}/baseline.json`,
  /** Where the endpoint's captured requests and responses are written. */
  dataCapturePrefix: (model: string): string => `data-capture/${model}/`,
  /** Where drift reports are written. */
  reportsPrefix: (model: string): string => `reports/${model}/`,
} as const;
