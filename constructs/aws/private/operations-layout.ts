/**
 * Registry-bucket prefixes of the operations features (async, batch and streaming inference, feature store).
 * They sit beside `registryLayout` (core/layout.ts) and never overlap its prefixes.
 */
export const operationsLayout = {
  /** Request payloads clients upload for an async endpoint. */
  asyncInputPrefix: (model: string): string => `async-inference/${model}/input/`,
  /** Responses an async endpoint writes. */
  asyncOutputPrefix: (model: string): string => `async-inference/${model}/output/`,
  /** Failures an async endpoint writes. */
  asyncFailurePrefix: (model: string): string => `async-inference/${model}/failures/`,
  /** Objects a scheduled batch transform scores. */
  batchInputPrefix: (model: string): string => `batch/${model}/input/`,
  /** Where each batch transform run writes, one folder per run. */
  batchOutputPrefix: (model: string): string => `batch/${model}/output/`,
  /** Results of streaming inference, delivered by Firehose. */
  streamingOutputPrefix: (model: string): string => `streaming/${model}/results/`,
  /** Records Firehose could not deliver. */
  streamingErrorPrefix: (model: string): string => `streaming/${model}/errors/`,
  /** Offline store of the feature groups. */
  featureStorePrefix: 'feature-store/',
} as const;
