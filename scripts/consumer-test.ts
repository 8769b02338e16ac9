// `npm run test:package`: ModelStack as another team gets it. Packs the tarball (prepack builds dist/), checks what
// it ships, installs it offline (from the tarball and the npm cache) into copies of examples/aws-app and
// examples/gcp-app, compiles them with their own tsconfig, synthesizes them, runs the installed CLI, checks
// that a private path can be neither compiled against nor required, and runs the synthesized Cloud Build deploy
// step's command as the build runs it (built CLI, production dependencies) against a loopback Vertex AI.
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { FUNCTION_BUNDLES } from '../constructs/private/function-bundles';
import { FakeVertex } from '../test/vertex-deploy/fake-vertex';

const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'modelstack-consumer-'));
const failures: string[] = [];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, CHECKPOINT_DISABLE: '1', CDK_DISABLE_CLI_TELEMETRY: 'true', ...env }, maxBuffer: 64 << 20 });
}

/** Runs a command that must succeed; a failure is recorded with its output and ends the current example. */
function must(label: string, cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): string {
  const started = Date.now();
  const result = run(cmd, args, cwd, env);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    throw new Error(`${label} failed (exit ${result.status}, ${seconds} s): ${cmd} ${args.join(' ')}\n${result.stdout}\n${result.stderr}`.trim());
  }
  console.log(`  ok  ${label} (${seconds} s)`);
  return result.stdout;
}

function check(label: string, ok: boolean, detail = ''): void {
  if (ok) console.log(`  ok  ${label}`);
  else failures.push(`${label}${detail ? `: ${detail}` : ''}`);
}

