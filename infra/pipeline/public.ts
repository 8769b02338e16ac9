import type { PlatformConfig } from '../config/schema';
import { type TrainingPipelineResources, trainingPipelineDefinition as generate } from './training-pipeline';

/**
 * A model's training pipeline definition in one AWS environment, as the JSON document `AWS::SageMaker::Pipeline`
 * takes (SageMaker's 2020-12-01 format), checked by `pipelineDefinitionProblems`. The typed model of the
 * definition stays internal, so the document is returned as a plain object; pass it to `TrainingPipeline`.
 *
 * @example
 * ```ts
 * const definition = trainingPipelineDefinition(config, 'dev', 'churn', { kmsKeyId: registry.encryptionKey.keyArn });
 * ```
 */
export function trainingPipelineDefinition(config: PlatformConfig, envName: string, modelName: string, resources: TrainingPipelineResources = {}): object {
  return generate(config, envName, modelName, resources);
}
