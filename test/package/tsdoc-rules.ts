/**
 * The TSDoc rules of the public entry points, applied with the TypeScript compiler API. `tsdoc.test.ts` runs
 * `runTsdocCheck` in a child process (`tsx test/package/tsdoc-rules.ts` prints its report as JSON), so the parse of
 * aws-cdk-lib's declarations escapes Jest's V8 coverage instrumentation, and calls `checkTsdoc` itself on a fixture.
 *
 * Rules (see `checkTsdoc`):
 * 1. `modelstack/aws`, `modelstack/gcp`, `modelstack/platform`: every exported class, interface, type alias,
 *    function, enum and const has a doc comment summary.
 * 2. Every exported, non-abstract class that is a construct (extends `Construct` from 'constructs', directly or
 *    through aws-cdk-lib's `Stack` / cdktf's `TerraformStack` / any other base) has an `@example` with a ```ts fence
 *    that imports from the entry point exporting it. The examples are type-checked against the entry points
 *    (`typeCheckExamples`), so they declare what they use (`declare const stack: Stack;`).
 * 3. Every interface of those entry points, and every project interface or object type reachable from them
 *    (constructor props and public method parameters of exported classes, parameters of exported functions,
 *    property types, inline object types), documents each of its properties and methods, and each optional
 *    property has a non-empty `@default` tag. Members inherited from types declared in node_modules
 *    (aws-cdk-lib, cdktf, constructs) are exempt.
 * 4. `modelstack/core`: every exported function and class has a summary; every optional property of its interfaces
 *    (and of their inline object types) has a `@default` tag.
 * 5. `modelstack/aws`, `modelstack/gcp`, `modelstack/platform`: every public property, method and accessor of an
 *    exported class (declared in the project) has a doc comment; one inherited from a base class or an implemented
 *    interface counts, as editors show it.
 *
 * TypeScript attaches a doc comment only when it starts a line: `a: string; /** b *\/ b?: number;` leaves `b`
 * undocumented, as editors and documentation generators see it.
 */
import * as path from 'node:path';
import * as ts from 'typescript';

export const ROOT = path.resolve(__dirname, '..', '..');

/** `full` applies rules 1 to 3; `core` applies rule 4 (and rule 2, which finds no construct there). */
export type RuleSet = 'full' | 'core';

export interface EntryPoint {
  /** The package subpath users import. */
  readonly specifier: string;
  /** Its source file, relative to the repository root. */
  readonly file: string;
  /** Which rules apply to it. */
  readonly rules: RuleSet;
}

export const ENTRY_POINTS: readonly EntryPoint[] = [
  { specifier: 'modelstack/aws', file: 'constructs/aws/index.ts', rules: 'full' },
  { specifier: 'modelstack/gcp', file: 'constructs/gcp/index.ts', rules: 'full' },
  { specifier: 'modelstack/platform', file: 'infra/index.ts', rules: 'full' },
  { specifier: 'modelstack/core', file: 'core/index.ts', rules: 'core' },
];

/** Base classes (by name and declaring package) that make a class a construct. */
const CONSTRUCT_BASES: readonly { readonly name: string; readonly module: string }[] = [
  { name: 'Construct', module: '/node_modules/constructs/' },
  { name: 'Stack', module: '/node_modules/aws-cdk-lib/' },
  { name: 'TerraformStack', module: '/node_modules/cdktf/' },
];

export function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  return ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, undefined, configPath).options;
}

const AWS_CDK_LIB_INDEX = path.join(ROOT, 'node_modules/aws-cdk-lib/index.d.ts');
const EMPTY_MODULE = path.join(ROOT, 'node_modules/aws-cdk-lib/__tsdoc_unused_namespace__.d.ts');

/**
 * A compiler host for the entry-point program and the programs built beside it.
 *
 * - It serves `virtualFiles` (absolute path → text) and otherwise reuses the parsed source files of `base`, so the
 *   examples program does not parse aws-cdk-lib again.
 * - aws-cdk-lib's root index re-exports all of its ~300 service modules as namespaces (`export * as aws_quicksight
 *   from './aws-quicksight'`), which would double the parse. Those namespace re-exports resolve to an empty module
 *   here; `Stack`, `Duration` and the other root exports, and every `aws-cdk-lib/<module>` import, resolve as usual.
 *   Code that reaches a service through a root namespace (`import { aws_s3 } from 'aws-cdk-lib'`) would not type
 *   in these programs; the project and the examples import services by subpath.
 */
