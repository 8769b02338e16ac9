/**
 * A typed model of the Cloud Workflows syntax the platform's workflows use (JSON form; Workflows accepts JSON beside
 * YAML: https://cloud.google.com/workflows/docs/reference/syntax), and {@link workflowDefinitionProblems}, which checks
 * a definition against the syntax's rules before Terraform uploads it (Workflows itself only checks at deploy):
 *
 * - a step is a one-key map `{ <name>: <body> }`; step names are unique within a subworkflow
 *   (https://cloud.google.com/workflows/docs/reference/syntax/steps);
 * - a body holds one action: `assign`, `call`, `switch`, `return`, `raise`, `try`, `for`, `steps` or only `next`;
 *   `return` and `raise` end the flow, so they take no `next`;
 * - every `next` names a step of the same subworkflow, or `end` (`break` and `continue` inside `for` only)
 *   (https://cloud.google.com/workflows/docs/reference/syntax/jumps);
 * - every variable an expression `${...}` reads is assigned before, in definition order: a subworkflow parameter, an
 *   `assign`, a call's `result`, an `except`'s `as`, or a `for` loop's `value`/`index`
 *   (https://cloud.google.com/workflows/docs/reference/syntax/variables);
 * - a `call` names a subworkflow of the definition, a standard-library function we use, or a connector method we know,
 *   with its required arguments and no argument it does not take (each connector's reference page,
 *   https://cloud.google.com/workflows/docs/reference/googleapis; `connector_params` is every connector's).
 */

/** A value an argument or assignment may hold: JSON, where strings may embed `${expression}`. */
export type WorkflowValue = string | number | boolean | null | readonly WorkflowValue[] | { readonly [key: string]: WorkflowValue };

/** One step: `{ name: body }`. */
export type WorkflowStep = { readonly [name: string]: StepBody };

/** A step's body: one action, and where to go next. */
export interface StepBody {
  readonly assign?: readonly { readonly [variable: string]: WorkflowValue }[];
  readonly call?: string;
  readonly args?: { readonly [name: string]: WorkflowValue };
  readonly result?: string;
  readonly switch?: readonly SwitchCondition[];
  readonly return?: WorkflowValue;
  readonly raise?: WorkflowValue;
  readonly try?: { readonly steps: readonly WorkflowStep[] };
  readonly except?: { readonly as: string; readonly steps: readonly WorkflowStep[] };
  readonly for?: ForLoop;
  readonly steps?: readonly WorkflowStep[];
  readonly next?: string;
}

/** A `switch` condition: a `${...}` boolean, and steps to run or a step to jump to. */
export interface SwitchCondition {
  readonly condition: string | boolean;
  readonly steps?: readonly WorkflowStep[];
  readonly next?: string;
}

/** A `for` loop over a list (`in`) or a range. */
export interface ForLoop {
  readonly value: string;
  readonly index?: string;
  readonly in?: WorkflowValue;
  readonly range?: readonly [number, number];
  readonly steps: readonly WorkflowStep[];
}

/** A subworkflow (`main` is the entry point; its one parameter receives the execution argument). */
export interface Subworkflow {
  readonly params?: readonly string[];
  readonly steps: readonly WorkflowStep[];
}

/** A workflow definition: `main` and other subworkflows by name. */
export type WorkflowDefinition = { readonly main: Subworkflow } & { readonly [name: string]: Subworkflow };

/** What a connector method takes: its required arguments and the optional ones. */
export interface ConnectorSignature {
  readonly required: readonly string[];
  readonly optional?: readonly string[];
  /** Arguments the connector puts in the URL path: a literal without `/`, or `${text.url_encode(...)}`. */
  readonly pathSafe?: readonly string[];
}

/**
 * The connector methods the platform's workflows call, with their arguments as each method's reference page under
 * https://cloud.google.com/workflows/docs/reference/googleapis lists them (`region` is the Vertex AI connectors'
 * endpoint region, required there).
 */
