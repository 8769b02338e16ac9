import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/main';
import type { CliIO } from '../../cli/io';
import { generate } from '../../bench/drift/generate';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process (so coverage counts) with captured output. */
export async function cli(argv: string[], options: { tty?: boolean } = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    stderrIsTTY: options.tty ?? false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** A temp dir with a seeded baseline and two windows (same distribution / 8 of 30 features drifted). */
export async function dataset(rows = 3000, format: 'csv' | 'jsonl' = 'jsonl', gzip = false) {
  const dir = mkdtempSync(join(tmpdir(), 'modelstack-cli-'));
  const ext = `${format}${gzip ? '.gz' : ''}`;
  const paths = {
    dir,
    base: join(dir, `base.${ext}`),
    same: join(dir, `same.${ext}`),
    drifted: join(dir, `drifted.${ext}`),
    baseline: join(dir, 'baseline.json'),
    report: join(dir, 'report.json'),
    html: join(dir, 'report.html'),
  };
  await generate(paths.base, { rows, seed: 1, drifted: false, format, gzip, malformedEvery: 1000 });
  await generate(paths.same, { rows, seed: 2, drifted: false, format, gzip, malformedEvery: 1000 });
  await generate(paths.drifted, { rows, seed: 3, drifted: true, format, gzip, malformedEvery: 1000 });
  return paths;
}
