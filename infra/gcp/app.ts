import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { type App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { ModelRegistry } from '../../constructs/gcp/model-registry';
import type { EnvironmentConfig, PlatformConfig } from '../config/schema';

export interface RegistryStackProps {
  readonly platform: string;
  readonly environmentName: string;
  readonly environment: EnvironmentConfig;
}

/** The environment's Google Cloud model registry. */
export class GcpRegistryStack extends TerraformStack {
  readonly registry: ModelRegistry;

  constructor(scope: Construct, id: string, props: RegistryStackProps) {
    super(scope, id);
    const { gcp } = props.environment;
    // GCP label keys allow underscores, not the colon AWS tags use.
    const labels = { modelstack_platform: props.platform, modelstack_environment: props.environmentName };
    new GoogleProvider(this, 'google', { project: gcp.project, region: gcp.region, defaultLabels: labels });
    this.registry = new ModelRegistry(this, 'Registry', {
      namePrefix: `${props.platform}-${props.environmentName}`,
      project: gcp.project,
      region: gcp.region,
      retainOnDelete: props.environment.removalPolicy === 'retain',
      noncurrentVersionRetentionDays: props.environment.noncurrentVersionRetentionDays,
    });
  }
}

/** Adds one `<platform>-<env>-registry` stack per environment to `app`. */
export function buildGcpPlatform(app: App, config: PlatformConfig): Record<string, GcpRegistryStack> {
  const stacks: Record<string, GcpRegistryStack> = {};
  for (const [environmentName, environment] of Object.entries(config.environments)) {
    stacks[environmentName] = new GcpRegistryStack(app, `${config.platform.name}-${environmentName}-registry`, {
      platform: config.platform.name,
      environmentName,
      environment,
    });
  }
  return stacks;
}
