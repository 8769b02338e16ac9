/**
 * The published API must be documented: every exported symbol of the public entry points, every prop and its
 * default, and a type-checked `@example` on every construct. The rules are in `tsdoc-rules.ts`; a failure lists
 * every problem at once, one line each with the file, the symbol (and member) and what is missing.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import * as ts from 'typescript';
import { checkTsdoc, compilerOptions, type EntryPoint, projectHost, ROOT, type TsdocRun } from './tsdoc-rules';

let run: TsdocRun;

beforeAll(() => {
  // One program over the four entry points (over 20 MB of aws-cdk-lib and cdktf declarations), built in a child
  // process: under Jest's V8 coverage instrumentation the same parse takes about twice as long.
  const output = execFileSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'tsdoc-rules.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  run = JSON.parse(output) as TsdocRun;
});

describe('TSDoc of the public entry points', () => {
  it('documents every exported symbol, construct example, prop and default', () => {
    expect(run.problems).toEqual([]);
  });

  it('finds the construct examples', () => {
    // Guards the base-type walk: if it broke, rule 2 would silently check nothing. (modelstack/platform's
    // GcpEnvironmentStack is a lazily loaded value there, so an AWS-only install needs no cdktf: not a class export.)
    const names = run.examples.map((e) => `${e.specifier} ${e.className}`);
    expect(names).toEqual(
      expect.arrayContaining(['modelstack/aws ModelRegistry', 'modelstack/aws ModelEndpoint', 'modelstack/gcp ModelRegistry', 'modelstack/platform RegistryStack']),
    );
  });

  it('type-checks every construct example against the entry points', () => {
    expect(run.exampleErrors).toEqual([]);
  });
});

describe('the TSDoc rules', () => {
  const file = path.join(ROOT, 'test/package/__virtual__/widget/index.ts');
  const fixture = `import { Construct } from 'constructs';

/** Props of a widget. */
export interface WidgetProps {
  /** The widget name. */
  readonly name: string;
  /** How big it is. */
  readonly size?: number;
  readonly colour: string;
  /**
   * Where it goes.
   * @default - beside the door
   */
  readonly place?: {
    /** The room. */
    readonly room: string;
    /** @default 1 */
    readonly floor?: number;
    /**
     * Which wall.
     * @default
     */
    readonly wall?: string;
  };
}

/** A widget. */
export class Widget extends Construct {
  readonly label = 'widget';
  constructor(scope: Construct, id: string, props: WidgetProps) {
    super(scope, id);
    void props;
  }
}

export const answer = 42;

export interface Hidden {
  readonly depth?: number;
}

/** Documented, but its parameter's type is not. */
export function build(hidden: Hidden): void {
  void hidden;
}
`;
  let program: ts.Program;
  const entry: EntryPoint = { specifier: 'modelstack/widget', file: path.relative(ROOT, file), rules: 'full' };
  const at = (line: number, text: string) => `test/package/__virtual__/widget/index.ts:${line} ${text} [modelstack/widget]`;

  beforeAll(() => {
    // The fixture needs no ambient types: leaving out @types/node and @types/jest keeps this program small.
    const options = { ...compilerOptions(), types: [] };
    program = ts.createProgram({ rootNames: [file], options, host: projectHost(options, undefined, new Map([[file, fixture]])) });
  });

  it('reports undocumented members, missing defaults and missing examples', () => {
    expect(checkTsdoc(program, [entry]).problems.sort()).toEqual(
      [
        at(8, 'WidgetProps.size: optional property has no @default tag'),
        at(9, 'WidgetProps.colour: property has no doc comment'),
        at(18, 'WidgetProps.place.floor: property has no doc comment'),
        at(23, 'WidgetProps.place.wall: @default tag is empty (write `@default value` or `@default - description`)'),
        at(28, 'Widget: construct has no @example'),
        at(29, 'Widget.label: public class member has no doc comment'),
        at(36, 'answer: exported const has no doc comment summary'),
        at(38, 'Hidden: exported interface has no doc comment summary'),
        at(39, 'Hidden.depth: property has no doc comment'),
        at(39, 'Hidden.depth: optional property has no @default tag'),
      ].sort(),
    );
  });

  it('asks only for function and class summaries, examples and @default on optional properties under the core rules', () => {
    expect(checkTsdoc(program, [{ ...entry, rules: 'core' }]).problems.sort()).toEqual(
      [
        at(8, 'WidgetProps.size: optional property has no @default tag'),
        at(23, 'WidgetProps.place.wall: @default tag is empty (write `@default value` or `@default - description`)'),
        at(28, 'Widget: construct has no @example'),
        at(39, 'Hidden.depth: optional property has no @default tag'),
      ].sort(),
    );
  });
});
