import { InvalidArgumentError } from 'commander';
import { hasParquetMagic, isMethod, type DataFormat, type MethodOverride } from '../core';
import { UsageError } from './io';

/** Commander argument parsers: each throws a one-line message naming what was expected. */

export function parseList(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list of column names');
  return [...previous, ...items];
}

export function parseFormat(value: string): DataFormat {
  if (value !== 'csv' && value !== 'jsonl' && value !== 'parquet') throw new InvalidArgumentError('expected csv, jsonl or parquet');
  return value;
}

/**
 * The data file's format: `--format`, else its name (`.csv`, `.jsonl`/`.ndjson`/`.json`, optionally `.gz`, or
 * `.parquet`), else Parquet when the file starts with the magic bytes `PAR1`. Any other file (a `.tsv`) is
 * refused, rather than read as JSON Lines with every row counted malformed.
 */
export async function dataFormat(file: string, format: DataFormat | undefined): Promise<DataFormat> {
  if (format) return format;
  if (/\.csv(\.gz)?$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson|json)(\.gz)?$/i.test(file)) return 'jsonl';
  if (/\.parquet$/i.test(file) || (await hasParquetMagic(file).catch(() => false))) return 'parquet';
  throw new UsageError(
    `--data ${file}: cannot tell the format from the name: expected .csv or .jsonl (optionally .gz) or .parquet, or pass --format csv|jsonl|parquet`,
  );
}

export function parseShare(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !(x >= 0 && x <= 1)) throw new InvalidArgumentError('expected a number between 0 and 1');
  return x;
}

export function parsePositiveInt(value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1) throw new InvalidArgumentError('expected a positive integer');
  return x;
}

/** `feature=method[:threshold]`, repeatable, e.g. `--method age=psi:0.2 --method city=chisquare`. */
export function parseMethod(value: string, previous: Record<string, MethodOverride> = {}): Record<string, MethodOverride> {
  const m = /^([^=]+)=([a-z]*)(?::(.+))?$/.exec(value);
  const expected = 'expected feature=method[:threshold] with method psi, jensenshannon, wasserstein, ks, linf or chisquare';
  if (!m) throw new InvalidArgumentError(expected);
  const [, feature, method, thresholdText] = m;
  if (method !== '' && !isMethod(method)) throw new InvalidArgumentError(expected);
  const override: MethodOverride = {};
  if (method !== '' && isMethod(method)) override.method = method;
  if (thresholdText !== undefined) {
    const t = Number(thresholdText);
    if (!Number.isFinite(t) || t < 0) throw new InvalidArgumentError('expected a non-negative threshold after ":"');
    override.threshold = t;
  }
  return { ...previous, [feature.trim()]: override };
}