export function projectHost(options: ts.CompilerOptions, base?: ts.Program, virtualFiles: ReadonlyMap<string, string> = new Map()): ts.CompilerHost {
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  const cache = ts.createModuleResolutionCache(host.getCurrentDirectory(), host.getCanonicalFileName, options);
  host.fileExists = (fileName) => fileName === EMPTY_MODULE || virtualFiles.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => (fileName === EMPTY_MODULE ? 'export {};' : (virtualFiles.get(fileName) ?? readFile.call(host, fileName)));
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = fileName === EMPTY_MODULE ? 'export {};' : virtualFiles.get(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
    return base?.getSourceFile(fileName) ?? getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  };
  host.resolveModuleNameLiterals = (literals, containingFile, redirectedReference, resolutionOptions) =>
    literals.map((literal) => {
      const parent = literal.parent;
      if (containingFile === AWS_CDK_LIB_INDEX && ts.isExportDeclaration(parent) && parent.exportClause && ts.isNamespaceExport(parent.exportClause)) {
        return { resolvedModule: { resolvedFileName: EMPTY_MODULE, extension: ts.Extension.Dts, isExternalLibraryImport: true } };
      }
      return ts.resolveModuleName(literal.text, containingFile, resolutionOptions, host, cache, redirectedReference);
    });
  return host;
}

function isExternal(sourceFile: ts.SourceFile): boolean {
  return sourceFile.isDeclarationFile || sourceFile.fileName.includes('/node_modules/');
}

function location(node: ts.Node): string {
  const sourceFile = node.getSourceFile();
  const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
  return `${path.relative(ROOT, sourceFile.fileName)}:${line + 1}`;
}

/** The JSDoc blocks attached to `node` (for a variable, those of its statement). */
function jsDocsOf(node: ts.Node): ts.JSDoc[] {
  return ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
}

function summaryOf(node: ts.Node): string {
  return jsDocsOf(node)
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n')
    .trim();
}

function tagsOf(node: ts.Node, name: string): ts.JSDocTag[] {
  return jsDocsOf(node).flatMap((doc) => (doc.tags ?? []).filter((tag) => tag.tagName.text === name));
}

function tagText(tag: ts.JSDocTag): string {
  return (ts.getTextOfJSDocComment(tag.comment) ?? '').trim();
}

/** A property, method or accessor of a class, or a constructor parameter property. */
function isClassMember(declaration: ts.Declaration): boolean {
  if (ts.isParameter(declaration)) return ts.isParameterPropertyDeclaration(declaration, declaration.parent);
  return (
    (ts.isPropertyDeclaration(declaration) || ts.isMethodDeclaration(declaration) || ts.isGetAccessorDeclaration(declaration) || ts.isSetAccessorDeclaration(declaration)) &&
    ts.isClassLike(declaration.parent)
  );
}

function declaringClassName(member: ts.Declaration): string {
  const owner = ts.isParameter(member) ? member.parent.parent : member.parent;
  return ts.isClassLike(owner) && owner.name ? owner.name.text : '(anonymous class)';
}

function isPublic(declaration: ts.Declaration): boolean {
  const flags = ts.getCombinedModifierFlags(declaration);
  return !(flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) && !(ts.isMethodDeclaration(declaration) && ts.isPrivateIdentifier(declaration.name));
}

