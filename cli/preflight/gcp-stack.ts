import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcpEnvironment } from '../../infra/config/clouds';
import type { PlatformConfig } from '../../infra/config/schema';

/** What the preflight needs to know about an environment's Terraform stack. */
export interface GcpStackFacts {
  /** APIs the stack enables itself (its `google_project_service` resources). */
  readonly services: string[];
  /** The registry's artifacts bucket. */
  readonly artifactsBucket?: string;
}

/**
 * Builds the environment's Google Cloud stack in memory (no files written) and reads what it enables and how it
 * names the artifacts bucket, so the preflight follows the constructs instead of repeating their rules.
 */
export async function gcpStackFacts(config: PlatformConfig, envName: string): Promise<GcpStackFacts> {
  // Loaded on use: cdktf and the provider are optional peers and take a second to load.
  const { App, Testing } = await import('cdktf');
  const { GcpEnvironmentStack } = await import('../../infra/gcp/app');
  // The app creates its output directory up front; nothing is written to it, as nothing is synthesized.
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-preflight-'));
  try {
    const app = new App({ outdir, skipValidation: true });
    const stack = new GcpEnvironmentStack(app, `${config.platform.name}-${envName}-platform`, {
      platform: config.platform.name,
      environmentName: envName,
      environment: gcpEnvironment(config, envName),
      models: config.models,
      inference: config.inference,
    });
    // Testing.synth applies the stack's aspects (RequiredApis adds the google_project_service resources) and returns the
    // Terraform JSON without writing it; toTerraform() alone would miss everything an aspect adds.
    return { services: projectServices(JSON.parse(Testing.synth(stack))), artifactsBucket: stack.registry.bucket.nameInput };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The `service` of every `google_project_service` in a synthesized Terraform JSON stack, sorted, once each. */
export function projectServices(terraform: { resource?: Record<string, Record<string, { service?: unknown }>> }): string[] {
  const services = Object.values(terraform.resource?.google_project_service ?? {})
    .map((r) => r.service)
    .filter((s): s is string => typeof s === 'string');
  return [...new Set(services)].sort();
}
