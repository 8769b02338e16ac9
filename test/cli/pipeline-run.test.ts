// `modelstack pipeline run --local` on small data: the generated definition, executed step by step with the real
// training code, registers a version in the artifact layout, and refuses a worse candidate.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers';
import { demo } from '../helpers/config';

const PYTHON = process.env.MODELSTACK_PYTHON ?? '/usr/bin/python3';
const ROOT = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'modelstack-pipeline-test-'));
const registry = join(work, 'registry');
const configFile = join(work, 'platform.json');
const version = (v: string, file: string) => join(registry, 'models', 'churn', v, file);

beforeAll(() => {
  // The demo, with a two-trial tuning run so the test stays fast.
  const config = demo();
  config.models[0].training.tuning.maxJobs = 2;
  config.models[0].training.tuning.maxParallelJobs = 1;
  config.models[0].training.objective.floor = 0.6;
  // A tracking server in dev, so the definition has its Track step and the registration links to the run.
  config.environments.dev.aws.mlflow = { size: 'Small' };
  writeFileSync(configFile, JSON.stringify(config));
  // The worse candidate needs no search: one trial.
  config.models[0].training.tuning.maxJobs = 1;
  writeFileSync(join(work, 'one-trial.json'), JSON.stringify(config));
  mkdirSync(join(registry, 'training-data', 'churn'), { recursive: true });
  execFileSync(PYTHON, ['-m', 'training.data', '--model', 'churn', '--rows', '900', '--seed', '5', '--out', join(registry, 'training-data', 'churn', 'part-1.csv')], { cwd: ROOT });
  // The same rows with their labels shuffled: whatever trains on them is worse than a model of the real signal.
  execFileSync(PYTHON, ['-c', `import pandas as pd, numpy as np
f = pd.read_csv(${JSON.stringify(join(registry, 'training-data', 'churn', 'part-1.csv'))})
f["churned"] = np.random.default_rng(1).permutation(f["churned"].to_numpy())
f.to_csv(${JSON.stringify(join(work, 'shuffled.csv'))}, index=False)`]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('modelstack pipeline run --local', () => {
  test('trains, tunes, evaluates and registers a version in the artifact layout, then refuses a worse candidate', async () => {
    const first = await cli(['pipeline', 'run', '--local', '--model', 'churn', '--env', 'dev', '--config', configFile, '--registry', registry]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/trial 2\/2 .*validation:rocAuc 0\.\d+/);
    expect(first.stdout).toMatch(/Gate: true -> Publish, Register/);
    // No MLFLOW_TRACKING_URI here: the Track step runs and tracks nothing.
    expect(first.stdout).toMatch(/Track \(Processing, [\d.]+ s\): churn: not tracked \(\d+ parameters, \d+ metrics\)/);
    expect(first.stdout).toContain(`churn v1: registered (Approved) -> ${join(registry, 'models', 'churn', '1')}`);

    const listing = execFileSync('tar', ['-tzf', version('1', 'model.tar.gz')], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(['model.joblib', 'model.json']));
    const modelJson = JSON.parse(execFileSync('tar', ['-xzOf', version('1', 'model.tar.gz'), 'model.json'], { encoding: 'utf8' }));
    expect(modelJson).toMatchObject({ format: 'modelstack-model/1', name: 'churn', version: '1', task: 'classification', target: 'churned' });
    expect(modelJson.features.map((f: { name: string }) => f.name)).toEqual(['tenure_months', 'monthly_charges', 'total_charges', 'support_calls', 'contract', 'payment_method', 'internet_service']);

    const quality = JSON.parse(readFileSync(version('1', 'quality.json'), 'utf8'));
    expect(Object.keys(quality.metrics).sort()).toEqual(['accuracy', 'f1', 'precision', 'recall', 'rocAuc']);
    const metrics = JSON.parse(readFileSync(version('1', 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ model: 'churn', version: '1', seed: 7, rows: { total: 900, test: 225 } });
    const baseline = JSON.parse(readFileSync(version('1', 'baseline.json'), 'utf8'));
    // Exactly the training features (the label excluded), over the training rows.
    expect(baseline.rows).toBe(metrics.rows.train);
    expect(baseline.features.map((f: { name: string }) => f.name).sort()).toEqual([...modelJson.features.map((f: { name: string }) => f.name)].sort());
    const lineage = JSON.parse(readFileSync(version('1', 'lineage.json'), 'utf8'));
    expect(lineage).toMatchObject({
      model: 'churn',
      version: '1',
      data: { files: [{ name: 'part-1.csv', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }], rows: { total: 900 } },
      code: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      registration: {
        modelPackageGroup: 'modelstack-dev-churn',
        approvalStatus: 'Approved',
        modelDataUrl: 's3://modelstack-dev-models-111111111111-eu-west-1/models/churn/1/model.tar.gz',
        // What CustomerMetadataProperties links the version to: its run (none: not tracked here) on dev's server.
        customerMetadata: { mlflow_run_id: 'none', mlflow_tracking_server_arn: 'arn:aws:sagemaker:eu-west-1:111111111111:mlflow-tracking-server/modelstack-dev', mlflow_experiment: 'modelstack-dev-churn' },
      },
    });
    expect(Object.keys(lineage.parameters)).toEqual(expect.arrayContaining(['max_depth', 'learning_rate', 'n_estimators']));

    const worse = await cli(['pipeline', 'run', '--local', '--model', 'churn', '--env', 'dev', '--config', join(work, 'one-trial.json'), '--registry', registry, '--data', join(work, 'shuffled.csv')]);
    expect(worse.code).toBe(1);
    expect(worse.stdout).toMatch(/current version: 1;/);
    expect(worse.stdout).toMatch(/Gate: false -> Refuse/);
    expect(worse.stderr).toMatch(/^churn: not registered: rocAuc 0\.\d{4} is worse than the current version 1's 0\.\d{4} on the same held-out rows/);
    expect(existsSync(join(registry, 'models', 'churn', '2'))).toBe(false);
  }, 180_000);

  test('clear errors: neither --local nor --env, a model without training, no training data', async () => {
    const noLocal = await cli(['pipeline', 'run', '--model', 'churn', '--config', configFile]);
    expect(noLocal).toMatchObject({ code: 2, stderr: expect.stringMatching(/--env: expected the environment whose deployed pipeline runs \(dev, staging, prod\), or --local to run here/) });
    const untrained = demo();
    delete untrained.models[1].training;
    writeFileSync(join(work, 'untrained.json'), JSON.stringify(untrained));
    const noTraining = await cli(['pipeline', 'run', '--local', '--model', 'sales-forecast', '--config', join(work, 'untrained.json'), '--registry', registry]);
    expect(noTraining).toMatchObject({ code: 2, stderr: expect.stringMatching(/--model: sales-forecast has no training section/) });
    const noData = await cli(['pipeline', 'run', '--local', '--model', 'sales-forecast', '--config', configFile, '--registry', registry]);
    expect(noData).toMatchObject({ code: 2, stderr: expect.stringMatching(/no training data at .*training-data\/sales-forecast\/: put csv files there or pass --data/) });
    const badEnv = await cli(['pipeline', 'definition', '--model', 'churn', '--env', 'qa']);
    expect(badEnv).toMatchObject({ code: 2, stderr: expect.stringMatching(/--env: expected an environment deployed to AWS \(dev, staging, prod\), got qa/) });
  });

  test('pipeline definition prints the checked definition', async () => {
    const result = await cli(['pipeline', 'definition', '--model', 'sales-forecast', '--env', 'prod']);
    expect(result.code).toBe(0);
    const definition = JSON.parse(result.stdout);
    expect(definition.Version).toBe('2020-12-01');
    // prod has an MLflow tracking server: the Track step logs each run.
    expect(definition.Steps.map((s: { Name: string }) => s.Name)).toEqual(['PrepareData', 'Train', 'Evaluate', 'Baseline', 'Track', 'Gate']);
  });
});
