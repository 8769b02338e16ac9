// Codemod for issue 15, item 5: the cloud-free core moves from `lambdas/core` to a top-level `core/` (one folder
// per concern, internals under `private/`), and each function's AWS adapter moves to `lambdas/<function>/aws/`.
//
//   npx tsx scripts/codemods/layout.ts    # move files, rewrite references, print warnings; review with git status
//
// Re-runnable: it `git mv`s only what still exists at an old path, and rewrites every reference that still points
// at an old path, so it can run again after other branches that add files (or imports) under the old layout are
// merged. A second run on its own output changes nothing.
//
// What it rewrites, in tracked and untracked (not ignored) text files:
//  - relative specifiers in quotes ('../lambdas/core/evaluate', "./profile", jest.mock, require, import()),
//    resolved against the file's location before the move, and markdown link targets (](../lambdas/...));
//  - repo-root paths anywhere ('lambdas/core/drift-defaults.ts', `dist/lambdas/core/index.d.ts`, docs prose);
//  - path segments passed to join ('lambdas', 'shared', 'env-credentials.ts').
// It does not touch api/, docs/api/, CHANGELOG.md or package-lock.json (generated or historical).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Single files: old → new (repo-relative, with extension). Checked before the folder rules. */
export const FILE_MOVES: Record<string, string> = {
  // The package entry and the registry's key layout (shared by both clouds' constructs, the functions and the CLI).
  'lambdas/core/index.ts': 'core/index.ts',
  'lambdas/core/layout.ts': 'core/layout.ts',
  // Streaming profiles and the baseline file built from them; readers and drift depend on these, never the reverse.
  'lambdas/core/profile.ts': 'core/profile/profile.ts',
  'lambdas/core/numeric-profile.ts': 'core/profile/numeric-profile.ts',
  'lambdas/core/categorical-profile.ts': 'core/profile/categorical-profile.ts',
  'lambdas/core/values.ts': 'core/profile/values.ts',
  'lambdas/core/baseline.ts': 'core/profile/baseline.ts',
  'lambdas/core/moments.ts': 'core/profile/private/moments.ts',
  'lambdas/core/tdigest.ts': 'core/profile/private/tdigest.ts',
  'lambdas/core/radix-sort.ts': 'core/profile/private/radix-sort.ts',
  'lambdas/core/sketch-cdf.ts': 'core/profile/private/sketch-cdf.ts',
  'lambdas/core/bins.ts': 'core/profile/private/bins.ts',
  // Comparing a window with its baseline: methods, integrity, the report, the file-level pipeline (CLI, training).
  'lambdas/core/evaluate.ts': 'core/drift/evaluate.ts',
  'lambdas/core/methods.ts': 'core/drift/methods.ts',
  'lambdas/core/integrity.ts': 'core/drift/integrity.ts',
  'lambdas/core/integrity-thresholds.ts': 'core/drift/integrity-thresholds.ts',
  'lambdas/core/drift-defaults.ts': 'core/drift/defaults.ts',
  'lambdas/core/report-html.ts': 'core/drift/report-html.ts',
  'lambdas/core/pipeline.ts': 'core/drift/pipeline.ts',
  'lambdas/core/metrics.ts': 'core/drift/private/metrics.ts',
  'lambdas/core/special.ts': 'core/drift/private/special.ts',
  'lambdas/core/parallel.ts': 'core/drift/private/parallel.ts',
  'lambdas/core/profile-worker.ts': 'core/drift/private/profile-worker.ts',
  // Reader internals (the folder rule below moves the rest of readers/).
  'lambdas/core/readers/csv-records.ts': 'core/readers/private/csv-records.ts',
  'lambdas/core/readers/jsonl-scan.ts': 'core/readers/private/jsonl-scan.ts',
  'lambdas/core/readers/parquet-columns.ts': 'core/readers/private/parquet-columns.ts',
  'lambdas/core/readers/hyparquet-src.d.ts': 'core/readers/private/hyparquet-src.d.ts',
  // Function adapters: AWS under aws/, beside gcp/. Each function's config.ts (environment names and parsing shared
  // with the constructs of both clouds) and lambdas/shared/{env,streams}.ts stay where they are.
  'lambdas/drift/index.ts': 'lambdas/drift/aws/index.ts',
  'lambdas/drift/handler.ts': 'lambdas/drift/aws/handler.ts',
  'lambdas/drift/aws-ports.ts': 'lambdas/drift/aws/aws-ports.ts',
  'lambdas/drift/s3-store.ts': 'lambdas/drift/aws/s3-store.ts',
  'lambdas/inference/index.ts': 'lambdas/inference/aws/index.ts',
  'lambdas/inference/handler.ts': 'lambdas/inference/aws/handler.ts',
  'lambdas/inference/s3-capture-store.ts': 'lambdas/inference/aws/s3-capture-store.ts',
  'lambdas/inference/sagemaker.ts': 'lambdas/inference/aws/sagemaker.ts',
  'lambdas/streaming/index.ts': 'lambdas/streaming/aws/index.ts',
  'lambdas/streaming/handler.ts': 'lambdas/streaming/aws/handler.ts',
  'lambdas/streaming/firehose.ts': 'lambdas/streaming/aws/firehose.ts',
  'lambdas/registry-cleanup/index.ts': 'lambdas/registry-cleanup/aws/index.ts',
  'lambdas/registry-cleanup/handler.ts': 'lambdas/registry-cleanup/aws/handler.ts',
  'lambdas/training-baseline/index.ts': 'lambdas/training-baseline/aws/index.ts',
  'lambdas/training-baseline/handler.ts': 'lambdas/training-baseline/aws/handler.ts',
  'lambdas/training-starter/index.ts': 'lambdas/training-starter/aws/index.ts',
  'lambdas/training-starter/handler.ts': 'lambdas/training-starter/aws/handler.ts',
  'lambdas/shared/env-credentials.ts': 'lambdas/shared/aws/env-credentials.ts',
};

