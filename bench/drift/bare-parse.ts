import { forEachLine, openSource } from '../../lambdas/core';

/** Benchmark floor: stream the file with the same line splitter and JSON.parse every line, nothing else. */
async function main(): Promise<void> {
  const start = process.hrtime.bigint();
  let parsed = 0;
  let bad = 0;
  await forEachLine(await openSource(process.argv[2]), (line) => {
    try {
      JSON.parse(line);
      parsed++;
    } catch {
      bad++;
    }
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(`${JSON.stringify({ parsed, bad, seconds })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err}\n`);
  process.exit(2);
});
