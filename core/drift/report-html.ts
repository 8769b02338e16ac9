import type { DriftReport, FeatureReport } from './evaluate';
import { type CheckStatus, type IntegrityCheck, worstStatus } from './integrity';
import { METHODS } from './methods';

/**
 * The drift report as one self-contained HTML file: inline CSS and SVG, no script, no network.
 * The integrity and drift verdicts, the window's integrity checks, a summary table, then per feature (drifted,
 * then failing integrity, first) its checks and baseline vs current bin proportions as horizontal bars.
 */

const MAX_BARS = 20;

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function num(x: number | undefined, digits = 4): string {
  if (x === undefined) return '–';
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2);
  return x.toFixed(digits);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Bin rows to draw: all bins, or the MAX_BARS largest with the rest summed into one row. */
function barsOf(f: FeatureReport): { label: string; base: number; cur: number }[] {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0) || 1;
  const nb = sum(f.histogram.baseline);
  const nc = sum(f.histogram.current);
  const rows = f.histogram.labels.map((label, i) => ({ label, base: f.histogram.baseline[i] / nb, cur: f.histogram.current[i] / nc }));
  if (rows.length <= MAX_BARS || f.kind === 'numeric') return rows;
  const ranked = [...rows].sort((a, b) => Math.max(b.base, b.cur) - Math.max(a.base, a.cur));
  const rest = ranked.slice(MAX_BARS - 1);
  return [
    ...ranked.slice(0, MAX_BARS - 1),
    { label: `(${rest.length} more bins)`, base: rest.reduce((a, r) => a + r.base, 0), cur: rest.reduce((a, r) => a + r.cur, 0) },
  ];
}

function histogramSvg(f: FeatureReport): string {
  const bars = barsOf(f);
  const labelW = 150;
  const plotW = 340;
  const rowH = 26;
  const top = 8;
  const height = top + bars.length * rowH + 8;
  const max = Math.max(1e-9, ...bars.map((b) => Math.max(b.base, b.cur)));
  const parts: string[] = [];
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    const label = b.label.length > 26 ? `${b.label.slice(0, 25)}…` : b.label;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" class="lbl">${esc(label)}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${((b.base / max) * plotW).toFixed(1)}" height="10" class="base"><title>baseline ${pct(b.base)}</title></rect>`,
      `<rect x="${labelW}" y="${y + 12}" width="${((b.cur / max) * plotW).toFixed(1)}" height="10" class="cur"><title>current ${pct(b.cur)}</title></rect>`,
      `<text x="${labelW + plotW + 6}" y="${y + 11}" class="val">${pct(b.base)}</text>`,
      `<text x="${labelW + plotW + 6}" y="${y + 22}" class="val">${pct(b.cur)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 60}" height="${height}" role="img" aria-label="${esc(f.name)} histogram">${parts.join('')}</svg>`;
}

