// `modelstack pipeline run --local` and `pipeline definition`: the errors and the printed definition. The run itself
// (the generated definition executed step by step with the real training code registers a version in the artifact
// layout, then refuses a worse candidate) is rehearsed by `npm run e2e` (e2e/local-pipeline.ts), which trains churn
// that way anyway: `npm test` trains no model.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers';
import { demo } from '../helpers/config';

const work = mkdtempSync(join(tmpdir(), 'modelstack-pipeline-test-'));
const registry = join(work, 'registry');
const configFile = join(work, 'platform.json');

beforeAll(() => {
  writeFileSync(configFile, JSON.stringify(demo()));
  mkdirSync(join(registry, 'training-data', 'churn'), { recursive: true });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('modelstack pipeline run --local', () => {
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
