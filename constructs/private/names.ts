import { createHash } from 'node:crypto';

/**
 * Joins `parts` with hyphens; when that exceeds `maxLength`, keeps a readable head and appends a short hash of
 * the whole name, so distinct inputs still give distinct, stable names.
 */
export function boundedName(parts: readonly string[], maxLength: number): string {
  const full = parts.join('-');
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const head = full.slice(0, maxLength - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}
