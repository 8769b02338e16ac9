import { readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { checkDrift, DRIFT_DEFAULTS, parseBaseline, renderReportHtml, type BaselineFile, type DataFormat, type DriftReport, type MethodOverride } from '../core';
import { UsageError, type CliContext } from './io';
import { dataFormat, parseFormat, parseMethod, parsePositiveInt, parseShare } from './options';
import { createProgress } from './progress';

interface DriftFlags {
  baseline: string;
  data: string;
  out: string;
  html?: string;
  failOnDrift?: boolean;
  method?: Record<string, MethodOverride>;
  driftShare?: number;
  format?: DataFormat;
  progress?: boolean;
  workers?: number;
  minRows?: number;
}

/** Splitting pays off once a file takes seconds to read; below 32 MiB one thread is as fast. */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

/** Default worker threads: up to 2 (or the cores there are) for big files, else 1. */
async function defaultWorkers(path: string): Promise<number> {
  try {
    return (await stat(path)).size >= PARALLEL_MIN_BYTES ? Math.min(2, availableParallelism()) : 1;
  } catch {
    return 1; // the read reports the real error
  }
}

async function loadBaseline(path: string): Promise<BaselineFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read baseline ${path}: ${(err as Error).message}`);
  }
  try {
    return parseBaseline(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`${path}: ${(err as Error).message}`);
  }
}

const DATASET_VERDICT = { ok: 'ok', drift: 'DRIFTED', 'insufficient-data': 'INSUFFICIENT DATA' } as const;

/** `--fail-on-drift` exit code when a data-integrity check failed or lacked data (drift alone is 1). */
export const INTEGRITY_EXIT_CODE = 3;

/** Integrity first: drift measured on broken or too little data is not a verdict. */
export function failOnDriftCode(report: DriftReport): number {
  if (report.integrity.status === 'fail' || report.integrity.status === 'insufficient-data') return INTEGRITY_EXIT_CODE;
  return report.drifted ? 1 : 0;
}

/** The failed checks on one line: the first one's reason, then the names of up to eight, then how many more. */
function summarise(report: DriftReport): string {
  const { failed, checks } = report.integrity;
  const first =
    checks.find((c) => c.status === 'fail' || c.status === 'insufficient-data') ??
    report.features.flatMap((f) => f.integrity.filter((c) => c.status === 'fail' || c.status === 'insufficient-data'))[0];
  const names = failed.length <= 8 ? failed.join(', ') : `${failed.slice(0, 8).join(', ')} and ${failed.length - 8} more`;
  return `${failed[0]}: ${first?.reason ?? ''} [${names}; see the report]`;
}

/** report.json: the report with the histograms left out (they are for the HTML). */
export function reportJson(report: DriftReport): unknown {
  return { ...report, features: report.features.map(({ histogram: _histogram, ...f }) => f) };
}

export function registerDrift(program: Command, ctx: CliContext): void {
  program
    .command('drift')
    .description('check a data window against a baseline and write the drift report')
    .requiredOption('--baseline <file>', 'baseline.json written by `modelstack baseline`')
    .requiredOption('--data <file>', 'window: CSV, JSON Lines or SageMaker data capture, optionally gzipped, or Parquet')
    .requiredOption('--out <file>', 'report JSON to write')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--fail-on-drift', 'exit 3 when a data-integrity check failed or lacked data, else 1 when the dataset drifted')
    .option('--method <feature=method[:threshold]>', 'per-feature method/threshold override (repeatable)', parseMethod)
    .option('--drift-share <share>', `dataset drift when this share of features drifted (default ${DRIFT_DEFAULTS.driftShareThreshold})`, parseShare)
    .option('--format <format>', 'csv, jsonl or parquet (default: from the file extension, or Parquet\'s PAR1 magic bytes)', parseFormat)
    .option('--min-rows <n>', 'fewest rows (and values per feature) to judge; fewer is "insufficient data" (default 100)', parsePositiveInt)
    .option('--workers <n>', 'threads for uncompressed JSON Lines and Parquet (default: 2 for files over 32 MiB, else 1)', parsePositiveInt)
    .option('--progress', 'always draw the progress bar')
    .option('--no-progress', 'never draw the progress bar')
    .action(async (flags: DriftFlags) => {
      const baseline = await loadBaseline(flags.baseline);
      const names = new Set(baseline.features.map((f) => f.name));
      for (const feature of Object.keys(flags.method ?? {})) {
        if (!names.has(feature)) throw new UsageError(`--method: feature ${feature} is not in the baseline`);
      }
      const progress = createProgress(ctx.io, 'checking', flags.progress);
      const report = await checkDrift(baseline, flags.data, {
        format: await dataFormat(flags.data, flags.format),
        overrides: flags.method,
        driftShare: flags.driftShare,
        integrity: flags.minRows ? { minRows: flags.minRows } : undefined,
        onProgress: progress.update,
        workers: flags.workers ?? (await defaultWorkers(flags.data)),
      });
      progress.done();
      await writeFile(flags.out, `${JSON.stringify(reportJson(report), null, 2)}\n`);
      if (flags.html) await writeFile(flags.html, renderReportHtml(report));
      const integrity = report.integrity;
      ctx.io.stdout(
        `drift: ${report.driftedFeatures}/${report.features.length} features drifted (${(report.driftShare * 100).toFixed(1)}%) ` +
          `over ${report.rows} rows, ${report.invalidRows} malformed rows skipped; dataset ${DATASET_VERDICT[report.driftStatus]}; ` +
          `integrity ${integrity.status === 'ok' ? 'ok' : integrity.status.toUpperCase()} → ${flags.out}\n`,
      );
      ctx.exitCode = flags.failOnDrift ? failOnDriftCode(report) : 0;
      if (ctx.exitCode === INTEGRITY_EXIT_CODE) ctx.io.stderr(`modelstack: integrity check failed: ${summarise(report)}\n`);
    });
}
