import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../infra/config/demo';
import { parseConfig } from '../infra/config/load';
import { formatSummary, synthesizeAll } from '../infra/synth';

const root = join(__dirname, '..');

describe('npm run synth', () => {
  test('the demo synthesizes both clouds offline, one template per stack per environment', () => {
    const out = mkdtempSync(join(tmpdir(), 'modelstack-synth-'));
    const rows = synthesizeAll(parseConfig(demoConfig), { awsOutdir: join(out, 'cdk.out'), gcpOutdir: join(out, 'cdktf.out') });

    expect(rows.map((r) => `${r.cloud}:${r.stack}`)).toEqual([
      'aws:modelstack-dev-registry',
      'aws:modelstack-dev-serving',
      'aws:modelstack-dev-operations',
      'aws:modelstack-staging-registry',
      'aws:modelstack-staging-serving',
      'aws:modelstack-staging-operations',
      'aws:modelstack-prod-registry',
      'aws:modelstack-prod-serving',
      'aws:modelstack-prod-operations',
      'gcp:modelstack-dev-platform',
      'gcp:modelstack-staging-platform',
      'gcp:modelstack-prod-platform',
    ]);
    for (const row of rows) expect(row.resources).toBeGreaterThan(5);
    for (const env of ['dev', 'staging', 'prod']) {
      expect(existsSync(join(out, 'cdk.out', `modelstack-${env}-registry.template.json`))).toBe(true);
      expect(existsSync(join(out, 'cdk.out', `modelstack-${env}-serving.template.json`))).toBe(true);
    }
    const prodTf = JSON.parse(readFileSync(join(out, 'cdktf.out', 'stacks', 'modelstack-prod-platform', 'cdk.tf.json'), 'utf8'));
    expect(prodTf.provider.google[0]).toMatchObject({ project: 'modelstack-demo-prod', region: 'europe-west1' });
    const summary = formatSummary(rows);
    expect(summary).toMatch(/^dev\n {2}aws {2}modelstack-dev-registry +\d+ resources\n/);
    expect(summary.split('\n').filter((l) => !l.startsWith(' '))).toEqual(['dev', 'staging', 'prod']);
  });

  test('a bad config file stops every entry point with one error listing each problem, exit code 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-bad-'));
    const bad = structuredClone(demoConfig) as any;
    bad.environments.dev.aws.account = '12345';
    bad.models[0].name = 'Churn';
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify(bad));

    const entryPoints = ['infra/synth.ts', 'infra/aws/main.ts', 'infra/gcp/main.ts'];
    for (const entry of entryPoints) {
      const run = spawnSync(process.execPath, ['--import', require.resolve('tsx'), join(root, entry)], {
        cwd: dir,
        env: { ...process.env, MODELSTACK_CONFIG: path, CHECKPOINT_DISABLE: '1' },
        encoding: 'utf8',
      });
      expect({ entry, status: run.status, stderr: run.stderr }).toEqual({
        entry,
        status: 1,
        stderr:
          `Invalid platform config (${path}): 2 problems\n` +
          '  - environments.dev.aws.account: expected 12 digits\n' +
          '  - models[0].name: expected lowercase letters, digits and single hyphens, starting with a letter\n',
      });
      expect(existsSync(join(dir, 'cdk.out'))).toBe(false);
    }
  });
});
