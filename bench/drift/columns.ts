/**
 * The benchmark dataset's columns: 24 numeric features (n00–n23) and 6 categorical (c00–c05). A module of its
 * own so the DuckDB peer, bundled to run as plain JavaScript, does not take in generate.ts (whose command-line
 * entry would run as the bundle's main module).
 */
export const NUMERIC = 24;
export const CATEGORICAL = 6;

export function columnNames(): string[] {
  return [
    ...Array.from({ length: NUMERIC }, (_, i) => `n${String(i).padStart(2, '0')}`),
    ...Array.from({ length: CATEGORICAL }, (_, i) => `c${String(i).padStart(2, '0')}`),
  ];
}