/**
 * Whole folders: every file under old moves to the same place under new, including files other branches add
 * later. The last rule is the fallback: a file added to `lambdas/core/` that no rule above names lands in `core/`
 * (with a warning, so someone decides its folder).
 */
export const FOLDER_MOVES: [string, string][] = [
  ['lambdas/core/readers', 'core/readers'],
  ['lambdas/core/inference', 'core/inference'],
  ['lambdas/core/quality', 'core/quality'],
  ['lambdas/core/capture', 'core/capture'],
  ['lambdas/core/drift-job', 'core/drift-job'],
  ['lambdas/core', 'core'],
];

/** Function folders whose top level should now hold only aws/, gcp/ and cloud-neutral config.ts / upstream.ts (anything else is reported). */
const FUNCTION_ROOTS = ['lambdas/drift', 'lambdas/inference', 'lambdas/streaming', 'lambdas/registry-cleanup', 'lambdas/training-baseline', 'lambdas/training-starter'];
const FUNCTION_ROOT_KEEP = new Set(['config.ts', 'upstream.ts', 'aws', 'gcp']);

const SKIP = [/^api\//, /^docs\/api\//, /^CHANGELOG\.md$/, /^package-lock\.json$/, /(^|\/)node_modules\//, /^dist\//, /^cdk\.out\//, /^cdktf\.out\//, /^scripts\/codemods\//];
const TEXT = /\.(ts|tsx|js|cjs|mjs|json|md|py|ya?ml|sh)$/;
const EXT = /(\.d\.ts|\.ts|\.js|\.cjs|\.mjs|\.js\.map)$/;

const warnings: string[] = [];
const abs = (rel: string) => join(ROOT, rel);
const exists = (rel: string) => existsSync(abs(rel));
const isFile = (rel: string) => exists(rel) && statSync(abs(rel)).isFile();

/** Old extensionless key → new extensionless key, from FILE_MOVES. */
const FILE_KEYS = new Map(Object.entries(FILE_MOVES).map(([from, to]) => [from.replace(EXT, ''), to.replace(EXT, '')]));

/**
 * Where an old repo-relative path (with or without extension) lives now, or undefined when no rule applies or the
 * old path still exists (a file that stayed, or one added at that path later, is not redirected).
 * `dirIndex` allows `lambdas/drift` (a folder import meaning its index.ts) to follow its index file.
 */
export function mapPath(path: string, dirIndex: boolean): string | undefined {
  const clean = path.replace(/\/+$/, '');
  const ext = EXT.exec(clean)?.[0] ?? '';
  const key = clean.slice(0, clean.length - ext.length);
  if (stillThere(key, ext)) return undefined;
  const file = FILE_KEYS.get(key);
  if (file !== undefined) return file + ext;
  if (dirIndex && !ext) {
    const index = FILE_KEYS.get(`${key}/index`);
    if (index !== undefined) return posix.dirname(index);
  }
  for (const [from, to] of FOLDER_MOVES) {
    if (clean === from || clean.startsWith(`${from}/`)) return to + clean.slice(from.length);
  }
  return undefined;
}

function stillThere(key: string, ext: string): boolean {
  if (ext) return isFile(key + ext);
  return ['.ts', '.d.ts', '.js', '/index.ts'].some((e) => isFile(key + e));
}

function listFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return [...new Set(out.split('\0').filter(Boolean))].filter((f) => exists(f) && !SKIP.some((re) => re.test(f)));
}

