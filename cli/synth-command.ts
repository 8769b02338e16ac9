import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from './io';
import { loadPlatformInput } from './platform-config';

/** `modelstack synth [--config file] [--aws-out dir] [--gcp-out dir]`: the clouds the config uses, as `npm run synth`. */
export function registerSynth(program: Command, ctx: CliContext): void {
  program
    .command('synth')
    .description('synthesize the AWS (CDK) and Google Cloud (CDKTF) platforms a config uses, offline')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--aws-out <dir>', 'CloudFormation output directory', 'cdk.out')
    .option('--gcp-out <dir>', 'Terraform output directory', 'cdktf.out')
    .option('--versions <file>', 'latest approved versions from modelstack resolve-versions; default: MODELSTACK_VERSIONS')
    .option('--images <file>', 'images pushed by modelstack build-images; default: MODELSTACK_IMAGES, else built images by content tag')
    .action(async (options: { config?: string; awsOut: string; gcpOut: string; versions?: string; images?: string }) => {
      // Loaded on use: aws-cdk-lib and cdktf would add ~80 MB and a second to every other command's start.
      const { formatReport, outputDirs, synthesizeAll } = await import('../infra/synth');
      const resolved = loadPlatformInput(options);
      const { versions, images } = resolved;
      // The embedded demo builds containers/model-server, which the package ships: its folders are the package's.
      const imagesRoot = resolved.source === 'embedded demo' ? packageRoot() : undefined;
      const started = process.hrtime.bigint();
      const rows = synthesizeAll(resolved.config, { awsOutdir: options.awsOut, gcpOutdir: options.gcpOut, versions, images, imagesRoot });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      ctx.io.stdout(`ModelStack synth (${resolved.source}): ${rows.length} stacks in ${seconds.toFixed(1)} s -> ${outputDirs(resolved.config, options.awsOut, options.gcpOut)}\n`);
      ctx.io.stdout(`${formatReport(resolved.config, rows, versions, images, imagesRoot)}\n`);
    });
}

/** The folder of ModelStack's own package.json: the repository in a checkout, `node_modules/modelstack` when installed. */
function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'modelstack') return dir;
  }
  return process.cwd();
}
