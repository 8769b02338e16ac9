import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { environmentNamesOn } from '../infra/config/clouds';
import type { PlatformConfig } from '../infra/config/schema';
import { UsageError, type CliContext } from './io';
import { loadPlatformInput } from './platform-config';
import type { AccessTokenProvider } from './vertex-deploy/client';
import type { PipelineExecutions, PollSchedule } from './pipeline/cloud';
import type { SageMakerPipelineApi } from './pipeline/sagemaker-executions';

interface PipelineFlags {
  model: string;
  env?: string;
  config?: string;
}

/** What `pipeline run|status` talk to in the cloud; tests replace them with loopback fakes. */
export interface PipelineCloudDeps {
  /** Default: a SageMakerClient in the environment's region (default credential chain; AWS_ENDPOINT_URL_SAGEMAKER honoured). */
  readonly sagemaker?: SageMakerPipelineApi;
  /** Default `WORKFLOWS_API_BASE_URL` when set, else https://workflowexecutions.googleapis.com. */
  readonly workflowsBaseUrl?: string;
  /** Default: Application Default Credentials. */
  readonly accessToken?: AccessTokenProvider;
  /** How `--wait` polls (default every 10 s, growing to a minute). */
  readonly poll?: PollSchedule;
  /** Backoff before retrying a Workflows call Google did not process (429, 503). */
  readonly initialBackoffMs?: number;
  readonly now?: () => Date;
}

interface CloudFlags extends PipelineFlags {
  cloud?: string;
  wait?: boolean;
  parameter?: Record<string, string>;
}

/**
 * `modelstack pipeline definition|run|status`: a model's training pipeline (docs/training.md). `definition` prints
 * the SageMaker pipeline definition generated from the config; `run --local` executes it on this machine; `run` and
 * `status` with `--env` start and follow the deployed pipeline (SageMaker on AWS, Cloud Workflows on Google Cloud).
 */
