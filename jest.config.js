/** Jest runs TypeScript through swc (no type-check: `npm test` runs `tsc --noEmit` first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  // Synth-heavy suites are CPU bound; two workers match the two cores we have.
  maxWorkers: 2,
  testTimeout: 60000,
  collectCoverage: true,
  coverageProvider: 'v8',
  collectCoverageFrom: ['constructs/**/*.ts', 'infra/**/*.ts', 'lambdas/**/*.ts', 'cli/**/*.ts'],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 85 } },
};