/** `Props.limits.maxBodyBytes` for a member of an inline object type inside `Props`. */
function memberPath(member: ts.Node): string {
  const names: string[] = [];
  for (let node: ts.Node | undefined = member; node; node = node.parent) {
    if ((ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) && node.name) {
      names.unshift(node.name.getText());
    }
    if (ts.isParameter(node)) {
      // An inline object type of a parameter: `Owner.method(options).member`.
      const fn = node.parent;
      const owner = ts.isClassLike(fn.parent) && fn.parent.name ? `${fn.parent.name.text}.` : '';
      const fnName = ts.isConstructorDeclaration(fn) ? 'constructor' : fn.name ? fn.name.getText() : '(anonymous)';
      names.unshift(`${owner}${fnName}(${node.name.getText()})`);
      break;
    }
    if (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isSourceFile(node)) break;
  }
  return names.join('.');
}

type DeclarationKind = 'class' | 'interface' | 'type alias' | 'function' | 'enum' | 'const';

function kindOf(declaration: ts.Declaration): DeclarationKind | undefined {
  if (ts.isClassDeclaration(declaration)) return 'class';
  if (ts.isInterfaceDeclaration(declaration)) return 'interface';
  if (ts.isTypeAliasDeclaration(declaration)) return 'type alias';
  if (ts.isFunctionDeclaration(declaration)) return 'function';
  if (ts.isEnumDeclaration(declaration)) return 'enum';
  if (ts.isVariableDeclaration(declaration)) return 'const';
  return undefined;
}

/** Which declaration kinds need a summary under each rule set. */
const NEEDS_SUMMARY: Record<RuleSet, ReadonlySet<DeclarationKind>> = {
  full: new Set(['class', 'interface', 'type alias', 'function', 'enum', 'const']),
  core: new Set(['class', 'function']),
};

/** A construct example found on an exported class: its code is type-checked by the examples test. */
export interface ConstructExample {
  /** The class's exported name. */
  readonly className: string;
  /** The entry point that exports it. */
  readonly specifier: string;
  /** `file:line` of the class. */
  readonly where: string;
  /** The code inside the example's ```ts fence. */
  readonly code: string;
}

/** What `checkTsdoc` found. */
export interface TsdocReport {
  /** One line per problem. */
  readonly problems: string[];
  /** The construct examples that passed rule 2, for `typeCheckExamples`. */
  readonly examples: ConstructExample[];
}

/**
 * Applies the rules to the entry points of `program` and returns every problem (one line each: file and line,
 * symbol and member, what is missing, and the entry point) plus the construct examples found.
 */
