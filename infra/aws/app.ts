import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PlatformConfig } from '../config/schema';
import { RegistryStack, ServingStack } from './stacks';

export interface AwsPlatform {
  readonly app: App;
  /** Stacks per environment name. */
  readonly environments: Record<string, { registry: RegistryStack; serving: ServingStack }>;
}

/**
 * Adds the platform's stacks to `app`: per environment `<platform>-<env>-registry` and
 * `<platform>-<env>-serving`, with cdk-nag's AwsSolutions checks over everything.
 *
 * @param only synthesize just these environments (the `-c env=<name>` context); all when omitted
 */
export function buildAwsPlatform(app: App, config: PlatformConfig, only?: readonly string[]): AwsPlatform {
  const known = Object.keys(config.environments);
  const unknown = (only ?? []).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`Unknown environment ${unknown.map((n) => `"${n}"`).join(', ')}: expected one of ${known.join(', ')}`);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  Tags.of(app).add('modelstack:platform', config.platform.name);

  const environments: AwsPlatform['environments'] = {};
  for (const [envName, environment] of Object.entries(config.environments)) {
    if (only && !only.includes(envName)) continue;
    const namePrefix = `${config.platform.name}-${envName}`;
    const common = {
      env: { account: environment.aws.account, region: environment.aws.region },
      namePrefix,
      environmentName: envName,
      // Deterministic and globally unique: S3 bucket names are global; account and region make them so.
      registryBucketName: `${namePrefix}-models-${environment.aws.account}-${environment.aws.region}`,
      environment,
      models: config.models,
      terminationProtection: environment.removalPolicy === 'retain',
    };
    const registry = new RegistryStack(app, `${namePrefix}-registry`, {
      ...common,
      description: `ModelStack ${envName}: model registry (S3, KMS, SageMaker model package groups)`,
    });
    const serving = new ServingStack(app, `${namePrefix}-serving`, {
      ...common,
      registryKeyArn: registry.registry.encryptionKey.keyArn,
      inference: config.inference,
      description: `ModelStack ${envName}: SageMaker endpoints`,
    });
    Tags.of(registry).add('modelstack:environment', envName);
    Tags.of(serving).add('modelstack:environment', envName);
    environments[envName] = { registry, serving };
  }
  return { app, environments };
}
