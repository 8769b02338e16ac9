import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataIntegrityFailedDetail, DriftCheckSpec, DriftDetectedDetail, DriftEvents, DriftMetricsSink } from '../../core/drift-job';
import { buildBaseline } from '../../core/drift/pipeline';

export const SPEC: DriftCheckSpec = {
  model: 'churn',
  modelVersion: '1',
  environment: 'dev',
  capturePrefix: 'data-capture/churn/ms-dev-churn/AllTraffic/',
  windowHours: 2,
  maxObjectsPerInvocation: 100,
  driftShareThreshold: 0.5,
  task: 'classification',
  qualityDegradationThreshold: 0.05,
};

/** Deterministic pseudo-random numbers (mulberry32). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of (tenure, charges, contract); `shift` moves the numeric distributions, `contracts` skews the category. */
export function rows(n: number, seed: number, shift = 0, contracts = ['monthly', 'yearly', 'two-year']): string[] {
  const r = random(seed);
  return Array.from({ length: n }, () => {
    const tenure = Math.round(r() * 60 + shift * 30);
    const charges = (20 + r() * 80 + shift * 50).toFixed(2);
    return `${tenure},${charges},${contracts[Math.floor(r() * contracts.length)]}`;
  });
}

/** A baseline.json built by the real profiler from a training CSV. */
export async function baselineJson(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'drift-baseline-'));
  const path = join(dir, 'train.csv');
  writeFileSync(path, ['tenure,charges,contract', ...rows(3000, 1)].join('\n'));
  const { baseline } = await buildBaseline(path, { categorical: ['contract'] });
  return JSON.stringify(baseline);
}

/** SageMaker data-capture JSON Lines: one record per request, CSV input as the inference function sends it. */
export function captureFile(csvRows: string[], perRecord = 5, startId = 0): string {
  const records: string[] = [];
  for (let i = 0; i < csvRows.length; i += perRecord) {
    records.push(
      JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: csvRows.slice(i, i + perRecord).join('\n'), encoding: 'CSV' },
          endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: '0.5', encoding: 'CSV' },
        },
        eventMetadata: { eventId: `e-${startId + i}`, inferenceId: `i-${startId + i}`, inferenceTime: '2026-11-23T13:10:00Z' },
        eventVersion: '0',
      }),
    );
  }
  return records.join('\n') + '\n';
}

export class RecordingEvents implements DriftEvents {
  readonly published: DriftDetectedDetail[] = [];
  failNext = false;
  async publishDriftDetected(detail: DriftDetectedDetail): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EventBridge unavailable');
    }
    this.published.push(detail);
  }
  readonly integrity: DataIntegrityFailedDetail[] = [];
  async publishIntegrityFailed(detail: DataIntegrityFailedDetail): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('EventBridge unavailable');
    }
    this.integrity.push(detail);
  }
}

export class RecordingMetrics implements DriftMetricsSink {
  readonly values: { name: string; value: number; dimensions?: Record<string, string> }[] = [];
  flushes = 0;
  metric(name: string, value: number, dimensions?: Record<string, string>): void {
    this.values.push({ name, value, dimensions });
  }
  flush(): void {
    this.flushes++;
  }
  named(name: string) {
    return this.values.filter((v) => v.name === name);
  }
}
