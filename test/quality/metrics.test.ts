import * as fc from 'fast-check';
import reference from '../fixtures/quality/reference.json';
import { classificationMetrics, regressionMetrics, rocAuc } from '../../core/quality/metrics';

describe('model-quality metrics match scikit-learn (scripts/quality-reference.py)', () => {
  test.each(reference.classification.map((c) => [c.name, c] as const))('classification: %s', (_name, c) => {
    const got = classificationMetrics(c.labels, c.scores);
    const expected = c.expected as Record<string, number>;
    for (const [metric, value] of Object.entries(expected)) expect((got as unknown as Record<string, number>)[metric]).toBeCloseTo(value, 12);
    if (!('rocAuc' in expected)) expect(got.rocAuc).toBeUndefined();
    expect(got.n).toBe(c.labels.length);
  });

  test.each(reference.regression.map((c) => [c.name, c] as const))('regression: %s', (_name, c) => {
    const got = regressionMetrics(c.actual, c.predicted);
    for (const [metric, value] of Object.entries(c.expected)) expect((got as unknown as Record<string, number>)[metric]).toBeCloseTo(value, 10);
  });
});

describe('model-quality metric properties', () => {
  test('ROC AUC of reversed scores is 1 − AUC, and it ignores monotone rescaling', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 20 })), { minLength: 2, maxLength: 60 }), (pairs) => {
        const labels = pairs.map((p) => p[0]);
        const scores = pairs.map((p) => p[1] / 20);
        const auc = rocAuc(labels, scores);
        fc.pre(auc !== undefined);
        expect(rocAuc(labels, scores.map((s) => -s))).toBeCloseTo(1 - auc!, 12);
        expect(rocAuc(labels, scores.map((s) => 3 * s + 1))).toBeCloseTo(auc!, 12);
      }),
    );
  });

  test('mismatched lengths and empty inputs are handled, not crashes', () => {
    expect(() => classificationMetrics([1, 0], [0.4])).toThrow('expected as many predictions as labels, got 1 and 2');
    expect(regressionMetrics([], [])).toEqual({ n: 0, mae: 0, rmse: 0, r2: 0 });
    expect(classificationMetrics([], [])).toEqual({ n: 0, accuracy: 0, precision: 0, recall: 0, f1: 0 });
  });
});
