#!/usr/bin/env node
/**
 * Offline CloudFormation validation of synthesized CDK output: every stack template and nested stack template in a
 * cloud assembly (nested assemblies too, such as the CDK Pipelines stages) against cfn-lint's rules and the
 * CloudFormation resource schemas, with `@aws/cloudformation-validate` (WebAssembly; bundled with aws-cdk-lib).
 * Errors always fail; a warning fails unless `scripts/cfn-allowlist.json` lists it with a reason.
 *
 *   npx tsx scripts/cfn-validate.ts [cdk.out ...] [--allowlist file] [--info]
 *
 * `test/aws/cfn-validate.test.ts` runs the same checks on the demo, the pipeline app and a config with every optional
 * AWS feature, and also fails on allowlist entries that no longer match anything.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** The part of `@aws/cloudformation-validate`'s API used here (its types live inside aws-cdk-lib's node_modules). */
interface Diagnostic {
  readonly ruleId: string;
  readonly severity: 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';
  readonly message: string;
  readonly entity?: { readonly logicalId: string; readonly entityType: string; readonly resourceType?: string };
  readonly propertyPath?: string;
}
interface ValidationReport {
  readonly status: 'OK' | 'ANALYSIS_INCOMPLETE' | 'ERROR';
  readonly diagnostics: Diagnostic[];
}
interface Engine {
  validateTemplate(template: unknown, config?: object): ValidationReport;
  free(): void;
}
interface ValidateModule {
  CompositeEngine: new () => Engine;
  TemplateFile: new (path: string) => unknown;
  version(): string;
}

/**
 * The validator aws-cdk-lib ships (it is not published on npm at this version), resolved from aws-cdk-lib's own
 * directory so it is always the one matching our aws-cdk-lib.
 */
export function loadValidator(): ValidateModule {
  const cdkDir = dirname(require.resolve('aws-cdk-lib/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('@aws/cloudformation-validate', { paths: [cdkDir] })) as ValidateModule;
}

/** One template to validate, with the account and region its stack deploys to (rules and schemas are regional). */
export interface TemplateToValidate {
  readonly file: string;
  readonly account?: string;
  readonly region?: string;
}

interface Manifest {
  artifacts?: Record<string, { type: string; environment?: string; properties?: { templateFile?: string; file?: string; directoryName?: string } }>;
}

/**
 * Every `*.template.json` of a cloud assembly and of its nested assemblies, with its stack's environment: stack
 * templates from the manifest, nested stack templates (`*.nested.template.json`) from their parent's asset manifest.
 * A template the manifest does not explain is still returned, without an environment.
 */
export function findTemplates(assemblyDir: string): TemplateToValidate[] {
  const manifest = JSON.parse(readFileSync(join(assemblyDir, 'manifest.json'), 'utf8')) as Manifest;
  const environments = new Map<string, { account?: string; region?: string }>();
  const nested: TemplateToValidate[] = [];
  const artifacts = Object.entries(manifest.artifacts ?? {});
  for (const [, artifact] of artifacts) {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      environments.set(artifact.properties.templateFile, parseEnvironment(artifact.environment));
    }
  }
  for (const [id, artifact] of artifacts) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      nested.push(...findTemplates(join(assemblyDir, artifact.properties.directoryName)));
    }
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      // `<stack>.assets` belongs to the stack artifact `<stack>`; its nested templates deploy where the stack does.
      const stack = manifest.artifacts?.[id.replace(/\.assets$/, '')];
      const env = parseEnvironment(stack?.environment);
      const assets = JSON.parse(readFileSync(join(assemblyDir, artifact.properties.file), 'utf8')) as { files?: Record<string, { source: { path?: string } }> };
      for (const { source } of Object.values(assets.files ?? {})) {
        if (source.path?.endsWith('.nested.template.json')) environments.set(source.path, env);
      }
    }
  }
  const own = readdirSync(assemblyDir)
    .filter((name) => name.endsWith('.template.json'))
    .sort()
    .map((name) => ({ file: join(assemblyDir, name), ...environments.get(name) }));
  return [...own, ...nested];
}

