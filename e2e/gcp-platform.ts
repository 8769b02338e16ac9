import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { buildGcpPlatform } from '../infra/gcp/app';
import type { PlatformConfig } from '../infra/config/schema';

/** What the synthesized Terraform says about one model on Google Cloud. */
export interface GcpDeployedModel {
  readonly model: string;
  /** The inference function's environment variables (all literals). */
  readonly inferenceEnv: Record<string, string>;
}

/**
 * Synthesizes the Google Cloud stacks of `config` into `outdir` and reads each model's inference function environment
 * from `environment`'s stack.
 */
export function synthesizeGcp(config: PlatformConfig, environment: string, outdir: string): Record<string, GcpDeployedModel> {
  const app = new App({ outdir });
  const stacks = buildGcpPlatform(app, config);
  app.synth();
  const stack = stacks[environment];
  if (!stack) throw new Error(`${environment}: no Google Cloud stack`);
  const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')) as {
    resource: Record<string, Record<string, { service_config?: { environment_variables?: Record<string, string> } }>>;
  };
  const deployed: Record<string, GcpDeployedModel> = {};
  for (const fn of Object.values(json.resource.google_cloudfunctions2_function ?? {})) {
    const env = fn.service_config?.environment_variables ?? {};
    if (env.MODEL_NAME && env.MODEL_FEATURES) {
      for (const [name, value] of Object.entries(env)) if (value.includes('${')) throw new Error(`${env.MODEL_NAME}: ${name} is a Terraform reference (${value}), not a literal`);
      deployed[env.MODEL_NAME] = { model: env.MODEL_NAME, inferenceEnv: env };
    }
  }
  for (const model of config.models) if (!deployed[model.name]) throw new Error(`${environment}: ${model.name} has no Google Cloud inference function`);
  return deployed;
}
