import type { Readable } from 'node:stream';
import { parsePredictions } from '../inference/payload';
import { forEachLine } from '../readers/lines';
import { type ClassificationMetrics, classificationMetrics, type RegressionMetrics, regressionMetrics } from './metrics';

export type ModelTask = 'classification' | 'regression';

/** Labels by inference id, from ground-truth JSON Lines `{ "inferenceId", "label" }` (a label, or one per instance). */
export class LabelIndex {
  readonly labels = new Map<string, number[]>();
  invalid = 0;

  async addFile(stream: Readable): Promise<void> {
    await forEachLine(stream, (line) => {
      if (line.trim() === '') return;
      try {
        const record = JSON.parse(line) as { inferenceId?: unknown; label?: unknown };
        const values = [record.label].flat().map(labelValue);
        if (typeof record.inferenceId !== 'string' || values.length === 0 || values.some((v) => v === undefined)) this.invalid++;
        else this.labels.set(record.inferenceId, values as number[]);
      } catch {
        this.invalid++;
      }
    });
  }
}

/** 0/1 for classes (booleans too), the number itself for regression targets. */
function labelValue(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/** (label, prediction) pairs joined on the capture records' `eventMetadata.inferenceId`. */
export interface LabelledPairs {
  labels: number[];
  predictions: number[];
}

/** Adds the pairs of one capture object: each record's predictions matched with its labels. */
export async function joinCaptureFile(stream: Readable, index: LabelIndex, into: LabelledPairs): Promise<void> {
  await forEachLine(stream, (line) => {
    let record: CaptureRecord;
    try {
      record = JSON.parse(line) as CaptureRecord;
    } catch {
      return; // malformed capture lines are counted by the drift profile
    }
    const labels = index.labels.get(record?.eventMetadata?.inferenceId ?? '');
    if (!labels) return;
    const predictions = outputPredictions(record.captureData?.endpointOutput, labels.length);
    if (!predictions || predictions.length !== labels.length) return;
    for (let i = 0; i < labels.length; i++) {
      into.labels.push(labels[i]);
      into.predictions.push(predictions[i]);
    }
  });
}

interface CaptureRecord {
  captureData?: { endpointOutput?: { data?: string; encoding?: string; observedContentType?: string } };
  eventMetadata?: { inferenceId?: string };
}

function outputPredictions(output: NonNullable<CaptureRecord['captureData']>['endpointOutput'], instances: number): number[] | undefined {
  if (typeof output?.data !== 'string') return undefined;
  const text = output.encoding === 'BASE64' ? Buffer.from(output.data, 'base64').toString('utf8') : output.data;
  const parsed = parsePredictions(text, output.observedContentType, instances);
  if (!parsed) return undefined;
  // A classifier may answer [p0, p1] per instance: the positive class's probability is the score.
  const scores = parsed.map((p) => (Array.isArray(p) ? Number(p[p.length - 1]) : typeof p === 'object' && p !== null ? Number((p as { score?: unknown }).score) : Number(p)));
  return scores.every(Number.isFinite) ? scores : undefined;
}

/** The model's own quality reference (`models/<model>/<version>/quality.json`), e.g. from its validation set. */
export interface QualityBaseline {
  readonly metrics: Readonly<Record<string, number>>;
}

export interface QualityReport {
  readonly task: ModelTask;
  /** Instances with both a captured prediction and a label. */
  readonly labelled: number;
  readonly invalidLabels: number;
  readonly metrics: ClassificationMetrics | RegressionMetrics;
  /** accuracy for classifiers, rmse for regressors. */
  readonly primaryMetric: 'accuracy' | 'rmse';
  /**
   * The quality baseline's metrics.
   * @default - absent when the model version has no quality baseline
   */
  readonly baseline?: Readonly<Record<string, number>>;
  /**
   * Relative loss of the primary metric against the baseline: 0 = as good or better, 0.1 = 10 % worse.
   * @default - absent without labelled rows or without a non-zero baseline value of the primary metric
   */
  readonly degradation?: number;
  /**
   * Whether `degradation` is above the threshold.
   * @default - absent when `degradation` is
   */
  readonly degraded?: boolean;
}

/**
 * Model quality of one window from its labelled predictions: the task's metrics and, when the quality baseline has
 * the primary metric (accuracy for classifiers, RMSE for regressors), its relative loss and whether that loss is
 * above `threshold`.
 */
export function assessQuality(task: ModelTask, pairs: LabelledPairs, invalidLabels: number, baseline: QualityBaseline | undefined, threshold: number): QualityReport {
  const metrics = task === 'classification' ? classificationMetrics(pairs.labels, pairs.predictions) : regressionMetrics(pairs.labels, pairs.predictions);
  const primaryMetric = task === 'classification' ? 'accuracy' : 'rmse';
  const report: QualityReport = { task, labelled: pairs.labels.length, invalidLabels, metrics, primaryMetric };
  const reference = baseline?.metrics[primaryMetric];
  if (reference === undefined || pairs.labels.length === 0 || reference === 0) return { ...report, baseline: baseline?.metrics };
  const current = (metrics as unknown as Record<string, number>)[primaryMetric];
  const loss = task === 'classification' ? (reference - current) / reference : (current - reference) / reference;
  const degradation = Math.max(0, loss);
  return { ...report, baseline: baseline!.metrics, degradation, degraded: degradation > threshold };
}
