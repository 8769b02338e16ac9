import type { z } from 'zod';

/**
 * Turns zod's issues into the config's problem lines: each names its path, an unknown key suggests the closest valid
 * key ("did you mean"), and a missing field says it is missing. Kept free of the schema itself, so the versions file
 * and the config share it.
 */

/** `['models', 0, 'name']` → `models[0].name`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, '');
}

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `key`, when it is close enough to be the likely intent: a different case, or at most a
 * third of the key's characters edited (`enviroments` → `environments`, `model` → `models`).
 */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(1, Math.floor(key.length / 3)) ? best.candidate : undefined;
}

/** A zod schema's definition, read through zod 4's public `def`. */
interface SchemaDef {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly getter?: () => z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { def: SchemaDef }).def;

/** Looks through wrappers (optional, default, pipe, lazy, ...) to the schema that parses the value. */
function unwrap(schema: z.ZodType): z.ZodType {
  for (;;) {
    const def = defOf(schema);
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else if (def.type === 'lazy' && def.getter) schema = def.getter();
    else return schema;
  }
}

/** The option of a union that parses `value`: by discriminator when there is one, else every object option. */
function unionOptions(def: SchemaDef, value: unknown): z.ZodType[] {
  const options = (def.options ?? []).map(unwrap);
  if (!def.discriminator || typeof value !== 'object' || value === null) return options;
  const tag = (value as Record<string, unknown>)[def.discriminator];
  const chosen = options.filter((option) => {
    const literal = defOf(option).shape?.[def.discriminator!];
    return literal !== undefined && (defOf(unwrap(literal)).values ?? []).includes(tag);
  });
  return chosen.length > 0 ? chosen : options;
}

/** The keys an object at `path` of `input` may have, by the schema; empty when the path leads to no object schema. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] {
  let candidates = [unwrap(schema)];
  let value = input;
  for (const key of path) {
    const next: z.ZodType[] = [];
    for (const candidate of candidates) {
      const def = defOf(candidate);
      if (def.type === 'object' && def.shape?.[String(key)]) next.push(def.shape[String(key)]);
      else if (def.type === 'record' && def.valueType) next.push(def.valueType);
      else if (def.type === 'array' && def.element) next.push(def.element);
      else if (def.type === 'union') {
        for (const option of unionOptions(def, value)) {
          const shape = defOf(option).shape;
          if (shape?.[String(key)]) next.push(shape[String(key)]);
        }
      }
    }
    candidates = next.map(unwrap);
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  const keys = candidates.flatMap((candidate) => {
    const def = defOf(candidate);
    if (def.type === 'object') return Object.keys(def.shape ?? {});
    if (def.type === 'union') return unionOptions(def, value).flatMap((option) => Object.keys(defOf(option).shape ?? {}));
    return [];
  });
  return [...new Set(keys)];
}

/** The value at `path` in `input`, or undefined when the path leads nowhere. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

const TYPE_WORDS: Record<string, string> = { object: 'a mapping', record: 'a mapping', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false' };

/**
 * Settings that moved or were renamed in a config version: where they are now. `models[].aws.batch` and
 * `models[].aws.streaming` became `models[].batch` and `models[].streaming` when Google Cloud got batch and streaming
 * inference (0.4.0); `gcp.alertThresholds.latencyP99Ms` took the name AWS's `aws.alarms` uses, and an environment's
 * `alarmEmail` and `aws.alarmEmails` became one `alarmEmails` list for both clouds (0.4.0).
 */
function movedKeyProblem(path: readonly PropertyKey[], key: string): string | undefined {
  if (path.length === 2 && path[0] === 'environments' && key === 'alarmEmail') {
    return `renamed: write alarmEmails: [<address>] instead (environments.${String(path[1])}.alarmEmails, a list used by both clouds)`;
  }
  if (path.length === 3 && path[0] === 'environments' && path[2] === 'aws' && key === 'alarmEmails') {
    return `moved: write these addresses in environments.${String(path[1])}.alarmEmails instead (one list for both clouds)`;
  }
  if (path.length === 4 && path[0] === 'environments' && path[2] === 'gcp' && path[3] === 'alertThresholds' && key === 'latencyP99Ms') {
    return `renamed: write endpointLatencyP99Ms instead (environments.${String(path[1])}.gcp.alertThresholds.endpointLatencyP99Ms, the name aws.alarms uses)`;
  }
  if (path.length !== 3 || path[0] !== 'models' || typeof path[1] !== 'number' || path[2] !== 'aws') return undefined;
  const model = `models[${path[1]}]`;
  if (key === 'batch') {
    return `moved to ${model}.batch (both clouds): keep schedule, contentType and maxRuntimeHours there and put instanceType and instanceCount under ${model}.batch.aws`;
  }
  if (key === 'streaming') return `moved to ${model}.streaming (both clouds): put shardCount under ${model}.streaming.aws`;
  return undefined;
}

/** One problem line per unknown key, each with a suggestion or the keys the place accepts. */
function unknownKeyProblems(schema: z.ZodType, issue: z.core.$ZodIssueUnrecognizedKeys, input: unknown): string[] {
  const known = knownKeysAt(schema, issue.path, input);
  return issue.keys.map((key) => {
    const where = formatPath([...issue.path, key]);
    const moved = movedKeyProblem(issue.path, key);
    if (moved) return `${where}: ${moved}`;
    const suggestion = closestKey(key, known);
    if (suggestion) return `${where}: unknown key: did you mean ${suggestion}?`;
    return known.length > 0 ? `${where}: unknown key: expected one of ${known.join(', ')}` : `${where}: unknown key`;
  });
}

/**
 * The problem lines of a failed parse of `input` by `schema`, in zod's order: `<path>: <message>`. zod's own
 * messages for an unknown key and a missing field are replaced by ones that say what to write instead. A record key
 * that fails its rule is called `keyNoun` (an environment name, a build folder).
 */
export function problemLines(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown, keyNoun = 'name'): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return unknownKeyProblems(schema, issue, input);
    const where = formatPath(issue.path);
    let message = issue.message;
    // A bad record key (an environment name) carries the real reason in nested issues.
    if (issue.code === 'invalid_key') message = `invalid ${keyNoun}: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    // An empty file, or a list or a scalar where the whole config belongs.
    else if (issue.code === 'invalid_type' && issue.path.length === 0) {
      const got = input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input;
      message = `expected a mapping with ${knownKeysAt(schema, [], input).join(', ')} (got ${got})`;
    }
    // zod's default for a missing field reads "Invalid input: expected record, received undefined".
    else if (issue.code === 'invalid_type' && message.startsWith('Invalid input') && valueAt(input, issue.path) === undefined && issue.path.length > 0) {
      message = `missing: expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    }
    return [where ? `${where}: ${message}` : message];
  });
}
