import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { environmentNamesOn } from '../infra/config/clouds';
import type { PlatformConfig } from '../infra/config/schema';
import { UsageError, type CliContext } from './io';
import { loadPlatformInput } from './platform-config';

interface PipelineFlags {
  model: string;
  env?: string;
  config?: string;
}

/**
 * `modelstack pipeline definition|run`: a model's training pipeline (docs/training.md). `definition` prints the
 * SageMaker pipeline definition generated from the config; `run --local` executes it on this machine.
 */
export function registerPipeline(program: Command, ctx: CliContext): void {
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
    .description('run a model\'s training pipeline; --local executes its definition step by step on this machine')
    .requiredOption('--model <name>', 'a model with a training section')
    .option('--local', 'run here: the registry is a folder, the steps run the Python training code')
    .option('--env <name>', 'the environment whose definition runs (default: the first deployed to AWS)')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--registry <folder>', 'the registry folder (models/<model>/<version>/, training-data/<model>/)', 'registry')
    .option('--data <path>', 'training data (a CSV or JSON Lines file, or a folder) instead of <registry>/<training.data.prefix>')
    .option('--code <folder>', 'the folder holding training/ (default: this package\'s, else the current folder)')
    .action(async (flags: PipelineFlags & { local?: boolean; registry: string; data?: string; code?: string }) => {
      if (!flags.local) throw new UsageError('pipeline run: only --local is available: cloud runs start from the deployed AWS::SageMaker::Pipeline (not generated yet)');
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
  for (const command of pipeline.commands) command.exitOverride();
  pipeline.exitOverride();
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
