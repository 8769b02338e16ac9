/**
 * ModelStack's Google Cloud constructs (CDKTF and @cdktf/provider-google): compose them in your own CDKTF stacks.
 *
 * @packageDocumentation
 * @module modelstack/gcp
 */
export { BatchPrediction, type BatchPredictionInput, type BatchPredictionOutput, type BatchPredictionProps, cloudSchedulerCron } from './batch-prediction';
export { CloudRunDeployerRole, type CloudRunDeployerRoleProps } from './cloud-run-deployer-role';
export { CLOUD_RUN_CONTAINER, CLOUD_RUN_PLACEHOLDER_IMAGE, CloudRunModelService, type CloudRunModelServiceProps } from './cloud-run-model-service';
export { DRIFT_EVENT_ATTRIBUTES, DRIFT_METRIC_LABELS, DRIFT_METRIC_RESOURCE_TYPE, DRIFT_METRICS, driftTopicName, functionServiceName } from './drift-contract';
export { DRIFT_DEFAULTS, type DriftSettings } from '../../core/drift/defaults';
export { DriftFunction, type DriftFunctionProps, scheduleFor } from './drift-function';
export { EncryptedTopic, type EncryptedTopicProps } from './encrypted-topic';
export { type FeatureEntity, FeatureStore, type FeatureStoreProps } from './feature-store';
export { FUNCTION_SOURCES_PREFIX, FunctionPlatform, type FunctionPlatformProps } from './function-platform';
export type { FunctionIngress } from './private/cloud-function';
export type { FunctionBundle } from './private/function-bundle';
export { InferenceFunction, type InferenceFunctionProps } from './inference-function';
export { type EndpointNetwork, ModelEndpoint, type ModelEndpointProps } from './model-endpoint';
export { ModelImageRepository, type ModelImageRepositoryProps } from './model-image-repository';
export { ModelRegistry, type ModelRegistryProps, type ObjectGrantOptions, type RegistryBucket } from './model-registry';
export { ModelVersionEvents, type ModelVersionEventsProps } from './model-version-events';
export { ALERT_THRESHOLD_DEFAULTS, type AlertThresholds } from './alert-thresholds';
export { PlatformMonitoring, type PlatformMonitoringProps } from './platform-monitoring';
export { PrivateEndpointAccess, type PrivateEndpointAccessProps, type PrivateEndpointAddress } from './private-endpoint-access';
export { prebuiltServingImage } from './prebuilt-images';
export { APIS_BY_TYPE, RequiredApis } from './required-apis';
export { RetrainingTrigger, type RetrainingTriggerProps } from './retraining-trigger';
export { type TrainingReason, type TrainingWorkflowArgument, type TrainingWorkflowResult, trainingWorkflowName } from './training-contract';
export { TRAINING_WORK_PREFIX, TrainingBaselineFunction, type TrainingBaselineFunctionProps } from './training-baseline-function';
export { TRAINING_IMAGE_CONTEXT_PREFIX, TRAINING_IMAGE_NAME, TrainingImage, type TrainingImageProps } from './training-image';
export { TrainingTensorboard, type TrainingTensorboardProps, TrainingWorkflow, type TrainingWorkflowProps } from './training-workflow';
export type { TrainingImageBuildSpec, TrainingTuningSpec, TrainingWorkflowSpec, TuningRange } from './private/training-workflow-source';
export { maxDeliveryAttempts, STREAMING_RESULT_COLUMNS, StreamingInference, type StreamingInferenceProps } from './streaming-inference';
export { type GitHubRepository, type ImageBuildStep, VertexDeployTrigger, type VertexDeployTriggerProps } from './vertex-deploy-trigger';
export { VertexDeployerRole, type VertexDeployerRoleProps } from './vertex-deployer-role';
