import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import { buildGcpPlatform } from '../../infra/gcp/app';

/** A synthesized Terraform stack (`cdk.tf.json`). */
export type TerraformJson = { resource?: Record<string, Record<string, any>>; data?: Record<string, Record<string, any>>; terraform: { backend?: Record<string, any> } } & Record<string, any>;

/**
 * Every stack `buildGcpPlatform` makes of the demo config, as synthesized (`cdk.tf.json` by stack name). Several suites
 * read the demo's Terraform without changing the config; the first process of the jest run that asks synthesizes it
 * (about 5 s of CPU) into the run's shared directory (test/global-setup.ts) and the others read that file. Each call
 * returns a fresh copy, so a test may change what it gets. Outside a jest run (no shared directory) it synthesizes.
 */
export function gcpDemoStacks(): Record<string, TerraformJson> {
  const runDir = process.env.MODELSTACK_TEST_RUN_DIR;
  const shared = runDir && join(runDir, 'gcp-demo-stacks.json');
  if (shared && existsSync(shared)) return JSON.parse(readFileSync(shared, 'utf8'));
  const outdir = mkdtempSync(join(runDir ?? tmpdir(), 'gcp-demo-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, parseConfig(demoConfig));
  app.synth();
  const stacks = Object.fromEntries(readdirSync(join(outdir, 'stacks')).map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8'))]));
  if (shared) {
    // The whole file or none for the other processes; two that synthesize at once write the same content.
    const partial = `${shared}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(stacks));
    renameSync(partial, shared);
  }
  return stacks;
}