export function checkTsdoc(program: ts.Program, entryPoints: readonly EntryPoint[]): TsdocReport {
  const checker = program.getTypeChecker();
  const problems: string[] = [];
  const reported = new Set<string>();
  const examples: ConstructExample[] = [];
  const report = (node: ts.Node, name: string, problem: string, entry: EntryPoint) => {
    const key = `${location(node)} ${name}: ${problem}`;
    if (reported.has(key)) return;
    reported.add(key);
    problems.push(`${key} [${entry.specifier}]`);
  };
  const inProject = (node: ts.Node) => !isExternal(node.getSourceFile());

  const isConstruct = (type: ts.Type, seen = new Set<ts.Type>()): boolean => {
    if (seen.has(type)) return false;
    seen.add(type);
    const symbol = type.getSymbol();
    const declaration = symbol?.declarations?.[0];
    if (symbol && declaration && CONSTRUCT_BASES.some((b) => b.name === symbol.getName() && declaration.getSourceFile().fileName.includes(b.module))) return true;
    if (!(type.flags & ts.TypeFlags.Object) || !((type as ts.ObjectType).objectFlags & ts.ObjectFlags.ClassOrInterface)) return false;
    return (checker.getBaseTypes(type as ts.InterfaceType) ?? []).some((base) => isConstruct(base, seen));
  };

  // Rule 3 and the optional-property part of rule 4: object types to check, found from the exports.
  const checkedMembers = new Map<ts.Node, RuleSet>();
  const visitedTypes = new Map<ts.Type, RuleSet>();

  const checkMember = (member: ts.Declaration, rules: RuleSet, entry: EntryPoint) => {
    if (checkedMembers.get(member) === 'full' || checkedMembers.get(member) === rules) return;
    checkedMembers.set(member, rules);
    const name = memberPath(member);
    const optional = (ts.isPropertySignature(member) || ts.isMethodSignature(member)) && member.questionToken !== undefined;
    if (rules === 'full' && !summaryOf(member)) report(member, name, `${ts.isMethodSignature(member) ? 'method' : 'property'} has no doc comment`, entry);
    if (optional && ts.isPropertySignature(member)) {
      const defaults = tagsOf(member, 'default');
      if (defaults.length === 0) report(member, name, 'optional property has no @default tag', entry);
      else if (defaults.some((tag) => !tagText(tag))) report(member, name, '@default tag is empty (write `@default value` or `@default - description`)', entry);
    }
  };

  /** Object types declared in the project that `type` is made of (unions, arrays, records, ...). */
  const objectTypesOf = (type: ts.Type, into: ts.Type[], depth = 0): void => {
    if (depth > 5) return;
    if (type.isUnionOrIntersection()) {
      for (const t of type.types) objectTypesOf(t, into, depth + 1);
      return;
    }
    if (!(type.flags & ts.TypeFlags.Object)) return;
    for (const argument of type.aliasTypeArguments ?? []) objectTypesOf(argument, into, depth + 1);
    if (checker.isArrayType(type) || checker.isTupleType(type)) {
      for (const argument of checker.getTypeArguments(type as ts.TypeReference)) objectTypesOf(argument, into, depth + 1);
      return;
    }
    const declaration = type.getSymbol()?.declarations?.[0];
    if (declaration && inProject(declaration) && (ts.isInterfaceDeclaration(declaration) || ts.isTypeLiteralNode(declaration))) into.push(type);
  };

  const visitType = (type: ts.Type, rules: RuleSet, entry: EntryPoint): void => {
    const found: ts.Type[] = [];
    objectTypesOf(type, found);
    for (const objectType of found) {
      const previous = visitedTypes.get(objectType);
      if (previous === 'full' || previous === rules) continue;
      visitedTypes.set(objectType, rules);
      for (const property of checker.getPropertiesOfType(objectType)) {
        const members = (property.declarations ?? []).filter((d) => inProject(d) && (ts.isPropertySignature(d) || ts.isMethodSignature(d)));
        for (const member of members) {
          checkMember(member, rules, entry);
          if (ts.isPropertySignature(member)) visitType(checker.getTypeOfSymbolAtLocation(property, member), rules, entry);
        }
      }
    }
  };

  const visitSignatures = (type: ts.Type, kind: ts.SignatureKind, rules: RuleSet, entry: EntryPoint) => {
    for (const signature of checker.getSignaturesOfType(type, kind)) {
      for (const parameter of signature.getParameters()) visitType(checker.getTypeOfSymbol(parameter), rules, entry);
    }
  };

  // Full rule sets first, so a type reachable from both aws and core is held to the full rules.
  const ordered = [...entryPoints].sort((a, b) => (a.rules === b.rules ? 0 : a.rules === 'full' ? -1 : 1));
  for (const entry of ordered) {
    const sourceFile = program.getSourceFile(path.resolve(ROOT, entry.file));
    if (!sourceFile) throw new Error(`${entry.file}: not part of the program`);
    const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
    if (!moduleSymbol) throw new Error(`${entry.file}: not a module`);

    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const declarations = (symbol.declarations ?? []).filter(inProject);
      for (const declaration of declarations) {
        const kind = kindOf(declaration);
        if (!kind) continue;
        const name = exported.getName();
        // Overloads: one documented signature is enough.
        const documented = declarations.filter((d) => kindOf(d) === kind).some((d) => summaryOf(d) !== '');
        if (NEEDS_SUMMARY[entry.rules].has(kind) && !documented) report(declaration, name, `exported ${kind} has no doc comment summary`, entry);

        if (kind === 'class') {
          const instanceType = checker.getDeclaredTypeOfSymbol(symbol);
          // Abstract bases cannot be instantiated: their concrete subclasses carry the example.
          const isAbstract = (ts.getCombinedModifierFlags(declaration) & ts.ModifierFlags.Abstract) !== 0;
          if (isConstruct(instanceType) && !isAbstract) {
            const tags = tagsOf(declaration, 'example');
            const text = tags.map(tagText).join('\n');
            const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
            if (tags.length === 0) report(declaration, name, 'construct has no @example', entry);
            else if (code === undefined) report(declaration, name, '@example has no ```ts fenced code block', entry);
            else if (!code.includes(`from '${entry.specifier}'`)) report(declaration, name, `@example does not import from '${entry.specifier}'`, entry);
            else examples.push({ className: name, specifier: entry.specifier, where: location(declaration), code });
          }
          if (entry.rules === 'full') {
            // Constructor props, and the parameters of public methods (instance and static).
            const staticType = checker.getTypeOfSymbol(symbol);
            visitSignatures(staticType, ts.SignatureKind.Construct, entry.rules, entry);
            for (const member of [...checker.getPropertiesOfType(instanceType), ...checker.getPropertiesOfType(staticType)]) {
              const methods = (member.declarations ?? []).filter((d) => inProject(d) && ts.isMethodDeclaration(d) && isPublic(d));
              if (methods.length > 0) visitSignatures(checker.getTypeOfSymbolAtLocation(member, methods[0]), ts.SignatureKind.Call, entry.rules, entry);
              // Rule 5: public members are documented; a doc inherited from a base class or an implemented interface counts.
              const own = (member.declarations ?? []).find((d) => inProject(d) && isClassMember(d) && isPublic(d));
              if (own && !ts.displayPartsToString(member.getDocumentationComment(checker)).trim()) {
                report(own, `${declaringClassName(own)}.${member.getName()}`, 'public class member has no doc comment', entry);
              }
            }
          }
        } else if (kind === 'function' && entry.rules === 'full') {
          visitSignatures(checker.getTypeOfSymbol(symbol), ts.SignatureKind.Call, entry.rules, entry);
        } else if (kind === 'interface' || kind === 'type alias') {
          visitType(checker.getDeclaredTypeOfSymbol(symbol), entry.rules, entry);
        }
      }
    }
  }
  return { problems, examples };
}

