import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { demoConfig } from '../../infra/config/demo';
import { FIELD_DESCRIPTIONS } from '../../infra/config/descriptions';
import { forEachField, platformJsonSchema } from '../../infra/config/json-schema';
import { generatedConfigFiles } from '../../scripts/config-schema';
import { cli } from '../cli/helpers';
import { demo } from '../helpers/config';

const root = join(__dirname, '..', '..');

/** A real JSON Schema validator (Ajv, draft 2020-12), as editors and CI tools would use the committed schema. */
function validator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // Ajv leaves formats to a plugin; the schema's one format, email, is checked loosely here.
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+\.[^\s@]+$/);
  const committed = JSON.parse(readFileSync(join(root, 'schema', 'platform.schema.json'), 'utf8'));
  return ajv.compile(committed);
}

describe('the config as a JSON Schema', () => {
  test('the committed schema and the config reference are what the zod schema generates (run npx tsx scripts/config-schema.ts --update)', () => {
    for (const [file, text] of Object.entries(generatedConfigFiles())) {
      expect({ file, text: readFileSync(join(root, file), 'utf8') }).toEqual({ file, text });
    }
  });

  test('it accepts the demo and the example configs', () => {
    const validate = validator();
    for (const config of [demoConfig, ...['aws-only', 'gcp-only'].map((name) => parse(readFileSync(join(root, 'examples', 'configs', `${name}.yaml`), 'utf8')))]) {
      expect({ valid: validate(config), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
    }
  });

  test('it rejects a broken config, naming each problem', () => {
    const validate = validator();
    const bad = demo();
    bad.enviroments = bad.environments;
    delete bad.environments;
    bad.models[0].serving.instanceTyp = 'ml.m5.large';
    bad.models[1].task = 'clustering';
    bad.platform.name = 'Not Valid';
    expect(validate(bad)).toBe(false);
    const found = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.keyword} ${JSON.stringify(e.params)}`);
    expect(found).toEqual(
      expect.arrayContaining([
        '/ required {"missingProperty":"environments"}',
        '/ additionalProperties {"additionalProperty":"enviroments"}',
        '/platform/name pattern {"pattern":"^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$"}',
        '/models/1/task enum {"allowedValues":["classification","regression"]}',
      ]),
    );
    // An environment with neither cloud.
    const neither = demo();
    neither.environments.dev = { removalPolicy: 'destroy' };
    expect(validate(neither)).toBe(false);
  });

  test('every field has a description, and every description names a field', () => {
    const paths = new Set<string>();
    const undescribed: string[] = [];
    forEachField(platformJsonSchema(), (path, field) => {
      paths.add(path);
      if (!field.description) undescribed.push(path);
    });
    expect([...new Set(undescribed)]).toEqual([]);
    expect(Object.keys(FIELD_DESCRIPTIONS).filter((path) => !paths.has(path))).toEqual([]);
  });

  test('modelstack config schema prints it', async () => {
    const result = await cli(['config', 'schema']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(platformJsonSchema());
  });
});
