import { atLeast, removedLines, requiredBump, signaturesOnly } from '../../scripts/api-semver';

const report = (body: string) => `## API Report File for "modelstack"\n\n\`\`\`ts\n\n${body}\n\n\`\`\`\n`;

const before = report(`// @public
export interface ModelRegistryProps {
    readonly models: readonly string[];
    readonly name: string;
}

// @public
export interface ModelEndpointProps {
    readonly name: string;
}`);

describe('API report semver rules', () => {
  test('an added export or optional member removes nothing: a minor bump', () => {
    const after = before.replace('    readonly name: string;\n}\n\n// @public\nexport interface ModelEndpointProps', '    readonly name: string;\n    readonly tags?: string[];\n}\n\n// @public\nexport interface ModelEndpointProps');
    expect(removedLines(before, after)).toEqual([]);
    expect(requiredBump('1.4.2', false)).toBe('1.5.0');
  });

  test('a member gone from one interface is breaking even when another interface still has the same line', () => {
    const after = before.replace('    readonly models: readonly string[];\n    readonly name: string;\n', '    readonly models: readonly string[];\n');
    expect(removedLines(before, after)).toEqual(['export interface ModelRegistryProps :: readonly name: string;']);
  });

  test('a changed signature is breaking', () => {
    const after = before.replace('readonly models: readonly string[];', 'readonly models: string;');
    expect(removedLines(before, after)).toEqual(['export interface ModelRegistryProps :: readonly models: readonly string[];']);
  });

  test('breaking needs a major bump, or a minor one while 0.x', () => {
    expect(requiredBump('1.4.2', true)).toBe('2.0.0');
    expect(requiredBump('0.1.0', true)).toBe('0.2.0');
    expect(requiredBump('0.1.0', false)).toBe('0.2.0');
  });

  test('version order compares numerically, part by part', () => {
    expect(atLeast('0.10.0', '0.9.0')).toBe(true);
    expect(atLeast('0.2.0', '0.2.0')).toBe(true);
    expect(atLeast('0.1.9', '0.2.0')).toBe(false);
    expect(atLeast('1.0.0', '0.99.99')).toBe(true);
  });

  test('doc coverage notes are not part of the API', () => {
    const undocumented = before.replace('// @public\nexport interface ModelEndpointProps {\n', '// @public (undocumented)\nexport interface ModelEndpointProps {\n    // (undocumented)\n');
    expect(signaturesOnly(undocumented)).toBe(before);
  });

  test('documenting parameters does not change a signature', () => {
    const documented = report('// @public\nexport class ConfigError extends Error {\n    constructor(\n    source: string,\n    problems: string[]);\n}');
    expect(signaturesOnly(documented)).toBe(report('// @public\nexport class ConfigError extends Error {\n    constructor(source: string, problems: string[]);\n}'));
  });
});
