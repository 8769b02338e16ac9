// Writes the config's JSON Schema (schema/platform.schema.json) and the config reference (docs/config-reference.md)
// from the zod schema: `npx tsx scripts/config-schema.ts --update`. test/config/json-schema.test.ts fails when the
// committed copies differ from what this generates.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configReference, platformJsonSchema, SCHEMA_FILE } from '../infra/config/json-schema';

/** The generated files, by path from the repository root. */
export function generatedConfigFiles(): Record<string, string> {
  const schema = platformJsonSchema();
  return { [SCHEMA_FILE]: `${JSON.stringify(schema, null, 2)}\n`, 'docs/config-reference.md': configReference(schema) };
}

if (require.main === module) {
  const root = join(__dirname, '..');
  for (const [file, text] of Object.entries(generatedConfigFiles())) {
    if (process.argv.includes('--update')) writeFileSync(join(root, file), text);
    console.log(`${process.argv.includes('--update') ? 'wrote' : 'would write'} ${file}`);
  }
}