function parseEnvironment(environment: string | undefined): { account?: string; region?: string } {
  const m = /^aws:\/\/(\d{12})\/([a-z0-9-]+)$/.exec(environment ?? '');
  return m ? { account: m[1], region: m[2] } : {};
}

/** A warning or error of one template, named so an allowlist entry can match it. */
export interface CfnFinding {
  /** The template, relative to where validation started. */
  readonly template: string;
  readonly ruleId: string;
  readonly severity: 'error' | 'warning' | 'info';
  /** `<resource type>/<logical id>` (or `<entity type>/<logical id>` for outputs, parameters...), `Template` for the template itself. */
  readonly resource: string;
  readonly message: string;
}

/** What validating a set of templates found. */
export interface CfnValidation {
  readonly findings: CfnFinding[];
  /** Every resource type of the validated templates. */
  readonly resourceTypes: Set<string>;
  readonly templates: number;
}

/**
 * Validates templates with one engine (building it compiles every rule: about a second). INFO findings (create-only
 * properties, Fn::Join vs Fn::Sub, missing architecture metadata) are dropped unless `includeInfo` is set.
 */
export function validateTemplates(templates: readonly TemplateToValidate[], options: { root?: string; includeInfo?: boolean } = {}): CfnValidation {
  const validator = loadValidator();
  const engine = new validator.CompositeEngine();
  const findings: CfnFinding[] = [];
  const resourceTypes = new Set<string>();
  try {
    for (const template of templates) {
      const body = JSON.parse(readFileSync(template.file, 'utf8')) as { Resources?: Record<string, { Type?: string }> };
      for (const resource of Object.values(body.Resources ?? {})) if (resource.Type) resourceTypes.add(resource.Type);
      const report = engine.validateTemplate(new validator.TemplateFile(template.file), {
        detailLevel: 'STANDARD',
        severityLevel: options.includeInfo ? 'INFO' : 'WARN',
        pseudoParameterOverrides: { accountId: template.account, region: template.region },
      });
      const name = relative(options.root ?? process.cwd(), template.file);
      if (report.status !== 'OK') {
        findings.push({ template: name, ruleId: 'ANALYSIS', severity: 'error', resource: 'Template', message: `validation ${report.status}: the template could not be fully analysed` });
      }
      for (const d of report.diagnostics) {
        const severity = d.severity === 'FATAL' || d.severity === 'ERROR' ? 'error' : d.severity === 'WARN' ? 'warning' : 'info';
        const resource = d.entity ? `${d.entity.resourceType ?? d.entity.entityType}/${d.entity.logicalId}` : 'Template';
        const message = d.propertyPath ? `${d.propertyPath}: ${d.message}` : d.message;
        findings.push({ template: name, ruleId: d.ruleId, severity, resource, message });
      }
    }
  } finally {
    engine.free();
  }
  return { findings, resourceTypes, templates: templates.length };
}

/** A warning we accept: a rule id, a resource pattern (`*` matches anything) and why it is acceptable. */
export interface AllowlistEntry {
  readonly rule: string;
  /** Matched against `<resource type>/<logical id>`, such as `AWS::Lambda::Function/*`. */
  readonly resource: string;
  readonly reason: string;
}

export const DEFAULT_ALLOWLIST = join(__dirname, 'cfn-allowlist.json');

/** Reads an allowlist file; every entry needs a rule id, a resource pattern and a reason, and errors cannot be listed. */
export function loadAllowlist(file = DEFAULT_ALLOWLIST): AllowlistEntry[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  const entries = Array.isArray(raw) ? raw : [];
  const problems: string[] = Array.isArray(raw) ? [] : ['expected a JSON array of { rule, resource, reason }'];
  entries.forEach((entry: Partial<AllowlistEntry>, i) => {
    if (typeof entry?.rule !== 'string' || !/^W\d{4}$/.test(entry.rule)) problems.push(`[${i}].rule: expected a warning rule id such as W3005 (errors cannot be allowlisted)`);
    if (typeof entry?.resource !== 'string' || entry.resource === '') problems.push(`[${i}].resource: expected a pattern such as AWS::Lambda::Function/*`);
    if (typeof entry?.reason !== 'string' || entry.reason.length < 30) problems.push(`[${i}].reason: expected why the warning is acceptable (at least 30 characters)`);
  });
  if (problems.length > 0) throw new Error(`Invalid CloudFormation allowlist (${file}):\n  - ${problems.join('\n  - ')}`);
  return entries as AllowlistEntry[];
}

