// `npm run api:check` / `npm run api:update`: the public API under semantic versioning. API Extractor writes a
// report of every exported type per entry point; the reports are committed in api/, with the package version
// they belong to in api/versions.json.
//  - check (CI): fails when the exported types differ from the committed reports, when the reports were edited
//    by hand, or when the package version has no CHANGELOG section.
//  - update: rewrites the reports, but only after a version bump that fits the change (removed or changed
//    signatures: major, or minor while 0.x; additions: minor) and a CHANGELOG section for the new version.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Extractor, ExtractorConfig, ExtractorLogLevel, type IConfigFile } from '@microsoft/api-extractor';
import { atLeast, removedLines, requiredBump, signaturesOnly } from './api-semver';

/** Package subpath → its entry file, as in package.json `exports`. */
const ENTRY_POINTS = {
  aws: 'constructs/aws/index',
  gcp: 'constructs/gcp/index',
  core: 'core/index',
  platform: 'infra/index',
} as const;

type Entry = keyof typeof ENTRY_POINTS;

interface VersionsFile {
  version: string;
  reports: Record<Entry, string>;
}

const root = join(__dirname, '..');
const apiDir = join(root, 'api');
const versionsPath = join(apiDir, 'versions.json');
const update = process.argv.includes('--update');
const forgotten: { entry: Entry; name: string; text: string }[] = [];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** Declarations only, into a temporary folder: the check does not depend on a fresh dist/. */
function emitDeclarations(): string {
  const out = mkdtempSync(join(tmpdir(), 'modelstack-api-'));
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly', '--outDir', out], { stdio: 'inherit' });
  return out;
}

function generateReport(entry: Entry, declarations: string): string {
  const reportFolder = join(declarations, 'reports');
  mkdirSync(reportFolder, { recursive: true });
  const configObject: IConfigFile = {
    projectFolder: root,
    mainEntryPointFilePath: join(declarations, `${ENTRY_POINTS[entry]}.d.ts`),
    compiler: { overrideTsconfig: { compilerOptions: { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true, skipLibCheck: true, types: ['node'] }, files: [join(declarations, `${ENTRY_POINTS[entry]}.d.ts`)] } },
    newlineKind: 'lf',
    apiReport: { enabled: true, reportFileName: entry, reportFolder, reportTempFolder: reportFolder },
    docModel: { enabled: false },
    dtsRollup: { enabled: false },
    tsdocMetadata: { enabled: false },
    messages: {
      // The report is about signatures; doc completeness is test/package/tsdoc.test.ts's job.
      compilerMessageReporting: { default: { logLevel: ExtractorLogLevel.Warning } },
      extractorMessageReporting: { default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: false }, 'ae-forgotten-export': { logLevel: ExtractorLogLevel.Warning, addToApiReportFile: false } },
      tsdocMessageReporting: { default: { logLevel: ExtractorLogLevel.None, addToApiReportFile: false } },
    },
  };
  const config = ExtractorConfig.prepare({ configObject, configObjectFullPath: join(root, 'api-extractor.json'), packageJsonFullPath: join(root, 'package.json') });
  const result = Extractor.invoke(config, {
    localBuild: true,
    messageCallback: (message) => {
      // A type that an export refers to but consumers cannot import is a gap in the API, not a detail.
      const name = /The symbol "([^"]+)"/.exec(message.text)?.[1];
      if (message.messageId === 'ae-forgotten-export' && name) forgotten.push({ entry, name: name.replace(/_\d+$/, ''), text: message.text });
      message.handled = true;
    },
  });
  if (!result.succeeded) throw new Error(`API Extractor failed for modelstack/${entry} (${result.errorCount} errors)`);
  return signaturesOnly(readFileSync(join(reportFolder, `${entry}.api.md`), 'utf8'));
}

function changelogHas(version: string): boolean {
  return new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\]`, 'm').test(read(join(root, 'CHANGELOG.md')) ?? '');
}

function main(): number {
  const pkgVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const versions = JSON.parse(read(versionsPath) ?? 'null') as VersionsFile | null;
  const declarations = emitDeclarations();
  const problems: string[] = [];
  const reports = {} as Record<Entry, string>;
  const changed: Entry[] = [];
  const breaking: string[] = [];
  try {
    for (const entry of Object.keys(ENTRY_POINTS) as Entry[]) {
      reports[entry] = generateReport(entry, declarations);
      const committed = read(join(apiDir, `${entry}.api.md`));
      if (committed === reports[entry]) continue;
      changed.push(entry);
      if (committed) breaking.push(...removedLines(committed, reports[entry]).map((line) => `modelstack/${entry}: ${line.trim()}`));
    }
  } finally {
    rmSync(declarations, { recursive: true, force: true });
  }

  // Types from another public entry point (a platform stack's ModelRegistry is modelstack/aws's) are importable.
  const exportedAnywhere = new Set(Object.values(reports).flatMap((report) => [...report.matchAll(/^export (?:declare )?(?:abstract )?(?:class|interface|type|const|function|enum|namespace) (\w+)/gm)].map((m) => m[1])));
  problems.push(...forgotten.filter((f) => !exportedAnywhere.has(f.name)).map((f) => `modelstack/${f.entry}: ${f.text}`));
  if (!update) {
    for (const entry of changed) problems.push(`the exported API of modelstack/${entry} differs from api/${entry}.api.md`);
    if (changed.length > 0) problems.push('run `npm run api:update` (it asks for a version bump and a CHANGELOG section), then commit api/');
    for (const entry of Object.keys(ENTRY_POINTS) as Entry[]) {
      const committed = read(join(apiDir, `${entry}.api.md`));
      if (committed && versions?.reports[entry] !== sha256(committed)) problems.push(`api/${entry}.api.md was edited by hand: its hash is not the one in api/versions.json`);
    }
    if (!changelogHas(pkgVersion)) problems.push(`CHANGELOG.md has no "## [${pkgVersion}]" section for the package version`);
  } else if (changed.length > 0 && versions) {
    const minimum = requiredBump(versions.version, breaking.length > 0);
    if (!atLeast(pkgVersion, minimum)) {
      const why = breaking.length > 0 ? `removed or changed signatures:\n  ${breaking.slice(0, 20).join('\n  ')}` : 'new exports';
      problems.push(`the API changed (${changed.join(', ')}; ${why})\nso package.json's version must be at least ${minimum} (it is ${pkgVersion}; the reports are at ${versions.version})`);
    }
    if (!changelogHas(pkgVersion)) problems.push(`add a "## [${pkgVersion}]" section to CHANGELOG.md that says what changed in the API`);
  }

  if (problems.length > 0) {
    console.error(`API check failed:\n- ${problems.join('\n- ')}`);
    return 1;
  }
  if (update) {
    mkdirSync(apiDir, { recursive: true });
    for (const entry of Object.keys(ENTRY_POINTS) as Entry[]) writeFileSync(join(apiDir, `${entry}.api.md`), reports[entry]);
    const next: VersionsFile = { version: changed.length > 0 || !versions ? pkgVersion : versions.version, reports: {} as Record<Entry, string> };
    for (const entry of Object.keys(ENTRY_POINTS) as Entry[]) next.reports[entry] = sha256(reports[entry]);
    writeFileSync(versionsPath, `${JSON.stringify(next, null, 2)}\n`);
    console.log(changed.length > 0 ? `API reports updated for ${changed.join(', ')} at version ${next.version}` : 'API unchanged');
  } else {
    console.log(`API matches api/*.api.md (${Object.keys(ENTRY_POINTS).length} entry points, version ${versions?.version})`);
  }
  return 0;
}

process.exitCode = main();
