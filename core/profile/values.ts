/** How a raw cell is classified before it reaches a feature profile. */

/** Text that numeric columns treat as missing rather than invalid (pandas' common NA spellings). */
const MISSING_TOKENS = new Set(['nan', 'NaN', 'NAN', 'null', 'NULL', 'None', 'NA', 'N/A', 'n/a']);

/** Result codes of {@link parseNumeric}: a finite number, or one of these sentinels. */
export const MISSING = 1;
export const INVALID = 2;

/**
 * Reads a cell as a number. Returns the value, or MISSING (null, undefined, NaN, empty or an NA token)
 * or INVALID (anything else, including ±Infinity) via `out`. Allocation-free for numbers.
 */
export function parseNumeric(raw: unknown, out: { value: number; status: number }): void {
  if (typeof raw === 'number') {
    if (raw !== raw) out.status = MISSING;
    else if (raw === Infinity || raw === -Infinity) out.status = INVALID;
    else {
      out.value = raw;
      out.status = 0;
    }
    return;
  }
  if (raw === null || raw === undefined) {
    out.status = MISSING;
    return;
  }
  if (typeof raw !== 'string') {
    out.status = INVALID;
    return;
  }
  const text = raw.trim();
  if (text === '' || MISSING_TOKENS.has(text)) {
    out.status = MISSING;
    return;
  }
  const value = Number(text);
  if (Number.isFinite(value)) {
    out.value = value;
    out.status = 0;
  } else out.status = INVALID;
}

/** Reads a cell as a category, or null when missing (null, undefined, NaN, empty string). */
export function categoryOf(raw: unknown): string | null {
  if (typeof raw === 'string') return raw === '' ? null : raw;
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number') return raw !== raw ? null : String(raw);
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  return JSON.stringify(raw);
}

/** True when a cell looks numeric (used for type inference). */
export function looksNumeric(raw: unknown): boolean {
  if (typeof raw === 'number') return true;
  if (typeof raw !== 'string') return false;
  const text = raw.trim();
  return text !== '' && Number.isFinite(Number(text));
}

/** True when a cell is missing under both numeric and categorical rules. */
export function isBlank(raw: unknown): boolean {
  return raw === null || raw === undefined || raw === '' || (typeof raw === 'number' && raw !== raw);
}
