import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import type { BuiltImages } from '../infra/config/images';
import { BuildImagesError, buildImages, type CommandRunner, processRunner } from './build-images';
import { type CliContext, UsageError } from './io';
import { loadPlatformInput } from './platform-config';

/**
 * `modelstack build-images [--out model-images.json] [--root .] [--dry-run]`: builds and pushes the config's built
 * images (the delivery pipeline's BuildImages step runs it) and writes the images file synth reads (`-c images=`).
 * `runner` runs docker and aws (tests inject one).
 */
export function registerBuildImages(program: Command, ctx: CliContext, runner: CommandRunner = processRunner()): void {
  program
    .command('build-images')
    .description('build and push the image of every build folder of the config to ECR by content tag, and write their digests (model-images.json)')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--out <file>', 'images file to write', 'model-images.json')
    .option('--root <dir>', 'repository root that build folders are relative to', '.')
    .option('--dry-run', 'print the commands instead of running them')
    .action(async (options: { config?: string; out: string; root: string; dryRun?: boolean }) => {
      const { config } = loadPlatformInput({ config: options.config });
      let images: BuiltImages;
      try {
        images = await buildImages(config, {
          root: options.root,
          runner,
          dryRun: options.dryRun,
          log: (line) => ctx.io.stdout(`${line}\n`),
          echo: (text) => ctx.io.stderr(text),
        });
      } catch (error) {
        if (error instanceof BuildImagesError) throw new UsageError(`build-images: ${error.message}`);
        throw error;
      }
      if (options.dryRun) return;
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileSync(options.out, `${JSON.stringify(images, null, 2)}\n`);
      ctx.io.stdout(`wrote ${options.out}\n`);
    });
}
