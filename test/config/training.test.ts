import { parseConfig } from '../../infra/config/load';
import { cronProblems, toEventBridgeCron } from '../../infra/config/training-schema';
import { demo, problemsOf } from '../helpers/config';

describe('a model\'s training section', () => {
  test('the demo trains both models, tuning churn, with defaults filled in', () => {
    const config = parseConfig(demo(), 'demo');
    const [churn, sales] = config.models;
    expect(churn.training).toMatchObject({
      target: 'churned',
      data: { format: 'csv' },
      holdout: { share: 0.25, seed: 7 },
      objective: { metric: 'rocAuc', floor: 0.75 },
      tuning: { maxJobs: 8, maxParallelJobs: 2, earlyStopping: true, strategy: 'bayesian' },
      retrainOnDrift: true,
      aws: { instanceType: 'ml.m5.xlarge', volumeSizeGb: 30, maxRuntimeMinutes: 60 },
    });
    expect(churn.training?.tuning?.parameters.learning_rate).toEqual({ type: 'continuous', min: 0.02, max: 0.3, scaling: 'logarithmic' });
    expect(sales.training).toMatchObject({ target: 'units_sold', objective: { metric: 'rmse' }, retrainOnDrift: true });
    expect(sales.training?.tuning).toBeUndefined();
  });

  test('a model without training keeps working (versions published by hand)', () => {
    const raw = demo();
    delete raw.models[1].training;
    expect(parseConfig(raw, 'test').models[1].training).toBeUndefined();
  });

  test('training.aws.image takes an ECR image only (SageMaker jobs run images from ECR)', () => {
    const raw = demo();
    raw.models[0].training.aws = { image: 'docker.io/library/python:3.11' };
    expect(problemsOf(raw)).toEqual(['models[0].training.aws.image: expected an ECR image URI such as 111111111111.dkr.ecr.eu-west-1.amazonaws.com/trainer:1 (SageMaker jobs run images from ECR)']);
    raw.models[0].training.aws = { image: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/trainer:1' };
    expect(parseConfig(raw, 'test').models[0].training?.aws.image).toBe('111111111111.dkr.ecr.eu-west-1.amazonaws.com/trainer:1');
  });

  test('every problem is listed, each with its path and the expected value', () => {
    const raw = demo();
    const churn = raw.models[0].training;
    churn.objective.metric = 'rmse';
    churn.target = 'tenure_months';
    churn.tuning.maxParallelJobs = 9;
    churn.tuning.parameters.max_depth = { type: 'integer', min: 6, max: 2 };
    churn.tuning.parameters.learning_rate.min = 0;
    churn.hyperparameters = { n_estimators: 100 };
    churn.schedule = '0 3 1 * 1';
    churn.holdout = { share: 0.9 };
    raw.models[1].training.data = { prefix: 'no-trailing-slash', format: 'parquet' };
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(10);
    expect(problems).toEqual(
      expect.arrayContaining([
        'models[0].training.objective.metric: expected a classification metric: accuracy, precision, recall, f1, rocAuc',
        'models[0].training.target: expected a column that is not an input feature: "tenure_months" is one',
        'models[0].training.tuning.maxParallelJobs: expected at most maxJobs (8)',
        'models[0].training.tuning.parameters.max_depth.max: expected more than min (6)',
        'models[0].training.tuning.parameters.learning_rate.min: expected a positive minimum with logarithmic scaling',
        'models[0].training.hyperparameters.n_estimators: "n_estimators" is also tuned: expected it in tuning.parameters or hyperparameters, not both',
        'models[0].training.schedule: expected day-of-month or day-of-week to be *: EventBridge cannot restrict both',
        expect.stringMatching(/^models\[0\]\.training\.holdout\.share: .*0\.5/),
        'models[1].training.data.prefix: expected an object prefix such as training-data/churn/ (segments ending with /)',
        expect.stringMatching(/^models\[1\]\.training\.data\.format: .*csv.*jsonl/),
      ]),
    );
  });

  test('five-field cron becomes EventBridge\'s six-field form', () => {
    expect(toEventBridgeCron('0 3 * * 1')).toBe('cron(0 3 ? * MON *)');
    expect(toEventBridgeCron('30 2 * * 1-5')).toBe('cron(30 2 ? * MON-FRI *)');
    expect(toEventBridgeCron('0 4 1 * *')).toBe('cron(0 4 1 * ? *)');
    expect(toEventBridgeCron('*/15 * * * *')).toBe('cron(*/15 * * * ? *)');
    expect(toEventBridgeCron('0 0 * * 0,6')).toBe('cron(0 0 ? * SUN,SAT *)');
    expect(cronProblems('0 3 * *')).toEqual(['expected five cron fields (minute hour day-of-month month day-of-week, UTC) such as "0 3 * * 1", got "0 3 * *"']);
    expect(cronProblems('0 3 * * 1')).toEqual([]);
  });
});
