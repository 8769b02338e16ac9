/** What one preflight check found. */
export type CheckStatus = 'ok' | 'blocker' | 'warning' | 'info';

export interface CheckResult {
  readonly cloud: 'aws' | 'gcp';
  readonly status: CheckStatus;
  /** What was checked and what was found, in one line. */
  readonly detail: string;
  /** How to fix a blocker or a warning. */
  readonly fix?: string;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', blocker: 'BLOCKER', warning: 'warning', info: 'info' };

/** One line per check (a second, indented, with the fix), then the verdict. */
export function formatReport(title: string, results: readonly CheckResult[]): string {
  const lines = [title];
  for (const r of results) {
    lines.push(`  ${LABEL[r.status].padEnd(8)} ${r.cloud.padEnd(4)} ${r.detail}`);
    if (r.fix) lines.push(`  ${''.padEnd(8)} ${''.padEnd(4)} fix: ${r.fix}`);
  }
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const blockers = count('blocker');
  const warnings = count('warning');
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    blockers > 0
      ? `${plural(blockers, 'blocker')}, ${plural(warnings, 'warning')}: the deploy would fail; fix the blockers first.`
      : `no blockers, ${plural(warnings, 'warning')}: ready to deploy.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The message of an SDK or network error, on one line. */
export function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string };
  const message = (e?.message ?? String(err)).split('\n')[0];
  return e?.name && e.name !== 'Error' && !message.includes(e.name) ? `${e.name}: ${message}` : message;
}