function matches(entry: AllowlistEntry, finding: CfnFinding): boolean {
  const pattern = new RegExp(`^${entry.resource.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return entry.rule === finding.ruleId && pattern.test(finding.resource);
}

/** The verdict on a validation: what fails it. */
export interface CfnVerdict {
  readonly errors: CfnFinding[];
  /** Warnings no allowlist entry covers. */
  readonly unlisted: CfnFinding[];
  /** Allowlist entries that matched no warning. */
  readonly stale: AllowlistEntry[];
  /** Warnings covered by the allowlist. */
  readonly allowed: number;
}

export function judge(findings: readonly CfnFinding[], allowlist: readonly AllowlistEntry[]): CfnVerdict {
  const used = new Set<AllowlistEntry>();
  const unlisted: CfnFinding[] = [];
  let allowed = 0;
  for (const finding of findings.filter((f) => f.severity === 'warning')) {
    const entry = allowlist.find((e) => matches(e, finding));
    if (!entry) unlisted.push(finding);
    else {
      used.add(entry);
      allowed++;
    }
  }
  return { errors: findings.filter((f) => f.severity === 'error'), unlisted, stale: allowlist.filter((e) => !used.has(e)), allowed };
}

const line = (f: CfnFinding) => `  ${f.ruleId} ${f.template} ${f.resource}: ${f.message}`;

/** A readable report; `failed` is whether errors or unlisted warnings were found (stale entries only with `strict`). */
export function formatVerdict(validation: CfnValidation, verdict: CfnVerdict, strict = false): { text: string; failed: boolean } {
  const out = [`CloudFormation validation: ${validation.templates} templates, ${validation.resourceTypes.size} resource types`];
  if (verdict.errors.length) out.push(`${verdict.errors.length} errors:`, ...verdict.errors.map(line));
  if (verdict.unlisted.length) {
    out.push(`${verdict.unlisted.length} warnings not in the allowlist (fix them, or list rule + resource + reason in scripts/cfn-allowlist.json):`, ...verdict.unlisted.map(line));
  }
  if (verdict.stale.length) {
    out.push(`${verdict.stale.length} allowlist entries matched nothing${strict ? '' : ' (expected if not every config was synthesized)'}:`, ...verdict.stale.map((e) => `  ${e.rule} ${e.resource}`));
  }
  const info = validation.findings.filter((f) => f.severity === 'info');
  if (info.length) out.push(`${info.length} informational findings:`, ...info.map(line));
  out.push(`${verdict.errors.length} errors, ${verdict.unlisted.length} unlisted warnings, ${verdict.allowed} allowlisted warnings`);
  const failed = verdict.errors.length > 0 || verdict.unlisted.length > 0 || (strict && verdict.stale.length > 0);
  return { text: out.join('\n'), failed };
}

function main(argv: string[]): number {
  const dirs: string[] = [];
  let allowlistFile = DEFAULT_ALLOWLIST;
  let includeInfo = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--allowlist') allowlistFile = argv[++i];
    else if (argv[i] === '--info') includeInfo = true;
    else if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: npx tsx scripts/cfn-validate.ts [cdk.out ...] [--allowlist file] [--info]');
      return 0;
    } else dirs.push(argv[i]);
  }
  if (dirs.length === 0) dirs.push('cdk.out');
  for (const dir of dirs) {
    if (!existsSync(join(dir, 'manifest.json'))) {
      console.error(`${dir}: no manifest.json: synthesize first (npm run synth, or npx cdk synth -o ${dir})`);
      return 2;
    }
  }
  const validation = validateTemplates(dirs.flatMap(findTemplates), { includeInfo });
  const { text, failed } = formatVerdict(validation, judge(validation.findings, loadAllowlist(allowlistFile)));
  console.log(text);
  return failed ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