function walk(rel: string): string[] {
  if (!exists(rel)) return [];
  if (statSync(abs(rel)).isFile()) return [rel];
  return readdirSync(abs(rel)).flatMap((name) => walk(`${rel}/${name}`));
}

function tracked(rel: string): boolean {
  try {
    execFileSync('git', ['ls-files', '--error-unmatch', rel], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Moves every file that still sits at an old path; returns new path → old path. */
function moveFiles(): Map<string, string> {
  const moves = new Map<string, string>();
  const plan = (from: string, to: string) => {
    if (moves.has(to) || [...moves.values()].includes(from)) return;
    if (exists(to)) {
      warnings.push(`both ${from} and ${to} exist: left ${from} where it is; merge them by hand`);
      return;
    }
    moves.set(to, from);
  };
  for (const [from, to] of Object.entries(FILE_MOVES)) if (isFile(from)) plan(from, to);
  for (const [fromDir, toDir] of FOLDER_MOVES) {
    for (const from of walk(fromDir)) {
      if ([...moves.values()].includes(from) || /(^|\/)node_modules\//.test(from)) continue;
      if (FILE_KEYS.has(from.replace(EXT, ''))) continue;
      if (fromDir === 'lambdas/core') warnings.push(`${from}: no rule names it; moved to ${toDir}${from.slice(fromDir.length)} (pick its folder and add it to FILE_MOVES)`);
      plan(from, toDir + from.slice(fromDir.length));
    }
  }
  for (const [to, from] of moves) {
    console.log(`move ${from} -> ${to}`);
    mkdirSync(dirname(abs(to)), { recursive: true });
    if (tracked(from)) execFileSync('git', ['mv', from, to], { cwd: ROOT });
    else renameSync(abs(from), abs(to));
  }
  for (const [fromDir] of FOLDER_MOVES) removeEmptyDirs(fromDir);
  for (const root of FUNCTION_ROOTS) {
    if (!exists(root)) continue;
    for (const name of readdirSync(abs(root))) {
      if (!FUNCTION_ROOT_KEEP.has(name)) warnings.push(`${root}/${name}: not moved (no rule); if it is AWS-only, add it to FILE_MOVES under aws/`);
    }
  }
  return moves;
}

function removeEmptyDirs(rel: string): void {
  if (!exists(rel) || !statSync(abs(rel)).isDirectory()) return;
  for (const name of readdirSync(abs(rel))) removeEmptyDirs(`${rel}/${name}`);
  if (readdirSync(abs(rel)).length === 0) rmdirSync(abs(rel));
}

function relativeSpec(fromDir: string, target: string): string {
  let rel = posix.relative(fromDir, target);
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

/** Rewrites one relative specifier written in a file that was at oldFile and is now at newFile. */
function rewriteRelative(spec: string, oldFile: string, newFile: string): string {
  if (spec.includes('${')) return spec;
  const [bare, suffix] = splitSuffix(spec);
  const target = posix.normalize(posix.join(posix.dirname(oldFile), bare));
  if (target.startsWith('..')) return spec;
  const mapped = mapPath(target, true) ?? target;
  if (mapped === target && oldFile === newFile) return spec;
  const trailingSlash = bare.endsWith('/') && !mapped.endsWith('/') ? '/' : '';
  return relativeSpec(posix.dirname(newFile), mapped) + trailingSlash + suffix;
}

/** `path#anchor` or `path?x`: the part after the path is kept as it is. */
function splitSuffix(spec: string): [string, string] {
  const at = spec.search(/[#?]/);
  return at < 0 ? [spec, ''] : [spec.slice(0, at), spec.slice(at)];
}

/** A repo-root path (optionally under dist/, optionally written ./path), rewritten if an old one. */
function rewriteRootPath(match: string): string {
  const dot = match.startsWith('./') ? './' : '';
  let rest = match.slice(dot.length);
  const dist = rest.startsWith('dist/') ? 'dist/' : '';
  rest = rest.slice(dist.length);
  const trailing = /[.]+$/.exec(rest)?.[0] ?? '';
  rest = rest.slice(0, rest.length - trailing.length);
  const slash = rest.endsWith('/') ? '/' : '';
  const mapped = mapPath(rest, false);
  if (mapped === undefined) return match;
  return dot + dist + mapped.replace(/\/+$/, '') + (slash && !mapped.endsWith('/') ? '/' : '') + trailing;
}

const QUOTED_RELATIVE = /(['"`])(\.{1,2}\/[^'"`\s]*)\1/g;
const MD_LINK = /\]\((\.{1,2}\/[^)\s]+)\)/g;
const ROOT_PATH = /(?<![\w.@/-])(?:\.\/)?(?:dist\/)?lambdas(?:\/[\w-][\w.-]*)+\/?/g;
const JOIN_SEGMENTS = /'lambdas'(?:\s*,\s*'[\w.-]+')+/g;

export function rewriteText(text: string, oldFile: string, newFile: string): string {
  const isMd = newFile.endsWith('.md');
  let out = text;
  if (!isMd) out = out.replace(QUOTED_RELATIVE, (_m, q: string, spec: string) => `${q}${rewriteRelative(spec, oldFile, newFile)}${q}`);
  else out = out.replace(MD_LINK, (_m, spec: string) => `](${rewriteRelative(spec, oldFile, newFile)})`);
  out = out.replace(ROOT_PATH, (m) => (m.startsWith('./') && newFile.includes('/') ? m : rewriteRootPath(m)));
  out = out.replace(JOIN_SEGMENTS, (m) => {
    const segments = [...m.matchAll(/'([\w.-]+)'/g)].map((s) => s[1]);
    const mapped = mapPath(segments.join('/'), false);
    return mapped === undefined ? m : mapped.split('/').map((s) => `'${s}'`).join(', ');
  });
  return out;
}

/** Config the new top-level folder needs: type-checked (tsconfig include) and measured (jest coverage). */
function ensureConfig(): void {
  edit('tsconfig.json', (t) => (/"core"/.test(t) ? t : t.replace(/"lambdas",/, '"core", "lambdas",')));
  edit('jest.config.js', (t) => (t.includes("'core/**/*.ts'") ? t : t.replace("'lambdas/**/*.ts'", "'core/**/*.ts', 'lambdas/**/*.ts'")));
}

function edit(rel: string, change: (text: string) => string): void {
  if (!exists(rel)) return;
  const before = readFileSync(abs(rel), 'utf8');
  const after = change(before);
  if (after !== before) {
    console.log(`update ${rel}`);
    writeFileSync(abs(rel), after);
  }
}

function main(): void {
  const moves = moveFiles();
  let changed = 0;
  for (const file of listFiles()) {
    if (!TEXT.test(file) || !isFile(file)) continue;
    const before = readFileSync(abs(file), 'utf8');
    const after = rewriteText(before, moves.get(file) ?? file, file);
    if (after === before) continue;
    changed++;
    writeFileSync(abs(file), after);
  }
  ensureConfig();
  console.log(`${moves.size} files moved, ${changed} files rewritten`);
  for (const w of warnings) console.warn(`warning: ${w}`);
}

if (require.main === module) main();
