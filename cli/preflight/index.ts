import type { Command } from 'commander';
import type { GoogleAuth } from 'google-auth-library';
import { type CliContext, UsageError } from '../io';
import { loadPlatformInput } from '../platform-config';
import type { AwsPreflightClients } from './aws';
import type { GcpPreflightEndpoints } from './gcp';
import type { GcpStackFacts } from './gcp-stack';
import { type CheckResult, errorText, formatReport } from './report';

/** What the command talks to; tests point each at loopback servers. */
export interface PreflightDeps {
  readonly aws?: AwsPreflightClients;
  /** Default: Application Default Credentials with the read-only cloud-platform scope. */
  readonly googleAuth?: GoogleAuth;
  readonly google?: GcpPreflightEndpoints;
}

/**
 * Adds `preflight --env <env>`: read-only checks that a first deploy of the environment can succeed (CDK bootstrap,
 * registry bucket and artifacts on AWS; APIs, state bucket and artifacts on Google Cloud). Prints each check as ok,
 * BLOCKER, warning or info with its fix, and exits 1 when anything blocks the deploy.
 */
export function registerPreflight(program: Command, ctx: CliContext, deps: PreflightDeps = {}): void {
  program
    .command('preflight')
    .description('check, read-only, that an environment can be deployed: CDK bootstrap, APIs, buckets, model artifacts')
    .requiredOption('--env <env>', 'environment of the config to check')
    .option('--config <file>', 'platform config (YAML or JSON); default: MODELSTACK_CONFIG, else the embedded demo')
    .option('--cloud <cloud>', 'check only aws or gcp')
    .option('--versions <file>', 'versions resolved by modelstack resolve-versions (what the deploy will serve); default: MODELSTACK_VERSIONS')
    .action(async (options: { env: string; config?: string; cloud?: string; versions?: string }) => {
      if (options.cloud !== undefined && options.cloud !== 'aws' && options.cloud !== 'gcp') throw new UsageError(`--cloud ${options.cloud}: expected aws or gcp`);
      const resolved = loadPlatformInput(options);
      const { config, versions } = resolved;
      const environment = config.environments[options.env];
      if (!environment) throw new UsageError(`--env ${options.env}: expected one of ${Object.keys(config.environments).join(', ')}`);

      // Loaded on use: the SDK clients and the GCP stack would slow every other command's start.
      const { awsPreflight } = await import('./aws');
      const { gcpPreflight } = await import('./gcp');
      const { gcpStackFacts } = await import('./gcp-stack');
      const results: CheckResult[] = [];
      const targets: string[] = [];
      if (environment.aws && options.cloud !== 'gcp') {
        targets.push(`AWS ${environment.aws.account}/${environment.aws.region}`);
        results.push(...(await awsPreflight(config, options.env, deps.aws, versions)));
      }
      if (environment.gcp && options.cloud !== 'aws') {
        targets.push(`Google Cloud ${environment.gcp.project}/${environment.gcp.region}`);
        let facts: GcpStackFacts = { services: [] };
        try {
          facts = await gcpStackFacts(config, options.env);
        } catch (err) {
          results.push({ cloud: 'gcp', status: 'info', detail: `the Terraform stack could not be built (${errorText(err)}): only the base APIs are checked` });
        }
        const auth = deps.googleAuth ?? (await defaultGoogleAuth());
        results.push(...(await gcpPreflight(config, options.env, auth, facts, deps.google)));
      }
      ctx.io.stdout(formatReport(`modelstack preflight ${options.env} (${targets.join(', ')}; ${resolved.source})`, results));
      if (results.some((r) => r.status === 'blocker')) ctx.exitCode = 1;
    });
}

async function defaultGoogleAuth(): Promise<GoogleAuth> {
  const { GoogleAuth } = await import('google-auth-library');
  return new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform.read-only'] });
}
