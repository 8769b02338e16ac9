/** Jest runs TypeScript through swc (no type-check: `npm test` runs `tsc --noEmit` first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest'],
    // hyparquet ships ES modules only (Node's require loads them; jest's module loader needs them as CommonJS).
    '/node_modules/hyparquet/.+\\.js$': ['@swc/jest', { module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!hyparquet/)'],
  // Synth-heavy suites are CPU bound; two workers match the two cores we have.
  maxWorkers: 2,
  testTimeout: 60000,
  // aws-cdk-lib runs its built-in CloudFormation validation on every synth and only warns (about 5 s per process).
  // test/cfn/cfn-validate.test.ts validates every template with the same rules and fails on errors, so the other
  // suites skip the built-in pass (CDK_VALIDATION=false; cdk-nag's validation plugins still run).
  setupFiles: ['<rootDir>/test/setup-env.js'],
  // One directory per run through which the test processes share function bundles and zip archives instead of
  // rebuilding them in every suite (see the two files).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Slowest suites first, also in a clean clone without jest's timing cache, so the two workers finish together.
  testSequencer: '<rootDir>/test/sequencer.js',
  collectCoverage: true,
  // Istanbul (babel-plugin-istanbul over swc's output, mapped back to the TypeScript by its source map) instruments
  // only the files collectCoverageFrom names. V8's precise coverage counts every block of every script in the worker,
  // aws-cdk-lib and cdktf included, and took about 40 % of the run's CPU (npm test: 821 s of CPU with it, 450 s
  // without); Istanbul's counters cost next to nothing (a synth suite: 15.1 s without coverage, 15.6 s with) and the
  // instrumented files are cached like any transform. Istanbul counts statements, so its line figure is the stricter
  // one: 94.5 % where V8 said 97.7 % (https://jestjs.io/docs/configuration#coverageprovider-string, jestjs/jest#11188).
  coverageProvider: 'babel',
  collectCoverageFrom: ['constructs/**/*.ts', 'infra/**/*.ts', 'core/**/*.ts', 'lambdas/**/*.ts', 'cli/**/*.ts'],
  // lcov.info without its HTML pages (one per source file; nothing reads them in CI).
  coverageReporters: ['text-summary', 'lcovonly'],
  coverageThreshold: { global: { lines: 85 } },
};