export function registerPipeline(program: Command, ctx: CliContext, deps: PipelineCloudDeps = {}): void {
  const pipeline = program.command('pipeline').description('a model\'s training pipeline, generated from the config (docs/training.md)');
  pipeline
    .command('definition')
    .description('print the SageMaker pipeline definition (JSON) of a model in an environment, checked against the definition schema\'s rules')
    .requiredOption('--model <name>', 'a model with a training section')
    .option('--env <name>', 'an environment deployed to AWS (default: the first)')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--out <file>', 'write the JSON here instead of stdout')
    .action(async (flags: PipelineFlags & { out?: string }) => {
      const { trainingPipelineDefinition } = await import('../infra/pipeline/training-pipeline');
      const { pipelineDefinitionProblems } = await import('../infra/pipeline/checks');
      const { config, env } = target(flags);
      const definition = guard(() => trainingPipelineDefinition(config, env, flags.model));
      const problems = pipelineDefinitionProblems(JSON.parse(JSON.stringify(definition)));
      if (problems.length > 0) throw new Error(`the generated definition is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      const text = `${JSON.stringify(definition, null, 2)}\n`;
      if (flags.out) writeFileSync(flags.out, text);
      else ctx.io.stdout(text);
    });
  pipeline
    .command('run')
    .description('run a model\'s training pipeline: start the deployed one in --env (exit codes in docs/training.md), or --local on this machine')
    .requiredOption('--model <name>', 'a model with a training section')
    .option('--local', 'run here: the registry is a folder, the steps run the Python training code')
    .option('--env <name>', 'the environment whose pipeline runs (required without --local; with --local default: the first deployed to AWS)')
    .option('--cloud <cloud>', 'aws or gcp (default: the environment\'s cloud; aws when it deploys to both)')
    .option('--wait', 'follow the execution until it ends: exit 0 registered, 1 not registered, 3 failed')
    .option('--parameter <name=value>', 'AWS: a value for a parameter the pipeline declares (repeatable), such as InstanceType=ml.m5.2xlarge', parseParameter)
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--registry <folder>', '--local: the registry folder (models/<model>/<version>/, training-data/<model>/)', 'registry')
    .option('--data <path>', '--local: training data (a CSV or JSON Lines file, or a folder) instead of <registry>/<training.data.prefix>')
    .option('--code <folder>', '--local: the folder holding training/ (default: this package\'s, else the current folder)')
    .action(async (flags: CloudFlags & { local?: boolean; registry: string; data?: string; code?: string }) => {
      if (!flags.local) {
        if (flags.data !== undefined || flags.code !== undefined) throw new UsageError('--data and --code: only with --local (a deployed pipeline reads training-data/<model>/ in the registry bucket)');
        const { runInCloud } = await import('./pipeline/cloud-command');
        ctx.exitCode = await runInCloud(await cloudTarget(flags, deps), { wait: Boolean(flags.wait), poll: deps.poll }, ctx.io);
        return;
      }
      if (flags.cloud !== undefined || flags.wait || flags.parameter) throw new UsageError('--cloud, --wait and --parameter: only without --local (they start the deployed pipeline)');
      const { runLocalPipeline } = await import('./pipeline/local-run');
      const { config, env } = target(flags);
      const codeRoot = resolve(flags.code ?? codeFolder());
      if (!existsSync(join(codeRoot, 'training', 'train.py'))) throw new UsageError(`--code: ${codeRoot} has no training/ package: pass the folder that holds it`);
      const result = await runLocalPipeline({
        config,
        environment: env,
        model: flags.model,
        registry: flags.registry,
        data: flags.data,
        codeRoot,
        python: process.env.MODELSTACK_PYTHON ?? '/usr/bin/python3',
        log: (line) => ctx.io.stdout(`${line}\n`),
      });
      if (result.registered) {
        ctx.io.stdout(`${flags.model} v${result.version}: registered (${result.approvalStatus}) -> ${result.message}\n`);
      } else {
        ctx.io.stderr(`${result.message}\n`);
        ctx.exitCode = 1;
      }
    });
  pipeline
    .command('status')
    .description('the recent executions of a model\'s deployed pipeline in an environment, or one execution with its steps')
    .requiredOption('--model <name>', 'a model with a training section')
    .requiredOption('--env <name>', 'the environment')
    .option('--cloud <cloud>', 'aws or gcp (default: the environment\'s cloud; aws when it deploys to both)')
    .option('--execution <id>', 'one execution: AWS its ARN or id, Google Cloud its id (default: list the recent ones and show the newest)')
    .option('--wait', 'follow the execution until it ends, with run --wait\'s exit codes')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .action(async (flags: CloudFlags & { execution?: string }) => {
      const { showStatus } = await import('./pipeline/cloud-command');
      ctx.exitCode = await showStatus(await cloudTarget(flags, deps), { execution: flags.execution, wait: Boolean(flags.wait), poll: deps.poll }, ctx.io);
    });
  for (const command of pipeline.commands) command.exitOverride();
  pipeline.exitOverride();
}

/** `Name=Value`, repeatable. */
function parseParameter(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('expected Name=Value, such as InstanceType=ml.m5.2xlarge');
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

/** A model's deployed pipeline in `--env` on `--cloud`, and its executions' API. */
export interface CloudTarget {
  readonly model: string;
  readonly environment: string;
  readonly cloud: 'aws' | 'gcp';
  readonly executions: PipelineExecutions;
}

/** Checks the flags against the config and builds the cloud's client: every problem is a usage error (exit 2). */
async function cloudTarget(flags: CloudFlags, deps: PipelineCloudDeps): Promise<CloudTarget> {
  const { config } = loadPlatformInput({ config: flags.config });
  const envs = Object.keys(config.environments);
  if (!flags.env) throw new UsageError(`--env: expected the environment whose deployed pipeline runs (${envs.join(', ')}), or --local to run here`);
  const environment = config.environments[flags.env];
  if (!environment) throw new UsageError(`--env: no environment named "${flags.env}": expected one of ${envs.join(', ')}`);
  const clouds = (['aws', 'gcp'] as const).filter((c) => environment[c] !== undefined);
  const cloud = flags.cloud ?? clouds[0];
  if (cloud !== 'aws' && cloud !== 'gcp') throw new UsageError(`--cloud: expected aws or gcp, got ${flags.cloud}`);
  if (!clouds.includes(cloud)) throw new UsageError(`--cloud ${cloud}: environment ${flags.env} is not deployed to ${cloud} (it deploys to ${clouds.join(', ') || 'no cloud'})`);
  const model = config.models.find((m) => m.name === flags.model);
  if (!model) throw new UsageError(`--model: no model named "${flags.model}": expected one of ${config.models.map((m) => m.name).join(', ')}`);
  if (!model.training) throw new UsageError(`--model: ${flags.model} has no training section, so it has no pipeline: add models[].training to the config (docs/training.md)`);
  if (cloud === 'gcp') {
    if (flags.parameter) throw new UsageError('--parameter: AWS only (the Google Cloud workflow takes no parameters)');
    const { workflowExecutions } = await import('./pipeline/workflow-executions');
    const { applicationDefaultTokenProvider } = await import('./vertex-deploy/adc');
    const accessToken = deps.accessToken ?? applicationDefaultTokenProvider({ projectId: environment.gcp!.project });
    const baseUrl = deps.workflowsBaseUrl ?? (process.env.WORKFLOWS_API_BASE_URL || undefined);
    return { model: model.name, environment: flags.env, cloud, executions: workflowExecutions({ config, environment: flags.env, model: model.name, accessToken, baseUrl, initialBackoffMs: deps.initialBackoffMs }) };
  }
  const { sageMakerExecutions, sageMakerClientIn } = await import('./pipeline/sagemaker-executions');
  const { trainingPipelineDefinition } = await import('../infra/pipeline/training-pipeline');
  // Only what the definition declares: StartPipelineExecution refuses a parameter the pipeline does not have. The
  // parameters do not depend on the images, so placeholders spare resolving built images (their folders' content
  // tags), which would fail outside the repository.
  const images = { servingImage: 'unused', trainingImage: 'unused' };
  const declared = (guard(() => trainingPipelineDefinition(config, flags.env!, model.name, images)).Parameters ?? []).map((p) => p.Name);
  const unknown = Object.keys(flags.parameter ?? {}).filter((name) => !declared.includes(name));
  if (unknown.length > 0) throw new UsageError(`--parameter: ${unknown.join(', ')}: not a parameter of the pipeline: expected one of ${declared.join(', ')}`);
  const client = deps.sagemaker ?? sageMakerClientIn(config, flags.env);
  return {
    model: model.name,
    environment: flags.env,
    cloud,
    executions: sageMakerExecutions({ config, environment: flags.env, model: model.name, client, declaredParameters: declared, parameters: flags.parameter, now: deps.now }),
  };
}

/** The config, and the environment: --env, else the first deployed to AWS; the model must have a training section. */
function target(flags: PipelineFlags): { config: PlatformConfig; env: string } {
  const { config } = loadPlatformInput({ config: flags.config });
  const onAws = environmentNamesOn(config, 'aws');
  const env = flags.env ?? onAws[0];
  if (!env || !onAws.includes(env)) throw new UsageError(`--env: expected an environment deployed to AWS (${onAws.join(', ') || 'none in this config'}), got ${flags.env ?? '(none)'}`);
  const model = config.models.find((m) => m.name === flags.model);
  if (!model) throw new UsageError(`--model: no model named "${flags.model}": expected one of ${config.models.map((m) => m.name).join(', ')}`);
  if (!model.training) throw new UsageError(`--model: ${flags.model} has no training section: add models[].training to the config (docs/training.md)`);
  return { config, env };
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The repository (or installed package) folder that holds training/, else the current folder. */
function codeFolder(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'modelstack') {
      return existsSync(join(dir, 'training')) ? dir : process.cwd();
    }
  }
  return process.cwd();
}
