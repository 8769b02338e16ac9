/** The hours a check covers: [start, end). */
export interface DriftWindow {
  readonly start: Date;
  readonly end: Date;
}

const HOUR = 3_600_000;

/** The `hours` whole hours that ended at or before `time` (a scheduler's scheduled time). */
export function windowEndingAt(time: Date | string, hours: number): DriftWindow {
  const t = typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(t.getTime())) throw new Error(`window end "${String(time)}": expected an ISO-8601 time`);
  const end = new Date(Math.floor(t.getTime() / HOUR) * HOUR);
  return { start: new Date(end.getTime() - hours * HOUR), end };
}

/** `2026-11-23T15:00:00.000Z` → `20261123T1500Z`: sortable, and safe in object keys and metric labels. */
export function windowId(window: DriftWindow): string {
  return window.end.toISOString().replace(/[-:]/g, '').replace(/\d\d\.\d{3}Z$/, 'Z');
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The hourly folders SageMaker data capture (and our ground-truth layout) writes for the window:
 * `<base>yyyy/mm/dd/hh/`, in UTC.
 */
export function hourlyPrefixes(base: string, window: DriftWindow): string[] {
  const prefixes: string[] = [];
  for (let t = window.start.getTime(); t < window.end.getTime(); t += HOUR) prefixes.push(hourPrefix(base, new Date(t)));
  return prefixes;
}

/** The hourly folder of `time` under `base`, `<base>yyyy/mm/dd/hh/` in UTC: where capture writers put it and the check lists it. */
export function hourPrefix(base: string, time: Date): string {
  return `${base}${time.getUTCFullYear()}/${pad(time.getUTCMonth() + 1)}/${pad(time.getUTCDate())}/${pad(time.getUTCHours())}/`;
}
