import { parseConfig } from '../../infra/config/load';
import { demo, problemsOf } from '../helpers/config';

describe('drift.integrity in the config', () => {
  test('left out, it stays undefined: the drift check applies INTEGRITY_DEFAULTS (one place for the defaults)', () => {
    expect(parseConfig(demo(), 'test').models[0].drift.integrity).toBeUndefined();
  });

  test('the thresholds users tune can be overridden one by one', () => {
    const config = demo();
    config.models[0].drift = { integrity: { minRows: 500, missingRateIncrease: 0.1 } };
    const drift = parseConfig(config, 'test').models[0].drift;
    expect(drift.integrity).toEqual({ minRows: 500, missingRateIncrease: 0.1 });
    expect(drift.windowHours).toBe(24);
  });

  test('bad values and unknown keys are listed with their path', () => {
    const config = demo();
    config.models[0].drift = { integrity: { minRows: 0, newCategoryIncrease: 1, significance: 0.01 } };
    expect(problemsOf(config)).toEqual([
      'models[0].drift.integrity.minRows: Too small: expected number to be >=1',
      'models[0].drift.integrity.newCategoryIncrease: Too big: expected number to be <1',
      'models[0].drift.integrity.significance: unknown key: expected one of minRows, missingRateIncrease, wrongTypeIncrease, newCategoryIncrease',
    ]);
  });
});