function metricRows(f: FeatureReport): string {
  const m = f.metrics;
  const entries: [string, number | undefined][] = [
    ['PSI', m.psi],
    ['Jensen–Shannon', m.jensenShannon],
    ['KS D', m.ks],
    ['Wasserstein (normed)', m.wasserstein],
    ['L∞', m.lInfinity],
    ['χ² p-value', m.chiSquarePValue],
  ];
  return entries
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${k}</th><td>${num(v)}</td></tr>`)
    .join('');
}

/** A status as a coloured tag: drift and fail red, warn and insufficient data amber, ok green. */
function tag(status: CheckStatus | FeatureReport['status']): string {
  const tone = status === 'drift' || status === 'fail' ? 'drift' : status === 'ok' ? 'ok' : 'warn';
  return `<span class="tag ${tone}">${status}</span>`;
}

function checkRows(checks: readonly IntegrityCheck[]): string {
  return checks.map((c) => `<tr><th>${c.check}</th><td>${tag(c.status)}</td><td>${esc(c.reason)}</td></tr>`).join('');
}

/** The worst of a feature's integrity checks, with the reason of the first check at that status. */
function featureIntegrity(f: FeatureReport): { status: CheckStatus; reason: string } {
  const status = worstStatus(f.integrity.map((c) => c.status));
  return { status, reason: f.integrity.find((c) => c.status === status)?.reason ?? '' };
}

const BANNER: Record<CheckStatus, string> = {
  ok: 'Data integrity: every check passed',
  warn: 'Data integrity: warnings (see below)',
  'insufficient-data': 'Data integrity: not enough data to judge',
  fail: 'Data integrity checks failed',
};

function rule(f: FeatureReport): string {
  return METHODS[f.method].pValue ? `p &lt; ${f.threshold}` : `score ≥ ${f.threshold}`;
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:0 0 8px}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}
.drift{background:#fde8e8;color:#8a1c1c}.ok{background:#e6f4ea;color:#1e5b2e}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #e3e6ec;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.tag{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.tag.drift{background:#f8d0d0}.tag.ok{background:#cdebd6}.tag.warn{background:#fbe7b5}
.warn{background:#fdf3dc;color:#6b4a00}
section.feature{border:1px solid #e3e6ec;border-radius:8px;padding:12px 16px;margin:14px 0;display:flex;gap:24px;flex-wrap:wrap}
section.feature.drifted{border-color:#e5a0a0}
.lbl{font-size:12px;fill:#394150}.val{font-size:10px;fill:#5b6372}
rect.base{fill:#7b8fb0}rect.cur{fill:#e8833a}
.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px}
.notes li{color:#5b6372}
`;

/**
 * Renders a drift report as one self-contained HTML page (inline CSS and SVG histograms, no scripts): the
 * verdict, a summary table with drifted features first, then a section per feature.
 */
export function renderReportHtml(report: DriftReport, title = 'ModelStack drift report'): string {
  // Drifted first, then failing integrity, then too little data: what needs a look comes first.
  const rank = (f: FeatureReport) => (f.drifted ? 0 : featureIntegrity(f).status === 'fail' ? 1 : f.status === 'insufficient-data' ? 2 : 3);
  const ordered = [...report.features].sort((a, b) => rank(a) - rank(b));
  const summary = ordered
    .map((f) => {
      const integrity = featureIntegrity(f);
      return (
        `<tr><td><a href="#f-${encodeURIComponent(f.name)}">${esc(f.name)}</a></td><td>${f.kind}</td><td>${f.method}</td>` +
        `<td class="n">${num(f.score)}</td><td>${rule(f)}</td><td>${tag(f.status)}</td>` +
        `<td class="n">${f.count}</td><td class="n">${f.missing}</td><td title="${esc(integrity.reason)}">${tag(integrity.status)}</td></tr>`
      );
    })
    .join('');
  const sections = ordered
    .map(
      (f) =>
        `<section class="feature${f.drifted ? ' drifted' : ''}" id="f-${encodeURIComponent(f.name)}"><div><h2>${esc(f.name)} ${tag(f.status)}</h2>` +
        `<table><tr><th>kind</th><td>${f.kind}</td></tr><tr><th>method</th><td>${f.method} (${rule(f)})</td></tr>` +
        `<tr><th>score</th><td>${num(f.score)}</td></tr><tr><th>verdict</th><td>${esc(f.reason)}</td></tr>` +
        `<tr><th>values / missing</th><td>${f.count} / ${f.missing}</td></tr>${metricRows(f)}</table>` +
        `<table class="checks">${checkRows(f.integrity)}</table></div>` +
        `<div>${histogramSvg(f)}</div></section>`,
    )
    .join('');
  const integrity = report.integrity;
  const failed = integrity.failed.length > 0 ? `: ${esc(integrity.failed.join(', '))}` : '';
  const invalid = report.invalidRowSamples.map((r) => `<li>line ${r.line}: ${esc(r.reason)}</li>`).join('');
  const notes = report.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head><body>
<h1>${esc(title)}</h1>
<div class="banner ${integrity.status === 'fail' ? 'drift' : integrity.status === 'ok' ? 'ok' : 'warn'}" id="integrity">${BANNER[integrity.status]}${failed}</div>
<div class="banner ${report.drifted ? 'drift' : report.driftStatus === 'insufficient-data' ? 'warn' : 'ok'}">${report.drifted ? 'Dataset drift detected' : report.driftStatus === 'insufficient-data' ? 'Too little data to judge drift' : 'No dataset drift'}: ${report.driftedFeatures} of ${report.features.length} features drifted (${pct(report.driftShare)} of those with enough values; threshold ${pct(report.driftShareThreshold)})</div>
<p>${report.rows} rows checked, ${report.invalidRows} malformed rows skipped.</p>
${invalid ? `<h2>Malformed rows (first ${report.invalidRowSamples.length})</h2><ul>${invalid}</ul>` : ''}
${notes ? `<ul class="notes">${notes}</ul>` : ''}
<h2>Data integrity</h2>
<table class="checks"><thead><tr><th>check</th><th>status</th><th>reason</th></tr></thead><tbody>${checkRows(integrity.checks)}</tbody></table>
<h2>Features</h2>
<table><thead><tr><th>feature</th><th>kind</th><th>method</th><th>score</th><th>rule</th><th>drift</th><th>values</th><th>missing</th><th>integrity</th></tr></thead><tbody>${summary}</tbody></table>
<p class="legend">Bin proportions:<span style="background:#7b8fb0"></span>baseline<span style="background:#e8833a"></span>current</p>
${sections}
</body></html>
`;
}
