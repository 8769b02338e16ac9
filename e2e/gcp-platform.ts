import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { buildGcpPlatform } from '../infra/gcp/app';
import type { PlatformConfig } from '../infra/config/schema';

/** What the synthesized Terraform says about one model on Google Cloud. */
export interface GcpDeployedModel {
  readonly model: string;
  /**
   * The inference function's environment variables (all literals, except `CLOUD_RUN_URL`, the Cloud Run service's
   * URL, which only exists after apply).
   */
  readonly inferenceEnv: Record<string, string>;
  /** The container the deploy trigger uploads: the folder it builds and the `ModelContainerSpec` it sets. */
  readonly container: { readonly buildFolder: string; readonly port: number; readonly healthRoute: string; readonly predictRoute: string };
  /**
   * A model served on Cloud Run (`gcp.servingOverride`): its service as Terraform creates it, and the deploy step's
   * `cloudrun-deploy` arguments (Cloud Build substitutions unresolved).
   */
  readonly cloudRun?: {
    readonly service: string;
    readonly image: string;
    readonly env: readonly { readonly name: string; readonly value: string }[];
    readonly deployArgs: readonly string[];
  };
}

interface BuildStep {
  readonly id?: string;
  readonly name: string;
  readonly args: string[];
}

interface SynthesizedStack {
  resource: Record<string, Record<string, any>>;
}

/**
 * Synthesizes the Google Cloud stacks of `config` into `outdir` (once) and reads each model's inference function,
 * deploy trigger and, on Cloud Run, service from the stack of every environment in `environments`.
 */
export function synthesizeGcpEnvironments(config: PlatformConfig, environments: readonly string[], outdir: string): Record<string, Record<string, GcpDeployedModel>> {
  const app = new App({ outdir });
  const stacks = buildGcpPlatform(app, config);
  app.synth();
  const result: Record<string, Record<string, GcpDeployedModel>> = {};
  for (const environment of environments) {
    const stack = stacks[environment];
    if (!stack) throw new Error(`${environment}: no Google Cloud stack`);
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack.node.id, 'cdk.tf.json'), 'utf8')) as SynthesizedStack;
    result[environment] = deployedModels(config, environment, json);
  }
  return result;
}

/** One environment's models on Google Cloud; see {@link synthesizeGcpEnvironments}. */
export function synthesizeGcp(config: PlatformConfig, environment: string, outdir: string): Record<string, GcpDeployedModel> {
  return synthesizeGcpEnvironments(config, [environment], outdir)[environment];
}

function deployedModels(config: PlatformConfig, environment: string, json: SynthesizedStack): Record<string, GcpDeployedModel> {
  const steps = Object.values(json.resource.google_cloudbuild_trigger ?? {}).map((t) => (t.build?.step ?? []) as BuildStep[]);
  const services = Object.values(json.resource.google_cloud_run_v2_service ?? {});
  const deployed: Record<string, GcpDeployedModel> = {};
  for (const fn of Object.values(json.resource.google_cloudfunctions2_function ?? {})) {
    const env = { ...((fn.service_config?.environment_variables ?? {}) as Record<string, string>) };
    // Inference functions only: a streaming function (entry point `score`) has the same model variables.
    if (!env.MODEL_NAME || !env.MODEL_FEATURES || fn.build_config?.entry_point === 'score') continue;
    // A bucket's name is known at synth: resolve references to it (the capture bucket) to the synthesized name.
    for (const [name, value] of Object.entries(env)) {
      const bucket = /^\$\{google_storage_bucket\.([\w-]+)\.name\}$/.exec(value);
      if (bucket && json.resource.google_storage_bucket?.[bucket[1]]) env[name] = json.resource.google_storage_bucket[bucket[1]].name;
    }
    for (const [name, value] of Object.entries(env)) {
      if (value.includes('${') && !(name === 'CLOUD_RUN_URL' && /^\$\{google_cloud_run_v2_service\.[\w-]+\.uri\}$/.test(value))) {
        throw new Error(`${env.MODEL_NAME}: ${name} is a Terraform reference (${value}), not a literal`);
      }
    }
    const model = env.MODEL_NAME;
    const cloudRun = env.CLOUD_RUN_URL ? cloudRunService(model, services, steps) : undefined;
    deployed[model] = { model, inferenceEnv: env, container: cloudRun ? cloudRunContainer(model, cloudRun, steps) : deployedContainer(model, steps), cloudRun };
  }
  for (const model of config.models) if (!deployed[model.name]) throw new Error(`${environment}: ${model.name} has no Google Cloud inference function`);
  return deployed;
}

/** The model's Cloud Run service and the `cloudrun-deploy` step that rolls versions out on it. */
function cloudRunService(model: string, services: readonly any[], triggers: readonly BuildStep[][]): NonNullable<GcpDeployedModel['cloudRun']> {
  const service = services.find((s) => String(s.name).endsWith(`-serve-${model}`));
  if (!service) throw new Error(`${model}: the inference function calls Cloud Run, but there is no service for it`);
  const deploy = triggers.flat().find((s) => s.args.includes('cloudrun-deploy') && s.args[s.args.indexOf('--service') + 1] === service.name);
  if (!deploy) throw new Error(`${model}: no cloudrun-deploy step rolls out ${service.name}`);
  const [container] = service.template.containers;
  return { service: service.name, image: container.image, env: container.env, deployArgs: deploy.args.slice(deploy.args.indexOf('cloudrun-deploy')) };
}

/** The container a Cloud Run service runs: the folder its deploy trigger builds, the port and the AIP_* routes. */
function cloudRunContainer(model: string, cloudRun: NonNullable<GcpDeployedModel['cloudRun']>, triggers: readonly BuildStep[][]): GcpDeployedModel['container'] {
  const steps = triggers.find((t) => t.some((s) => s.args.includes('cloudrun-deploy') && s.args.includes(cloudRun.service)))!;
  const build = steps.find((s) => s.name.endsWith('/docker') && s.args[0] === 'build');
  if (!build) throw new Error(`${model}: the deploy trigger builds no image`);
  const env = (name: string) => {
    const value = cloudRun.env.find((e) => e.name === name)?.value;
    if (value === undefined) throw new Error(`${model}: the Cloud Run service sets no ${name}`);
    return value;
  };
  return { buildFolder: build.args[build.args.length - 1], port: Number(env('AIP_HTTP_PORT')), healthRoute: env('AIP_HEALTH_ROUTE'), predictRoute: env('AIP_PREDICT_ROUTE') };
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