/**
 * Type-checks the construct examples: each is compiled as its own module, with `modelstack/<subpath>` resolved to the
 * entry point's source. Returns one line per error, naming the class, its file and the line within the example.
 */
export function typeCheckExamples(program: ts.Program, options: ts.CompilerOptions, examples: readonly ConstructExample[]): string[] {
  const paths = Object.fromEntries(ENTRY_POINTS.map((e) => [e.specifier, [e.file]]));
  const exampleOptions: ts.CompilerOptions = { ...options, baseUrl: ROOT, paths, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
  const files = examples.map((e) => ({ example: e, file: path.join(ROOT, 'test/package/__virtual__/examples', `${e.specifier.replace('/', '-')}-${e.className}.ts`) }));
  const host = projectHost(exampleOptions, program, new Map(files.map((f) => [f.file, f.example.code])));
  const exampleProgram = ts.createProgram({ rootNames: files.map((f) => f.file), options: exampleOptions, host });
  return files.flatMap(({ example, file }) => {
    const sourceFile = exampleProgram.getSourceFile(file);
    return [...exampleProgram.getSyntacticDiagnostics(sourceFile), ...exampleProgram.getSemanticDiagnostics(sourceFile)].map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${example.where} ${example.className} @example line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')} [${example.specifier}]`;
    });
  });
}

/** What the child process reports: the problems, the examples found and the examples' type errors. */
export interface TsdocRun {
  readonly problems: string[];
  readonly examples: { readonly specifier: string; readonly className: string }[];
  readonly exampleErrors: string[];
}

/** Builds one program over the four entry points and applies every rule, examples included. */
export function runTsdocCheck(): TsdocRun {
  const options = compilerOptions();
  const program = ts.createProgram({ rootNames: ENTRY_POINTS.map((e) => path.resolve(ROOT, e.file)), options, host: projectHost(options) });
  const { problems, examples } = checkTsdoc(program, ENTRY_POINTS);
  return {
    problems,
    examples: examples.map(({ specifier, className }) => ({ specifier, className })),
    exampleErrors: typeCheckExamples(program, options, examples),
  };
}

if (require.main === module) {
  process.stdout.write(JSON.stringify(runTsdocCheck()));
}
