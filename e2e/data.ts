import { readFileSync } from 'node:fs';
import { parseCsvRecord } from '../core/readers/csv';
import type { FeatureConfig } from '../infra/config/schema';

/** A data window as `python3 -m training.data` writes it: the features in schema order, then the target. */
export interface Window {
  readonly header: readonly string[];
  /** Rows as the inference API takes them: `{ feature: value }`, numbers for numeric features. */
  readonly instances: Record<string, number | string>[];
  /** The target of each instance (0/1 or a number). */
  readonly labels: number[];
  /** Rows left out because a value was missing: the API requires every feature. */
  readonly incomplete: number;
  /** The kept rows as CSV (header included), to score with scikit-learn on exactly the same rows. */
  readonly csv: string;
}

/** Reads a window CSV, keeping the rows the inference API accepts (every feature present). */
export function readWindow(path: string, features: readonly FeatureConfig[], target: string): Window {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header: string[] = [];
  parseCsvRecord(lines[0], header);
  const names = features.map((f) => f.name);
  if (header.join(',') !== [...names, target].join(',')) throw new Error(`${path}: header ${header.join(',')}, expected ${[...names, target].join(',')}`);
  const instances: Window['instances'] = [];
  const labels: number[] = [];
  const kept: string[] = [lines[0]];
  let incomplete = 0;
  for (const line of lines.slice(1)) {
    const cells: string[] = [];
    parseCsvRecord(line, cells);
    if (cells.slice(0, names.length).some((c) => c.trim() === '')) {
      incomplete++;
      continue;
    }
    const instance: Record<string, number | string> = {};
    features.forEach((f, i) => {
      instance[f.name] = f.type === 'numeric' ? Number(cells[i]) : cells[i];
    });
    instances.push(instance);
    labels.push(Number(cells[names.length]));
    kept.push(line);
  }
  return { header, instances, labels, incomplete, csv: `${kept.join('\n')}\n` };
}

/** Splits `items` into consecutive batches of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
