import type { ServingVariant } from '../../constructs/aws/model-endpoint';
import type { ModelConfig } from '../config/schema';

/** The endpoint variant a model's `serving` config asks for. */
export function servingVariantOf(model: ModelConfig): ServingVariant {
  const serving = model.serving;
  if (serving.kind === 'serverless') return serving;
  return {
    kind: 'realtime',
    instanceType: serving.instanceType,
    minInstances: serving.autoscaling.minInstances,
    maxInstances: serving.autoscaling.maxInstances,
    targetInvocationsPerInstance: serving.autoscaling.targetInvocationsPerInstance,
  };
}