export const KNOWN_CONNECTORS: Readonly<Record<string, ConnectorSignature>> = {
  'googleapis.aiplatform.v1.projects.locations.customJobs.create': { required: ['parent', 'region', 'body'] },
  'googleapis.aiplatform.v1.projects.locations.customJobs.get': { required: ['name', 'region'] },
  'googleapis.aiplatform.v1.projects.locations.customJobs.cancel': { required: ['name', 'region'] },
  'googleapis.aiplatform.v1.projects.locations.hyperparameterTuningJobs.create': { required: ['parent', 'region', 'body'] },
  'googleapis.aiplatform.v1.projects.locations.hyperparameterTuningJobs.get': { required: ['name', 'region'] },
  'googleapis.aiplatform.v1.projects.locations.models.upload': { required: ['parent', 'region', 'body'] },
  'googleapis.aiplatform.v1.projects.locations.models.get': { required: ['name', 'region'] },
  'googleapis.aiplatform.v1.projects.locations.metadataStores.create': { required: ['parent', 'region', 'body'], optional: ['metadataStoreId'] },
  'googleapis.aiplatform.v1.projects.locations.metadataStores.contexts.create': { required: ['parent', 'region', 'body'], optional: ['contextId'] },
  'googleapis.aiplatform.v1.projects.locations.metadataStores.contexts.addContextChildren': { required: ['context', 'region', 'body'] },
  'googleapis.aiplatform.v1.projects.locations.metadataStores.contexts.patch': { required: ['name', 'region', 'body'], optional: ['updateMask', 'allowMissing'] },
  'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.create': { required: ['parent', 'region', 'body'] },
  'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.get': { required: ['name', 'region'] },
  'googleapis.aiplatform.v1.projects.locations.batchPredictionJobs.cancel': { required: ['name', 'region'] },
  'googleapis.workflowexecutions.v1.projects.locations.workflows.executions.list': { required: ['parent'], optional: ['filter', 'orderBy', 'pageSize', 'pageToken', 'view'] },
  // "URL-encode object names to be path safe" (https://cloud.google.com/workflows/docs/reference/googleapis/storage/v1/objects/get).
  'googleapis.storage.v1.objects.get': { required: ['bucket', 'object'], optional: ['alt', 'generation'], pathSafe: ['object'] },
  'googleapis.storage.v1.objects.list': { required: ['bucket'], optional: ['prefix', 'maxResults', 'pageToken', 'delimiter'] },
  'googleapis.bigquery.v2.tables.get': { required: ['projectId', 'datasetId', 'tableId'] },
  // https://cloud.google.com/workflows/docs/reference/googleapis/cloudbuild/v1/projects.locations.builds/create
  'googleapis.cloudbuild.v1.projects.locations.builds.create': { required: ['parent', 'projectId', 'body'] },
};

/** Standard-library calls (https://cloud.google.com/workflows/docs/reference/stdlib/overview) with their required arguments. */
const STANDARD_CALLS: Readonly<Record<string, ConnectorSignature>> = {
  'sys.log': { required: [], optional: ['data', 'json', 'text', 'severity'] },
  'sys.sleep': { required: ['seconds'] },
  'http.get': { required: ['url'], optional: ['auth', 'headers', 'query', 'timeout'] },
  'http.post': { required: ['url'], optional: ['auth', 'headers', 'query', 'body', 'timeout'] },
  'http.patch': { required: ['url'], optional: ['auth', 'headers', 'query', 'body', 'timeout'] },
};

/** Modules of the standard library: `module.function(...)` in an expression is no variable. */
const MODULES = new Set(['sys', 'map', 'text', 'json', 'base64', 'list', 'time', 'math', 'uuid', 'hash', 'http', 'retry', 'events', 'experimental']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'true', 'false', 'null', 'True', 'False']);
const ACTIONS = ['assign', 'call', 'switch', 'return', 'raise', 'try', 'for', 'steps'] as const;

/** Every problem with `definition`, each naming the subworkflow and step; empty when it follows the rules above. */
export function workflowDefinitionProblems(definition: WorkflowDefinition): string[] {
  const problems: string[] = [];
  if (!definition.main) problems.push('expected a main subworkflow');
  const subworkflows = new Set(Object.keys(definition));
  for (const [name, sub] of Object.entries(definition)) {
    const where = (step: string) => `${name}.${step}`;
    const names = new Map<string, number>();
    collectNames(sub.steps, names);
    for (const [step, count] of names) if (count > 1) problems.push(`${where(step)}: step name used ${count} times: expected unique step names within a subworkflow`);
    const assigned = new Set(sub.params ?? []);
    walk(sub.steps, { assigned, names, subworkflows, where, problems, inLoop: false });
  }
  return problems;
}

