import { z } from 'zod';
import { demoConfig } from './demo';
import { FIELD_DESCRIPTIONS } from './descriptions';
import { platformConfigSchema } from './schema';

/**
 * The platform config as a JSON Schema (draft 2020-12), for editors (yaml-language-server) and other tools. It
 * describes what a user writes (zod's `io: 'input'`: fields with a default are optional and carry it as `default`).
 * Rules that span fields (unique names, min at most max, serverless without capture, ...) have no JSON Schema form
 * and are left out, so `parseConfig` stays the full check (https://zod.dev/json-schema: refinements are not
 * represented).
 */

/** A JSON Schema node, as far as this module reads it. */
export interface JsonSchema {
  [key: string]: unknown;
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
}

/** Where the committed copy lives, and the `$id` editors see. */
export const SCHEMA_FILE = 'schema/platform.schema.json';

/** Calls `visit` for every field of `schema` with its path (`*` an environment name, `[]` a list item). */
export function forEachField(schema: JsonSchema, visit: (path: string, field: JsonSchema) => void, path = ''): void {
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const at = path ? `${path}.${key}` : key;
    visit(at, field);
    forEachField(field, visit, at);
  }
  if (typeof schema.additionalProperties === 'object') forEachField(schema.additionalProperties, visit, `${path}.*`);
  if (schema.items) forEachField(schema.items, visit, `${path}[]`);
  for (const option of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) forEachField(option, visit, path);
}

/** The platform config's JSON Schema, with a description on every field. */
export function platformJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(platformConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  forEachField(schema, (path, field) => {
    const description = FIELD_DESCRIPTIONS[path];
    if (description) field.description = description;
  });
  // One rule that JSON Schema can say: each environment deploys to AWS, Google Cloud or both.
  const environment = (schema.properties!.environments.additionalProperties as JsonSchema);
  environment.anyOf = [{ required: ['aws'] }, { required: ['gcp'] }];
  return {
    $schema: schema.$schema,
    $id: `https://github.com/example-org/modelstack/${SCHEMA_FILE}`,
    title: 'ModelStack platform config',
    description: 'One typed config for the whole platform: environments (AWS, Google Cloud or both) and models. Reference: docs/config-reference.md.',
    ...schema,
  };
}

/** The values at `path` in `value` (every environment for `*`, every item for `[]`). */
function valuesAt(value: unknown, path: string): unknown[] {
  let values = [value];
  for (const part of path.split('.')) {
    const [key, ...lists] = part.split('[]');
    values = values.flatMap((v) => {
      if (typeof v !== 'object' || v === null) return [];
      return key === '*' ? Object.values(v) : [(v as Record<string, unknown>)[key]];
    });
    for (let i = 0; i < lists.length; i++) values = values.flatMap((v) => (Array.isArray(v) ? v : []));
    values = values.filter((v) => v !== undefined);
  }
  return values;
}

/** A field's type in words: `string`, `integer 1 to 100`, `"a" | "b"`, `list of string`, `mapping`. */
function typeOf(field: JsonSchema): string {
  if (field.enum) return field.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (field.const !== undefined) return JSON.stringify(field.const);
  const options = field.anyOf ?? field.oneOf;
  if (options && !field.type) return [...new Set(options.map(typeOf))].join(' or ');
  if (field.type === 'array') return `list of ${field.items ? typeOf(field.items) : 'any'}`;
  if (field.type === 'object') return 'mapping';
  if (field.type === 'integer' || field.type === 'number') {
    // zod writes the safe-integer bounds of z.number().int(): no bound a reader needs to see.
    const bound = (value: unknown) => (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined);
    const min = bound(field.minimum ?? field.exclusiveMinimum);
    const max = bound(field.maximum ?? field.exclusiveMaximum);
    return min !== undefined || max !== undefined ? `${field.type} ${min ?? ''}..${max ?? ''}` : String(field.type);
  }
  return String(field.type ?? 'any');
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (value: unknown) => {
  const json = JSON.stringify(value);
  return json.length > 60 ? `\`${json.slice(0, 57)}...\`` : `\`${json}\``;
};

/**
 * The config reference (docs/config-reference.md), generated from the JSON Schema: per field its path, type, whether
 * it is required, its default, description and an example (from the embedded demo config, else the default).
 */
export function configReference(schema: JsonSchema = platformJsonSchema()): string {
  const lines = [
    '# Config reference',
    '',
    '<!-- Generated from the config schema by `npx tsx scripts/config-schema.ts --update`; do not edit by hand. -->',
    '',
    `Every field of the platform config (\`platform.yaml\`), from its JSON Schema (\`${SCHEMA_FILE}\`, printed by`,
    '`modelstack config schema`). `*` stands for an environment name, `[]` for a list item. Rules between fields',
    '(unique names, minimum at most maximum, ...) are checked by `modelstack synth` and `parseConfig`, which list every',
    'problem at once. Editor set-up: see the README, section Configure.',
    '',
    '| field | type | required | default | description | example |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  const required = new Map<string, boolean>();
  const walkRequired = (node: JsonSchema, path = ''): void => {
    for (const key of Object.keys(node.properties ?? {})) required.set(path ? `${path}.${key}` : key, (node.required ?? []).includes(key));
  };
  forEachField(schema, (path, field) => {
    walkRequired(field, path);
    if (typeof field.additionalProperties === 'object') walkRequired(field.additionalProperties, `${path}.*`);
    if (field.items) walkRequired(field.items, `${path}[]`);
    for (const option of [...(field.anyOf ?? []), ...(field.oneOf ?? [])]) walkRequired(option, path);
  });
  walkRequired(schema);
  // A field of several union options (serving.kind of realtime, serverless, async) is one row with each option's type.
  const byPath = new Map<string, JsonSchema[]>();
  forEachField(schema, (path, field) => byPath.set(path, [...(byPath.get(path) ?? []), field]));
  for (const [path, fields] of byPath) {
    const field = fields.find((f) => f.description) ?? fields[0];
    const type = [...new Set(fields.map(typeOf))].join(' or ');
    const [example] = valuesAt(demoConfig, path);
    const shown = example !== undefined && (typeof example !== 'object' || JSON.stringify(example).length <= 60) ? example : field.default;
    lines.push(
      `| \`${path}\` | ${cell(type)} | ${required.get(path) ? 'yes' : 'no'} | ${field.default !== undefined ? cell(code(field.default)) : ''} | ${cell(field.description ?? '')} | ${shown !== undefined ? cell(code(shown)) : ''} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
