import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { demoConfig } from '../../infra/config/demo';
import { formatPath, loadConfigFile, parseConfig, resolveConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';

const dir = mkdtempSync(join(tmpdir(), 'modelstack-config-'));


describe('platform config', () => {
  test('the embedded demo is valid and gets its defaults', () => {
    const config = parseConfig(demoConfig);
    expect(Object.keys(config.environments)).toEqual(['dev', 'staging', 'prod']);
    expect(config.models.map((m) => m.name)).toEqual(['churn', 'sales-forecast']);
    expect(config.environments.dev.approvalRequired).toBe(false);
    expect(config.environments.prod.removalPolicy).toBe('retain');
    expect(config.models[1].dataCapture.samplingPercentage).toBe(20); // serverless: captured at the inference API
    const withoutCapture = demo();
    delete withoutCapture.models[1].dataCapture;
    expect(parseConfig(withoutCapture).models[1].dataCapture.samplingPercentage).toBe(0);
  });

  test('one error lists every problem with its path', () => {
    const bad = demo();
    bad.environments.dev.aws.account = '1234';
    bad.environments.staging.gcp.region = 'Europe West';
    bad.models[0].name = 'Churn_Model';
    bad.models[0].serving.autoscaling.minInstances = 5;
    bad.models[0].serving.autoscaling.maxInstances = 2;
    bad.models[1].serving.memorySizeMb = 1000;
    bad.models[1].inputSchema.features.push({ name: 'price', type: 'numeric' });
    bad.models[1].inputSchema.features.push({ name: 'colour', type: 'text' });

    expect(problemsOf(bad)).toEqual([
      'environments.dev.aws.account: expected 12 digits',
      'environments.staging.gcp.region: expected a GCP region such as europe-west1',
      'models[0].name: expected lowercase letters, digits and single hyphens, starting with a letter',
      'models[0].serving.autoscaling.minInstances: expected at most maxInstances',
      'models[1].serving.memorySizeMb: expected 1024, 2048, 3072, 4096, 5120, 6144',
      'models[1].inputSchema.features[7].type: Invalid option: expected one of "numeric"|"categorical"',
      'models[1].inputSchema.features[6].name: duplicate feature name "price"',
    ]);
  });

  test('the error message itself names the source and every problem', () => {
    const bad = demo();
    bad.environments.dev.aws.account = 'x';
    bad.models[0].serving.instanceType = 'm5.large';
    expect(() => parseConfig(bad, 'platform.yaml')).toThrow(
      'Invalid platform config (platform.yaml): 2 problems\n' +
        '  - environments.dev.aws.account: expected 12 digits\n' +
        '  - models[0].serving.instanceType: expected a SageMaker instance type such as ml.m5.large',
    );
  });

  test('names must be safe on both clouds', () => {
    const bad = demo();
    bad.platform.name = 'model--stack';
    bad.environments['QA'] = bad.environments.dev;
    bad.models[1].name = 'a-very-long-model-name-for-sagemaker';
    expect(problemsOf(bad)).toEqual([
      'platform.name: expected lowercase letters, digits and single hyphens, starting with a letter',
      'environments.QA: invalid name: expected lowercase letters, digits and single hyphens, starting with a letter',
      'models[1].name: expected at most 24 characters',
    ]);
  });

  test('cross-field rules: prod data retained, unique models; a serverless model may sample (captured at the API)', () => {
    const bad = demo();
    bad.environments.prod.removalPolicy = 'destroy';
    bad.models[1].dataCapture = { samplingPercentage: 10 };
    bad.models.push(structuredClone(bad.models[0]));
    expect(problemsOf(bad)).toEqual([
      'environments.prod.removalPolicy: production data must be retained: expected "retain"',
      'models[2].name: duplicate model name "churn"',
    ]);
  });

  test('unknown keys and missing fields are reported', () => {
    const bad = demo();
    bad.models[0].instanceTyp = 'ml.m5.large';
    delete bad.environments.dev.gcp.project;
    expect(problemsOf(bad)).toEqual([
      'environments.dev.gcp.project: missing: expected a string',
      'models[0].instanceTyp: unknown key: expected one of name, task, framework, image, version, serving, dataCapture, drift, batch, streaming, aws, gcp, inputSchema, training',
    ]);
    expect(problemsOf({ platform: { name: 'x1' }, environments: {}, models: [] })).toEqual([
      'environments: expected at least one environment',
      'models: expected at least one model',
    ]);
  });

  test('formatPath renders array indices and nested keys', () => {
    expect(formatPath(['models', 0, 'inputSchema', 'features', 3, 'name'])).toBe('models[0].inputSchema.features[3].name');
    expect(formatPath([])).toBe('');
  });
});

describe('config files', () => {
  test('loads YAML and JSON', () => {
    const yamlPath = join(dir, 'platform.yaml');
    writeFileSync(yamlPath, stringify(demoConfig));
    const jsonPath = join(dir, 'platform.json');
    writeFileSync(jsonPath, JSON.stringify(demoConfig));
    expect(loadConfigFile(yamlPath)).toEqual(parseConfig(demoConfig));
    expect(loadConfigFile(jsonPath)).toEqual(parseConfig(demoConfig));
  });

  test('a YAML syntax error and a missing file are config errors naming the file', () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'platform:\n  name: [unclosed\n');
    expect(() => loadConfigFile(broken)).toThrow(/Invalid platform config \(.*broken\.yaml\): 1 problem\n {2}- syntax: /);
    expect(() => loadConfigFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml.*\n {2}- cannot read file: ENOENT/);
  });

  test('the CDK context wins over MODELSTACK_CONFIG, which wins over the demo', () => {
    const other = demo();
    other.platform.name = 'other';
    const otherPath = join(dir, 'other.json');
    writeFileSync(otherPath, JSON.stringify(other));
    const third = demo();
    third.platform.name = 'third';
    const thirdPath = join(dir, 'third.json');
    writeFileSync(thirdPath, JSON.stringify(third));

    expect(resolveConfig({ env: {} }).source).toBe('embedded demo');
    expect(resolveConfig({ env: { MODELSTACK_CONFIG: otherPath } }).config.platform.name).toBe('other');
    const both = resolveConfig({ contextPath: thirdPath, env: { MODELSTACK_CONFIG: otherPath } });
    expect(both).toMatchObject({ source: thirdPath, config: { platform: { name: 'third' } } });
  });
});

describe('the README', () => {
  test("its Configure example is a valid config (versions left out: a new platform has none yet)", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const example = /```yaml\n(platform: \{ name: acme-ml \}[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'readme-config-')), 'platform.yaml');
    writeFileSync(file, example!);
    const config = loadConfigFile(file);
    expect(Object.keys(config.environments)).toEqual(['dev', 'prod']);
    expect(config.models.map((m) => m.version)).toEqual([undefined, undefined]);
  });
});

describe('what loading the config costs', () => {
  test('the config loader and the CLI load neither cdktf nor the Google provider (optional peers; absent in an AWS-only or production install)', () => {
    const script = [
      "require('./cli/main'); require('./infra/config/load');",
      "const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(cdktf|@cdktf)\\//.test(k));",
      'process.stdout.write(JSON.stringify(loaded));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([]);
  });
});