interface WalkContext {
  readonly assigned: Set<string>;
  readonly names: ReadonlyMap<string, number>;
  readonly subworkflows: ReadonlySet<string>;
  readonly where: (step: string) => string;
  readonly problems: string[];
  readonly inLoop: boolean;
}

function collectNames(steps: readonly WorkflowStep[] | undefined, names: Map<string, number>): void {
  for (const step of steps ?? []) {
    for (const [name, body] of Object.entries(step)) {
      names.set(name, (names.get(name) ?? 0) + 1);
      collectNames(body.try?.steps, names);
      collectNames(body.except?.steps, names);
      collectNames(body.for?.steps, names);
      collectNames(body.steps, names);
      for (const branch of body.switch ?? []) collectNames(branch.steps, names);
    }
  }
}

function walk(steps: readonly WorkflowStep[], ctx: WalkContext): void {
  for (const step of steps) {
    const entries = Object.entries(step);
    if (entries.length !== 1) {
      ctx.problems.push(`${ctx.where(entries.map(([n]) => n).join('+') || '?')}: expected one step per list item (a one-key map), got ${entries.length} keys`);
    }
    for (const [name, body] of entries) checkStep(name, body, ctx);
  }
}

function checkStep(name: string, body: StepBody, ctx: WalkContext): void {
  const at = ctx.where(name);
  const actions = ACTIONS.filter((a) => body[a] !== undefined);
  if (actions.length > 1) {
    ctx.problems.push(`${at}: expected one action, got ${actions.join(', ')}`);
  }
  if (actions.length === 0 && body.next === undefined) ctx.problems.push(`${at}: expected an action (${ACTIONS.join(', ')}) or next`);
  if ((body.return !== undefined || body.raise !== undefined) && body.next !== undefined) ctx.problems.push(`${at}: return and raise end the flow: expected no next`);
  if (body.next !== undefined) checkJump(at, body.next, ctx);
  if (body.except && body.try === undefined) ctx.problems.push(`${at}: except without try`);

  for (const assignment of body.assign ?? []) {
    for (const [target, value] of Object.entries(assignment)) {
      checkValue(at, value, ctx);
      const base = /^[A-Za-z_][A-Za-z0-9_]*/.exec(target)?.[0];
      if (!base) ctx.problems.push(`${at}: cannot assign "${target}": expected a variable name`);
      // `x.y: ...` and `x["k"]: ...` update a variable that must exist; `x: ...` defines it.
      else if (base !== target) checkExpression(at, `\${${target}}`, ctx);
      else ctx.assigned.add(base);
    }
  }
  if (body.call !== undefined) checkCall(at, body, ctx);
  if (body.return !== undefined) checkValue(at, body.return, ctx);
  if (body.raise !== undefined) checkValue(at, body.raise, ctx);
  for (const branch of body.switch ?? []) {
    checkValue(at, branch.condition as WorkflowValue, ctx);
    if (typeof branch.condition === 'string' && !/^\$\{.*\}$/s.test(branch.condition)) ctx.problems.push(`${at}: switch condition "${branch.condition}": expected a \${...} expression`);
    if (branch.next !== undefined) checkJump(at, branch.next, ctx);
    if (branch.steps) walk(branch.steps, ctx);
    if (!branch.steps && branch.next === undefined) ctx.problems.push(`${at}: switch condition without steps or next`);
  }
  if (body.try) {
    walk(body.try.steps, ctx);
    if (body.except) {
      if (!body.except.as) ctx.problems.push(`${at}: except needs as (the error's variable)`);
      ctx.assigned.add(body.except.as);
      walk(body.except.steps, ctx);
    }
  }
  if (body.for) {
    const loop = body.for;
    if ((loop.in === undefined) === (loop.range === undefined)) ctx.problems.push(`${at}: for needs exactly one of in and range`);
    if (loop.in !== undefined) checkValue(at, loop.in, ctx);
    ctx.assigned.add(loop.value);
    if (loop.index) ctx.assigned.add(loop.index);
    walk(loop.steps, { ...ctx, inLoop: true });
  }
  if (body.steps) walk(body.steps, ctx);
}

