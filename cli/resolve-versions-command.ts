import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { awsEnvironment, checkEnvironmentNames } from '../infra/config/clouds';
import { loadVersionsFile, type ResolvedVersion, type ResolvedVersions } from '../infra/config/versions';
import type { CliContext } from './io';
import { loadPlatformInput, rethrowAsUsageError } from './platform-config';

/** `modelstack resolve-versions --env dev[,staging] [--out model-versions.json]`. */
export function registerResolveVersions(program: Command, ctx: CliContext): void {
  program
    .command('resolve-versions')
    .description("write each environment's latest approved model versions to a file that synth and cdk deploy read (-c versions=<file>)")
    .requiredOption('--env <names>', 'environments to resolve, comma-separated')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--out <file>', 'versions file to write (other environments in it are kept)', 'model-versions.json')
    .option(
      '--role-arn <arn>',
      "role to assume in each environment's account, {account} and {region} replaced; e.g. the CDK lookup role arn:aws:iam::{account}:role/cdk-hnb659fds-lookup-role-{account}-{region}",
    )
    .action(async (options: { env: string; config?: string; out: string; roleArn?: string }) => {
      // Loaded on use: the SageMaker SDK would slow every other command's start.
      const { resolveVersions, sageMakerClientFor } = await import('./resolve-versions');
      const { config } = loadPlatformInput({ config: options.config });
      const envs = options.env.split(',').filter(Boolean);
      try {
        checkEnvironmentNames(config, envs, '--env', 'aws');
      } catch (err) {
        rethrowAsUsageError(err);
      }
      const written: Record<string, Record<string, ResolvedVersion>> = existsSync(options.out) ? { ...loadVersionsFile(options.out) } : {};
      for (const env of envs) {
        const { account, region } = awsEnvironment(config, env).aws;
        const roleArn = options.roleArn?.replaceAll('{account}', account).replaceAll('{region}', region);
        const client = sageMakerClientFor(region, roleArn);
        const found = await resolveVersions(config, env, client).catch(rethrowAsUsageError);
        written[env] = found.versions;
        for (const [model, v] of Object.entries(found.versions)) ctx.io.stdout(`${env}: ${model}: version ${v.version} (${v.modelPackageArn})\n`);
        for (const model of found.waiting) ctx.io.stdout(`${env}: ${model}: waiting for a first version (no approved package)\n`);
      }
      writeFileSync(options.out, `${JSON.stringify(written satisfies ResolvedVersions, null, 2)}\n`);
      ctx.io.stdout(`wrote ${options.out}\n`);
    });
}
