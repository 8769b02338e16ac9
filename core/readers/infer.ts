import type { FeatureSpec } from '../profile/profile';
import { isBlank, looksNumeric } from '../profile/values';
import { readRows, type ReadOptions } from './read';

/** Share of numeric-looking values above which a column is numeric (the rest count as invalid). */
export const NUMERIC_SHARE = 0.95;

/**
 * Guesses each column's kind from the first `sampleRows` rows: numeric when at least 95 % of the
 * non-missing values are numbers or numeric text (so a few typos become `invalid`, not categories).
 */
export async function inferKinds(path: string, columns: string[], options: ReadOptions & { sampleRows?: number } = {}): Promise<FeatureSpec[]> {
  const numeric = columns.map(() => 0);
  const seen = columns.map(() => 0);
  await readRows(
    path,
    columns,
    {
      addRow(values) {
        for (let i = 0; i < values.length; i++) {
          if (isBlank(values[i])) continue;
          seen[i]++;
          if (looksNumeric(values[i])) numeric[i]++;
        }
      },
      addInvalid() {},
    },
    { ...options, maxRows: options.sampleRows ?? 10000, onProgress: undefined },
  );
  return columns.map((name, i) => ({ name, kind: seen[i] > 0 && numeric[i] >= NUMERIC_SHARE * seen[i] ? 'numeric' : 'categorical' }));
}