function checkJump(at: string, target: string, ctx: WalkContext): void {
  if (target === 'end') return;
  if (target === 'break' || target === 'continue') {
    if (!ctx.inLoop) ctx.problems.push(`${at}: next "${target}" outside a for loop`);
    return;
  }
  if (!ctx.names.has(target)) ctx.problems.push(`${at}: next "${target}": no step of that name in this subworkflow`);
}

function checkCall(at: string, body: StepBody, ctx: WalkContext): void {
  const call = body.call!;
  for (const value of Object.values(body.args ?? {})) checkValue(at, value, ctx);
  const signature = KNOWN_CONNECTORS[call] ?? STANDARD_CALLS[call];
  if (!signature && !ctx.subworkflows.has(call)) {
    ctx.problems.push(`${at}: call "${call}": expected a subworkflow, a standard-library call or a known connector method (${Object.keys(KNOWN_CONNECTORS).length} listed)`);
  } else if (signature) {
    const given = Object.keys(body.args ?? {});
    for (const required of signature.required) if (!given.includes(required)) ctx.problems.push(`${at}: call ${call}: missing required argument ${required}`);
    const allowed = new Set([...signature.required, ...(signature.optional ?? []), ...(call.startsWith('googleapis.') ? ['connector_params'] : [])]);
    for (const arg of given) if (!allowed.has(arg)) ctx.problems.push(`${at}: call ${call}: unknown argument ${arg}`);
    for (const arg of signature.pathSafe ?? []) {
      const value = body.args?.[arg];
      const safe = typeof value !== 'string' || (value.includes('${') ? /^\$\{text\.url_encode\(.*\)\}$/.test(value) : !value.includes('/'));
      if (!safe) ctx.problems.push(`${at}: call ${call}: argument ${arg} goes in the URL path: expected a name without "/" or \${text.url_encode(...)}`);
    }
  }
  if (body.result !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(body.result)) ctx.problems.push(`${at}: result "${body.result}": expected a variable name`);
    ctx.assigned.add(body.result);
  }
}

function checkValue(at: string, value: WorkflowValue | undefined, ctx: WalkContext): void {
  if (typeof value === 'string') checkExpression(at, value, ctx);
  else if (Array.isArray(value)) for (const item of value) checkValue(at, item, ctx);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      checkExpression(at, key, ctx);
      checkValue(at, item as WorkflowValue, ctx);
    }
  }
}

/** The variables a string's `${...}` expressions read, each checked against what is assigned. */
function checkExpression(at: string, text: string, ctx: WalkContext): void {
  for (const expression of expressionsIn(text)) {
    for (const variable of variablesRead(expression)) {
      if (!ctx.assigned.has(variable)) ctx.problems.push(`${at}: \${${expression}} reads "${variable}" before it is assigned`);
    }
  }
}

/** The `${...}` expressions in a string (braces inside string literals do not count). */
export function expressionsIn(text: string): string[] {
  const found: string[] = [];
  let i = text.indexOf('${');
  while (i >= 0) {
    let depth = 1;
    let j = i + 2;
    let quote: string | undefined;
    for (; j < text.length && depth > 0; j++) {
      const c = text[j];
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    found.push(text.slice(i + 2, j - 1));
    i = text.indexOf('${', j);
  }
  return found;
}

/** The variables an expression reads: names not after `.`, not called as functions, not modules or keywords. */
export function variablesRead(expression: string): string[] {
  const code = expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const variables: string[] = [];
  const identifier = /[A-Za-z_][A-Za-z0-9_]*/g;
  let match: RegExpExecArray | null;
  while ((match = identifier.exec(code))) {
    const name = match[0];
    const before = code.slice(0, match.index).trimEnd();
    const after = code.slice(match.index + name.length).trimStart();
    if (before.endsWith('.')) continue;
    if (KEYWORDS.has(name) || after.startsWith('(')) continue;
    if (MODULES.has(name) && after.startsWith('.')) continue;
    if (!variables.includes(name)) variables.push(name);
  }
  return variables;
}
