import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { registerBaseline } from './baseline-command';
import { registerConfig } from './config-command';
import { registerBuildImages } from './build-images-command';
import { registerDrift } from './drift-command';
import { processIO, type CliContext, type CliIO } from './io';
import { registerPipeline } from './pipeline-command';
import { registerResolveVersions } from './resolve-versions-command';
import { registerPreflight } from './preflight';
import { registerSynth } from './synth-command';
import { registerVertexDeploy } from './vertex-deploy';
import { registerCloudRunDeploy } from './cloudrun-deploy';

/** A subcommand: adds itself to the program; its action sets ctx.exitCode or throws. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Every subcommand of `modelstack`; adding one is one line here. */
export const COMMANDS: RegisterCommand[] = [registerBaseline, (program, ctx) => registerBuildImages(program, ctx), registerConfig, registerDrift, registerPipeline, registerPreflight, registerResolveVersions, registerSynth, (program, ctx) => registerVertexDeploy(program, ctx), (program, ctx) => registerCloudRunDeploy(program, ctx)];

/**
 * The package's version, from the nearest package.json named modelstack above this file: one level above cli/ in a
 * checkout, two above dist/cli/ when installed, four above the checkout's cached CLI bundle (scripts/cli-bundle.cjs).
 */
export function packageVersion(): string {
  for (let dir = join(__dirname, '..'); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'modelstack' && manifest.version) return manifest.version;
  }
  return 'unknown';
}

export function buildProgram(ctx: CliContext, commands: readonly RegisterCommand[] = COMMANDS): Command {
  const program = new Command('modelstack')
    .description('ModelStack: MLOps infrastructure as code, and the drift check')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) })
    // Keep every error on one line (suggestions would add a second).
    .showSuggestionAfterError(false);
  for (const register of commands) register(program, ctx);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Runs the CLI in-process and resolves to the exit code: 0 ok, 1 dataset drift with --fail-on-drift,
 * 2 bad arguments or unreadable/invalid input (the whole error on stderr, every problem listed); a command may
 * document more (`pipeline run`). `commands` replaces the subcommands (tests register one with its fakes).
 */
export async function run(argv: string[], io: CliIO = processIO(), commands: readonly RegisterCommand[] = COMMANDS): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const program = buildProgram(ctx, commands);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line message; help and version are not errors.
      return err.exitCode === 0 ? 0 : 2;
    }
    // The whole message: a config error or an options check lists every problem on its own line.
    io.stderr(`modelstack: error: ${(err as Error).message}\n`);
    return 2;
  }
}

export async function main(): Promise<void> {
  process.exitCode = await run(process.argv.slice(2));
}
