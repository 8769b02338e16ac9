/**
 * Model-quality metrics, defined as scikit-learn defines them (checked against it on committed fixtures):
 *
 * Binary classification, labels 0/1, predicted label = score ≥ threshold:
 * - accuracy  = (TP + TN) / n
 * - precision = TP / (TP + FP), 0 when nothing is predicted positive (sklearn's zero_division=0)
 * - recall    = TP / (TP + FN), 0 when there are no positives
 * - f1        = 2·P·R / (P + R), 0 when P + R = 0
 * - rocAuc    = Mann–Whitney U / (n⁺·n⁻) with average ranks for tied scores (= roc_auc_score); undefined
 *               when only one class is present (sklearn raises)
 * Regression:
 * - mae  = Σ|y − ŷ| / n
 * - rmse = √(Σ(y − ŷ)² / n)
 * - r2   = 1 − SS_res / SS_tot; when SS_tot = 0: 1 if SS_res = 0, else 0 (sklearn's force_finite)
 */

export interface ClassificationMetrics {
  readonly n: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /**
   * Area under the ROC curve.
   * @default - absent when the labels hold only one class
   */
  readonly rocAuc?: number;
}

export interface RegressionMetrics {
  readonly n: number;
  readonly mae: number;
  readonly rmse: number;
  readonly r2: number;
}

/**
 * Accuracy, precision, recall, F1 and ROC AUC of binary predictions: `labels` are 0/1, `scores` are predicted
 * scores, and a score at or above `threshold` predicts 1.
 */
export function classificationMetrics(labels: readonly number[], scores: readonly number[], threshold = 0.5): ClassificationMetrics {
  checkLengths(labels, scores);
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = scores[i] >= threshold;
    if (labels[i] === 1) positive ? tp++ : fn++;
    else positive ? fp++ : tn++;
  }
  const n = labels.length;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const auc = rocAuc(labels, scores);
  return { n, accuracy: n === 0 ? 0 : (tp + tn) / n, precision, recall, f1, ...(auc === undefined ? {} : { rocAuc: auc }) };
}

/** Area under the ROC curve via the rank-sum (Mann–Whitney) statistic, ties at their average rank. */
export function rocAuc(labels: readonly number[], scores: readonly number[]): number | undefined {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const averageRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** MAE, RMSE and R² of `predicted` against `actual` (all 0 for no rows). */
export function regressionMetrics(actual: readonly number[], predicted: readonly number[]): RegressionMetrics {
  checkLengths(actual, predicted);
  const n = actual.length;
  if (n === 0) return { n, mae: 0, rmse: 0, r2: 0 };
  let absolute = 0;
  let squared = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const error = actual[i] - predicted[i];
    absolute += Math.abs(error);
    squared += error * error;
    mean += actual[i];
  }
  mean /= n;
  let total = 0;
  for (const y of actual) total += (y - mean) ** 2;
  const r2 = total === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / total;
  return { n, mae: absolute / n, rmse: Math.sqrt(squared / n), r2 };
}

function checkLengths(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new Error(`expected as many predictions as labels, got ${b.length} and ${a.length}`);
}
