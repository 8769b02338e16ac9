// See jest.config.js: the dedicated CloudFormation validation test replaces aws-cdk-lib's built-in warning-only pass.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';

// cdktf zips each function bundle once per run instead of on every synth (test/archive-cache.ts). A factory, so
// suites that never load cdktf do not pay for it.
jest.mock('cdktf/lib/private/fs', () => require('./archive-cache').withArchiveCache(jest.requireActual('cdktf/lib/private/fs')));
