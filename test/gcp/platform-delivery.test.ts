import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';
import type { PlatformConfig } from '../../infra/config/schema';
import { buildGcpPlatform } from '../../infra/gcp/app';

interface Stack {
  resource: Record<string, Record<string, any>>;
  terraform: { backend?: Record<string, any> };
}

/** Synthesizes `config` with buildGcpPlatform; every stack's Terraform JSON by stack name. */
function synthesize(config: PlatformConfig): Record<string, Stack> {
  const outdir = mkdtempSync(join(tmpdir(), 'modelstack-gcp-delivery-'));
  const app = new App({ outdir });
  buildGcpPlatform(app, config);
  app.synth();
  return Object.fromEntries(
    readdirSync(join(outdir, 'stacks')).map((name) => [name, JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as Stack]),
  );
}

const names = (stack: Stack, type: string, field = 'name') => Object.values(stack.resource[type] ?? {}).map((r) => r[field] as string).sort();

describe('a model without a version (Google Cloud)', () => {
  test('gets its endpoint, inference function, deploy trigger and monitoring, but no drift check', () => {
    const config = parseConfig(demoConfig);
    // churn logs 20 % of its requests: with a version it gets a drift check.
    expect(config.models[0].dataCapture.samplingPercentage).toBeGreaterThan(0);
    const versionless = { ...config, models: config.models.map((m, i) => (i === 0 ? { ...m, version: undefined as unknown as string } : m)) };
    const prod = synthesize(versionless)['modelstack-prod-platform'];

    expect(names(prod, 'google_vertex_ai_endpoint', 'display_name')).toEqual(['modelstack-prod-churn', 'modelstack-prod-sales-forecast']);
    expect(names(prod, 'google_cloudfunctions2_function')).toEqual(['modelstack-prod-fn-predict-churn', 'modelstack-prod-fn-predict-sales-forecast']);
    expect(names(prod, 'google_cloudbuild_trigger')).toEqual(['modelstack-prod-deploy-churn', 'modelstack-prod-deploy-sales-forecast', 'modelstack-prod-retrain']);
    const alerts = JSON.stringify(prod.resource.google_monitoring_alert_policy);
    expect(alerts).toContain('modelstack-prod-churn');
    expect(prod.resource.google_cloud_scheduler_job).toBeUndefined();

    // The same config with the version: the drift function and its schedule are there.
    const versioned = synthesize(config)['modelstack-prod-platform'];
    expect(names(versioned, 'google_cloudfunctions2_function')).toContain('modelstack-prod-fn-drift-churn');
    expect(Object.keys(versioned.resource.google_cloud_scheduler_job ?? {})).toHaveLength(1);
  });
});
