import { expressionsIn } from '../../constructs/gcp/private/workflow-definition';
import type { WorkflowStep, WorkflowValue } from '../../constructs/gcp/private/workflow-definition';

/**
 * Runs workflow steps the way Cloud Workflows does, for the part of the language the generated workflows use in
 * the steps under test: `assign` (to a variable, `map[key]` or `map.key`), `call` (each connector call goes to
 * `onCall`, whose answer is the `result`), `switch`, `for ... in`, `try`/`except`, `raise` and `return`, and
 * expressions with `default`, `len`, `map.get`, `list.concat`, `json.encode_to_string`, `sys.get_env`, `and`/`or`/`not`,
 * comparisons and `+` (https://cloud.google.com/workflows/docs/reference/syntax, stdlib). Anything else throws, so
 * a test never passes on a construct it did not run. Variables are one scope, as in a subworkflow; a `for` loop's
 * own variables stay inside it ("Variables created in a loop do not exist outside of it", syntax/iteration).
 */
export class WorkflowInterpreter {
  readonly calls: Array<{ step: string; call: string; args: Record<string, unknown> }> = [];

  constructor(
    readonly vars: Record<string, unknown>,
    private readonly env: Record<string, string>,
    private readonly onCall: (call: string, args: Record<string, unknown>) => unknown = () => ({}),
  ) {}

  run(steps: readonly WorkflowStep[]): void {
    for (const step of steps) {
      const [[name, body]] = Object.entries(step);
      for (const assignment of body.assign ?? []) for (const [target, value] of Object.entries(assignment)) this.assign(target, this.value(value));
      if (body.call !== undefined) {
        const args = this.value((body.args ?? {}) as WorkflowValue) as Record<string, unknown>;
        this.calls.push({ step: name, call: body.call, args });
        const answer = this.onCall(body.call, args);
        if (body.result) this.vars[body.result] = answer;
      }
      for (const branch of body.switch ?? []) {
        if (this.value(branch.condition as WorkflowValue) === true) {
          if (branch.next) throw new Error(`${name}: jumps are not interpreted`);
          this.run(branch.steps ?? []);
          break;
        }
      }
      if (body.for) {
        if (body.for.in === undefined) throw new Error(`${name}: only for ... in is interpreted`);
        const outer = new Set(Object.keys(this.vars));
        for (const item of this.value(body.for.in) as unknown[]) {
          this.vars[body.for.value] = item;
          this.run(body.for.steps);
        }
        for (const key of Object.keys(this.vars)) if (!outer.has(key)) delete this.vars[key];
      }
      if (body.try) {
        try {
          this.run(body.try.steps);
        } catch (error) {
          if (!body.except || error instanceof Returned) throw error;
          // A connector's HTTP error arrives as a map with its `code` (and `message`).
          const code = (error as { code?: number }).code;
          this.vars[body.except.as] = error instanceof Raised ? error.value : { ...(code !== undefined ? { code } : {}), message: (error as Error).message };
          this.run(body.except.steps);
        }
      }
      if (body.steps) this.run(body.steps);
      if (body.raise !== undefined) throw new Raised(this.value(body.raise));
      if (body.return !== undefined) throw new Returned(this.value(body.return));
    }
  }

  /** A value with its `${...}` expressions evaluated (a string that is one expression takes the expression's type). */
  value(value: WorkflowValue): unknown {
    if (typeof value === 'string') {
      const expressions = expressionsIn(value);
      if (expressions.length === 1 && value === `\${${expressions[0]}}`) return this.evaluate(expressions[0]);
      let text = value;
      for (const e of expressions) text = text.replace(`\${${e}}`, String(this.evaluate(e)));
      return text;
    }
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [String(this.value(k)), this.value(v as WorkflowValue)]));
    return value;
  }

  private assign(target: string, value: unknown): void {
    const match = /^([A-Za-z_]\w*)(?:\[(.+)\]|\.(\w+))?$/.exec(target);
    if (!match) throw new Error(`assignment target "${target}" is not interpreted`);
    const [, base, index, key] = match;
    if (index === undefined && key === undefined) {
      this.vars[base] = structuredClone(value);
      return;
    }
    const container = this.vars[base] as Record<string, unknown>;
    if (!container || typeof container !== 'object') throw new Error(`${base} is not a map`);
    container[String(index !== undefined ? this.evaluate(index) : key)] = structuredClone(value);
  }

  /** An expression, translated to JavaScript over the variables and the standard-library functions it uses. */
  evaluate(expression: string): unknown {
    const js = expression.replace(/"(?:[^"\\]|\\.)*"|\b(and|or|not|in)\b/g, (whole, word) => {
      if (word === 'in') throw new Error(`\${${expression}}: the in operator is not interpreted`);
      return word === undefined ? whole : { and: '&&', or: '||', not: '!' }[word as string]!;
    }).replace(/(^|[^\w.])default\(/g, '$1__default(');
    const library = {
      // `default` is a JavaScript keyword: the translation calls __default.
      __default: (v: unknown, d: unknown) => (v === null || v === undefined ? d : v),
      len: (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v.length : Object.keys(v as object).length),
      map: { get: (m: Record<string, unknown> | null, k: string) => (m && typeof m === 'object' ? (m[k] ?? null) : fail(`map.get on ${JSON.stringify(m)}`)) },
      list: { concat: (l: unknown[], v: unknown) => [...l, v] },
      json: { encode_to_string: (v: unknown) => JSON.stringify(v) },
      sys: { get_env: (name: string) => (name in this.env ? this.env[name] : fail(`sys.get_env: no ${name}`)) },
    };
    const scope = { ...library, ...this.vars };
    const names = Object.keys(scope).filter((n) => /^[A-Za-z_]\w*$/.test(n));
    try {
      return new Function(...names, `"use strict"; return (${js});`)(...names.map((n) => (scope as Record<string, unknown>)[n]));
    } catch (error) {
      throw new Error(`\${${expression}}: ${(error as Error).message}`);
    }
  }
}

class Raised extends Error {
  constructor(readonly value: unknown) {
    super(typeof value === 'string' ? value : JSON.stringify(value));
  }
}

class Returned extends Error {
  constructor(readonly value: unknown) {
    super('returned');
  }
}

function fail(message: string): never {
  throw new Error(message);
}
