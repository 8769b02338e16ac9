/**
 * The whole platform from one typed config: parse and validate a {@link PlatformConfig}, then add every
 * environment's stacks to a CDK app ({@link buildAwsPlatform}) or a CDKTF app ({@link buildGcpPlatform}).
 *
 * @packageDocumentation
 * @module modelstack/platform
 */
import type { App as TerraformApp } from 'cdktf';
import type { PlatformConfig } from './config/schema';
import type { GcpEnvironmentStack as GcpStackClass } from './gcp/app';
import { loadGcpApp } from './gcp/lazy';
export { type AwsPlatform, type AwsPlatformOptions, buildAwsPlatform, buildEnvironment, type EnvironmentStacks } from './aws/app';
export { type ModelOperationsProps, ModelOperationsStack, OperationsStack, type OperationsStackProps } from './aws/operations-stack';
export { type EnvironmentStackProps, ModelServingStack, RegistryStack, ServingStack, type ServingStackProps } from './aws/stacks';
export { addTrainingPipelines, type EnvironmentTraining } from './aws/training';
export {
  type AwsEnvironmentConfig,
  type AwsModelConfig,
  type AwsPlatformConfig,
  asyncServingSchema,
  awsEnvironmentSchema,
  awsModelSchema,
  awsPlatformSchema,
  type FeatureGroupConfig,
} from './config/aws-schema';
export { type BatchConfig, batchSchema, type StreamingConfig, streamingSchema } from './config/batch-streaming-schema';
export { demoConfig } from './config/demo';
export { type GcpEnvironmentConfig, type GcpModelConfig, gcpEnvironmentSchema, gcpModelSchema } from './config/gcp-schema';
export { type BuiltImageOptions, type BuiltImages, type ImageBuild, loadImagesFile, type ModelImage } from './config/images';
export { ConfigError, loadConfigFile, parseConfig, resolveConfig, type ResolvedConfig } from './config/load';
export type { DriftConfig, EnvironmentConfig, FeatureConfig, InferenceConfig, ModelConfig, PlatformConfig, PlatformConfigInput, ServingConfig } from './config/schema';
export { platformConfigSchema } from './config/schema';
export { loadVersionsFile, type ResolvedVersion, type ResolvedVersions } from './config/versions';
export { type AwsEnvironment, awsEnvironment, type Cloud, environmentNamesOn, type GcpEnvironment, gcpEnvironment } from './config/clouds';
export type { EnvironmentStackProps as GcpEnvironmentStackProps } from './gcp/app';
export { QUALITY_METRICS, type QualityMetric, type TrainingConfig, trainingSchema } from './config/training-schema';
export { pipelineDefinitionProblems } from './pipeline/checks';
export { trainingPipelineDefinition } from './pipeline/public';
export type { TrainingPipelineResources } from './pipeline/training-pipeline';

// The Google Cloud platform is loaded on first use, so an AWS-only install imports this module without cdktf and the
// Google providers (optional peers).
/**
 * Adds one `<platform>-<env>-platform` stack per environment with a `gcp` section to `app` (cdktf and the Google
 * providers are loaded on the first call).
 */
export function buildGcpPlatform(app: TerraformApp, config: PlatformConfig): Record<string, GcpStackClass> {
  return loadGcpApp().buildGcpPlatform(app, config);
}

/**
 * One environment's Google Cloud platform in one Terraform stack; see the class in `infra/gcp/app.ts`. Loaded on first
 * use (cdktf and the Google providers are optional peers).
 */
export declare const GcpEnvironmentStack: typeof GcpStackClass;
/** One environment's Google Cloud platform in one Terraform stack. */
export type GcpEnvironmentStack = GcpStackClass;
const lazyGcp = {
  get GcpEnvironmentStack(): typeof GcpStackClass {
    return loadGcpApp().GcpEnvironmentStack;
  },
};
// The getter's form (`return <name>.<name>`) is one Node's CommonJS export detection recognizes, so ESM imports see it.
Object.defineProperty(exports, 'GcpEnvironmentStack', {
  enumerable: true,
  get: function () {
    return lazyGcp.GcpEnvironmentStack;
  },
});