function section(title: string, body: () => void): void {
  console.log(title);
  try {
    body();
  } catch (err) {
    failures.push((err as Error).message);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

let tarball = '';
/** The installed GCP example, once its install worked: the deploy-step check runs in it. */
let gcpApp = '';
section('pack', () => {
  const out = must('npm pack (prepack: npm run build)', 'npm', ['pack', '--json', '--pack-destination', work], root);
  const [packed] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; size: number; files: { path: string }[] }[];
  tarball = join(work, packed.filename);
  const paths = packed.files.map((f) => f.path);
  const unexpected = paths.filter((p) => /^(test|bench|scripts|examples|coverage|cdk\.out|cdktf\.out)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')));
  check('tarball holds no tests, benches, scripts or TypeScript sources', unexpected.length === 0, unexpected.slice(0, 10).join(', '));
  const bundles = Object.keys(FUNCTION_BUNDLES).map((name) => `dist/bundles/${name}/index.js`);
  check('tarball holds every pre-built function bundle', bundles.every((b) => paths.includes(b)), bundles.filter((b) => !paths.includes(b)).join(', '));
  console.log(`  ${packed.filename}: ${(packed.size / 1024).toFixed(0)} KB, ${paths.length} files`);
});

/**
 * Copies an example as a consumer would have it, with `modelstack` taken from the tarball, and installs it offline.
 * npm resolves a version range from the registry's package documents, which `npm ci` never downloads; so the example
 * gets a lockfile cut from ours (the same versions, found in the cache by integrity) and is installed with `npm ci`.
 */
function installExample(name: string): string {
  const dir = join(work, name);
  cpSync(join(root, 'examples', name), dir, { recursive: true, filter: (src) => !/(node_modules|cdk\.out|cdktf\.out|[/\\]lib)$/.test(src) });
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  manifest.dependencies = { ...manifest.dependencies, modelstack: `file:../${basename(tarball)}` };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(consumerLockfile(manifest), null, 2)}\n`);
  must('npm ci --offline (tarball + npm cache)', 'npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  must('tsc (the example tsconfig)', join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.'], dir);
  return dir;
}

interface Manifest {
  name: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

type LockEntry = Omit<Manifest, 'name'> & { optionalDependencies?: Record<string, string>; [key: string]: unknown };

/**
 * A v3 lockfile for `manifest`: our package from the tarball, everything else as our own lockfile has it (every
 * package it needs, with their nested copies), so no registry metadata is needed.
 */
function consumerLockfile(manifest: Manifest): { lockfileVersion: 3; requires: true; packages: Record<string, unknown> } {
  const ours = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest & LockEntry;
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const modelstack: LockEntry = {
    version: pkg.version,
    resolved: manifest.dependencies!.modelstack,
    integrity,
    license: pkg.license,
    dependencies: pkg.dependencies,
    bin: pkg.bin,
    engines: pkg.engines,
    peerDependencies: pkg.peerDependencies,
    peerDependenciesMeta: pkg.peerDependenciesMeta,
  };
  const wanted = new Set<string>();
  const packages: Record<string, unknown> = {
    '': { name: manifest.name, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
    'node_modules/modelstack': modelstack,
  };
  const requires = (entry: LockEntry, direct: boolean) => [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.devDependencies && direct ? entry.devDependencies : {}),
    // Required peers are installed by npm; optional ones only if something else asks for them.
    ...Object.keys(entry.peerDependencies ?? {}).filter((peer) => !entry.peerDependenciesMeta?.[peer]?.optional),
  ];
  const queue = [...requires({ ...manifest, dependencies: { ...manifest.dependencies } }, true).filter((n) => n !== 'modelstack'), ...requires(modelstack, false)];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (wanted.has(name)) continue;
    const key = `node_modules/${name}`;
    if (!ours.packages[key]) {
      // Only nested copies exist (inside a package already taken, such as aws-cdk-lib's bundled dependencies).
      if (Object.keys(ours.packages).some((k) => k.endsWith(`/node_modules/${name}`))) continue;
      throw new Error(`${name} is not in package-lock.json: the offline install cannot get it`);
    }
    wanted.add(name);
    for (const [nestedKey, entry] of Object.entries(ours.packages)) {
      if (nestedKey !== key && !nestedKey.startsWith(`${key}/node_modules/`)) continue;
      const { dev: _dev, devOptional: _devOptional, ...rest } = entry;
      packages[nestedKey] = rest;
      queue.push(...requires(entry, false).filter((dep) => !ours.packages[`${nestedKey}/node_modules/${dep}`]));
    }
  }
  return { lockfileVersion: 3, requires: true, packages };
}

/** A private path must fail to compile (under the example's module resolution) and to load. */
function checkPrivateImport(dir: string): void {
  const privatePath = 'modelstack/dist/constructs/aws/private/nag';
  writeFileSync(join(dir, 'src', 'private-import.ts'), `import { acknowledgeWildcardResource } from '${privatePath}';\nconsole.log(acknowledgeWildcardResource);\n`);
  const compiled = run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', '.', '--noEmit'], dir);
  rmSync(join(dir, 'src', 'private-import.ts'));
  check('importing a private path does not compile', compiled.status !== 0 && /private-import\.ts.*TS2307/.test(compiled.stdout), compiled.stdout.trim());
  const loaded = run(process.execPath, ['-e', `require('${privatePath}')`], dir);
  check('requiring a private path fails with ERR_PACKAGE_PATH_NOT_EXPORTED', /ERR_PACKAGE_PATH_NOT_EXPORTED/.test(loaded.stderr), loaded.stderr.trim().split('\n')[0]);
}

if (tarball) {
  section('examples/aws-app', () => {
    const dir = installExample('aws-app');
    checkPrivateImport(dir);
    // ES module apps import the CommonJS build through Node's named-export detection.
    const esm = run(process.execPath, ['--input-type=module', '-e', "import { ModelRegistry } from 'modelstack/aws'; import { evaluateDrift } from 'modelstack/core'; console.log(typeof ModelRegistry, typeof evaluateDrift);"], dir);
    check('an ES module can import the entry points by name', esm.stdout.trim() === 'function function', `${esm.stdout}${esm.stderr}`.trim());
    must('cdk synth', join(dir, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', 'cdk.out'], dir);
    const templates = filesUnder(join(dir, 'cdk.out')).filter((f) => f.endsWith('.template.json')).map((f) => readFileSync(f, 'utf8'));
    const all = templates.join('\n');
    for (const type of ['AWS::S3::Bucket', 'AWS::SageMaker::Endpoint', 'AWS::Lambda::Function', 'AWS::ApiGatewayV2::Api']) {
      check(`the AWS app synthesizes ${type}`, all.includes(`"${type}"`));
    }
    const assets = filesUnder(join(dir, 'cdk.out')).filter((f) => /asset\.[0-9a-f]+[/\\]index\.js$/.test(f));
    // Every function's code is a bundle the package ships (none built at the consumer), or aws-cdk-lib's own
    // custom-resource handler (autoDeleteObjects in a RemovalPolicy.DESTROY registry).
    const shipped = new Set(filesUnder(join(dir, 'node_modules', 'modelstack', 'dist', 'bundles')).filter((f) => f.endsWith('index.js')).map((f) => readFileSync(f, 'utf8')));
    const cdkHandlers = new Set(filesUnder(join(dir, 'node_modules', 'aws-cdk-lib', 'custom-resource-handlers', 'dist')).filter((f) => f.endsWith('index.js')).map((f) => readFileSync(f, 'utf8')));
    const ours = assets.filter((f) => shipped.has(readFileSync(f, 'utf8')));
    const foreign = assets.filter((f) => !shipped.has(readFileSync(f, 'utf8')) && !cdkHandlers.has(readFileSync(f, 'utf8')));
    check('its functions are the pre-built bundles', ours.length >= 2 && foreign.length === 0, `${ours.length} shipped bundles; not shipped: ${foreign.join(', ') || 'none'}`);
    // An older app's cdk.json may carry none of the recommended feature flags: the constructs must not need them.
    must('synth with no feature flags (CDK_CONTEXT_JSON={})', process.execPath, ['lib/main.js'], dir, { CDK_CONTEXT_JSON: '{}', CDK_OUTDIR: join(dir, 'cdk.no-flags.out') });
  });

  section('examples/gcp-app', () => {
    const dir = installExample('gcp-app');
    gcpApp = dir;
    checkPrivateImport(dir);
    must('synth (node lib/main.js, as cdktf synth runs it)', process.execPath, ['lib/main.js'], dir);
    const stacks = filesUnder(join(dir, 'cdktf.out')).filter((f) => f.endsWith('cdk.tf.json'));
    const all = stacks.map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const type of ['google_storage_bucket', 'google_kms_crypto_key', 'google_vertex_ai_endpoint']) {
      check(`the GCP app synthesizes ${type}`, all.includes(`"${type}"`));
    }

    // The installed CLI, from dist/: the GCP app has every peer (cdktf and the provider, and aws-cdk-lib, required).
    const bin = join(dir, 'node_modules', '.bin', 'modelstack');
    const version = must('modelstack --version', bin, ['--version'], dir).trim();
    check('the installed CLI reports the packed version', version === (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest).version, version);
    must('modelstack synth (demo config, both clouds)', bin, ['synth', '--aws-out', 'platform-aws.out', '--gcp-out', 'platform-gcp.out'], dir);
    const rows = (shift: number) => Array.from({ length: 3000 }, (_, i) => JSON.stringify({ age: 20 + ((i * 7) % 50) + shift, plan: i % 3 === 0 ? 'pro' : 'basic' })).join('\n');
    writeFileSync(join(dir, 'reference.jsonl'), `${rows(0)}\n`);
    writeFileSync(join(dir, 'window.jsonl'), `${rows(25)}\n`);
    must('modelstack baseline (worker threads from dist/)', bin, ['baseline', '--data', 'reference.jsonl', '--out', 'baseline.json', '--no-progress'], dir);
    const drift = run(bin, ['drift', '--baseline', 'baseline.json', '--data', 'window.jsonl', '--out', 'report.json', '--html', 'report.html', '--no-progress', '--fail-on-drift'], dir);
    check('modelstack drift --fail-on-drift exits 1 on a shifted window', drift.status === 1, `exit ${drift.status}: ${drift.stderr}`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { features: { name: string; drifted: boolean }[] };
    check('the drift report names the shifted feature', report.features.some((f) => f.name === 'age' && f.drifted), JSON.stringify(report.features));
  });
}

/**
 * The Cloud Build deploy step, as synthesized: its command runs in a checkout left as the build leaves it (the package's
 * bin/ and dist/, the sources, production dependencies only: no tsx), against a loopback Vertex AI and metadata server.
 * Staging's, since its models are served by Vertex AI (dev's are on Cloud Run: `cloudrun-deploy`, rehearsed by the e2e).
 */
async function checkDeployStep(appDir: string): Promise<void> {
  console.log('the Cloud Build deploy step (built CLI, production dependencies)');
  const stack = JSON.parse(readFileSync(join(appDir, 'platform-gcp.out', 'stacks', 'modelstack-staging-platform', 'cdk.tf.json'), 'utf8')) as {
    resource: { google_cloudbuild_trigger: Record<string, { name: string; build: { step: { id: string; entrypoint: string; args: string[] }[] } }> };
  };
  const trigger = Object.values(stack.resource.google_cloudbuild_trigger).find((t) => t.name === 'modelstack-staging-deploy-churn');
  const deploy = trigger?.build.step.find((step) => step.id === 'deploy');
  if (!deploy) throw new Error('the synthesized staging stack has no deploy step for churn');

  // The checkout as the build leaves it: bin/ and dist/ (what `npm run build` made), the sources, and node_modules as
  // `npm prune --omit=dev` leaves it: our lockfile's production packages only (no tsx, no cdktf; aws-cdk-lib stays,
  // as cdk-nag's peer).
  const checkout = join(work, 'checkout');
  must('unpack the tarball as the checkout', 'tar', ['xzf', tarball, '-C', work], work);
  renameSync(join(work, 'package'), checkout);
  cpSync(join(root, 'cli'), join(checkout, 'cli'), { recursive: true });
  cpSync(join(root, 'package-lock.json'), join(checkout, 'package-lock.json'));
  must('npm ci --omit=dev --offline (the pruned checkout)', 'npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], checkout);
  for (const dev of ['tsx', 'cdktf', '@cdktf/provider-google']) check(`the checkout has no ${dev} (a dev dependency)`, !existsSync(join(checkout, 'node_modules', dev)));

  const fake = await new FakeVertex().start();
  try {
    const endpoint = deploy.args[deploy.args.indexOf('--endpoint') + 1];
    fake.addEndpoint(endpoint);
    // Cloud Build substitutes these from the Pub/Sub message; the image build steps before this one leave the pushed
    // image's digest in /workspace (written here, since no Docker runs).
    const imageFile = join(work, 'model-image.ref');
    writeFileSync(imageFile, `europe-west1-docker.pkg.dev/modelstack-demo-staging/modelstack-staging-models/model-server@sha256:${'ab'.repeat(32)}\n`);
    const args = deploy.args.map((a) =>
      a.replace('$_BUCKET', 'modelstack-staging-models-modelstack-demo-staging').replace('$_OBJECT', 'models/churn/7/model.tar.gz').replace('/workspace/model-image.ref', imageFile),
    );
    const env = { ...process.env, GCE_METADATA_HOST: new URL(fake.baseUrl).host, VERTEX_API_BASE_URL: fake.baseUrl };
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(deploy.entrypoint, args, { cwd: checkout, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    check('the deploy command exits 0', result.code === 0, `exit ${result.code}: ${result.stderr}${result.stdout}`.trim());
    const deployed = fake.endpoints.get(endpoint)?.deployedModels ?? [];
    check('it deployed version 7 with the metadata server\'s token', deployed.length === 1 && fake.requests.some((r) => r.authorization === 'Bearer metadata-token'), JSON.stringify(deployed));
  } finally {
    await fake.stop();
  }
}

async function finish(): Promise<void> {
  if (gcpApp) {
    try {
      await checkDeployStep(gcpApp);
    } catch (err) {
      failures.push((err as Error).message);
    }
  }
  if (failures.length > 0) {
    console.error(`\nconsumer test FAILED (${failures.length}); work dir kept: ${work}\n\n${failures.map((f) => `- ${f}`).join('\n\n')}`);
    process.exit(1);
  }
  rmSync(work, { recursive: true, force: true });
  console.log('\nconsumer test passed');
}

void finish();
