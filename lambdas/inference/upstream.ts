/** What a model endpoint answered, as both clouds' predictors return it (SageMaker runtime, Vertex AI, Cloud Run). */
export interface UpstreamResponse {
  readonly body: string;
  readonly contentType?: string;
}
