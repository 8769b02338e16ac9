import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../infra/config/load';
import { formatReport, synthesizeAll } from '../../infra/synth';

const root = join(__dirname, '..', '..');
const examples = join(root, 'examples', 'configs');
const noCdktf = join(root, 'test', 'fixtures', 'no-cdktf.cjs');
const env = { ...process.env, CHECKPOINT_DISABLE: '1', CDK_VALIDATION: 'false' };

describe('one cloud or both', () => {
  // The repository's own bin (what `npx modelstack` runs in a checkout: the TypeScript sources through tsx), with
  // cdktf and the Google providers unresolvable, as in an AWS-only install.
  test('modelstack synth of the AWS-only example needs no cdktf and writes only cdk.out/', () => {
    const out = mkdtempSync(join(tmpdir(), 'modelstack-aws-only-'));
    const run = spawnSync(
      process.execPath,
      ['-r', noCdktf, join(root, 'bin', 'modelstack.cjs'), 'synth', '--config', join(examples, 'aws-only.yaml'), '--aws-out', join(out, 'cdk.out'), '--gcp-out', join(out, 'cdktf.out')],
      // From the repository root, as a team runs it: the example's image build folder is relative to it.
      { cwd: root, env, encoding: 'utf8' },
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(/^ModelStack synth \(.*aws-only\.yaml\): 6 stacks in [\d.]+ s -> .*cdk\.out\/\n/);
    expect(run.stdout).toContain('Idle cost (AWS)');
    expect(run.stdout).not.toContain('Google Cloud');
    expect(readdirSync(join(out, 'cdk.out')).filter((f) => /^acme-ml-.*\.template\.json$/.test(f)).sort()).toEqual(
      ['dev', 'prod'].flatMap((e) => ['operations', 'registry', 'serving'].map((s) => `acme-ml-${e}-${s}.template.json`)),
    );
    expect(existsSync(join(out, 'cdktf.out'))).toBe(false);
  });

  test('modelstack/platform loads without cdktf; the Google Cloud parts say what to install when used', () => {
    const script = `
      const platform = require(${JSON.stringify(join(root, 'infra', 'index.ts'))});
      const config = platform.loadConfigFile(${JSON.stringify(join(examples, 'gcp-only.yaml'))});
      let message = '';
      try { platform.buildGcpPlatform({}, config); } catch (err) { message = err.message; }
      console.log(JSON.stringify({ aws: typeof platform.buildAwsPlatform, message }));`;
    const run = spawnSync(process.execPath, ['-r', noCdktf, '--import', require.resolve('tsx'), '-e', script], { cwd: root, env, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout);
    expect(result.aws).toBe('function');
    expect(result.message).toMatch(
      /^Google Cloud environments need the optional peer dependencies cdktf, @cdktf\/provider-google, @cdktf\/provider-google-beta \((cdktf|@cdktf\/provider-google|@cdktf\/provider-google-beta) is not installed\): npm install cdktf@~0\.21\.0 @cdktf\/provider-google@\^16\.12\.1 @cdktf\/provider-google-beta@\^16\.12\.1$/,
    );
  });

  test('the GCP-only example synthesizes only Terraform stacks; a later synth removes the stacks the config dropped', () => {
    const out = mkdtempSync(join(tmpdir(), 'modelstack-gcp-only-'));
    const options = { awsOutdir: join(out, 'cdk.out'), gcpOutdir: join(out, 'cdktf.out') };
    const config = loadConfigFile(join(examples, 'gcp-only.yaml'));
    const rows = synthesizeAll(config, options);
    expect(rows.map((r) => `${r.cloud}:${r.stack}`)).toEqual(['gcp:acme-ml-dev-platform', 'gcp:acme-ml-prod-platform']);
    expect(existsSync(join(out, 'cdk.out'))).toBe(false);
    // The example's model-server build is reported for Google Cloud only (there is no ECR repository to name).
    expect(formatReport(config, rows)).toContain('\n  containers/model-server (churn): Google Cloud: built by each deploy trigger, by digest\n');

    const { prod: _dropped, ...devOnly } = config.environments;
    synthesizeAll({ ...config, environments: devOnly }, options);
    expect(readdirSync(join(out, 'cdktf.out', 'stacks'))).toEqual(['acme-ml-dev-platform']);
  });

  test('the CDK app: an unknown -c env= is one clear message, exit code 1, no stack trace', () => {
    const run = spawnSync(process.execPath, ['--import', require.resolve('tsx'), join(root, 'infra', 'aws', 'main.ts')], {
      cwd: mkdtempSync(join(tmpdir(), 'modelstack-env-')),
      env: { ...env, CDK_CONTEXT_JSON: JSON.stringify({ env: 'prd' }), MODELSTACK_CONFIG: '' },
      encoding: 'utf8',
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 1,
      stderr: 'Invalid platform config (-c env=prd): 1 problem\n  - prd: not an environment of the config: did you mean prod? expected one of dev, staging, prod\n',
    });
  });
});
