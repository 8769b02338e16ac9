/**
 * The whole platform from one typed config: parse and validate a {@link PlatformConfig}, then add every
 * environment's stacks to a CDK app ({@link buildAwsPlatform}) or a CDKTF app ({@link buildGcpPlatform}).
 *
 * @packageDocumentation
 * @module modelstack/platform
 */
export { type AwsPlatform, type AwsPlatformOptions, buildAwsPlatform, buildEnvironment, type EnvironmentStacks } from './aws/app';
export { type ModelOperationsProps, ModelOperationsStack, OperationsStack, type OperationsStackProps } from './aws/operations-stack';
export { type EnvironmentStackProps, ModelServingStack, RegistryStack, ServingStack, type ServingStackProps } from './aws/stacks';
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
export { demoConfig } from './config/demo';
export { type GcpEnvironmentConfig, type GcpModelConfig, gcpEnvironmentSchema, gcpModelSchema } from './config/gcp-schema';
export { type BuiltImageOptions, type BuiltImages, type ImageBuild, loadImagesFile, type ModelImage } from './config/images';
export { ConfigError, loadConfigFile, parseConfig, resolveConfig, type ResolvedConfig } from './config/load';
export type { DriftConfig, EnvironmentConfig, FeatureConfig, InferenceConfig, ModelConfig, PlatformConfig, PlatformConfigInput, ServingConfig } from './config/schema';
export { platformConfigSchema } from './config/schema';
export { loadVersionsFile, type ResolvedVersion, type ResolvedVersions } from './config/versions';
export { buildGcpPlatform, GcpEnvironmentStack, type EnvironmentStackProps as GcpEnvironmentStackProps } from './gcp/app';
