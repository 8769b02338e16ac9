import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { formatImages } from '../../infra/synth';
import { cli } from './helpers';

describe('modelstack synth', () => {
  test('synthesizes both clouds for a config file and prints the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-cli-synth-'));
    const config = join(dir, 'platform.json');
    writeFileSync(config, JSON.stringify({ ...demoConfig, environments: { dev: demoConfig.environments.dev } }));
    const result = await cli(['synth', '--config', config, '--aws-out', join(dir, 'aws'), '--gcp-out', join(dir, 'gcp')]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^ModelStack synth \\(${config.replace(/[.]/g, '\\.')}\\): \\d+ stacks in [\\d.]+ s`));
    expect(result.stdout).toContain('\ndev\n  aws  modelstack-dev-registry');
    // The idle-cost summary covers both clouds, AWS first.
    // Dev serves on Cloud Run on Google Cloud (gcp.servingOverride): only monitoring is always on there.
    expect(result.stdout).toMatch(/Idle cost \(AWS\), per environment:\ndev\n[^]*Idle cost \(Google Cloud\), per environment:\ndev\n {2}always-on: {6}alert policies and dashboard .*\n {2}scales to zero: Cloud Run churn/);
    expect(existsSync(join(dir, 'aws', 'modelstack-dev-serving.template.json'))).toBe(true);
    expect(existsSync(join(dir, 'gcp', 'stacks', 'modelstack-dev-platform', 'cdk.tf.json'))).toBe(true);
  });

  test('the report says which images are built and how AWS pins them: the digest of an images file, else the content tag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-cli-synth-'));
    const config = join(dir, 'platform.json');
    writeFileSync(config, JSON.stringify({ ...demoConfig, environments: { dev: demoConfig.environments.dev } }));
    const repo = '111111111111.dkr.ecr.eu-west-1.amazonaws.com/modelstack/model-server';
    const images = join(dir, 'model-images.json');
    writeFileSync(images, JSON.stringify({ 'containers/model-server': `${repo}@sha256:${'f'.repeat(64)}` }));
    const result = await cli(['synth', '--config', config, '--images', images, '--aws-out', join(dir, 'aws'), '--gcp-out', join(dir, 'gcp')]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(
      `Built images:\n  containers/model-server (churn, sales-forecast): AWS ${repo}@sha256:${'f'.repeat(64)} by digest; Google Cloud: built by each deploy trigger, by digest\n`,
    );
    // The endpoints' nested templates serve that digest.
    const templates = readdirSync(join(dir, 'aws')).filter((f) => f.endsWith('.json')).map((f) => readFileSync(join(dir, 'aws', f), 'utf8'));
    expect(templates.filter((t) => t.includes(`"Image": "${repo}@sha256:${'f'.repeat(64)}"`))).toHaveLength(2);

    // Without an images file: the content tag of the folder, computed from the repository root.
    const root = mkdtempSync(join(tmpdir(), 'modelstack-root-'));
    mkdirSync(join(root, 'containers/model-server'), { recursive: true });
    writeFileSync(join(root, 'containers/model-server/Dockerfile'), 'FROM scratch\n');
    const [heading, line] = formatImages(parseConfig(demoConfig), undefined, root);
    expect(heading).toBe('Built images:');
    expect(line).toMatch(new RegExp(`^  containers/model-server \\(churn, sales-forecast\\): AWS ${repo.replace(/[.]/g, '\\.')}:src-[0-9a-f]{40} by content tag \\(no images file: `));
    const prebuilt = structuredClone(demoConfig) as any;
    for (const m of prebuilt.models) m.image = '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';
    // (Dev's Cloud Run serving runs the model server, which a prebuilt framework image is not.)
    delete prebuilt.environments.dev.gcp.servingOverride;
    expect(formatImages(parseConfig(prebuilt))).toEqual([]);
  });

  test('a bad config prints the whole error, every problem on its own line, exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelstack-cli-synth-'));
    const config = join(dir, 'bad.json');
    const { environments, ...rest } = demoConfig;
    writeFileSync(config, JSON.stringify({ ...rest, enviroments: environments, platform: { name: 'Bad Name' }, models: [] }));
    const result = await cli(['synth', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `modelstack: error: Invalid platform config (${config}): 4 problems\n` +
        '  - platform.name: expected lowercase letters, digits and single hyphens, starting with a letter\n' +
        '  - environments: missing: expected a mapping\n' +
        '  - models: expected at least one model\n' +
        '  - enviroments: unknown key: did you mean environments?\n',
    );
  });

  test('cloudrun-deploy is registered: help works, missing options are a one-line error with exit code 2', async () => {
    const help = await cli(['cloudrun-deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: modelstack cloudrun-deploy');
    const missing = await cli(['cloudrun-deploy']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: required option '.+' not specified\n$/);
  });

  test('vertex-deploy is registered: help works, missing options are a one-line error with exit code 2', async () => {
    const help = await cli(['vertex-deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: modelstack vertex-deploy');
    const missing = await cli(['vertex-deploy']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: required option '.+' not specified\n$/);
  });

  test('vertex-deploy with bad options prints every problem, not only the first line', async () => {
    const result = await cli([
      'vertex-deploy', '--project', 'X', '--region', 'europe-west1', '--endpoint', '0abc', '--model-id', 'ms-dev-churn',
      '--artifact', 's3://b/k', '--image', 'europe-docker.pkg.dev/vertex-ai/prediction/xgboost-cpu.1-7:latest',
    ]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'modelstack: error: vertex-deploy: invalid options\n' +
        '  - --project "X": expected a GCP project id\n' +
        '  - --endpoint "0abc": expected a numeric endpoint id\n' +
        '  - --artifact "s3://b/k": expected gs://<bucket>/models/<model>/<version>/<file>\n',
    });
  });
});
