// `npm run bench:synth`: wall time and peak RSS of a full synth (both clouds, cdk-nag on) for the demo and
// for generated configs with 10 and 50 models, and the marginal cost of one more model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoConfig } from '../infra/config/demo';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Measurement {
  seconds: number;
  maxRssMb: number;
  stacks: number;
}

/** The demo's environments with `count` models alternating between the demo's two model shapes. */
function configWithModels(count: number): object {
  const models = Array.from({ length: count }, (_, i) => ({ ...demoConfig.models[i % 2], name: `model-${i}` }));
  return { ...demoConfig, models };
}

function measure(configPath: string | undefined): Measurement {
  const runs: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) {
    const child = spawnSync(process.execPath, ['--import', require.resolve('tsx'), join(__dirname, 'synth-once.ts')], {
      env: { ...process.env, MODELSTACK_CONFIG: configPath ?? '', CHECKPOINT_DISABLE: '1' },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`synth failed:\n${child.stderr}`);
    runs.push(JSON.parse(child.stdout.trim().split('\n').pop()!) as Measurement);
  }
  // Median wall time; peak memory is the largest seen.
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return { ...sorted[Math.floor(sorted.length / 2)], maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)) };
}

const dir = mkdtempSync(join(tmpdir(), 'modelstack-bench-configs-'));
const cases: Array<{ label: string; models: number; path?: string }> = [{ label: 'demo', models: demoConfig.models.length }];
for (const models of [10, 50]) {
  const path = join(dir, `models-${models}.json`);
  writeFileSync(path, JSON.stringify(configWithModels(models)));
  cases.push({ label: `${models} models`, models, path });
}

console.log(`Full synth (AWS + GCP, 3 environments, cdk-nag on), median of ${RUNS} runs, fresh process each:`);
const results = cases.map((c) => ({ ...c, ...measure(c.path) }));
for (const r of results) {
  console.log(`  ${r.label.padEnd(10)} ${String(r.stacks).padStart(3)} stacks  ${r.seconds.toFixed(2).padStart(6)} s  peak RSS ${r.maxRssMb.toFixed(0).padStart(5)} MB`);
}
const [, ten, fifty] = results;
const perModel = (fifty.seconds - ten.seconds) / (fifty.models - ten.models);
console.log(`  marginal cost: ${perModel.toFixed(3)} s per extra model (target <= 0.5 s); demo ${results[0].seconds.toFixed(2)} s (target <= 20 s)`);
