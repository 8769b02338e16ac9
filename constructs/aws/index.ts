/**
 * ModelStack's AWS constructs (aws-cdk-lib): compose them in your own CDK stacks.
 *
 * @example
 * ```ts
 * import { App, Stack } from 'aws-cdk-lib';
 * import { ModelEndpoint, ModelRegistry } from 'modelstack/aws';
 *
 * const stack = new Stack(new App(), 'Models', { env: { account: '111111111111', region: 'eu-west-1' } });
 * const registry = new ModelRegistry(stack, 'Registry', { namePrefix: 'models-dev', models: ['churn'] });
 * ```
 *
 * @packageDocumentation
 * @module modelstack/aws
 */
export {
  ALARM_DEFAULTS,
  ALARM_THRESHOLD_DEFAULTS,
  type AlarmDefault,
  type AlarmDefaultOverrides,
  alarmDefaultsWith,
  type AlarmKind,
  type AlarmThresholds,
} from './alarm-thresholds';
export { AlarmTopic, type AlarmTopicProps } from './alarm-topic';
export { DRIFT_DEFAULTS, type DriftSettings } from '../../core/drift/defaults';
export { BatchInference, type BatchInferenceProps } from './batch-inference';
export { addComplianceChecks } from './compliance';
export { ContainerImage, type ContainerImageConfig } from './container-image';
export { type TrafficShift } from './deployment-rules';
export { DRIFT_METRICS, driftMetric } from './drift-metrics';
export { DriftMonitor, type DriftMonitorProps } from './drift-monitor';
export { ExperimentTracking, type ExperimentTrackingProps, MLFLOW_CLIENT_VERSION, MLFLOW_LOGGING_ACTIONS, MLFLOW_VERSION, type TrackingServerSize } from './experiment-tracking';
export { type FeatureGroupSpec, FeatureStore, type FeatureStoreProps } from './feature-store';
export { InferenceApi, type InferenceApiProps, type InferenceCapture, type InferenceModel } from './inference-api';
export { ModelCard, type ModelCardProps } from './model-card';
export {
  type AsyncVariant,
  type EndpointAlarmOptions,
  type EndpointDeployment,
  type IModelEndpoint,
  ModelEndpoint,
  ModelEndpointBase,
  type ModelEndpointProps,
  type ModelVpcConfig,
  type RealtimeVariant,
  type ServerlessVariant,
  type ServingVariant,
  VARIANT_NAME,
} from './model-endpoint';
export { type IModelRegistry, ModelRegistry, type ModelRegistryAttributes, ModelRegistryBase, type ModelRegistryProps } from './model-registry';
export { AlarmFactory, type AlarmFactoryProps, type FactoryAlarmProps } from './monitoring/alarm-factory';
export { ApiMonitoring, type ApiMonitoringProps } from './monitoring/api-monitoring';
export { DeadLetterMonitoring, type DeadLetterMonitoringProps } from './monitoring/dead-letter-monitoring';
export { type DriftMetrics, DriftMonitoring, type DriftMonitoringProps } from './monitoring/drift-monitoring';
export { EndpointMonitoring, type EndpointMonitoringProps } from './monitoring/endpoint-monitoring';
export { FunctionMonitoring, type FunctionMonitoringProps } from './monitoring/function-monitoring';
export { SegmentNaming } from './monitoring/naming';
export { MonitoringSegment, type MonitoringSegmentProps } from './monitoring/segment';
export { WorkflowMonitoring, type WorkflowMonitoringProps } from './monitoring/workflow-monitoring';
export {
  type EndpointSegmentOptions,
  type LabelledSegmentOptions,
  PlatformMonitoring,
  type PlatformMonitoringProps,
  type SegmentOptions,
} from './platform-monitoring';
export { StreamingInference, type StreamingInferenceProps } from './streaming-inference';
export { TrainingBaseline, type TrainingBaselineProps, TrainingStarter, type TrainingStarterProps, type TrainingStarterTarget } from './training-functions';
export { TrainingPipeline, type TrainingPipelineProps } from './training-pipeline';
