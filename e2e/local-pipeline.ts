// `modelstack pipeline run --local` in the rehearsal: the generated definition, executed step by step with the real
// training code, registers churn's first version in the artifact layout, then refuses a worse candidate. (Moved here
// from test/cli/pipeline-run.test.ts, so `npm test` does not train a model; the rehearsal trains churn this way anyway.)
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIO } from '../cli/io';
import { run } from '../cli/main';
import type { PlatformConfig } from '../infra/config/schema';
import { command, PYTHON } from './processes';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
async function cli(argv: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s), stderrIsTTY: false };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/**
 * Trains churn through `modelstack pipeline run --local` (config: `configInput`, whose churn tuning runs `trials`
 * trials) on the registry's `training-data/churn/part-1.csv` of `rows` rows, checks version 1 and its files, then
 * shows that a model trained on the same rows with shuffled labels is refused. Returns the pipeline's output.
 */
export async function rehearseLocalPipeline(options: {
  work: string;
  registry: string;
  environment: string;
  config: PlatformConfig;
  configInput: unknown;
  trials: number;
  rows: number;
}): Promise<string> {
  const { work, registry, environment, config } = options;
  const configFile = join(work, 'platform.json');
  writeFileSync(configFile, JSON.stringify(options.configInput));
  const version = (v: string, file: string) => join(registry, 'models', 'churn', v, file);
  const base = ['pipeline', 'run', '--local', '--model', 'churn', '--env', environment, '--registry', registry];

  const first = await cli([...base, '--config', configFile]);
  assert.deepEqual({ code: first.code, stderr: first.stderr }, { code: 0, stderr: '' }, first.stdout);
  assert.match(first.stdout, new RegExp(`trial ${options.trials}/${options.trials} .*validation:rocAuc 0\\.\\d+`));
  assert.match(first.stdout, /Gate: true -> Publish, Register/);
  // The environment's tracking server (on unless `aws.mlflow: false`): the Track step runs; without
  // MLFLOW_TRACKING_URI here it tracks nothing.
  const tracked = config.environments[environment].aws?.mlflow !== false;
  if (tracked) assert.match(first.stdout, /Track \(Processing, [\d.]+ s\): churn: not tracked \(\d+ parameters, \d+ metrics\)/);
  assert.ok(first.stdout.includes(`churn v1: registered (Approved) -> ${join(registry, 'models', 'churn', '1')}`), first.stdout);

  const listing = execFileSync('tar', ['-tzf', version('1', 'model.tar.gz')], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.ok(listing.includes('model.joblib') && listing.includes('model.json'), `model.tar.gz holds ${listing.join(', ')}`);
  const modelJson = JSON.parse(execFileSync('tar', ['-xzOf', version('1', 'model.tar.gz'), 'model.json'], { encoding: 'utf8' }));
  assert.deepEqual(
    { format: modelJson.format, name: modelJson.name, version: modelJson.version, task: modelJson.task, target: modelJson.target },
    { format: 'modelstack-model/1', name: 'churn', version: '1', task: 'classification', target: 'churned' },
  );
  const churn = config.models.find((m) => m.name === 'churn')!;
  const features = churn.inputSchema.features.map((f) => f.name);
  assert.deepEqual(modelJson.features.map((f: { name: string }) => f.name), features);

  const quality = JSON.parse(readFileSync(version('1', 'quality.json'), 'utf8'));
  assert.deepEqual(Object.keys(quality.metrics).sort(), ['accuracy', 'f1', 'precision', 'recall', 'rocAuc']);
  const metrics = JSON.parse(readFileSync(version('1', 'metrics.json'), 'utf8'));
  assert.deepEqual({ model: metrics.model, version: metrics.version, seed: metrics.seed, total: metrics.rows.total, test: metrics.rows.test }, {
    model: 'churn',
    version: '1',
    seed: 7,
    total: options.rows,
    test: options.rows / 4,
  });
  const baseline = JSON.parse(readFileSync(version('1', 'baseline.json'), 'utf8'));
  // Exactly the training features (the label excluded), over the training rows.
  assert.equal(baseline.rows, metrics.rows.train);
  assert.deepEqual(baseline.features.map((f: { name: string }) => f.name).sort(), [...features].sort());
  const lineage = JSON.parse(readFileSync(version('1', 'lineage.json'), 'utf8'));
  assert.equal(lineage.model, 'churn');
  assert.equal(lineage.version, '1');
  assert.equal(lineage.data.files.length, 1);
  assert.equal(lineage.data.files[0].name, 'part-1.csv');
  assert.match(lineage.data.files[0].sha256, /^[0-9a-f]{64}$/);
  assert.equal(lineage.data.rows.total, options.rows);
  assert.match(lineage.code.sha256, /^[0-9a-f]{64}$/);
  const account = config.environments[environment].aws!.account;
  const region = config.environments[environment].aws!.region;
  assert.deepEqual(
    { group: lineage.registration.modelPackageGroup, status: lineage.registration.approvalStatus, url: lineage.registration.modelDataUrl },
    { group: `modelstack-${environment}-churn`, status: 'Approved', url: `s3://modelstack-${environment}-models-${account}-${region}/models/churn/1/model.tar.gz` },
  );
  if (tracked) {
    // What CustomerMetadataProperties links the version to: its run (none: not tracked here) on the environment's server.
    assert.deepEqual(lineage.registration.customerMetadata, {
      mlflow_run_id: 'none',
      mlflow_tracking_server_arn: `arn:aws:sagemaker:${region}:${account}:mlflow-tracking-server/modelstack-${environment}`,
      mlflow_experiment: `modelstack-${environment}-churn`,
    });
  }
  for (const p of ['max_depth', 'learning_rate', 'n_estimators']) assert.ok(p in lineage.parameters, `lineage.parameters has no ${p}`);

  // The same rows with their labels shuffled: whatever trains on them is worse than a model of the real signal.
  // (One trial: the worse candidate needs no search.)
  const shuffled = join(work, 'shuffled.csv');
  await command(PYTHON, [
    '-c',
    `import pandas as pd, numpy as np
f = pd.read_csv(${JSON.stringify(join(registry, 'training-data', 'churn', 'part-1.csv'))})
f["churned"] = np.random.default_rng(1).permutation(f["churned"].to_numpy())
f.to_csv(${JSON.stringify(shuffled)}, index=False)`,
  ]);
  const oneTrial = structuredClone(options.configInput) as { models: { name: string; training?: { tuning: { maxJobs: number } } }[] };
  oneTrial.models.find((m) => m.name === 'churn')!.training!.tuning.maxJobs = 1;
  writeFileSync(join(work, 'one-trial.json'), JSON.stringify(oneTrial));
  const worse = await cli([...base, '--config', join(work, 'one-trial.json'), '--data', shuffled]);
  assert.equal(worse.code, 1, worse.stdout);
  assert.match(worse.stdout, /current version: 1;/);
  assert.match(worse.stdout, /Gate: false -> Refuse/);
  assert.match(worse.stderr, /^churn: not registered: rocAuc 0\.\d{4} is worse than the current version 1's 0\.\d{4} on the same held-out rows/);
  assert.ok(!existsSync(join(registry, 'models', 'churn', '2')), 'the refused candidate was registered as version 2');
  return first.stdout;
}
