import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The feature flags in cdk.json, for apps built outside the CDK CLI (`npm run synth`, tests). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}
