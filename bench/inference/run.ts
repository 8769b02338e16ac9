// `npm run bench:inference`: the deployed inference bundle's size, its cold module init time, and handler
// latency and errors at 50 concurrent requests for 30 s per phase against a loopback SageMaker runtime that
// throttles 1% and fails 1% of requests; then the handler's own work with capture at the API off and on (every
// request sampled, batches written to a loopback S3, s3rver). Targets: bundle <= 300 KB, init <= 50 ms, handler
// overhead p99 <= 1 ms beyond the upstream, no unexpected 5xx. BENCH_SECONDS and BENCH_CONCURRENCY override the load.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { InferenceApi } from '../../constructs/aws/inference-api';
import { ModelEndpoint } from '../../constructs/aws/model-endpoint';
import { cdkJsonContext } from '../../infra/aws/context';
import { demoConfig } from '../../infra/config/demo';
import { parseConfig } from '../../infra/config/load';

const INIT_RUNS = 15;
const churn = parseConfig(demoConfig).models.find((m) => m.name === 'churn')!;

/** Synthesizes an InferenceApi and returns the bundle directory, exactly as `cdk deploy` would upload it. */
function bundle(): string {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'modelstack-bench-')), context: cdkJsonContext() });
  const stack = new Stack(app, 'Bench', { env: { account: '111111111111', region: 'eu-west-1' } });
  new InferenceApi(stack, 'Api', { models: [{ name: 'churn', endpoint: ModelEndpoint.fromEndpointName(stack, 'E', 'bench'), features: churn.inputSchema.features }] });
  const out = app.synth().directory;
  const dir = readdirSync(out).find((d) => d.startsWith('asset.') && statSync(join(out, d)).isDirectory());
  return join(out, dir!);
}

function functionEnv(endpointUrl: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MODEL_NAME: 'churn',
    ENDPOINT_NAME: 'bench',
    MODEL_FEATURES: JSON.stringify(churn.inputSchema.features),
    KNOWN_MODELS: 'churn',
    UPSTREAM_MAX_ATTEMPTS: '2',
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpointUrl,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
  };
}

function initTimes(bundleFile: string, env: NodeJS.ProcessEnv): number[] {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(bundleFile)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;
  return Array.from({ length: INIT_RUNS }, () => Number(spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).stdout.trim().split('\n').pop()));
}

async function main() {
  const dir = bundle();
  const file = join(dir, 'index.js');
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(`inference bundle: ${kb(statSync(file).size)} (index.js), ${kb(statSync(join(dir, 'index.js.map')).size)} source map`);

  const server = spawn(process.execPath, ['--import', require.resolve('tsx'), join(__dirname, 'fake-endpoint.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const s3 = spawn(process.execPath, ['--import', require.resolve('tsx'), join(__dirname, 'fake-s3.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const s3Url = await new Promise<string>((resolve) => s3.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  try {
    const env = { ...functionEnv(url), BENCH_S3_ENDPOINT: s3Url, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    const inits = initTimes(file, env).sort((a, b) => a - b);
    console.log(`module init (cold require, ${INIT_RUNS} fresh processes): median ${inits[Math.floor(INIT_RUNS / 2)].toFixed(1)} ms, max ${inits[INIT_RUNS - 1].toFixed(1)} ms`);

    const resultPath = join(mkdtempSync(join(tmpdir(), 'modelstack-bench-')), 'result.json');
    const load = spawnSync(process.execPath, ['--import', require.resolve('tsx'), join(__dirname, 'load.ts'), file, resultPath], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    if (load.status !== 0) throw new Error(`load run failed:\n${load.stderr}`);
    const { handler, upstream, overhead, capture } = JSON.parse(readFileSync(resultPath, 'utf8'));
    const concurrency = process.env.BENCH_CONCURRENCY ?? 50;
    const seconds = process.env.BENCH_SECONDS ?? 30;
    console.log(`load: ${concurrency} concurrent, ${seconds} s each, 1% throttles and 1% model errors injected`);
    const row = (name: string, r: { requests: number; p50: number; p99: number; statuses: Record<string, number> }) =>
      console.log(`  ${name.padEnd(9)} ${String(r.requests).padStart(7)} requests  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  statuses ${JSON.stringify(r.statuses)}`);
    row('handler', handler);
    row('bare SDK', upstream);
    console.log(`end-to-end difference (includes event-loop queueing on ${require('node:os').cpus().length} cores): p50 ${(handler.p50 - upstream.p50).toFixed(2)} ms, p99 ${(handler.p99 - upstream.p99).toFixed(2)} ms`);
    console.log(`handler's own work per request (sync time around the upstream call, ${overhead.requests} requests): p50 ${overhead.p50.toFixed(3)} ms, p99 ${overhead.p99.toFixed(3)} ms`);
    console.log(`capture at the API, handler's own work (same load, ${overhead.requests} vs ${capture.requests} requests):`);
    console.log(`  off  p50 ${overhead.p50.toFixed(3)} ms  p99 ${overhead.p99.toFixed(3)} ms`);
    console.log(`  on   p50 ${capture.p50.toFixed(3)} ms  p99 ${capture.p99.toFixed(3)} ms  (every request sampled, batches of ${capture.maxRecords}, flush wait <= 50 ms)`);
    console.log(`  added: p50 ${(capture.p50 - overhead.p50).toFixed(3)} ms, p99 ${(capture.p99 - overhead.p99).toFixed(3)} ms`);
    console.log(
      `  records: ${capture.sampled} sampled, ${capture.written} written, ${capture.failed} dropped (${capture.failedWrites} failed writes); ` +
        `${capture.leftInBuffers} were still buffered across ${capture.environments} environments when the load stopped ` +
        `(lost if Lambda shut them all down then: at most ${capture.maxRecords} per environment)`,
    );
    const unexpected = Object.entries(handler.statuses as Record<string, number>)
      .filter(([status]) => Number(status) >= 500 && status !== '502')
      .reduce((n, [, count]) => n + count, 0);
    console.log(`unexpected 5xx (anything but the injected model errors' 502): ${unexpected}`);
  } finally {
    server.kill('SIGTERM');
    s3.kill('SIGTERM');
  }
}

void main();
