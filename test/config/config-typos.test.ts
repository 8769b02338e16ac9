import { demoConfig } from '../../infra/config/demo';
import { closestKey, knownKeysAt } from '../../infra/config/issues';
import { ConfigError, parseConfig } from '../../infra/config/load';
import { platformConfigSchema } from '../../infra/config/schema';
import { demo, problemsOf } from '../helpers/config';

/** Every path of a JSON value that leads to an object key or an array item. */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, i) => [[...prefix, i], ...paths(item, [...prefix, i])]);
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
  }
  return [];
}

/** A copy of the demo with `change` applied to the parent of `path`. */
function mutated(path: (string | number)[], change: (parent: any, key: string | number) => void): any {
  const copy = demo();
  const parent = path.slice(0, -1).reduce((node, key) => node[key], copy);
  change(parent, path[path.length - 1]);
  return copy;
}

describe('config mistakes are listed problems, never a crash', () => {
  test('a top-level typo names the unknown key, suggests the valid one and says what is missing', () => {
    const { environments, ...rest } = demo();
    expect(problemsOf({ ...rest, enviroments: environments })).toEqual([
      'environments: missing: expected a mapping',
      'enviroments: unknown key: did you mean environments?',
    ]);
    const { models, ...noModels } = demo();
    expect(problemsOf({ ...noModels, model: models })).toEqual(['models: missing: expected a list', 'model: unknown key: did you mean models?']);
  });

  test('a typo at any depth suggests the closest key of that place, or lists the accepted keys', () => {
    const bad = demo();
    bad.models[0].servng = bad.models[0].serving;
    delete bad.models[0].serving;
    bad.models[1].serving.memorySizeMB = 2048;
    delete bad.models[1].serving.memorySizeMb;
    bad.environments.dev.gcp.alertThresholds = { endpointLatencyP99ms: 500 };
    bad.environments.prod.aws.colour = 'blue';
    bad.models[0].inputSchema = { feature: [] };
    expect(problemsOf(bad)).toEqual([
      'environments.dev.gcp.alertThresholds.endpointLatencyP99ms: unknown key: did you mean endpointLatencyP99Ms?',
      'environments.prod.aws.colour: unknown key: expected one of account, region, servingOverride, streamingOverride, shareRegistryWith, alarms, mlflow',
      'models[0].serving: missing: expected a mapping',
      'models[0].inputSchema.features: missing: expected a list',
      'models[0].inputSchema.feature: unknown key: did you mean features?',
      'models[0].servng: unknown key: did you mean serving?',
      'models[1].serving.memorySizeMb: missing: expected a number',
      'models[1].serving.memorySizeMB: unknown key: did you mean memorySizeMb?',
    ]);
  });

  test('a discriminated union suggests from the option its kind picks', () => {
    expect(knownKeysAt(platformConfigSchema, ['models', 0, 'serving'], { models: [{ serving: { kind: 'serverless' } }] })).toEqual(['kind', 'memorySizeMb', 'maxConcurrency']);
    expect(closestKey('instanceTyp', ['kind', 'memorySizeMb', 'maxConcurrency'])).toBeUndefined();
    expect(closestKey('Models', ['platform', 'models'])).toBe('models');
  });

  test('not a mapping at all: one problem, no TypeError', () => {
    for (const raw of [null, undefined, 'platform: x', 42, []]) {
      expect(() => parseConfig(raw)).toThrow(ConfigError);
    }
    expect(problemsOf(null)).toEqual(['expected a mapping with platform, inference, aws, environments, models (got null)']);
  });

  // Every field of the demo removed, renamed, emptied or given the wrong type: each is a ConfigError (or a valid
  // config, for optional fields), never a TypeError from a cross-field rule reading the broken value.
  test.each([
    ['removed', (parent: any, key: string | number) => void delete parent[key]],
    ['renamed with a typo', (parent: any, key: string | number) => { if (typeof key === 'string') { parent[`${key}x`] = parent[key]; delete parent[key]; } }],
    ['null', (parent: any, key: string | number) => void (parent[key] = null)],
    ['a string', (parent: any, key: string | number) => void (parent[key] = 'x')],
    ['a number', (parent: any, key: string | number) => void (parent[key] = 7)],
    ['an empty list', (parent: any, key: string | number) => void (parent[key] = [])],
    ['an empty mapping', (parent: any, key: string | number) => void (parent[key] = {})],
  ])('every field %s', (_, change) => {
    const all = paths(demoConfig);
    expect(all.length).toBeGreaterThan(100);
    const crashes: string[] = [];
    for (const path of all) {
      try {
        parseConfig(mutated(path, change));
      } catch (err) {
        if (!(err instanceof ConfigError)) crashes.push(`${path.join('.')}: ${(err as Error).stack?.split('\n').slice(0, 2).join(' ')}`);
      }
    }
    expect(crashes).toEqual([]);
  });
});
