// `npm run build`: what the published package holds. The library and CLI compiled by tsc into dist/ (declarations
// and source maps beside), every function handler pre-bundled into dist/bundles/<name>, and the CDK feature flags
// the platform builder applies. Runs before `npm pack` (prepack).
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctionBundle, FUNCTION_BUNDLES, type FunctionBundleName } from '../constructs/private/function-bundles';

const root = join(__dirname, '..');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const name of Object.keys(FUNCTION_BUNDLES) as FunctionBundleName[]) buildFunctionBundle(name, join(dist, 'bundles', name));
// infra/aws/context.ts reads the feature flags from cdk.json two levels up: dist/cdk.json in the package.
copyFileSync(join(root, 'cdk.json'), join(dist, 'cdk.json'));
console.log(`built ${dist}: library, CLI and ${Object.keys(FUNCTION_BUNDLES).length} function bundles`);
