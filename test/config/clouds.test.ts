import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildAwsPlatform } from '../../infra/aws/app';
import { awsEnvironment, environmentNamesOn, gcpEnvironment } from '../../infra/config/clouds';
import { ConfigError, loadConfigFile, parseConfig } from '../../infra/config/load';
import { removeStaleStacks } from '../../infra/gcp/stale-stacks';
import { demo, problemsOf } from '../helpers/config';

const examples = join(__dirname, '..', '..', 'examples', 'configs');

describe('each cloud is optional per environment', () => {
  test('an environment deploys to AWS, Google Cloud or both; neither is a problem', () => {
    const config = demo();
    delete config.environments.dev.gcp;
    delete config.environments.staging.aws;
    const parsed = parseConfig(config);
    expect(environmentNamesOn(parsed, 'aws')).toEqual(['dev', 'prod']);
    expect(environmentNamesOn(parsed, 'gcp')).toEqual(['staging', 'prod']);

    delete config.environments.prod.aws;
    delete config.environments.prod.gcp;
    expect(problemsOf(config)).toEqual(['environments.prod: expected aws, gcp or both: the clouds this environment deploys to']);
  });

  test('the AWS-only and GCP-only examples are valid', () => {
    const aws = loadConfigFile(join(examples, 'aws-only.yaml'));
    expect([environmentNamesOn(aws, 'aws'), environmentNamesOn(aws, 'gcp')]).toEqual([['dev', 'prod'], []]);
    const gcp = loadConfigFile(join(examples, 'gcp-only.yaml'));
    expect([environmentNamesOn(gcp, 'aws'), environmentNamesOn(gcp, 'gcp')]).toEqual([[], ['dev', 'prod']]);
  });

  test('picking an environment for a cloud it does not deploy to is a ConfigError naming the valid ones', () => {
    const gcp = loadConfigFile(join(examples, 'gcp-only.yaml'));
    expect(() => awsEnvironment(gcp, 'dev')).toThrow(
      'Invalid platform config (AWS platform): 1 problem\n  - dev: has no aws section, so it is not deployed to AWS: expected one of (none: no environment has aws)',
    );
    expect(gcpEnvironment(gcp, 'prod').gcp.project).toBe('acme-ml-prod');
  });

  test('an unknown -c env= is a ConfigError with the closest name, before any stack is built', () => {
    const app = new App();
    expect(() => buildAwsPlatform(app, parseConfig(demo()), ['prd', 'qa'])).toThrow(ConfigError);
    expect(() => buildAwsPlatform(app, parseConfig(demo()), ['prd', 'qa'])).toThrow(
      'Invalid platform config (-c env=prd,qa): 2 problems\n' +
        '  - prd: not an environment of the config: did you mean prod? expected one of dev, staging, prod\n' +
        '  - qa: not an environment of the config: expected one of dev, staging, prod',
    );
    expect(app.node.children).toEqual([]);
  });
});

describe('stale Terraform stacks', () => {
  function outdir(stacks: string[], previous: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-stale-'));
    for (const stack of stacks) {
      mkdirSync(join(dir, 'stacks', stack), { recursive: true });
      writeFileSync(join(dir, 'stacks', stack, 'cdk.tf.json'), '{}');
    }
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ stacks: Object.fromEntries(previous.map((s) => [s, {}])) }));
    return dir;
  }

  test('stacks the previous synth wrote and this one did not are removed; other folders are not touched', () => {
    const dir = outdir(['acme-dev-platform', 'acme-prod-platform', 'someone-elses'], ['acme-dev-platform', 'acme-prod-platform']);
    expect(removeStaleStacks(dir, ['acme-dev-platform', 'acme-prod-platform'], ['acme-dev-platform'])).toEqual({ removed: ['acme-prod-platform'], kept: [] });
    expect(readdirSync(join(dir, 'stacks')).sort()).toEqual(['acme-dev-platform', 'someone-elses']);
  });

  test('a stale stack holding a local Terraform state is kept', () => {
    const dir = outdir(['acme-dev-platform'], ['acme-dev-platform']);
    writeFileSync(join(dir, 'stacks', 'acme-dev-platform', 'terraform.tfstate'), '{}');
    expect(removeStaleStacks(dir, ['acme-dev-platform', '../outside'], [])).toEqual({ removed: [], kept: ['acme-dev-platform'] });
    expect(readdirSync(join(dir, 'stacks'))).toEqual(['acme-dev-platform']);
  });
});
