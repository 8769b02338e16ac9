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
  /** The container the deploy trigger uploads: the folder it builds and the `ModelContainerSpec` it sets. */
  readonly container: { readonly buildFolder: string; readonly port: number; readonly healthRoute: string; readonly predictRoute: string };
}

interface BuildStep {
  readonly id?: string;
  readonly name: string;
  readonly args: string[];
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
    resource: Record<string, Record<string, { service_config?: { environment_variables?: Record<string, string> }; build?: { step: BuildStep[] } }>>;
  };
  const steps = Object.values(json.resource.google_cloudbuild_trigger ?? {}).map((t) => t.build?.step ?? []);
  const deployed: Record<string, GcpDeployedModel> = {};
  for (const fn of Object.values(json.resource.google_cloudfunctions2_function ?? {})) {
    const env = fn.service_config?.environment_variables ?? {};
    if (env.MODEL_NAME && env.MODEL_FEATURES) {
      for (const [name, value] of Object.entries(env)) if (value.includes('${')) throw new Error(`${env.MODEL_NAME}: ${name} is a Terraform reference (${value}), not a literal`);
      deployed[env.MODEL_NAME] = { model: env.MODEL_NAME, inferenceEnv: env, container: deployedContainer(env.MODEL_NAME, steps) };
    }
  }
  for (const model of config.models) if (!deployed[model.name]) throw new Error(`${environment}: ${model.name} has no Google Cloud inference function`);
  return deployed;
}

/** The image build and the `vertex-deploy` container options of the model's deploy trigger. */
function deployedContainer(model: string, triggers: readonly BuildStep[][]): GcpDeployedModel['container'] {
  const steps = triggers.find((t) => t.some((s) => s.args.includes('vertex-deploy') && s.args[s.args.indexOf('--model-id') + 1]?.endsWith(`-${model}`)));
  if (!steps) throw new Error(`${model}: no deploy trigger`);
  const deploy = steps.find((s) => s.args.includes('vertex-deploy'))!;
  const option = (name: string) => {
    const i = deploy.args.indexOf(name);
    if (i < 0) throw new Error(`${model}: the deploy step has no ${name}`);
    return deploy.args[i + 1];
  };
  const build = steps.find((s) => s.name.endsWith('/docker') && s.args[0] === 'build');
  if (!build) throw new Error(`${model}: the deploy trigger builds no image`);
  return { buildFolder: build.args[build.args.length - 1], port: Number(option('--container-port')), healthRoute: option('--health-route'), predictRoute: option('--predict-route') };
}
