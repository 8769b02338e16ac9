const { readFileSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = join(__dirname, '..');
const DURATIONS = join(__dirname, 'suite-durations.json');

/**
 * Jest's own order (suites that failed last time first, then the slowest first, by the durations jest cached from
 * the previous run in this checkout), with the durations measured on the development machine
 * (test/suite-durations.json, milliseconds like jest's cache) for suites jest has no timing of. A clean clone (CI) has no cache, and jest would fall
 * back to file size: a long synth suite could then start last and leave one of the two workers idle for half a
 * minute. Refresh the file after a full run with
 *   npx jest --json --outputFile=/tmp/jest.json; node test/sequencer.js /tmp/jest.json
 */
class SlowestFirst extends Sequencer {
  estimates = JSON.parse(readFileSync(DURATIONS, 'utf8'));

  time(test) {
    return super.time(test) ?? this.estimates[relative(ROOT, test.path)];
  }
}

module.exports = SlowestFirst;

if (require.main === module) {
  const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const durations = Object.fromEntries(
    results.testResults
      .map((r) => [relative(ROOT, r.name), r.endTime - r.startTime])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 2)}\n`);
  console.log(`${DURATIONS}: ${Object.keys(durations).length} suites`);
}
