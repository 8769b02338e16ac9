#!/usr/bin/python3
"""Writes test/fixtures/quality/reference.json: model-quality metrics computed with scikit-learn.

Run with Debian's python3 (apt-get install python3-sklearn):
    /usr/bin/python3 scripts/quality-reference.py
The arrays are stored with the expected values, so the tests need no Python.
"""
import json
import os

import numpy as np
from sklearn import metrics

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'quality', 'reference.json')
rng = np.random.default_rng(20261123)


def classification(name, labels, scores, threshold=0.5):
    predicted = (scores >= threshold).astype(int)
    expected = {
        'accuracy': metrics.accuracy_score(labels, predicted),
        'precision': metrics.precision_score(labels, predicted, zero_division=0),
        'recall': metrics.recall_score(labels, predicted, zero_division=0),
        'f1': metrics.f1_score(labels, predicted, zero_division=0),
    }
    if len(set(labels.tolist())) == 2:
        expected['rocAuc'] = metrics.roc_auc_score(labels, scores)
    return {'name': name, 'labels': labels.tolist(), 'scores': scores.tolist(), 'expected': {k: float(v) for k, v in expected.items()}}


def regression(name, actual, predicted):
    expected = {
        'mae': metrics.mean_absolute_error(actual, predicted),
        'rmse': float(np.sqrt(metrics.mean_squared_error(actual, predicted))),
        'r2': metrics.r2_score(actual, predicted),
    }
    return {'name': name, 'actual': actual.tolist(), 'predicted': predicted.tolist(), 'expected': {k: float(v) for k, v in expected.items()}}


labels = rng.integers(0, 2, 500)
# Scores rounded to 2 decimals so that many are tied, which is what roc_auc_score's averaging is for.
scores = np.round(np.clip(0.35 * labels + rng.normal(0.35, 0.2, 500), 0, 1), 2)
actual = rng.normal(100, 15, 500)
cases = {
    'classification': [
        classification('noisy scores with ties', labels, scores),
        classification('nothing predicted positive', labels[:50], np.full(50, 0.1)),
        classification('one class only', np.zeros(40, dtype=int), rng.random(40)),
        classification('perfect', np.array([0, 0, 1, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9, 0.95])),
    ],
    'regression': [
        regression('noisy', np.round(actual, 3), np.round(actual + rng.normal(0, 5, 500), 3)),
        regression('constant actual, imperfect', np.full(20, 3.0), np.linspace(2, 4, 20)),
        regression('constant actual, perfect', np.full(10, 3.0), np.full(10, 3.0)),
    ],
}
with open(OUT, 'w') as f:
    json.dump(cases, f)
print(f'wrote {OUT}')
