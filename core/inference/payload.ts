import type { Row } from './request';

/** Rows as CSV (no header), the format SageMaker's and Vertex AI's built-in containers accept. */
export function rowsToCsv(rows: readonly Row[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\n');
}

function csvField(value: number | string): string {
  if (typeof value === 'number') return String(value);
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export type Prediction = number | string | boolean | Record<string, unknown> | unknown[];

/**
 * Reads a model's response: CSV (one prediction per line, a row of several values becomes an array) or
 * JSON (an array, or an object with `predictions`). Returns undefined when it is neither. `instances` tells a
 * batch answered on one CSV line from one instance with several outputs.
 */
export function parsePredictions(body: string, contentType: string | undefined, instances: number): Prediction[] | undefined {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || (type === '' && /^\s*[[{]/.test(body))) {
    try {
      const json: unknown = JSON.parse(body);
      if (Array.isArray(json)) return json as Prediction[];
      if (typeof json === 'object' && json !== null && Array.isArray((json as { predictions?: unknown }).predictions)) {
        return (json as { predictions: Prediction[] }).predictions;
      }
      return undefined;
    } catch {
      return undefined;
    }
  }
  if (type === 'text/csv' || type === '' || type === 'text/plain') {
    const lines = body.split(/\r?\n/).filter((line) => line.trim() !== '');
    // Some containers (XGBoost) answer a batch with one comma-separated line.
    if (lines.length === 1 && instances > 1) {
      const cells = lines[0].split(',');
      if (cells.length === instances) return cells.map(csvValue);
    }
    return lines.map((line) => {
      const values = line.split(',').map(csvValue);
      return values.length === 1 ? values[0] : values;
    });
  }
  return undefined;
}

function csvValue(cell: string): number | string {
  const trimmed = cell.trim();
  const n = Number(trimmed);
  return trimmed !== '' && Number.isFinite(n) ? n : trimmed;
}
