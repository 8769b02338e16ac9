import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { buildBaseline, DEFAULT_CATEGORY_CAP, type DataFormat } from '../core';
import type { CliContext } from './io';
import { dataFormat, parseFormat, parseList, parsePositiveInt } from './options';
import { createProgress } from './progress';

interface BaselineFlags {
  data: string;
  out: string;
  categorical?: string[];
  exclude?: string[];
  format?: DataFormat;
  categoryCap: number;
  progress?: boolean;
  minRows?: number;
}

export function registerBaseline(program: Command, ctx: CliContext): void {
  program
    .command('baseline')
    .description('profile a reference data file (CSV or JSON Lines, optionally gzipped, or Parquet) into baseline.json')
    .requiredOption('--data <file>', 'reference data file')
    .requiredOption('--out <file>', 'baseline JSON to write')
    .option('--categorical <columns>', 'comma-separated columns to treat as categorical (others inferred)', parseList)
    .option('--exclude <columns>', 'comma-separated columns to leave out', parseList)
    .option('--format <format>', 'csv, jsonl or parquet (default: from the file extension, or Parquet\'s PAR1 magic bytes)', parseFormat)
    .option('--category-cap <n>', 'distinct categories kept per feature; the rest go to __other__', parsePositiveInt, DEFAULT_CATEGORY_CAP)
    .option('--min-rows <n>', 'fewest valid rows (and values per column) a training set needs (default 100)', parsePositiveInt)
    .option('--progress', 'always draw the progress bar')
    .option('--no-progress', 'never draw the progress bar')
    .action(async (flags: BaselineFlags) => {
      const progress = createProgress(ctx.io, 'profiling', flags.progress);
      let pass = 1;
      const { baseline } = await buildBaseline(flags.data, {
        categorical: flags.categorical,
        exclude: flags.exclude,
        format: await dataFormat(flags.data, flags.format),
        categoryCap: flags.categoryCap,
        integrity: flags.minRows ? { minRows: flags.minRows } : undefined,
        onProgress: (p, read, total) => {
          if (p !== pass) {
            progress.done();
            pass = p;
          }
          progress.update(read, total);
        },
      });
      progress.done();
      await writeFile(flags.out, `${JSON.stringify(baseline)}\n`);
      const kinds = baseline.features.map((f) => f.kind);
      ctx.io.stdout(
        `baseline: ${baseline.rows} rows, ${kinds.filter((k) => k === 'numeric').length} numeric and ` +
          `${kinds.filter((k) => k === 'categorical').length} categorical features` +
          `${baseline.invalidRows ? `, ${baseline.invalidRows} malformed rows skipped (recorded in the baseline)` : ''} → ${flags.out}\n`,
      );
    });
}
